"""The baseline server of ``bench grpc``, and the probes: ``python -m bench.grpc_project.server``.

``--chain none`` (the baseline) is what a service serving the example's ``Invoices``
without axiomod would run: Django set up with the same project
(``bench.grpc_project.settings``), a plain ``grpc.server(ThreadPoolExecutor(N))`` with
``N`` = ``AXIOMOD["grpc"]["max_workers"]`` (the candidate's thread count), the example's
``InvoicesServicer`` added with the generated ``add_InvoicesServicer_to_server``, no
interceptors, no server options, no health or reflection service.

``--chain none --asyncio`` is the baseline of the ``grpc.aio`` pair: the same, on a plain
``grpc.aio.server(migration_thread_pool=ThreadPoolExecutor(N))`` built as
``axiomod_grpc.build_server(asyncio=True)`` builds its own (same pool size and thread
name prefix, no interceptors). grpc.aio runs a synchronous servicer method (the
example's ``InvoicesServicer`` is one) in that pool, off the event loop; that is how a
plain ``grpc.aio`` server serves a sync servicer at all. (axiomod's own aio server runs
the sync method in the same pool from its error interceptor: see
``axiomod_grpc.interceptors._in_thread``.)

``--chain errors,metrics,tracing`` (any non-empty subset, in any order) serves the same
servicer behind only those parts of axiomod's chain, taken from
``axiomod_grpc.interceptor_chain(fused=False)`` (so in its order: metrics, tracing,
errors) and fused into one layer as ``build_server()`` runs them, after
``axiomod.tracing.configure()``, as ``manage.py axiomod_grpc`` does. Tracing needs the
``OTEL_*`` variables that make the process export. Two more parts isolate the per-call
decision axiomod's tracing takes before any span: ``filter`` puts an interceptor
outermost that only evaluates ``axiomod_grpc.tracing._Decision()`` on each call's
details (probe names, a caller's trace context, the root sampling decision),
``startswith`` one that only evaluates a ``str.startswith`` test of the probe names.
These are probes for attributing the candidate's overhead, not the candidate: that is
``manage.py axiomod_grpc`` itself.

Binds 127.0.0.1 on a free port and prints ``serving gRPC on 127.0.0.1:PORT`` once
started; serves until SIGTERM or SIGINT, then stops at once (no calls are in flight
when the benchmark stops it) and flushes tracing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import threading
from concurrent import futures

PARTS = ("metrics", "tracing", "errors", "filter", "startswith")
#: Service name prefixes of the probes and tooling that axiomod leaves untraced.
UNTRACED = ("/grpc.health.v1.Health/", "/grpc.reflection.")


def _filter_only(test: object) -> object:
    """An interceptor that evaluates ``test(details)`` on every call and does nothing else."""
    import grpc

    class FilterOnly(grpc.ServerInterceptor):
        def intercept_service(self, continuation, handler_call_details):
            test(handler_call_details)
            return continuation(handler_call_details)

    return FilterOnly()


def _kind(interceptor: object) -> str:
    parts = getattr(interceptor, "parts", None)
    if parts is not None:  # a fused layer
        return "+".join(_kind(part) for part in parts)
    module = type(interceptor).__module__
    if module.startswith("axiomod_metrics."):
        return "metrics"
    if module.startswith(("opentelemetry.", "axiomod_grpc.tracing")):
        return "tracing"  # axiomod's span interceptor
    if type(interceptor).__name__ == "ErrorInterceptor":
        return "errors"
    if type(interceptor).__name__ == "FilterOnly":
        return "filter/startswith"
    return f"unexpected {type(interceptor).__qualname__}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.grpc_project.server")
    parser.add_argument("--chain", default="none", help="none, or parts of: " + ",".join(PARTS))
    parser.add_argument("--asyncio", action="store_true", help="a plain grpc.aio server")
    args = parser.parse_args(argv)
    if args.asyncio and args.chain != "none":
        parser.error("--asyncio serves the baseline only (--chain none)")
    wanted = set() if args.chain == "none" else set(args.chain.split(","))
    if not wanted <= set(PARTS):
        parser.error(f"--chain: unknown part(s) {sorted(wanted - set(PARTS))}")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.grpc_project.settings")
    import django

    django.setup()
    import grpc

    from axiomod import tracing
    from axiomod.conf import settings
    from example.invoices.delivery.grpc import invoices_pb2_grpc
    from example.invoices.delivery.grpc.servicer import InvoicesServicer

    chain: list[object] = []
    if "filter" in wanted:
        from axiomod_grpc.tracing import _Decision

        tracing.configure()  # the root decision reads the configured sampler
        chain.append(_filter_only(_Decision()))
    if "startswith" in wanted:
        chain.append(_filter_only(lambda details: not details.method.startswith(UNTRACED)))
    axiomod_parts = wanted - {"filter", "startswith"}
    if axiomod_parts:
        from axiomod_grpc import interceptor_chain
        from axiomod_grpc.wrapping import FusedInterceptor

        tracing.configure()
        available = interceptor_chain(fused=False)
        parts = [i for i in available if _kind(i) in axiomod_parts]
        missing = axiomod_parts - {_kind(i) for i in parts}
        if missing:
            raise SystemExit(
                f"--chain {args.chain}: axiomod's chain has no {sorted(missing)} here "
                f"(it has {[_kind(i) for i in available]}; tracing needs OTEL_TRACES_EXPORTER)"
            )
        # as build_server() runs them: several parts fused into one grpcio layer
        chain += [FusedInterceptor(parts)] if len(parts) > 1 else parts

    if args.asyncio:
        asyncio.run(_serve_aio(settings.grpc.max_workers))
        return
    pool = futures.ThreadPoolExecutor(max_workers=settings.grpc.max_workers)
    server = grpc.server(pool, interceptors=chain or None)
    invoices_pb2_grpc.add_InvoicesServicer_to_server(InvoicesServicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    if not port:
        raise SystemExit("could not bind 127.0.0.1")

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    signal.signal(signal.SIGINT, lambda signum, frame: stop.set())
    server.start()
    kinds = ",".join(_kind(i) for i in chain) or "none"
    print(f"serving gRPC on 127.0.0.1:{port} (chain: {kinds})", flush=True)
    while not stop.wait(3600):
        pass
    server.stop(0).wait()
    tracing.shutdown()
    sys.stdout.flush()


async def _serve_aio(workers: int) -> None:
    """The plain ``grpc.aio`` baseline, until SIGTERM or SIGINT."""
    import grpc

    from example.invoices.delivery.grpc import invoices_pb2_grpc
    from example.invoices.delivery.grpc.servicer import InvoicesServicer

    pool = futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grpc-sync")
    server = grpc.aio.server(migration_thread_pool=pool)
    invoices_pb2_grpc.add_InvoicesServicer_to_server(InvoicesServicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    if not port:
        raise SystemExit("could not bind 127.0.0.1")
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await server.start()
    print(f"serving gRPC (asyncio) on 127.0.0.1:{port} (chain: none)", flush=True)
    await stop.wait()
    await server.stop(0)
    pool.shutdown(wait=False)


if __name__ == "__main__":
    main()
