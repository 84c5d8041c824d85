"""The example service plus a probe service and a switchable readiness check.

Used by the gRPC integration tests' server processes (``manage.py axiomod_grpc``).
"""

import os

from example.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.grpc.project"]  # noqa: F405
AXIOMOD = {
    **AXIOMOD,  # noqa: F405
    "health": {"check_timeout": 1.0, "cache_ttl": 0.2},
    "grpc": {
        **AXIOMOD["grpc"],  # noqa: F405
        "handlers": [
            "example.invoices.delivery.grpc.register",
            "tests.grpc.project.services.register",
        ],
        "grace_period": float(os.environ.get("AXIOMOD_TEST_GRACE", "10")),
    },
}
