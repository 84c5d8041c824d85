"""The project's gRPC server, built from ``AXIOMOD["grpc"]`` and the apps' contributions.

``build_server()`` returns a started-nothing ``grpc.server`` (or ``grpc.aio`` server)
with the interceptor chain the installed apps contribute (:mod:`axiomod_grpc.contributions`),
outermost first:

1. metrics (``axiomod_metrics``: ``grpc_requests_total``, ``grpc_request_duration_seconds``),
2. tracing (opentelemetry-instrumentation-grpc, when ``AXIOMOD["tracing"]`` exports),
3. bearer-token auth (``axiomod_auth``, when ``AXIOMOD["oidc"]`` is set),
4. domain errors to status codes (:mod:`axiomod_grpc.interceptors`),

so metrics and spans see the status the error interceptor chose. Then it calls each
``register(server)`` hook of ``AXIOMOD["grpc"]["handlers"]`` (protoc-generated
``add_XServicer_to_server`` calls, or django-socio-grpc's ``grpc_handlers``), adds the
services the apps contribute (``axiomod_health``: the standard health service) and, with
``reflection``, server reflection listing every service added.

django-socio-grpc's own ``grpcrunaioserver`` was looked at as the server: it takes its
interceptors from ``GRPC_FRAMEWORK``, its health service always answers SERVING, and it
does not drain on SIGTERM; socio services are served here through their handler hook
(see :mod:`axiomod_grpc.socio`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from django.utils.module_loading import import_string

from axiomod.conf import settings

from .chain import interceptor_chain
from .contributions import services as contributed_services

__all__ = ["BuiltServer", "build_server", "interceptor_chain", "server_options", "stop_aio"]

logger = logging.getLogger("axiomod.grpc")


@dataclass
class BuiltServer:
    """A configured server, not started, and what was put into it."""

    server: Any
    address: str
    port: int
    asyncio: bool
    services: list[str] = field(default_factory=list)


def server_options(conf: Any = None) -> list[tuple[str, Any]]:
    """grpcio channel arguments for the message size limits and keepalive settings."""
    conf = conf or settings.grpc
    options: list[tuple[str, Any]] = [
        ("grpc.max_receive_message_length", conf.max_message_bytes),
        ("grpc.max_send_message_length", conf.max_message_bytes),
        # A restarted server on the same port must not share it with a stale one.
        ("grpc.so_reuseport", 0),
    ]
    if conf.keepalive_time_ms is not None:
        options += [
            ("grpc.keepalive_time_ms", conf.keepalive_time_ms),
            ("grpc.keepalive_permit_without_calls", 1),
            # Clients may ping as often as the server does.
            ("grpc.http2.min_ping_interval_without_data_ms", conf.keepalive_time_ms),
        ]
    return options


class _ServiceRecorder:
    """Stands in for the server while hooks run, noting each service they add.

    Reflection needs the service names and grpcio does not list a server's services;
    generated code calls ``add_generic_rpc_handlers`` (and ``add_registered_method_
    handlers`` since grpcio 1.62), so those calls are watched and passed on.
    """

    def __init__(self, server: Any) -> None:
        self._server = server
        self.services: list[str] = []

    def add_generic_rpc_handlers(self, handlers: Sequence[Any]) -> None:
        for handler in handlers:
            name = getattr(handler, "service_name", None)
            if callable(name) and name() not in self.services:
                self.services.append(name())
        self._server.add_generic_rpc_handlers(handlers)

    def add_registered_method_handlers(self, service: str, handlers: Any) -> None:
        if service not in self.services:
            self.services.append(service)
        self._server.add_registered_method_handlers(service, handlers)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._server, name)


def _hooks(paths: Sequence[str]) -> list[Callable[[Any], Any]]:
    return [import_string(path) for path in paths]


def _credentials(conf: Any) -> Any:
    key = Path(conf.tls_key).read_bytes()
    chain = Path(conf.tls_cert).read_bytes()
    return grpc.ssl_server_credentials([(key, chain)])


def build_server(
    *, asyncio: bool | None = None, port: int | None = None, host: str | None = None
) -> BuiltServer:
    """The project's server, bound but not started (``port=0`` picks a free port)."""
    conf = settings.grpc
    asyncio = conf.asyncio if asyncio is None else asyncio
    if asyncio:
        # Sync handlers run in this pool instead of blocking the event loop: those the
        # chain wraps (the error mapping is given the pool) and those it does not
        # (health's Watch, a project's own).
        pool = futures.ThreadPoolExecutor(
            max_workers=conf.max_workers, thread_name_prefix="grpc-sync"
        )
        chain = interceptor_chain(asyncio=True, executor=pool)
        server = grpc.aio.server(
            migration_thread_pool=pool, interceptors=chain, options=server_options(conf)
        )
    else:
        chain = interceptor_chain()
        pool = futures.ThreadPoolExecutor(
            max_workers=conf.max_workers, thread_name_prefix="grpc-worker"
        )
        server = grpc.server(pool, interceptors=chain, options=server_options(conf))
    recorder = _ServiceRecorder(server)
    for hook in _hooks(conf.handlers):
        hook(recorder)
    services = list(recorder.services)
    for service in contributed_services():
        service.add_to(server)
        services.append(service.name)
    if conf.reflection:
        from grpc_reflection.v1alpha import reflection

        services.append(reflection.SERVICE_NAME)
        reflection.enable_server_reflection(services, server)
    address = f"{host or conf.host}:{conf.port if port is None else port}"
    if conf.tls_cert:
        bound = server.add_secure_port(address, _credentials(conf))
    else:
        bound = server.add_insecure_port(address)
    if not bound:
        raise OSError(f"gRPC server could not bind {address}")
    return BuiltServer(server, address, bound, asyncio, services)


#: grpcio (checked on 1.85) runs each call's handler in a task of this name, inside the
#: task that awaits it (named ``rpc_task``).
_CALL_TASK_PREFIX = "HandleExceptions["
_CALL_WRAPPER_TASK = "rpc_task"


def _call_tasks(name: str = _CALL_TASK_PREFIX) -> set[asyncio.Task]:
    return {
        task for task in asyncio.all_tasks() if not task.done() and task.get_name().startswith(name)
    }


async def stop_aio(server: Any, grace: float) -> int:
    """Stop a ``grpc.aio`` server as ``server.stop(grace)`` does; the number of calls cancelled.

    New calls are refused at once, calls in flight get ``grace`` seconds, then they are
    cancelled. grpc.aio's own ``stop()`` cancels them in its core, but a handler task that
    does not notice (a health ``Watch`` sleeping on the loop, a reflection stream) is still
    running when it returns; ``asyncio.run()`` then cancels the grpcio task awaiting it,
    whose ``CancelledError`` grpcio logs at ERROR with a traceback ("Exception not handled
    by _handle_exceptions"). Cancelling the handler tasks themselves, which grpcio expects
    (it logs that at DEBUG), and waiting for them ends every call cleanly. grpcio offers
    no public list of calls in flight, so they are found by the names grpcio gives their
    tasks; if a later grpcio renames them, the count reads 0 and the stop is as before.
    """
    stopping = asyncio.ensure_future(server.stop(grace))
    done, _ = await asyncio.wait({stopping}, timeout=grace)
    # Our timer started before stop()'s own, so the calls still running now are the ones
    # its end of grace cancels.
    cancelled = set() if done else _call_tasks()
    await stopping
    cancelled |= _call_tasks()  # handler tasks that outlived their call
    for task in cancelled:
        task.cancel()
    if cancelled:
        await asyncio.wait(cancelled, timeout=max(grace, 1.0))
    wrappers = _call_tasks(_CALL_WRAPPER_TASK)
    if wrappers:  # each ends as soon as it sees its handler's end
        await asyncio.wait(wrappers, timeout=1.0)
    return len(cancelled)
