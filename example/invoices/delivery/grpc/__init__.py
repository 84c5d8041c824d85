"""gRPC delivery of the invoices module: ``Invoices`` (Create/Get/List).

``register`` is listed in ``AXIOMOD["grpc"]["handlers"]`` and served by
``python manage.py axiomod_grpc``; ``invoices.proto`` is the contract (the generated
``invoices_pb2*.py`` modules sit next to it).
"""

from __future__ import annotations

from typing import Any


def register(server: Any) -> None:
    """Add the ``Invoices`` service to ``server`` (a hook of ``AXIOMOD["grpc"]["handlers"]``)."""
    from . import invoices_pb2_grpc
    from .servicer import InvoicesServicer

    invoices_pb2_grpc.add_InvoicesServicer_to_server(InvoicesServicer(), server)
