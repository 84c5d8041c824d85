"""gRPC delivery for axiomod services: the server, its interceptor chain, the call's identity.

A transport app, as Kafka is (``axiomod_messaging``): add ``"axiomod_grpc"`` to
``INSTALLED_APPS``, configure ``AXIOMOD["grpc"]`` (:class:`axiomod_grpc.conf.GrpcSettings`)
and serve with ``python manage.py axiomod_grpc``. Needs the ``grpc`` extra. Public API
(imported lazily, so reading ``AXIOMOD`` never needs grpcio)::

    from axiomod_grpc import build_server, interceptor_chain, current_user

    def register(server):                      # listed in AXIOMOD["grpc"]["handlers"]
        invoices_pb2_grpc.add_InvoicesServicer_to_server(InvoicesServicer(), server)

Servicers raise :mod:`axiomod.errors` (``NotFound``...) and the error interceptor turns
them into status codes; :func:`current_user` is the caller when a bearer token came.

Apps add interceptors and services from their ``AppConfig.grpc_contributions()``
(:class:`Interceptor`, :class:`Service`; the order table is in
:mod:`axiomod_grpc.contributions`); the building blocks for an interceptor
(:class:`WrappingInterceptor`, :func:`rewrap`...) are exported here for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from axiomod.lazy import lazy_exports

if TYPE_CHECKING:
    from .chain import interceptor_chain
    from .contributions import Interceptor, Service
    from .identity import current_claims, current_user, reset_identity, set_identity
    from .interceptors import PASS_THROUGH, AsyncErrorInterceptor, ErrorInterceptor, PassThrough
    from .server import BuiltServer, build_server, server_options, stop_aio
    from .wrapping import (
        AsyncWrappingInterceptor,
        HandlerCache,
        WrappingInterceptor,
        rewrap,
        split_method,
        status_code,
        stream_items,
    )

_WHERE = {
    "AsyncErrorInterceptor": "interceptors",
    "AsyncWrappingInterceptor": "wrapping",
    "BuiltServer": "server",
    "ErrorInterceptor": "interceptors",
    "HandlerCache": "wrapping",
    "Interceptor": "contributions",
    "PASS_THROUGH": "interceptors",
    "PassThrough": "interceptors",
    "Service": "contributions",
    "WrappingInterceptor": "wrapping",
    "build_server": "server",
    "current_claims": "identity",
    "current_user": "identity",
    "interceptor_chain": "chain",
    "reset_identity": "identity",
    "rewrap": "wrapping",
    "server_options": "server",
    "set_identity": "identity",
    "split_method": "wrapping",
    "status_code": "wrapping",
    "stop_aio": "server",
    "stream_items": "wrapping",
}
__all__ = [
    "PASS_THROUGH",
    "AsyncErrorInterceptor",
    "AsyncWrappingInterceptor",
    "BuiltServer",
    "ErrorInterceptor",
    "HandlerCache",
    "Interceptor",
    "PassThrough",
    "Service",
    "WrappingInterceptor",
    "build_server",
    "current_claims",
    "current_user",
    "interceptor_chain",
    "reset_identity",
    "rewrap",
    "server_options",
    "set_identity",
    "split_method",
    "status_code",
    "stop_aio",
    "stream_items",
]

__getattr__ = lazy_exports(__name__, _WHERE)
