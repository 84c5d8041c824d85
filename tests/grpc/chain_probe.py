"""Services of ``test_chain_guarantees``: a database call, and an observer outside the chain.

* ``tests.ChainProbe/Query`` (through axiomod's whole chain): runs ``SELECT 1`` on
  Django's default connection and keeps the DB-API connection it used.
* ``grpc.reflection.axiomodtest.Connections/Closed``: answers ``closed`` or ``open`` for
  the connection the last ``Query`` kept. Its service name starts with
  ``grpc.reflection.``, so axiomod's interceptors pass it through as they do reflection:
  no ``request_started`` of its own closes anything, and what it sees is what the
  ``Query`` call left behind.
* ``tests.ChainProbe/Thread`` (through the chain): the name of the thread that ran it.
* ``grpc.reflection.axiomodtest.Connections/Started``: how many ``request_started``
  signals a receiver of the project's own (connected when the server is built, by the
  ``register`` hook) has seen from ``axiomod.grpc``, and ``Finished`` the same for
  ``request_finished``.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

import grpc
from django.core.signals import request_finished, request_started
from django.db import connection

OBSERVER = "grpc.reflection.axiomodtest.Connections"

_lock = threading.Lock()
_kept: list[Any] = []


def query(request: bytes, context: Any) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    with _lock:
        _kept[:] = [connection.connection]
    return b"done"


def closed(request: bytes, context: Any) -> bytes:
    with _lock:
        kept = list(_kept)
    if not kept:
        return b"none"
    try:
        kept[0].execute("SELECT 1")  # Django opens SQLite with check_same_thread=False
    except sqlite3.ProgrammingError:
        return b"closed"
    return b"open"


def thread(request: bytes, context: Any) -> bytes:
    return threading.current_thread().name.encode()


_signals = {"started": 0, "finished": 0}


def _seen(signal: Any, sender: Any, **kwargs: Any) -> None:
    if sender == "axiomod.grpc":
        with _lock:
            _signals["started" if signal is request_started else "finished"] += 1


def _count(name: str) -> Any:
    def answer(request: bytes, context: Any) -> bytes:
        with _lock:
            return str(_signals[name]).encode()

    return grpc.unary_unary_rpc_method_handler(answer)


def register(server: Any) -> None:
    request_started.connect(_seen)
    request_finished.connect(_seen)
    unary = grpc.unary_unary_rpc_method_handler
    server.add_generic_rpc_handlers(
        (
            grpc.method_handlers_generic_handler(
                "tests.ChainProbe", {"Query": unary(query), "Thread": unary(thread)}
            ),
            grpc.method_handlers_generic_handler(
                OBSERVER,
                {
                    "Closed": unary(closed),
                    "Started": _count("started"),
                    "Finished": _count("finished"),
                },
            ),
        )
    )
