"""Prometheus metrics for axiomod services: the ``/metrics`` endpoint and request metrics.

Configured by ``AXIOMOD["metrics"]`` (:class:`axiomod_metrics.conf.MetricsSettings`).
Needs the ``metrics`` extra.
"""
