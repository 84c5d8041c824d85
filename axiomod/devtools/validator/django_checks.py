"""Django's own verdicts, run by ``validator run``: the system checks and missing migrations.

Both go through the ordinary management commands (``check``; ``makemigrations --check
--dry-run``) so ``SILENCED_SYSTEM_CHECKS``, third-party checks and Django's migration
autodetector behave exactly as they do when a developer runs them by hand. A project that
cannot be imported (``django.setup()`` or the URLconf raising) is a finding of its own,
at the line where the import failed, not a traceback.
"""

from __future__ import annotations

import io
import traceback
from pathlib import Path

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
    except Exception as exc:  # the URLconf or a check imports project code that fails
        result.findings.append(cannot_import_finding(exc))
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


def import_project() -> Finding | None:
    """``django.setup()`` unless done; why the project cannot be imported, or None.

    ``manage.py`` has set the project up before any command runs; ``axiomod validator``
    (see :mod:`axiomod.devtools.validator.standalone`) leaves it to this function, so a
    failure becomes a finding at the place it happened instead of a traceback.
    """
    import django
    from django.apps import apps

    if apps.ready:
        return None
    try:
        django.setup()
    except Exception as exc:
        return cannot_import_finding(exc)
    return None


def cannot_import_finding(exc: BaseException) -> Finding:
    """A finding for an exception raised while importing the project: its message, at the
    innermost line of a file (not importlib's frames) where it was raised."""
    path, line = "", 0
    if isinstance(exc, SyntaxError) and exc.filename:
        path, line = exc.filename, exc.lineno or 0
    else:
        frames = [
            frame
            for frame in traceback.extract_tb(exc.__traceback__)
            if not frame.filename.startswith("<")
        ]
        if frames:
            path, line = frames[-1].filename, frames[-1].lineno or 0
    message = f"{type(exc).__name__}: {exc}".strip()
    return Finding(
        path=_relative(path) if path else "",
        line=line,
        message=f"the project cannot be imported: {message}",
        category="cannot-import",
    )


def _relative(path: str) -> str:
    """The path relative to the working directory when it is below it, for clickable output."""
    resolved = Path(path).resolve()
    return str(resolved.relative_to(Path.cwd())) if resolved.is_relative_to(Path.cwd()) else path
