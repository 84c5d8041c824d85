"""Handlers: ``@handler("topic", group="billing")`` in ``<app>/handlers.py``.

The modules are imported by ``autodiscover()`` from the app's ``ready()``, like Django's
admin modules, so registering a handler is writing it. Registration only records: the
system checks report conflicts (two handlers for one topic in one group, an unknown
serializer) so a mistake shows in ``manage.py check`` instead of an import-time crash.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from axiomod.conf import settings

from .serializers import Serializer, get_serializer

__all__ = ["Handler", "HandlerRegistry", "autodiscover", "handler", "registry"]

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Handler:
    """A function that handles the messages of ``topic`` for consumer group ``group``."""

    topic: str
    func: Callable[..., Any]
    group_name: str | None = None
    serializer_name: str | None = None

    @property
    def name(self) -> str:
        """The dotted name of the function (of the wrapped one for a partial, of the
        class for a callable object), for checks, logs and dead-letter headers."""
        func = _unwrapped(self.func)
        named = func if hasattr(func, "__qualname__") else type(func)
        return f"{named.__module__}.{named.__qualname__}"

    @property
    def is_async(self) -> bool:
        """Whether calling it makes a coroutine (``async def``, or a partial or object
        wrapping one): its group then runs on the async runner, which awaits it."""
        return is_coroutine_callable(self.func)

    @property
    def unsupported(self) -> str | None:
        """Why the runners cannot run it, or None.

        An async generator function (``async def`` with ``yield``) returns an async
        iterator, not an awaitable: its body would never run, so it is refused
        (axiomod.E045) rather than committed unhandled.
        """
        if inspect.isasyncgenfunction(_unwrapped(self.func)):
            return "an async generator function (async def with yield): its body would never run"
        return None

    @property
    def group(self) -> str:
        """The group, or the service's default group (``service_name``)."""
        return self.group_name or settings.service_name

    def serializer(self) -> Serializer:
        from .clients import kafka_settings

        return get_serializer(self.serializer_name or kafka_settings().serializer)


class HandlerRegistry:
    """Every registered handler, by group and topic."""

    def __init__(self) -> None:
        self._handlers: list[Handler] = []
        self._lock = threading.Lock()

    def register(self, entry: Handler) -> None:
        with self._lock:
            if entry not in self._handlers:  # a module imported twice registers once
                self._handlers.append(entry)

    def unregister(self, func: Callable[..., Any]) -> None:
        with self._lock:
            self._handlers = [h for h in self._handlers if h.func is not func]

    def __iter__(self) -> Iterator[Handler]:
        return iter(list(self._handlers))

    def groups(self) -> list[str]:
        """Groups that have handlers, in registration order."""
        return list(dict.fromkeys(h.group for h in self))

    def for_group(self, group: str) -> dict[str, Handler]:
        """The handler of each topic of ``group`` (the first, if a check found two)."""
        found: dict[str, Handler] = {}
        for entry in self:
            if entry.group == group:
                found.setdefault(entry.topic, entry)
        return found

    def conflicts(self) -> list[tuple[Handler, Handler]]:
        """Pairs of handlers that claim the same topic in the same group."""
        seen: dict[tuple[str, str], Handler] = {}
        pairs = []
        for entry in self:
            first = seen.setdefault((entry.group, entry.topic), entry)
            if first is not entry:
                pairs.append((first, entry))
        return pairs


registry = HandlerRegistry()


def _unwrapped(func: Callable[..., Any]) -> Callable[..., Any]:
    """The function a (possibly nested) ``functools.partial`` calls."""
    while isinstance(func, functools.partial):
        func = func.func
    return func


def is_coroutine_callable(func: Callable[..., Any]) -> bool:
    """``async def`` functions, and partials or callable objects that wrap one."""
    func = _unwrapped(func)
    if inspect.iscoroutinefunction(func):
        return True
    call = getattr(func, "__call__", None)  # noqa: B004  (an object's async __call__)
    return not inspect.isfunction(func) and inspect.iscoroutinefunction(call)


def handler(
    topic: str,
    *,
    group: str | None = None,
    serializer: str | None = None,
    registry: HandlerRegistry = registry,
) -> Callable[[F], F]:
    """Register the decorated function for ``topic`` in ``group``.

    The function (``def`` or ``async def``) takes a
    :class:`~axiomod_messaging.message.Message`. Returning means
    success (the offset may be committed); raising means a retry, and after the last try
    the dead-letter topic. Raise :class:`~axiomod_messaging.errors.PermanentError` to skip
    the retries. ``serializer`` overrides ``AXIOMOD["kafka"]["serializer"]``.
    """

    def register(func: F) -> F:
        registry.register(Handler(topic, func, group, serializer))
        return func

    return register


def autodiscover() -> None:
    """Import ``handlers`` of every installed app (errors in them propagate, as in admin)."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("handlers")
