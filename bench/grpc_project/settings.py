"""Settings of ``bench grpc``: the example service as it ships, with a few things pinned.

Everything comes from ``example.settings`` (its apps, so ``axiomod_metrics`` and its
per-query database metrics on both sides; its ``AXIOMOD["grpc"]`` handlers and
reflection), except:

* ``AXIOMOD["grpc"]``: ``host`` 127.0.0.1 and ``max_workers`` from
  ``AXIOMOD_BENCH_GRPC_WORKERS`` (default 10, axiomod's default): the baseline server
  sizes its thread pool from the same setting, so both sides run the same worker count.
* ``AXIOMOD["metrics"]["port"]``: ``AXIOMOD_BENCH_GRPC_METRICS_PORT`` when set (the
  candidate's scrape endpoint on loopback, which the benchmark reads once at the end to
  check that every call was counted); unset, no metrics port.
* Logging at ``WARNING`` for every logger: no start-up lines in the servers' logs beyond
  the ready line, and nothing per call on either side.

The database is ``DATABASE_URL`` (the benchmark sets a SQLite file of its own).
"""

import os

from example.settings import *  # noqa: F403
from example.settings import AXIOMOD as EXAMPLE_AXIOMOD
from example.settings import LOGGING as EXAMPLE_LOGGING

AXIOMOD = {
    **EXAMPLE_AXIOMOD,
    "grpc": {
        **EXAMPLE_AXIOMOD["grpc"],
        "host": "127.0.0.1",
        "max_workers": int(os.environ.get("AXIOMOD_BENCH_GRPC_WORKERS", "10")),
        "grace_period": 1.0,
    },
}
if os.environ.get("AXIOMOD_BENCH_GRPC_METRICS_PORT"):
    AXIOMOD["metrics"] = {
        **EXAMPLE_AXIOMOD.get("metrics", {}),
        "port": int(os.environ["AXIOMOD_BENCH_GRPC_METRICS_PORT"]),
        "address": "127.0.0.1",
    }

LOGGING = {**EXAMPLE_LOGGING, "root": {**EXAMPLE_LOGGING["root"], "level": "WARNING"}}
