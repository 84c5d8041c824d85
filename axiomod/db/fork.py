"""Fork safety: a child process must not use (or close) its parent's connections.

After ``fork()`` (gunicorn ``--preload``, Celery prefork) the child holds copies of the
parent's open connections and of Django's psycopg pools, whose worker threads did not
survive; using them interleaves two processes on one socket, closing them sends a
Terminate on the parent's socket, and a pool with no threads ends in ``PoolTimeout``.
So the child forgets them without closing them (the objects are kept referenced so their
finalizers do not run) and opens its own on first use.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["install", "reset_after_fork"]

_inherited: list[Any] = []  # kept alive on purpose: never finalized in the child


def reset_after_fork() -> None:
    from django.db import connections

    for alias in connections:
        wrapper = connections[alias]
        if wrapper.connection is not None:
            _inherited.append(wrapper.connection)
            wrapper.connection = None
            wrapper.in_atomic_block = False
            wrapper.needs_rollback = False
    try:
        from django.db.backends.postgresql.base import DatabaseWrapper
    except ImportError:  # psycopg not installed
        return
    _inherited.extend(DatabaseWrapper._connection_pools.values())
    DatabaseWrapper._connection_pools.clear()


_installed = False


def install() -> None:
    global _installed
    if not _installed and hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=reset_after_fork)
        _installed = True
