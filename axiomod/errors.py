"""Domain errors shared by every delivery: one exception, one HTTP status, one gRPC code.

Use cases raise these (or subclasses of them); the HTTP side
(:class:`axiomod.middleware.DomainErrorMiddleware`, or :func:`drf_exception_handler` for
DRF) and the gRPC side (``axiomod_grpc``'s ``ErrorInterceptor``) turn them
into a response, so a view or servicer never maps errors by hand. The table is the Go
framework's:

=================  ======  ===================  ============================
Error              HTTP    gRPC                 ``code`` in the body
=================  ======  ===================  ============================
NotFound           404     NOT_FOUND            ``not_found``
InvalidInput       400     INVALID_ARGUMENT     ``invalid``
Unauthorized       401     UNAUTHENTICATED      ``unauthorized``
Forbidden          403     PERMISSION_DENIED    ``forbidden``
Conflict           409     ALREADY_EXISTS       ``conflict``
Timeout            408     DEADLINE_EXCEEDED    ``timeout``
Unavailable        503     UNAVAILABLE          ``unavailable``
Unimplemented      501     UNIMPLEMENTED        ``not_implemented``
anything else      500     INTERNAL             ``internal``
=================  ======  ===================  ============================

A domain error's message is meant for the client and is sent as is; any other exception
is logged with its traceback and answered with a fixed "internal error", so tracebacks
and internal details never reach a client. ``Validation``, ``AlreadyExists`` and
``NotImplemented`` are aliases, for code written against the Go names.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "AlreadyExists",
    "Conflict",
    "DomainError",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "Timeout",
    "Unauthorized",
    "Unavailable",
    "Unimplemented",
    "Validation",
    "describe",
    "drf_exception_handler",
    "http_status",
]


class DomainError(Exception):
    """Base of the errors a client may see. ``field`` names the input at fault, if one."""

    status: ClassVar[int] = 500
    grpc_code: ClassVar[str] = "INTERNAL"  # a grpc.StatusCode name (no grpc import here)
    code: ClassVar[str] = "internal"
    default_message: ClassVar[str] = "internal error"

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        self.message = message or self.default_message
        self.field = field
        super().__init__(self.message)

    def detail(self) -> str:
        """The message with the field in front (``"amount: must be positive"``)."""
        return self.message if self.field is None else f"{self.field}: {self.message}"

    def body(self) -> dict[str, Any]:
        """The JSON error body: ``{"error": code, "detail": message[, "field": name]}``."""
        found: dict[str, Any] = {"error": self.code, "detail": self.message}
        if self.field is not None:
            found["field"] = self.field
        return found


class NotFound(DomainError):  # noqa: N818  (the Go framework's names)
    status, grpc_code, code, default_message = 404, "NOT_FOUND", "not_found", "not found"


class InvalidInput(DomainError):  # noqa: N818
    status, grpc_code, code, default_message = 400, "INVALID_ARGUMENT", "invalid", "invalid input"


class Unauthorized(DomainError):  # noqa: N818
    status, grpc_code = 401, "UNAUTHENTICATED"
    code, default_message = "unauthorized", "authentication required"


class Forbidden(DomainError):  # noqa: N818
    status, grpc_code, code, default_message = 403, "PERMISSION_DENIED", "forbidden", "forbidden"


class Conflict(DomainError):  # noqa: N818
    status, grpc_code, code, default_message = 409, "ALREADY_EXISTS", "conflict", "conflict"


class Timeout(DomainError):  # noqa: N818
    status, grpc_code, code, default_message = 408, "DEADLINE_EXCEEDED", "timeout", "timed out"


class Unavailable(DomainError):  # noqa: N818
    status, grpc_code = 503, "UNAVAILABLE"
    code, default_message = "unavailable", "temporarily unavailable"


class Unimplemented(DomainError):  # noqa: N818
    status, grpc_code = 501, "UNIMPLEMENTED"
    code, default_message = "not_implemented", "not implemented"


Validation = InvalidInput
AlreadyExists = Conflict
# The Go name, reachable as ``axiomod.errors.NotImplemented``; not a module global here,
# where it would shadow the builtin constant.
_ALIASES = {"NotImplemented": Unimplemented}


def __getattr__(name: str) -> Any:
    try:
        return _ALIASES[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


INTERNAL = DomainError()


def describe(exc: BaseException) -> DomainError:
    """The domain error a client is told about ``exc``: itself, or a generic internal one.

    One infrastructure failure has a meaning for the client too: a database connection
    that cannot be had (:func:`axiomod.db.outage.unavailable`) is a 503 ``unavailable``.
    """
    if isinstance(exc, DomainError):
        return exc
    if exc.__class__.__name__ == "OperationalError":  # cheap test first: no import
        from axiomod.db.outage import unavailable

        return unavailable(exc) or INTERNAL
    return INTERNAL


def http_status(exc: BaseException) -> int:
    return describe(exc).status


def drf_exception_handler(exc: Exception, context: dict[str, Any]) -> Any:
    """DRF's ``EXCEPTION_HANDLER`` with domain errors mapped like the middleware does.

    ``REST_FRAMEWORK = {"EXCEPTION_HANDLER": "axiomod.errors.drf_exception_handler"}``.
    DRF's own exceptions keep DRF's answers; other exceptions propagate as in DRF (to
    :class:`~axiomod.middleware.DomainErrorMiddleware` when it is installed).
    """
    from rest_framework.response import Response
    from rest_framework.views import exception_handler

    if isinstance(exc, DomainError):
        return Response(exc.body(), status=exc.status)
    return exception_handler(exc, context)
