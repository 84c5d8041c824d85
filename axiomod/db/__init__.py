"""The database layer: ``DATABASES`` entries with a pool, slow-query log, query metrics.

Public API::

    from axiomod.db import database, use_primary

    DATABASES = {
        "default": database(os.environ["DATABASE_URL"], max_open=20, min_idle=2),
        "replica": database(os.environ["REPLICA_URL"]),
    }
    DATABASE_ROUTERS = ["axiomod.db.routers.PrimaryReplicaRouter"]

Configured by ``AXIOMOD["db"]`` (slow-query threshold, parameters in logs, metrics,
replicas). The instrumentation is installed on every new connection through Django's
``execute_wrapper`` mechanism, so it works with ``DEBUG=False`` and any backend.
"""

from .config import database
from .routers import PrimaryReplicaRouter, use_primary

__all__ = ["PrimaryReplicaRouter", "database", "use_primary"]
