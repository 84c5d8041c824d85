"""``manage.py axiomod_consume [--group G ...] [--topic T ...]``: run Kafka consumers.

Runs until SIGTERM/SIGINT, then finishes the messages in hand, commits and exits 0
within ``AXIOMOD["kafka"]["shutdown_timeout"]``. In Kubernetes, run one Deployment per
group and set ``terminationGracePeriodSeconds`` above the shutdown timeout.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Consume Kafka messages with the registered handlers until SIGTERM."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--group",
            action="append",
            dest="groups",
            help="consumer group to run (repeatable; default: every group with handlers)",
        )
        parser.add_argument(
            "--topic",
            action="append",
            dest="topics",
            help="consume only this topic of the group (repeatable)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        groups, topics = options["groups"], options["topics"]
        from axiomod import tracing
        from axiomod.signals import serving_started
        from axiomod_messaging.publisher import flush
        from axiomod_messaging.supervisor import Supervisor, build_plan

        try:
            plan = build_plan(groups, topics)
        except (ValueError, ImproperlyConfigured) as exc:
            raise CommandError(str(exc)) from exc
        tracing.configure()
        # Serving like a web worker: the metrics app starts its dedicated port on this.
        serving_started.send(sender="kafka consumer")
        for group, handlers in plan.items():
            self.stdout.write(f"consuming {', '.join(handlers)} as group {group}")
        status = Supervisor(plan).run()
        flush()  # what the handlers published
        tracing.shutdown()
        if status:
            raise CommandError("consumers did not stop cleanly", returncode=status)
