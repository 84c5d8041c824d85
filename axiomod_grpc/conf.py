"""``AXIOMOD["grpc"]``: the gRPC server ``manage.py axiomod_grpc`` runs."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from axiomod.conf import Section, setting

__all__ = ["AXIOMOD_SECTIONS", "GrpcSettings"]


@dataclasses.dataclass(frozen=True)
class GrpcSettings(Section):
    """The gRPC server that ``axiomod_grpc`` runs for the project."""

    title = "gRPC"
    app = "axiomod_grpc"
    key = "grpc"

    host: str = setting("0.0.0.0", doc="Address the server binds.", go_key="grpc.host")
    port: int = setting(50051, doc="Port the server binds.", min=1, max=65535, go_key="grpc.port")
    max_workers: int = setting(10, doc="Threads of the synchronous server.", min=1)
    asyncio: bool = setting(False, doc="Run a ``grpc.aio`` server instead of a thread pool.")
    handlers: tuple[str, ...] = setting(
        (),
        doc="Dotted paths of ``register(server)`` functions that add services.",
    )
    reflection: bool = setting(False, doc="Serve the gRPC server reflection service.")
    max_message_bytes: int = setting(
        4 * 1024 * 1024, doc="Largest message received or sent, in bytes.", min=1024
    )
    keepalive_time_ms: int | None = setting(
        None, doc="Interval of keepalive pings; None keeps grpcio's default.", min=1000
    )
    grace_period: float = setting(
        10.0, doc="Seconds in-flight calls get to finish on SIGTERM.", min=0.0
    )
    tls_cert: str | None = setting(None, doc="Path of the PEM certificate chain (TLS on).")
    tls_key: str | None = setting(None, doc="Path of the PEM private key.")

    def validate(self) -> Iterable[tuple[str, str]]:
        if (self.tls_cert is None) != (self.tls_key is None):
            yield (
                "tls_key" if self.tls_key is None else "tls_cert",
                "tls_cert and tls_key must be set together",
            )


#: The sections this app adds to ``AXIOMOD`` (found by :mod:`axiomod.conf.registry`).
AXIOMOD_SECTIONS = (GrpcSettings,)
