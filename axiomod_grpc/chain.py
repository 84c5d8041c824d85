"""How the interceptor chain runs: the apps' contributions made into grpcio interceptors.

:mod:`axiomod_grpc.contributions` says *what* each app adds per call and where;
this module decides *how* the chain runs it. Today each contribution is one
``grpc.ServerInterceptor`` (``aio.ServerInterceptor`` for ``grpc.aio``), outermost first,
handed to grpcio as its ``interceptors=``. Running them differently (one fused layer per
call) changes this module only.
"""

from __future__ import annotations

from typing import Any

from .contributions import interceptors

__all__ = ["interceptor_chain"]


def interceptor_chain(*, asyncio: bool = False) -> list[Any]:
    """axiomod's interceptor chain, outermost first, for a server of the given kind.

    Built from the installed apps' contributions (see :mod:`axiomod_grpc.contributions`
    for the order). Usable on a server of your own:
    ``grpc.server(pool, interceptors=interceptor_chain())``.
    """
    chain: list[Any] = []
    for contribution in interceptors():
        interceptor = contribution.make(asyncio=asyncio)
        if interceptor is not None:
            chain.append(interceptor)
    return chain
