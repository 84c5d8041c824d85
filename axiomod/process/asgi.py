"""ASGI entry point that validates the ``AXIOMOD`` setting before serving (see ``axiomod.wsgi``)."""

from __future__ import annotations

import django
from django.core.handlers.asgi import ASGIHandler

from axiomod.process.startup import ensure_valid_configuration_to_serve
from axiomod.signals import serving_started
from axiomod_metrics.workers import enable_for_this_worker


def get_asgi_application() -> ASGIHandler:
    # Before django.setup() imports prometheus_client: uvicorn/hypercorn workers and
    # gunicorn without axiomod.gunicorn_config share one multiprocess directory.
    enable_for_this_worker()
    django.setup(set_prefix=False)
    ensure_valid_configuration_to_serve()
    handler = ASGIHandler()
    serving_started.send(sender="asgi")
    return handler
