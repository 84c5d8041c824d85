"""Settings of the ``asgi`` benchmark's servers: only Django's middlewares, plus one of axiomod's.

The project is ``bench.metrics_project`` (the example and its ``/ping``) with the example's
middlewares reduced to Django's own (``DJANGO_MIDDLEWARE``); ``AXIOMOD_BENCH_ASGI`` puts one
axiomod middleware in front of them (``AXIOMOD_MIDDLEWARE``): ``none`` (the baseline: a
Django service without axiomod's middlewares), ``metrics`` or ``tracing``.
"""

from __future__ import annotations

import os

from bench.metrics_project import *  # noqa: F403
from example.settings import MIDDLEWARE as EXAMPLE_MIDDLEWARE

AXIOMOD_MIDDLEWARE = {
    "none": [],
    "metrics": ["axiomod_metrics.middleware.MetricsMiddleware"],
    "tracing": ["axiomod.tracing.middleware.TracingMiddleware"],
}
DJANGO_MIDDLEWARE = [m for m in EXAMPLE_MIDDLEWARE if m.startswith("django.")]
MIDDLEWARE = [*AXIOMOD_MIDDLEWARE[os.environ.get("AXIOMOD_BENCH_ASGI", "none")], *DJANGO_MIDDLEWARE]
