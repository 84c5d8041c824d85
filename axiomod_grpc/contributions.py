"""What the apps contribute to the gRPC server: interceptors at a place, and services.

The transport imports no app. An app says what it adds from its ``AppConfig``::

    class AuditConfig(AppConfig):
        name = "audit"

        def grpc_contributions(self):
            from axiomod_grpc import Interceptor

            return [Interceptor("audit", order=350, factory="audit.grpc.interceptor")]

``grpc_contributions()`` is looked up by name on every installed app config (a
third-party app needs no axiomod base class) and called only when a server or a chain is
built, so an app's gRPC module (which imports grpcio) is imported only then: the
factories and ``add`` functions may be dotted paths, resolved at that moment. An app
that decides from its settings whether it contributes (metrics only with
``AXIOMOD["metrics"]["grpc"]``, auth only with ``AXIOMOD["oidc"]``) returns nothing
when it is off, or a factory that returns None.

The chain, outermost first (smaller ``order`` is further out; ties keep the order of
``INSTALLED_APPS``):

=====  ========  ===============  =========================================================
order  name      contributed by   on when
=====  ========  ===============  =========================================================
100    metrics   axiomod_metrics  ``AXIOMOD["metrics"]["grpc"]`` (the default)
200    tracing   axiomod_grpc     ``AXIOMOD["tracing"]`` exports spans
300    auth      axiomod_auth     ``AXIOMOD["oidc"]`` is set
900    errors    axiomod_grpc     always (innermost: the call's boundary for Django)
=====  ========  ===============  =========================================================

so metrics and spans see the status the error interceptor chose, and the bearer token is
verified before the servicer runs. A project's own interceptor between auth and errors
takes an order from 301 to 899 and sees the caller's identity and the domain errors.

Services (:class:`Service`) are added after the ``AXIOMOD["grpc"]["handlers"]`` hooks and
before server reflection (which lists them all): ``axiomod_health`` adds
``grpc.health.v1.Health``.

A contribution says *what* runs per call, not *how* the chain runs it:
:mod:`axiomod_grpc.chain` turns the contributions into interceptors today (a list of
``grpc.ServerInterceptor``, one layer per contribution) and is the one place to change
to run them differently.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

__all__ = [
    "AUTH",
    "ERRORS",
    "METRICS",
    "TRACING",
    "Interceptor",
    "Service",
    "contributions",
    "interceptors",
    "services",
]

#: The hook looked up on each app config.
HOOK = "grpc_contributions"

#: Order of the built-in interceptors (see the table above).
METRICS, TRACING, AUTH, ERRORS = 100, 200, 300, 900


def _resolve(target: Callable[..., Any] | str) -> Callable[..., Any]:
    return import_string(target) if isinstance(target, str) else target


@dataclasses.dataclass(frozen=True)
class Interceptor:
    """A server interceptor an app adds to every call, at ``order`` in the chain.

    ``factory(asyncio=...)`` (a callable or its dotted path) makes the interceptor for a
    thread-pool server (``asyncio=False``: a ``grpc.ServerInterceptor``) or a ``grpc.aio``
    server (an ``aio.ServerInterceptor``); it returns None to stay out of this chain.
    """

    name: str
    order: int
    factory: Callable[..., Any] | str

    def make(self, *, asyncio: bool) -> Any | None:
        return _resolve(self.factory)(asyncio=asyncio)


@dataclasses.dataclass(frozen=True)
class Service:
    """A gRPC service an app adds to the server: ``add(server)`` (callable or dotted path)
    adds ``name`` (the full service name, listed by reflection and at start-up) to a
    ``grpc.server`` or a ``grpc.aio`` server."""

    name: str
    add: Callable[[Any], Any] | str

    def add_to(self, server: Any) -> None:
        _resolve(self.add)(server)


def contributions() -> Iterator[tuple[str, Any]]:
    """``(app label, contribution)`` for every installed app's contributions, in app order."""
    for config in apps.get_app_configs():
        hook = getattr(config, HOOK, None)
        if callable(hook):
            for item in hook() or ():
                yield config.label, item


def interceptors() -> list[Interceptor]:
    """The interceptor contributions, outermost first; each name once."""
    found: list[tuple[int, int, Interceptor]] = []
    owners: dict[str, str] = {}
    for index, (label, item) in enumerate(contributions()):
        if not hasattr(item, "factory"):
            continue
        if item.name in owners:
            raise ImproperlyConfigured(
                f"gRPC interceptor {item.name!r} is contributed by both "
                f"{owners[item.name]!r} and {label!r}."
            )
        owners[item.name] = label
        found.append((item.order, index, item))
    return [item for _, _, item in sorted(found, key=lambda entry: entry[:2])]


def services() -> list[Service]:
    """The service contributions, in app order."""
    return [item for _, item in contributions() if hasattr(item, "add")]
