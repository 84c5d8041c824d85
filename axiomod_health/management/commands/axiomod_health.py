"""``manage.py axiomod_health``: run the readiness checks once, for exec probes and CI.

Exit status 0 when ready (UP or DEGRADED), 1 when not; ``--live`` exits 0 without
running any check (the same contract as ``/live``). Details are printed as the
``/health`` view shows them to staff, since whoever runs the command has a shell.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Run the readiness checks once; exit 0 when ready, 1 when not."

    def add_arguments(self, parser: CommandParser) -> None:
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--ready", action="store_true", help="readiness checks (default)")
        mode.add_argument("--live", action="store_true", help="liveness only: no checks")
        parser.add_argument(
            "--json", action="store_true", help="print the /ready JSON body, with details"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["live"]:
            self.stdout.write("UP")
            return
        from axiomod_health.state import current_report
        from axiomod_health.views import ready_payload

        report = current_report()
        if options["json"]:
            self.stdout.write(json.dumps(ready_payload(report, details=True), indent=2))
        else:
            for result in report.results:
                line = f"{result.status:4}  {result.name}  {result.duration * 1000:.1f} ms"
                if not result.critical:
                    line += "  (non-critical)"
                if result.error:
                    line += f"  {result.error}"
                self.stdout.write(line)
            self.stdout.write(report.status)
        if not report.ready:
            raise CommandError(f"not ready: {report.status}", returncode=1)
