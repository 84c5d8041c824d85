"""ASGI entry point that validates the ``AXIOMOD`` setting and speaks the lifespan protocol.

Django's :class:`~django.core.handlers.asgi.ASGIHandler` serves ``http`` scopes only: it
raises ``ValueError`` for the ``lifespan`` scope, which uvicorn logs ("ASGI 'lifespan'
protocol appears unsupported") before carrying on without it, so nothing ran when such a
server stopped. :class:`AxiomodASGIHandler` answers ``lifespan`` and hands every other
scope to Django's handler unchanged:

* ``lifespan.startup``: runs in the server's main thread once the server has set its own
  signal handlers (uvicorn, gunicorn's ``uvicorn_worker.UvicornWorker``), which is when
  the health app's draining SIGTERM handler must be put in front of the server's (set
  earlier, at load time, it is overwritten by gunicorn's uvicorn worker). Then
  ``lifespan.startup.complete``, or ``lifespan.startup.failed`` with the error.
* ``lifespan.shutdown``: after the server has finished the requests in flight, sends
  :data:`axiomod.signals.serving_stopped` (``sender="asgi"``) and flushes the spans this
  process still buffers (:func:`axiomod.tracing.shutdown`), then
  ``lifespan.shutdown.complete``, or ``lifespan.shutdown.failed`` with the first error.
  This is the only shutdown hook a uvicorn process has: it ends by re-raising SIGTERM
  with the default action, which kills the interpreter before any ``atexit`` handler
  (where the SDK would otherwise flush) runs.

Libraries looked at before writing the 30 lines here: Django 5.2/6.x (no lifespan
support; the ``FIXME`` in ``ASGIHandler.__call__``), asgiref (only the message types in
``asgiref.typing``), ``asgi-lifespan`` (a ``LifespanMiddleware`` wrapping the app, so
no longer an ``ASGIHandler``, and anyio as a dependency), and ``django-asgi-lifespan``
(a subclass too, but experimental, with signals of its own and a state middleware): a
dependency for what is one ``if`` and a loop over two messages.
"""

from __future__ import annotations

import logging
from typing import Any

import django
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler

from axiomod.db.config import persistent_under_asgi
from axiomod.process.startup import ensure_valid_configuration_to_serve
from axiomod.signals import serving_started, serving_stopped
from axiomod_metrics.workers import enable_for_this_worker

__all__ = ["AxiomodASGIHandler", "get_asgi_application"]

logger = logging.getLogger("axiomod.db")


class AxiomodASGIHandler(ASGIHandler):
    """Django's ASGI handler, plus the ASGI lifespan protocol (see the module docstring).

    A subclass, so ``isinstance(application, ASGIHandler)`` and the handler's attributes
    keep working; the only per-request cost is the ``scope["type"]`` test.
    """

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
            return
        await super().__call__(scope, receive, send)

    async def lifespan(self, receive: Any, send: Any) -> None:
        """Answer the server's ``lifespan.startup`` and ``lifespan.shutdown`` messages."""
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    # In the event loop's thread, the server's main thread: signal
                    # handlers can only be set there.
                    serving_process_started()
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": _describe(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                error = await serving_process_stopped()
                if error is not None:
                    await send({"type": "lifespan.shutdown.failed", "message": error})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                return


def serving_process_started() -> None:
    """Wire what needs the server's own signal handlers in place: the health app's drain."""
    from django.apps import apps

    if not apps.is_installed("axiomod_health"):
        return
    from axiomod_health.shutdown import install_for_this_process

    install_for_this_process()


async def serving_process_stopped() -> str | None:
    """Send ``serving_stopped``, then flush the spans; the first error's text, or None.

    The flush runs even when a receiver failed: the spans are not the receiver's to lose.
    """
    error = None
    try:
        # Sync receivers run in a thread (Signal.asend), async ones on the loop.
        await serving_stopped.asend(sender="asgi")
    except Exception as exc:
        error = _describe(exc)
    try:
        from axiomod.tracing import shutdown
    except ImportError:
        return error
    try:
        # Exporting may wait on the network (the exporter's timeout): not on the loop.
        await sync_to_async(shutdown, thread_sensitive=False)()
    except Exception as exc:
        error = error or _describe(exc)
    return error


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def get_asgi_application() -> AxiomodASGIHandler:
    # Before django.setup() imports prometheus_client: uvicorn/hypercorn workers and
    # gunicorn without axiomod.gunicorn_config share one multiprocess directory.
    enable_for_this_worker()
    django.setup(set_prefix=False)
    ensure_valid_configuration_to_serve()
    for warning in persistent_under_asgi(settings.DATABASES):
        logger.warning("%s", warning)
    handler = AxiomodASGIHandler()
    serving_started.send(sender="asgi")
    return handler
