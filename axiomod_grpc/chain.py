"""How the interceptor chain runs: the apps' contributions made into grpcio interceptors.

:mod:`axiomod_grpc.contributions` says *what* each app adds per call and where;
this module decides *how* the chain runs it. Each contribution makes one interceptor
(``grpc.ServerInterceptor``, or ``aio.ServerInterceptor`` for ``grpc.aio``). Those that
say how they wrap a method's behaviour (axiomod's own: metrics, tracing, auth, errors,
and any built on :class:`~axiomod_grpc.WrappingInterceptor`) are run as one layer,
:class:`~axiomod_grpc.wrapping.FusedInterceptor`: grpcio then calls one interceptor per
call instead of one per contribution (#22). A plain interceptor of a project keeps its
own layer at its place; the wrapping ones on either side of it are fused among
themselves, so the order of the table in :mod:`~axiomod_grpc.contributions` holds.
"""

from __future__ import annotations

from concurrent.futures import Executor
from typing import Any

from .contributions import interceptors
from .wrapping import AsyncFusedInterceptor, FusedInterceptor, fusable

__all__ = ["interceptor_chain"]


def interceptor_chain(
    *, asyncio: bool = False, fused: bool = True, executor: Executor | None = None
) -> list[Any]:
    """axiomod's interceptor chain, outermost first, for a server of the given kind.

    Built from the installed apps' contributions (see :mod:`axiomod_grpc.contributions`
    for the order). Usable on a server of your own:
    ``grpc.server(pool, interceptors=interceptor_chain())``. ``fused=False`` gives one
    interceptor per contribution (what ``bench grpc`` times part by part); a fused
    layer lists its parts in ``.parts``. ``executor``: the pool a ``grpc.aio`` server
    runs synchronous handlers in; an interceptor that runs synchronous code off the event
    loop (the error mapping runs the servicer's sync methods) is given it through its
    ``use_executor()``, so ``max_workers`` bounds those threads too.
    """
    made = []
    for contribution in interceptors():
        interceptor = contribution.make(asyncio=asyncio)
        if interceptor is None:
            continue
        if executor is not None and callable(getattr(interceptor, "use_executor", None)):
            interceptor.use_executor(executor)
        made.append(interceptor)
    if not fused:
        return made
    chain: list[Any] = []
    run: list[Any] = []

    def close_run() -> None:
        if len(run) == 1:
            chain.append(run[0])
        elif run:
            chain.append(AsyncFusedInterceptor(run) if asyncio else FusedInterceptor(run))
        run.clear()

    for interceptor in made:
        if fusable(interceptor):
            run.append(interceptor)
        else:
            close_run()
            chain.append(interceptor)
    close_run()
    return chain
