"""gRPC delivery of the module: one service with Create, Get and List.

``register`` is listed in ``AXIOMOD["grpc"]["handlers"]`` and served by
``python manage.py axiomod_grpc``; the ``.proto`` file next to it is the contract (the
generated ``*_pb2*.py`` modules sit beside it).
"""

from __future__ import annotations

from typing import Any


def register(server: Any) -> None:
    """Add the service to ``server`` (a hook of ``AXIOMOD["grpc"]["handlers"]``)."""
    from . import invoices_pb2_grpc
    from .servicer import InvoicesServicer

    invoices_pb2_grpc.add_InvoicesServicer_to_server(InvoicesServicer(), server)
