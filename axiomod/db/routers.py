"""Read/write split: reads spread over replicas, writes and transactions on the primary.

``AXIOMOD["db"]["replicas"]`` names the replica aliases. Reads stay on the primary
inside ``transaction.atomic()`` (a transaction must see its own writes), after a write in
the same request or task (read-your-writes: a replica may lag), and inside
``with use_primary():``. The pin is a context variable, reset at each request start.
"""

from __future__ import annotations

import contextlib
import contextvars
import random
from collections.abc import Iterator
from typing import Any

from django.core.signals import request_started
from django.db import DEFAULT_DB_ALIAS, connections

from axiomod.conf import settings

__all__ = ["PrimaryReplicaRouter", "reset_pin", "use_primary"]

#: Set by a write: this request/task reads its own writes from the primary from now on.
_pinned: contextvars.ContextVar[bool] = contextvars.ContextVar("axiomod_db_pinned", default=False)
#: Set inside ``use_primary()`` blocks only.
_forced: contextvars.ContextVar[bool] = contextvars.ContextVar("axiomod_db_forced", default=False)


@contextlib.contextmanager
def use_primary() -> Iterator[None]:
    """Send every read of the block to the primary (a write inside still pins after it)."""
    token = _forced.set(True)
    try:
        yield
    finally:
        _forced.reset(token)


def reset_pin(**kwargs: Any) -> None:
    """Forget earlier writes: at the start of each request, and of each Celery task."""
    _pinned.set(False)


request_started.connect(reset_pin, dispatch_uid="axiomod.db.routers.reset_pin")
try:
    from celery.signals import task_prerun
except ImportError:
    pass
else:
    task_prerun.connect(reset_pin, weak=False, dispatch_uid="axiomod.db.routers.task_reset")


class PrimaryReplicaRouter:
    primary = DEFAULT_DB_ALIAS

    def db_for_read(self, model: Any, **hints: Any) -> str:
        replicas = settings.db.replicas
        if (
            not replicas
            or _pinned.get()
            or _forced.get()
            or connections[self.primary].in_atomic_block
        ):
            return self.primary
        return random.choice(replicas)

    def db_for_write(self, model: Any, **hints: Any) -> str:
        _pinned.set(True)  # this request/task reads its own writes from now on
        return self.primary

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        aliases = {self.primary, *settings.db.replicas}
        if obj1._state.db in aliases and obj2._state.db in aliases:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # Replicas get their schema from the primary by replication.
        return False if db in settings.db.replicas else None
