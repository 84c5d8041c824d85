"""Start-up validation shared by the WSGI/ASGI entry points and axiomod's commands."""

from __future__ import annotations

import os
import sys

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from axiomod.checks import TAG

try:  # gunicorn is a dependency of axiomod; the fallback keeps this importable without it
    from gunicorn.errors import AppImportError as _AppLoadError
except ImportError:  # pragma: no cover

    class _AppLoadError(Exception):  # type: ignore[no-redef]
        pass


class InvalidConfigurationError(ImproperlyConfigured, _AppLoadError):
    """The configuration has errors, so a gunicorn worker refuses to serve.

    Also gunicorn's ``AppImportError``, which gunicorn reports by printing the message
    once, without a traceback (a typo in settings is not a bug in code), before the
    master stops with "App failed to load". Any other exception it logs with its
    traceback, which ends in the message, and then prints the message again: each
    configuration error twice per worker.
    """


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
            "`python manage.py check` reports the same errors without starting a server."
        )


def ensure_valid_configuration_to_serve() -> None:
    """:func:`ensure_valid_configuration` for the server entry points (``axiomod.wsgi``,
    ``axiomod.asgi``): under gunicorn the error is an :class:`InvalidConfigurationError`, so
    each process reports each error once."""
    try:
        ensure_valid_configuration()
    except ImproperlyConfigured as exc:
        # A gunicorn master loading the application itself (--preload) has nothing to
        # print it twice: there it stays the plain ImproperlyConfigured, as in any server.
        master = os.environ.get("AXIOMOD_GUNICORN_MASTER") == str(os.getpid())
        if "gunicorn.arbiter" not in sys.modules or master:
            raise
        # from None: with --preload the master would print the first traceback as well.
        raise InvalidConfigurationError(str(exc)) from None
