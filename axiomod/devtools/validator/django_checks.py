"""Django's own verdicts, run by ``validator run``: the system checks and missing migrations.

Both go through the ordinary management commands (``check``; ``makemigrations --check
--dry-run``) so ``SILENCED_SYSTEM_CHECKS``, third-party checks and Django's migration
autodetector behave exactly as they do when a developer runs them by hand.
"""

from __future__ import annotations

import io

from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError

from axiomod.devtools.validator.report import CheckResult, Finding


def check_django() -> CheckResult:
    """``manage.py check``: any error (or worse) fails; warnings are shown, not fatal."""
    result = CheckResult("django checks")
    out = io.StringIO()
    try:
        call_command("check", stdout=out, stderr=out)
    except SystemCheckError as exc:
        result.findings.append(Finding("", 0, str(exc).strip(), "system-check"))
    except CommandError as exc:
        result.error = str(exc)
    result.output = out.getvalue()
    return result


def check_migrations(app_labels: list[str] | None = None) -> CheckResult:
    """``makemigrations --check --dry-run`` for ``app_labels`` (every app when empty)."""
    result = CheckResult("migrations")
    out = io.StringIO()
    try:
        call_command(
            "makemigrations", *(app_labels or ()), check=True, dry_run=True, stdout=out, stderr=out
        )
    except SystemExit as exc:
        if exc.code:
            result.findings.append(
                Finding("", 0, "models have changes that no migration records", "missing-migration")
            )
    except CommandError as exc:
        result.error = str(exc)
    result.output = out.getvalue()
    if app_labels:
        result.summary = {"apps": ", ".join(app_labels)}
    return result
