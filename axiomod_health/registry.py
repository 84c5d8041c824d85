"""Health checks by name: the ``@health_check`` decorator and the registry behind it.

A check is a django-health-check 4.x ``HealthCheck`` (its built-in Database, Cache and
Redis checks are used as they are) wrapped in a :class:`CheckSpec` that adds what axiomod
needs around it: a stable name, whether its failure makes the service not ready
(``critical``) and its own timeout. Plain functions become checks with
``@health_check(...)`` in ``<app>/health.py`` (autodiscovered, like ``admin.py``) or
through a dotted path in ``AXIOMOD["health"]["checks"]``: a check returns for UP and
raises for DOWN.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import threading
from collections.abc import Callable, Iterable
from typing import Any, overload

from health_check.base import HealthCheck

__all__ = [
    "CheckSpec",
    "FunctionCheck",
    "check_source",
    "contributed",
    "health_check",
    "registered",
    "spec_for",
    "unregister",
]


@dataclasses.dataclass
class FunctionCheck(HealthCheck):
    """A django-health-check check that calls a plain (sync or async) function."""

    func: Callable[[], Any] = dataclasses.field(repr=False, default=lambda: None)

    def run(self) -> None:
        result = self.func()
        if inspect.isawaitable(result):
            asyncio.run(_awaited(result))


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


@dataclasses.dataclass(frozen=True)
class CheckSpec:
    """One named check and how it counts."""

    name: str
    check: HealthCheck = dataclasses.field(repr=False, compare=False)
    critical: bool = True
    timeout: float | None = None  # None: AXIOMOD["health"]["check_timeout"]


_lock = threading.Lock()
_registry: dict[str, CheckSpec] = {}
_sources: dict[str, Callable[[float], Iterable[CheckSpec]]] = {}


def check_source(
    source: Callable[[float], Iterable[CheckSpec]],
) -> Callable[[float], Iterable[CheckSpec]]:
    """Register a function that returns the checks an app wants *for the current settings*.

    For an app that checks what it connects to only when it is configured (the messaging
    app its Kafka brokers when ``AXIOMOD["kafka"]`` is set): the source is called each
    time the readiness checks are assembled (at the first probe, again after a settings
    change) with a client timeout, the share of ``check_timeout`` a client should use so
    that its own error ("connection refused") reaches the report. Lives in the app's
    ``health.py``, so the check sits with the code that knows the service.
    """
    with _lock:
        _sources[f"{source.__module__}.{source.__qualname__}"] = source
    return source


def contributed(timeout: float) -> list[CheckSpec]:
    """The checks every registered :func:`check_source` returns now, in registration order."""
    with _lock:
        sources = list(_sources.values())
    return [spec for source in sources for spec in source(timeout)]


def _register(spec: CheckSpec) -> CheckSpec:
    with _lock:
        _registry[spec.name] = spec
    return spec


def unregister(name: str) -> None:
    with _lock:
        _registry.pop(name, None)


def registered() -> list[CheckSpec]:
    """The checks registered by decorators and dotted paths, in registration order."""
    with _lock:
        return list(_registry.values())


def spec_for(target: Any, *, name: str | None = None) -> CheckSpec:
    """A spec for a dotted-path target: a decorated function, a function, a check class."""
    existing = getattr(target, "axiomod_health_check", None)
    if isinstance(existing, CheckSpec):
        return existing
    if isinstance(target, HealthCheck):
        return CheckSpec(name or type(target).__name__, target)
    if isinstance(target, type) and issubclass(target, HealthCheck):
        return CheckSpec(name or target.__name__, target())
    if callable(target):
        return CheckSpec(name or target.__name__, FunctionCheck(func=target))
    raise TypeError(f"{target!r} is not a function or a health check")


@overload
def health_check(func: Callable[[], Any], /) -> Callable[[], Any]: ...


@overload
def health_check(
    *, name: str | None = None, critical: bool = True, timeout: float | None = None
) -> Callable[[Callable[[], Any]], Callable[[], Any]]: ...


def health_check(
    func: Callable[[], Any] | None = None,
    /,
    *,
    name: str | None = None,
    critical: bool = True,
    timeout: float | None = None,
) -> Any:
    """Register ``func`` as a readiness check; it returns for UP and raises for DOWN.

    ``critical=False`` makes a failure degrade readiness (``DEGRADED``, still 200)
    instead of failing it; ``timeout`` (seconds) overrides ``check_timeout``.
    """

    def register(target: Callable[[], Any]) -> Callable[[], Any]:
        spec = CheckSpec(
            name or target.__name__,
            FunctionCheck(func=target),
            critical=critical,
            timeout=timeout,
        )
        _register(spec)
        target.axiomod_health_check = spec  # type: ignore[attr-defined]
        return target

    return register(func) if func is not None else register
