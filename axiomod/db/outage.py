"""A database that cannot be reached: a 503 within one pool timeout, logged once per interval.

Two things make an outage worse than it needs to be, and both are handled here:

* **The answer.** A request whose first query cannot get a connection raises Django's
  ``OperationalError`` (``couldn't get a connection after 10.00 sec`` from the pool,
  ``connection refused`` without one). :func:`unavailable` recognises that failure (raised
  while *connecting*, not by a query) and :func:`axiomod.errors.describe` turns it into a
  503 ``{"error": "unavailable"}``, so ``DomainErrorMiddleware`` answers it with
  ``Retry-After`` instead of a 500. It does so with ``DEBUG`` on too: Django's debug page
  prints the ``repr()`` of every local variable of the traceback, and the ``repr()`` of a
  QuerySet runs its query, so each QuerySet in the failing frames paid the pool timeout
  once more (five 1 s waits for one request of the example; with the default 10 s
  timeout, gunicorn's 30 s worker timeout killed the worker first).
* **The log.** psycopg_pool retries in the background and logs ``WARNING psycopg.pool
  error connecting in 'pool-1': ...`` at every attempt, for every pool of every process.
  :class:`ConnectErrorThrottle` lets one such line per pool through per interval and
  counts the others into the next one. Raising the logger's level instead would hide the
  outage altogether (the reason, ``Connection refused`` or ``password authentication
  failed``, is only in these lines) and the pool's other warnings with it (``discarding
  broken connection``, ``rolling back returned connection``).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from axiomod.errors import Unavailable

__all__ = [
    "LOG_INTERVAL",
    "ConnectErrorThrottle",
    "DatabaseUnavailable",
    "install_log_throttle",
    "unavailable",
]

#: Seconds between two ``error connecting`` lines of one pool.
LOG_INTERVAL = 30.0

_CONNECT_FRAMES = frozenset({"ensure_connection", "connect", "get_new_connection"})


class DatabaseUnavailable(Unavailable):
    """What a client is told when the database cannot be reached: 503, ``unavailable``."""

    default_message = "the database is unavailable; retry later"
    #: Seconds for the ``Retry-After`` header of the HTTP answer.
    retry_after = 5


_UNAVAILABLE = DatabaseUnavailable()


def unavailable(exc: BaseException) -> DatabaseUnavailable | None:
    """The 503 for ``exc`` when it is a failure to get a database connection, else None.

    A connection failure is Django's ``OperationalError`` raised inside
    ``BaseDatabaseWrapper.ensure_connection()``/``connect()`` (a pool timeout, a refused
    or failed connect, a bad password): what a client can only wait out. An
    ``OperationalError`` raised by a query on an open connection (a lock timeout, a
    statement cancelled) is not one; it stays a 500.
    """
    from django.db.utils import OperationalError

    if not isinstance(exc, OperationalError):
        return None
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_name in _CONNECT_FRAMES and "/django/db/backends/" in code.co_filename:
            return _UNAVAILABLE
        tb = tb.tb_next
    return None


class ConnectErrorThrottle(logging.Filter):
    """Passes one ``error connecting in <pool>`` record per pool per ``interval`` seconds.

    The next record let through after a quiet period carries the count of those held
    back: ``error connecting in 'pool-1' (7 more in the last 30 s): ...``. Every other
    record of the logger passes untouched.
    """

    def __init__(self, interval: float = LOG_INTERVAL) -> None:
        super().__init__()
        self.interval = interval
        self._lock = threading.Lock()
        self._last: dict[Any, float] = {}
        self._held: dict[Any, int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not (isinstance(record.msg, str) and record.msg.startswith("error connecting in")):
            return True
        pool = record.args[0] if isinstance(record.args, tuple) and record.args else None
        now = time.monotonic()
        with self._lock:
            last = self._last.get(pool)
            if last is not None and now - last < self.interval:
                self._held[pool] = self._held.get(pool, 0) + 1
                return False
            self._last[pool] = now
            held = self._held.pop(pool, 0)
        if held:  # before the reason, which often runs over several lines
            head, sep, rest = record.msg.partition("%r")
            if sep:
                record.msg = f"{head}%r (%d more in the last %.0f s){rest}"
                record.args = (pool, held, now - last, *record.args[1:])
        return True


def install_log_throttle(interval: float = LOG_INTERVAL) -> ConnectErrorThrottle:
    """Put one :class:`ConnectErrorThrottle` on the ``psycopg.pool`` logger (idempotent)."""
    logger = logging.getLogger("psycopg.pool")
    for existing in logger.filters:
        if isinstance(existing, ConnectErrorThrottle):
            existing.interval = interval
            return existing
    throttle = ConnectErrorThrottle(interval)
    logger.addFilter(throttle)
    return throttle
