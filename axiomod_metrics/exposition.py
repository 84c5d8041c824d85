"""Serving the scrape: the ``/metrics`` view and the optional dedicated port."""

from __future__ import annotations

import logging
import os
import threading

from django.http import HttpRequest, HttpResponse
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.exposition import choose_encoder, start_http_server

from axiomod.conf import settings

from . import multiprocess

__all__ = ["PORT_OWNER_ENV", "metrics_view", "registry", "start_metrics_server"]

logger = logging.getLogger("axiomod.metrics")

#: Set by the gunicorn config when the master serves the port, so workers don't try to.
PORT_OWNER_ENV = "AXIOMOD_METRICS_PORT_OWNER"


def registry() -> CollectorRegistry:
    """What a scrape reads: all workers' samples in multiprocess mode, else this process's."""
    return multiprocess.scrape_registry() or REGISTRY


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus text format (or OpenMetrics when the scraper asks for it)."""
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    return HttpResponse(encoder(registry()), content_type=content_type)


_server_lock = threading.Lock()
_server: object | None = None


def start_metrics_server(*, owner: str = "process") -> bool:
    """Serve the scrape on ``AXIOMOD["metrics"]["port"]`` in this process, once.

    Returns whether a server is running here. Binding failures are logged, not raised:
    losing the metrics port must not take the service down.
    """
    global _server
    conf = settings.metrics
    if conf.port is None:
        return False
    owner_elsewhere = os.environ.get(PORT_OWNER_ENV)
    if owner_elsewhere and owner_elsewhere != str(os.getpid()):
        return False
    with _server_lock:
        if _server is not None:
            return True
        try:
            _server = start_http_server(conf.port, addr=conf.address, registry=registry())
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
