"""gunicorn configuration module: ``gunicorn -c python:axiomod.gunicorn_config project.wsgi``.

What it does, in the master process:

* Multiprocess metrics: sets ``PROMETHEUS_MULTIPROC_DIR`` to a private temporary
  directory when it is not set (without it each worker would answer a scrape with its
  own numbers only), empties it before the first worker starts, and when a worker exits
  drops its live gauges and folds its files into the archive (see
  :mod:`axiomod_metrics.multiprocess`), so restarts under ``max_requests`` don't pile up
  files and slow scrapes down.
* Metrics port: when ``AXIOMOD["metrics"]["port"]`` is set, the master serves it (the
  aggregate of all workers) and workers don't try to bind it. This reads the Django
  settings, so ``DJANGO_SETTINGS_MODULE`` must be in the environment.
* Configuration: when ``DJANGO_SETTINGS_MODULE`` is set, the master validates the
  ``AXIOMOD`` block before it forks and, on errors, logs each one once with its hint and
  stops ("App failed to load"): no worker starts only to report the same errors again.
  Errors only Django's checks can find (they need the apps loaded) are reported by each
  worker, once (``axiomod.wsgi``).
* Header size: ``limit_request_field_size`` lets a request header line carry a bearer
  token as long as ``axiomod_auth`` accepts (16 KiB); gunicorn's default, 8,190 bytes,
  answered larger tokens with its own HTML 431 before Django (and the 401 with a
  reason) ever saw them.

To add settings or hooks of your own, write a ``gunicorn.conf.py`` that starts with
``from axiomod.gunicorn_config import *`` and call the imported hook from yours.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from typing import Any

logger = logging.getLogger("axiomod.gunicorn")

# gunicorn 27's control socket defaults to one path per user ($HOME/.gunicorn/gunicorn.ctl):
# two servers in one container, or tests running servers side by side, would share it.
control_socket_disable = True

#: Longest bearer token ``axiomod_auth`` verifies (``axiomod_auth.tokens.MAX_TOKEN_LENGTH``,
#: which is not public, so it is repeated here; tests/auth/test_gunicorn_limits.py keeps
#: the two equal). Private, so ``from axiomod.gunicorn_config import *`` leaves it out.
_BEARER_TOKEN_LENGTH = 16 * 1024

# gunicorn counts the whole header line, "Authorization: Bearer <token>\r\n", against
# this limit (default 8,190). It applies to every header line (cookies too) and bounds
# the header buffer of a request at ~limit_request_fields (100) times it, ~1.6 MB.
limit_request_field_size = len("Authorization: Bearer ") + _BEARER_TOKEN_LENGTH + len("\r\n")

# gunicorn's exit status when the application cannot be loaded (Arbiter.APP_LOAD_ERROR).
_APP_LOAD_ERROR = 4
_MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_created_dir: str | None = None

# Read in the master before the application loads (even with --preload): code running
# at load time can tell the master, which only forks workers, from a worker.
os.environ["AXIOMOD_GUNICORN_MASTER"] = str(os.getpid())

# Before any import of prometheus_client: its value class is chosen when it is imported.
if not os.environ.get(_MULTIPROC_ENV):
    _created_dir = tempfile.mkdtemp(prefix="axiomod-metrics-")
    os.environ[_MULTIPROC_ENV] = _created_dir


def _metrics_installed() -> bool:
    try:
        import axiomod_metrics.multiprocess  # noqa: F401
    except ImportError:
        return False
    return True


def on_starting(server: Any) -> None:
    if _metrics_installed():
        from axiomod_metrics.multiprocess import prepare_directory

        prepare_directory()


def when_ready(server: Any) -> None:
    """Runs in the master before the workers are spawned.

    An invalid ``AXIOMOD`` block stops the master here, before any worker exists.
    Otherwise, whatever happens here, workers must not fight over the metrics port (the
    first to bind it would take it down with it when recycled), so the owner marker is set
    even when the master cannot serve it; the reason is logged.
    """
    if os.environ.get("DJANGO_SETTINGS_MODULE"):
        _refuse_invalid_configuration(server)
    if not _metrics_installed():
        return
    from django.core.exceptions import ImproperlyConfigured

    from axiomod_metrics.exposition import PORT_OWNER_ENV, start_metrics_server

    os.environ[PORT_OWNER_ENV] = str(os.getpid())
    if not os.environ.get("DJANGO_SETTINGS_MODULE"):
        server.log.warning(
            "axiomod: DJANGO_SETTINGS_MODULE is not set in gunicorn's environment, so the "
            "master cannot read AXIOMOD['metrics']['port']; no metrics port is served"
        )
        return
    try:
        start_metrics_server(owner="gunicorn master")
    except ImproperlyConfigured as exc:
        # Not a schema error (those stopped the master above): the workers report it too.
        server.log.error("axiomod: metrics port not served: %s", exc)


def _refuse_invalid_configuration(server: Any) -> None:
    """Log every error of the ``AXIOMOD`` block once and halt the master (exit status 4).

    Without this, each worker would load the application only to fail on the same errors,
    each reporting them; the master would then stop anyway, with "App failed to load".
    """
    try:
        from axiomod.conf import settings

        errors = settings.errors
    except Exception:  # settings that do not even import: the workers report it, once each
        return
    if not errors:
        return
    lines = []
    for error in errors:
        where = error.setting if error.env is None else f"{error.env} (default of {error.setting})"
        lines.append(f"  - ({error.id}) {where}: {error.message}.")
        if error.hint:
            lines.append(f"    HINT: {error.hint}")
    server.log.error(
        "axiomod cannot start, the configuration has errors:\n%s\n"
        "`python manage.py check` reports the same errors without starting a server.",
        "\n".join(lines),
    )
    server.halt(reason="App failed to load.", exit_status=_APP_LOAD_ERROR)


def post_worker_init(worker: Any) -> None:
    """Runs in each worker after it loaded the application and set its signal handlers."""
    try:
        from axiomod_health.shutdown import install_for_this_process
    except ImportError:
        return
    from django.apps import apps

    if apps.ready and apps.is_installed("axiomod_health"):
        install_for_this_process()


def worker_exit(server: Any, worker: Any) -> None:
    """Runs in the worker as it exits: flush the spans it still holds."""
    try:
        from axiomod.tracing import shutdown
    except ImportError:
        return
    shutdown()


def child_exit(server: Any, worker: Any) -> None:
    if _metrics_installed():
        from axiomod_metrics.multiprocess import mark_dead

        mark_dead(worker.pid)


def on_exit(server: Any) -> None:
    if _created_dir and os.path.isdir(_created_dir):
        shutil.rmtree(_created_dir, ignore_errors=True)
