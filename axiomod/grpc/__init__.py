"""gRPC delivery for axiomod services: the server, its interceptors, the call's identity.

Configured by ``AXIOMOD["grpc"]``; needs the ``grpc`` extra. Serve with
``python manage.py axiomod_grpc``. Public API::

    from axiomod.grpc import build_server, interceptor_chain, current_user

    def register(server):                      # listed in AXIOMOD["grpc"]["handlers"]
        invoices_pb2_grpc.add_InvoicesServicer_to_server(InvoicesServicer(), server)

Servicers raise :mod:`axiomod.errors` (``NotFound``...) and the error interceptor turns
them into status codes; :func:`current_user` is the caller when a bearer token came.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from axiomod.lazy import lazy_exports

if TYPE_CHECKING:
    from .interceptors import (
        AsyncAuthInterceptor,
        AsyncErrorInterceptor,
        AuthInterceptor,
        ErrorInterceptor,
        current_claims,
        current_user,
    )
    from .server import BuiltServer, build_server, interceptor_chain

_WHERE = {
    "AsyncAuthInterceptor": "interceptors",
    "AsyncErrorInterceptor": "interceptors",
    "AuthInterceptor": "interceptors",
    "BuiltServer": "server",
    "ErrorInterceptor": "interceptors",
    "build_server": "server",
    "current_claims": "interceptors",
    "current_user": "interceptors",
    "interceptor_chain": "server",
}
__all__ = [
    "AsyncAuthInterceptor",
    "AsyncErrorInterceptor",
    "AuthInterceptor",
    "BuiltServer",
    "ErrorInterceptor",
    "build_server",
    "current_claims",
    "current_user",
    "interceptor_chain",
]

__getattr__ = lazy_exports(__name__, _WHERE)
