"""The standard ``grpc.health.v1.Health`` service, answering from the readiness state.

Kubernetes gRPC probes and grpc-aware load balancers ask this service; it answers
``SERVING`` exactly when ``/ready`` would answer 200 (same checks, same cache, same
draining), so HTTP and gRPC never disagree. grpcio-health-checking's own
``HealthServicer`` keeps statuses someone must set by hand; this one reads them.

    from axiomod_health.grpc import add_health_servicer
    add_health_servicer(server)  # grpc.server(...) or grpc.aio.server(...)

The service name ``""`` (the whole server) and any other name get the overall status.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from grpc_health.v1 import health_pb2, health_pb2_grpc

__all__ = [
    "AsyncReadinessHealthServicer",
    "ReadinessHealthServicer",
    "add_health_servicer",
    "serving_status",
]

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def serving_status() -> int:
    from . import readiness

    return SERVING if readiness().ready else NOT_SERVING


class ReadinessHealthServicer(health_pb2_grpc.HealthServicer):
    """``Check`` and ``Watch`` from :func:`axiomod_health.readiness`."""

    def __init__(self, watch_interval: float = 1.0) -> None:
        self.watch_interval = watch_interval

    def Check(self, request: Any, context: Any) -> Any:  # noqa: N802  (gRPC's name)
        return health_pb2.HealthCheckResponse(status=serving_status())

    def Watch(self, request: Any, context: Any) -> Iterator[Any]:  # noqa: N802
        """Send the status now and again whenever it changes, until the client leaves."""
        last = None
        while context.is_active():
            status = serving_status()
            if status != last:
                last = status
                yield health_pb2.HealthCheckResponse(status=status)
            time.sleep(self.watch_interval)


class AsyncReadinessHealthServicer(health_pb2_grpc.HealthServicer):
    """The same answers for a ``grpc.aio`` server: the checks run in a thread (they may
    query the database), ``Watch`` sleeps on the event loop."""

    def __init__(self, watch_interval: float = 1.0) -> None:
        self.watch_interval = watch_interval

    async def Check(self, request: Any, context: Any) -> Any:  # noqa: N802
        from asgiref.sync import sync_to_async

        status = await sync_to_async(serving_status, thread_sensitive=False)()
        return health_pb2.HealthCheckResponse(status=status)

    async def Watch(self, request: Any, context: Any) -> AsyncIterator[Any]:  # noqa: N802
        import asyncio

        from asgiref.sync import sync_to_async

        status_now = sync_to_async(serving_status, thread_sensitive=False)
        last = None
        while not context.done():
            status = await status_now()
            if status != last:
                last = status
                yield health_pb2.HealthCheckResponse(status=status)
            await asyncio.sleep(self.watch_interval)


def add_health_servicer(
    server: Any, watch_interval: float = 1.0
) -> ReadinessHealthServicer | AsyncReadinessHealthServicer:
    """Add the health service, in the flavour ``server`` (sync or ``grpc.aio``) needs."""
    import grpc

    if isinstance(server, grpc.aio.Server):
        servicer: Any = AsyncReadinessHealthServicer(watch_interval)
    else:
        servicer = ReadinessHealthServicer(watch_interval)
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    return servicer
