"""Serving the scrape: the ``/metrics`` view and the optional dedicated port."""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from typing import IO, Any

from django.http import HttpRequest, HttpResponse
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.exposition import choose_encoder, start_http_server

from axiomod.conf import settings

from . import multiprocess
from .workers import PORT_LOCK_FILE

__all__ = [
    "PORT_OWNER_ENV",
    "metrics_view",
    "registry",
    "start_metrics_server",
    "stop_metrics_server",
]

logger = logging.getLogger("axiomod.metrics")

#: Set by the gunicorn config when the master serves the port (and by a Celery worker's
#: main process), so workers don't try to. Without it, in multiprocess mode, the workers
#: elect one of them (:func:`start_metrics_server`).
PORT_OWNER_ENV = "AXIOMOD_METRICS_PORT_OWNER"


def registry() -> CollectorRegistry:
    """What a scrape reads: all workers' samples in multiprocess mode, else this process's."""
    return multiprocess.scrape_registry() or REGISTRY


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus text format (or OpenMetrics when the scraper asks for it)."""
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    return HttpResponse(encoder(registry()), content_type=content_type)


_server_lock = threading.Lock()
_server: Any = None
_port_lock: IO[bytes] | None = None
_waiter: threading.Thread | None = None
_stopping = False
_RETRY_SECONDS = 1.0


def start_metrics_server(*, owner: str = "process") -> bool:
    """Serve the scrape on ``AXIOMOD["metrics"]["port"]`` in this process, once.

    Returns whether a server is running here. Binding failures are logged, not raised:
    losing the metrics port must not take the service down.

    Who serves it: the process named by :data:`PORT_OWNER_ENV` (gunicorn's master, a
    Celery worker's main process) when it is set; else, in multiprocess mode, the one
    worker of the server holding an ``flock`` on the directory's port lock file
    (:func:`_elect`), so that uvicorn's workers, which share the directory but have no
    master that could serve the port, take turns rather than fight over it; else this
    process.
    """
    global _stopping
    conf = settings.metrics
    if conf.port is None:
        return False
    _stopping = False
    owner_elsewhere = os.environ.get(PORT_OWNER_ENV)
    if owner_elsewhere and owner_elsewhere != str(os.getpid()):
        return False
    path = multiprocess.directory()
    if not owner_elsewhere and path is not None:
        return _elect(path, owner)
    return _serve(owner)


def _serve(owner: str) -> bool:
    global _server
    conf = settings.metrics
    with _server_lock:
        if _server is not None:
            return True
        try:
            # registry(): in multiprocess mode every worker's files, whoever serves.
            _server, _ = start_http_server(conf.port, addr=conf.address, registry=registry())
        except OSError as exc:
            logger.warning(
                "metrics port %s:%s not served by pid %s: %s",
                conf.address,
                conf.port,
                os.getpid(),
                exc,
            )
            return False
        logger.info("serving metrics on %s:%s (%s)", conf.address, conf.port, owner)
        return True


def _elect(path: str, owner: str) -> bool:
    """One process of those sharing ``path`` serves the port; another takes over after it.

    The holder of an exclusive ``flock`` on ``path``/.axiomod-port.lock serves. The
    others each wait for the lock in a daemon thread: the kernel releases it when the
    holder exits (SIGKILL included) or stops cleanly (:func:`stop_metrics_server`), and
    one waiter gets it and binds the port, at once, with no polling. Looked at first:
    binding with ``SO_REUSEPORT`` from every worker (prometheus_client's server does not
    set it, and the kernel would spread scrapes over the workers for no gain) and a
    retry loop on ``EADDRINUSE`` (a delay, and noise, in every worker).
    """
    global _port_lock, _waiter
    with _server_lock:
        if _server is not None or _waiter is not None:
            return _server is not None
        handle = open(os.path.join(path, PORT_LOCK_FILE), "a+b")  # noqa: SIM115  (held)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            _waiter = threading.Thread(
                target=_wait_for_port,
                args=(handle, owner),
                name="axiomod-metrics-port",
                daemon=True,
            )
            _waiter.start()
            return False
        _port_lock = handle
    if _serve(owner):
        return True
    _serve_when_possible(owner)
    return False


def _wait_for_port(handle: IO[bytes], owner: str) -> None:
    global _port_lock
    fcntl.flock(handle, fcntl.LOCK_EX)  # until the serving process exits or stops
    with _server_lock:
        if _stopping:
            handle.close()
            return
        _port_lock = handle
    logger.info("metrics port taken over by pid %s", os.getpid())
    if not _serve(owner):
        _serve_when_possible(owner, in_this_thread=True)


def _serve_when_possible(owner: str, *, in_this_thread: bool = False) -> None:
    """Holding the lock but the port is busy (the last holder's socket, another program):
    try again every second, in a thread, until it binds or this process stops."""

    def retry() -> None:
        while not _stopping:
            time.sleep(_RETRY_SECONDS)
            if _serve(owner):
                return

    if in_this_thread:
        retry()
    else:
        threading.Thread(target=retry, name="axiomod-metrics-port", daemon=True).start()


def stop_metrics_server() -> None:
    """Stop serving the port and give it up to another worker (``serving_stopped``)."""
    global _server, _port_lock, _stopping, _waiter
    with _server_lock:
        _stopping = True
        _waiter = None  # a thread still waiting gives the lock back when it gets it
        server, _server = _server, None
        handle, _port_lock = _port_lock, None
    if server is not None:
        server.shutdown()
        server.server_close()
    if handle is not None:
        handle.close()  # releases the flock: a waiting worker takes the port
