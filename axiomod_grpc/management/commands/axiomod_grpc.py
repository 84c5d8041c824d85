"""``manage.py axiomod_grpc [--port P] [--asyncio]``: serve the project's gRPC services.

Serves ``AXIOMOD["grpc"]`` with axiomod's interceptors, the health service and (with
``reflection``) server reflection. On SIGTERM: health answers NOT_SERVING at once and
calls are still served for ``AXIOMOD["health"]["drain_seconds"]`` (Kubernetes removes
the pod from its endpoints meanwhile); then new calls are refused, calls in flight get
``grace_period`` seconds to finish, and the process exits 0. SIGINT skips the drain; a
second SIGINT stops at once. Kubernetes: set ``terminationGracePeriodSeconds`` above
``drain_seconds + grace_period``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

logger = logging.getLogger("axiomod.grpc")


class Command(BaseCommand):
    help = "Serve the project's gRPC services with axiomod's interceptors until SIGTERM."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, help='override AXIOMOD["grpc"]["port"]')
        parser.add_argument("--host", help='override AXIOMOD["grpc"]["host"]')
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--asyncio", action="store_true", default=None, help="grpc.aio server")
        mode.add_argument(
            "--threads", dest="asyncio", action="store_false", help="thread-pool server"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from axiomod import tracing
        from axiomod.conf import settings
        from axiomod_grpc.server import build_server

        tracing.configure()
        conf = settings.grpc
        use_asyncio = conf.asyncio if options["asyncio"] is None else options["asyncio"]

        def build() -> Any:
            # A grpc.aio server belongs to the event loop it is made in: built inside it.
            try:
                return build_server(asyncio=use_asyncio, port=options["port"], host=options["host"])
            except (OSError, RuntimeError, ImportError, ValueError) as exc:
                # grpcio reports a port it cannot bind as RuntimeError.
                raise CommandError(f"gRPC server not started: {exc}") from exc

        if use_asyncio:
            asyncio.run(self._serve_aio(build, conf.grace_period))
        else:
            self._serve(build(), conf.grace_period)
        tracing.shutdown()

    def _started(self, built: Any) -> None:
        from axiomod.signals import serving_started

        serving_started.send(sender="grpc server")  # the metrics port, health refresh
        kind = "asyncio" if built.asyncio else "threads"
        self.stdout.write(
            f"serving gRPC ({kind}) on {built.address.rsplit(':', 1)[0]}:{built.port}: "
            f"{', '.join(built.services) or 'no services'}"
        )
        self.stdout.flush()

    def _stopping(self, signum: int) -> None:
        from axiomod.signals import serving_stopping

        serving_stopping.send(sender="grpc")  # health answers NOT_SERVING from now on
        self.stdout.write(f"{signal.Signals(signum).name}: stopping, calls in flight may finish")
        self.stdout.flush()

    def _on_signals(self, stop: Callable[[int], None]) -> None:
        """Install the SIGTERM/SIGINT handlers, before ``serving_started`` is sent.

        The health app wraps the SIGTERM handler it finds when serving starts: SIGTERM
        first drains (health NOT_SERVING, calls still served for ``drain_seconds``, while
        Kubernetes takes the pod out of its endpoints), then reaches this one, which stops
        the server with ``grace_period`` for the calls in flight. The drain's own second
        SIGTERM is ignored; a second SIGINT (Ctrl-C twice) exits at once.
        """
        received: list[int] = []

        def on_signal(signum: int, frame: Any) -> None:
            if received:
                if signum == signal.SIGINT:
                    os._exit(1)
                return
            received.append(signum)
            stop(signum)

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)

    def _serve(self, built: Any, grace: float) -> None:
        stop = threading.Event()
        received: list[int] = []

        def stopping(signum: int) -> None:
            received.append(signum)
            stop.set()

        self._on_signals(stopping)
        built.server.start()
        self._started(built)
        while not stop.wait(3600):
            pass
        self._stopping(received[0])
        built.server.stop(grace).wait()
        self.stdout.write("gRPC server stopped")

    async def _serve_aio(self, build: Any, grace: float) -> None:
        from axiomod_grpc.server import stop_aio

        built = build()
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        received: list[int] = []

        def stopping(signum: int) -> None:
            received.append(signum)
            loop.call_soon_threadsafe(stop.set)

        # signal.signal, not loop.add_signal_handler: the health app's drain wraps it.
        self._on_signals(stopping)
        await built.server.start()
        self._started(built)
        await stop.wait()
        self._stopping(received[0])
        cancelled = await stop_aio(built.server, grace)
        logger.info("calls cancelled at the end of the %g s grace period: %d", grace, cancelled)
        self.stdout.write("gRPC server stopped")
