"""Services of ``test_chain_guarantees``: a database call, and an observer outside the chain.

* ``tests.ChainProbe/Query`` (through axiomod's whole chain): runs ``SELECT 1`` on
  Django's default connection and keeps the DB-API connection it used.
* ``grpc.reflection.axiomodtest.Connections/Closed``: answers ``closed`` or ``open`` for
  the connection the last ``Query`` kept. Its service name starts with
  ``grpc.reflection.``, so axiomod's interceptors pass it through as they do reflection:
  no ``request_started`` of its own closes anything, and what it sees is what the
  ``Query`` call left behind.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

import grpc
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


def register(server: Any) -> None:
    server.add_generic_rpc_handlers(
        (
            grpc.method_handlers_generic_handler(
                "tests.ChainProbe", {"Query": grpc.unary_unary_rpc_method_handler(query)}
            ),
            grpc.method_handlers_generic_handler(
                OBSERVER, {"Closed": grpc.unary_unary_rpc_method_handler(closed)}
            ),
        )
    )
