"""Start-up validation shared by the WSGI/ASGI entry points and axiomod's commands."""

from __future__ import annotations

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from axiomod.checks import TAG


def ensure_valid_configuration() -> None:
    """Run the axiomod system checks and refuse to start on any error.

    This is Django's own check framework (the same messages ``manage.py check`` prints),
    limited to the ``axiomod`` tag so start-up stays fast.
    """
    problems = [
        message
        for message in checks.run_checks(tags=[TAG], include_deployment_checks=False)
        if message.is_serious() and not message.is_silenced()
    ]
    if problems:
        lines = "\n".join(f"  - {message}" for message in problems)
        raise ImproperlyConfigured(
            f"axiomod cannot start, the configuration has errors:\n{lines}\n"
            "Run `python manage.py check` for hints."
        )
