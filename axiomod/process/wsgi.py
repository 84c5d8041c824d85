"""WSGI entry point that validates the ``AXIOMOD`` setting before serving.

gunicorn does not run Django's system checks, so without this a typo'd setting would
only surface as a traceback on the first request that reads it. Use it in place of
``django.core.wsgi.get_wsgi_application``.
"""

from __future__ import annotations

import django
from django.core.handlers.wsgi import WSGIHandler

from axiomod.process.startup import ensure_valid_configuration_to_serve
from axiomod.signals import serving_started
from axiomod_metrics.workers import enable_for_this_worker


def get_wsgi_application() -> WSGIHandler:
    # Before django.setup() imports prometheus_client: uvicorn/hypercorn workers and
    # gunicorn without axiomod.gunicorn_config share one multiprocess directory.
    enable_for_this_worker()
    django.setup(set_prefix=False)
    ensure_valid_configuration_to_serve()
    handler = WSGIHandler()
    serving_started.send(sender="wsgi")
    return handler
