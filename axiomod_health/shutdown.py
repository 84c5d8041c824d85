"""Draining on SIGTERM: not ready at once, still serving for ``drain_seconds``, then exit.

Kubernetes sends SIGTERM and removes the pod from its Service endpoints at the same time,
and load balancers take a few seconds to notice; a process that stops accepting at once
drops the requests still routed to it. So on SIGTERM ``/ready`` answers 503 while
``/live`` stays 200 and requests are still served; after ``drain_seconds`` the server's
own graceful shutdown runs. For gunicorn the hook is in ``axiomod.gunicorn_config``
(``post_worker_init``); under ASGI servers :mod:`axiomod.asgi` installs it again at the
lifespan startup, once the server has set its own handlers (gunicorn's uvicorn worker
sets them after loading the application, replacing the one installed then); other
servers get :func:`install_signal_handler`.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from typing import Any

__all__ = [
    "begin_drain",
    "draining",
    "install_for_this_process",
    "install_signal_handler",
    "reset",
]

logger = logging.getLogger("axiomod.health")

_draining = threading.Event()


def draining() -> bool:
    return _draining.is_set()


def begin_drain() -> None:
    if not _draining.is_set():
        logger.info("SIGTERM: draining; /ready answers 503 from now on")
    _draining.set()


def reset() -> None:
    _draining.clear()


def install_signal_handler(then: Callable[[int, Any], Any] | None = None) -> bool:
    """Replace the SIGTERM handler by one that drains, then calls ``then`` (or the old one).

    Returns False when this is not the main thread (signals can only be set there).
    """
    from axiomod.conf import settings

    if threading.current_thread() is not threading.main_thread():
        return False
    previous = then or signal.getsignal(signal.SIGTERM)

    def finish(signum: int, frame: Any) -> None:
        if callable(previous):
            previous(signum, frame)
        else:  # SIG_DFL: terminate as SIGTERM would have
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.raise_signal(signal.SIGTERM)

    def on_sigterm(signum: int, frame: Any) -> None:
        # Handlers run in the main thread. The first SIGTERM starts the drain; the timer
        # sends a second one when it is over (or an impatient operator does): finish then.
        if draining():
            finish(signum, frame)
            return
        begin_drain()
        delay = settings.health.drain_seconds
        if delay <= 0:
            finish(signum, frame)
            return
        timer = threading.Timer(delay, os.kill, args=(os.getpid(), signal.SIGTERM))
        timer.daemon = True
        timer.start()

    signal.signal(signal.SIGTERM, on_sigterm)
    global _handler
    _handler = on_sigterm
    return True


_installed_in: int | None = None
#: The SIGTERM handler :func:`install_signal_handler` installed last.
_handler: Callable[[int, Any], Any] | None = None


def install_for_this_process() -> bool:
    """Install the draining handler once per process (serving_started, gunicorn hook,
    ASGI lifespan startup), or again when the server has replaced it since.

    gunicorn sets its workers' handlers before it loads the application, so the handler
    installed when the WSGI application loads wraps gunicorn's own graceful exit. With
    ``--preload`` the application loads in the master instead, and
    ``axiomod.gunicorn_config.post_worker_init`` installs it in each worker. gunicorn's
    uvicorn worker (``uvicorn_worker.UvicornWorker``) sets uvicorn's handlers only after
    both, when its server starts: the ASGI lifespan startup installs it again then, in
    front of uvicorn's.
    """
    global _installed_in
    if _installed_in == os.getpid() and signal.getsignal(signal.SIGTERM) is _handler:
        return True
    if install_signal_handler():
        _installed_in = os.getpid()
        return True
    return False
