"""axiomod benchmarks: ratios against a baseline measured in the same run.

Run one with ``python -m bench NAME`` (``python -m bench --list`` lists them); see
``bench/README.md``. Benchmarks are never part of the test run.

:data:`BENCHMARKS` is the one place a benchmark is listed: its name maps to the module
that registers it with :func:`bench.harness.benchmark`. ``python -m bench NAME`` imports
only that module, so a benchmark's heavy dependencies (Django, gunicorn, a broker client)
are loaded only when it runs.
"""

# First, before anything imports grpcio: its fork handlers off (see the module).
from axiomod.testing import forks  # noqa: F401

BENCHMARKS: dict[str, str] = {
    "settings": "bench.settings_access",
    "metrics": "bench.metrics",
    "health": "bench.health",
    "db": "bench.db",
    "tracing": "bench.tracing",
    "oidc": "bench.oidc",
    "kafka": "bench.kafka",
    "jobs": "bench.jobs",
    "grpc": "bench.grpc",
    "asgi": "bench.asgi",
}
