"""Settings of the project the ``metrics`` benchmark serves: the example plus ``/ping``.

``AXIOMOD_BENCH_METRICS`` picks the metrics middleware of a server process: ``none``,
``axiomod`` or ``django_prometheus``; ``AXIOMOD_BENCH_TRACING=off`` removes axiomod's
``TracingMiddleware`` (the ``tracing`` benchmark's baseline server: a service without it).
The URLconf is ``bench.metrics_urls``.
"""

from __future__ import annotations

import os

from example.settings import *  # noqa: F403
from example.settings import MIDDLEWARE as EXAMPLE_MIDDLEWARE

ROOT_URLCONF = "bench.metrics_urls"

METRICS_MIDDLEWARE = {
    "none": [],
    "axiomod": ["axiomod_metrics.middleware.MetricsMiddleware"],
    "django_prometheus": [
        "django_prometheus.middleware.PrometheusBeforeMiddleware",
        "django_prometheus.middleware.PrometheusAfterMiddleware",
    ],
}
_OTHERS = [m for m in EXAMPLE_MIDDLEWARE if m != "axiomod_metrics.middleware.MetricsMiddleware"]
_variant = os.environ.get("AXIOMOD_BENCH_METRICS", "axiomod")
if _variant == "django_prometheus":
    # django-prometheus' pair brackets the stack: Before first, After last.
    MIDDLEWARE = [METRICS_MIDDLEWARE[_variant][0], *_OTHERS, METRICS_MIDDLEWARE[_variant][1]]
else:
    MIDDLEWARE = [*METRICS_MIDDLEWARE[_variant], *_OTHERS]

if os.environ.get("AXIOMOD_BENCH_TRACING") == "off":
    MIDDLEWARE = [m for m in MIDDLEWARE if m != "axiomod.tracing.middleware.TracingMiddleware"]
