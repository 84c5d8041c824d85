"""Kubernetes probes for axiomod services: ``/live``, ``/ready`` and ``/health``.

Configured by ``AXIOMOD["health"]`` (:class:`axiomod_health.conf.HealthSettings`).
Needs the ``health`` extra.
"""
