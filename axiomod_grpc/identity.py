"""The caller of the call being served, as an authenticating interceptor found it.

The transport holds the identity; whoever verifies the caller sets it (``axiomod_auth``'s
bearer interceptor when ``AXIOMOD["oidc"]`` is set, or a project's own interceptor), and
servicers read it with :func:`current_user` and :func:`current_claims`, whichever app
authenticated. Deliberately free of grpcio, so an app can import it cheaply.
"""

from __future__ import annotations

import contextvars
from typing import Any

__all__ = ["current_claims", "current_user", "reset_identity", "set_identity"]

_identity: contextvars.ContextVar[tuple[Any, dict[str, Any]] | None] = contextvars.ContextVar(
    "axiomod_grpc_identity", default=None
)


def current_user() -> Any | None:
    """The user of the call being served (None: anonymous or no auth interceptor)."""
    found = _identity.get()
    return found[0] if found else None


def current_claims() -> dict[str, Any] | None:
    """The verified token claims of the call being served."""
    found = _identity.get()
    return found[1] if found else None


def set_identity(identity: tuple[Any, dict[str, Any]] | None) -> contextvars.Token:
    """Make ``(user, claims)`` (None: anonymous) the caller of the call being served."""
    return _identity.set(identity)


def reset_identity(token: contextvars.Token) -> None:
    """Undo :func:`set_identity` (at the end of a call in a thread that serves others)."""
    _identity.reset(token)
