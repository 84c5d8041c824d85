"""``tests.Probe``: a service without a .proto (raw bytes in and out) for the tests.

* ``Raise``: raises the :mod:`axiomod.errors` class named by the request (or a
  ``RuntimeError`` for ``boom``).
* ``Slow``: sleeps the request's seconds, then answers ``done``.
* ``Whoami``: the username of the call's bearer token, or ``anonymous``.
"""

from __future__ import annotations

import time
from typing import Any

import grpc

from axiomod import errors
from axiomod_grpc import current_claims, current_user


def raise_(request: bytes, context: Any) -> bytes:
    name = request.decode()
    if name == "boom":
        raise RuntimeError("secret internal detail: password=hunter2")
    if name == "abort":
        context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "servicer's own code")
    error = getattr(errors, name)
    raise error(
        f"{name} raised on purpose", field="thing" if error is errors.InvalidInput else None
    )


def slow(request: bytes, context: Any) -> bytes:
    time.sleep(float(request.decode()))
    return b"done"


def whoami(request: bytes, context: Any) -> bytes:
    user = current_user()
    if user is None:
        return b"anonymous"
    return f"{user.get_username()}|{current_claims()['sub']}".encode()


def register(server: Any) -> None:
    server.add_generic_rpc_handlers(
        (
            grpc.method_handlers_generic_handler(
                "tests.Probe",
                {
                    "Raise": grpc.unary_unary_rpc_method_handler(raise_),
                    "Slow": grpc.unary_unary_rpc_method_handler(slow),
                    "Whoami": grpc.unary_unary_rpc_method_handler(whoami),
                },
            ),
        )
    )
