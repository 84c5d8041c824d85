"""Bearer-token authentication for plain Django: a middleware and a view decorator.

A request that carries ``Authorization: Bearer <jwt>`` is authenticated from the token
alone; a request whose token fails gets ``401`` with the reason in the body and in
``WWW-Authenticate`` (RFC 6750 §3), never a 500. The DRF equivalent is
:class:`axiomod_auth.drf.BearerTokenAuthentication`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponse

from axiomod.middleware import SyncAndAsyncMiddleware

from .errors import TokenError
from .tokens import bearer_token, verify_token
from .users import user_for_claims

#: ``request.token_claims`` holds the verified claims once a token was accepted.
CLAIMS_ATTRIBUTE = "token_claims"


def authenticate_bearer(authorization: str | None) -> tuple[Any, dict[str, Any]] | None:
    """``(user, claims)`` for a Bearer header, None without one; TokenError when it fails."""
    token = bearer_token(authorization)
    if token is None:
        return None
    claims = verify_token(token)
    user = user_for_claims(claims)
    if user is None:
        raise TokenError("no_user", "token subject has no active user")
    return user, claims


def challenge(error: TokenError | None = None, realm: str = "api") -> str:
    """The ``WWW-Authenticate`` value for a 401."""
    if error is None:
        return f'Bearer realm="{realm}"'
    description = str(error).replace('"', "'")
    return f'Bearer realm="{realm}", error="invalid_token", error_description="{description}"'


def unauthorized(error: TokenError | None) -> HttpResponse:
    reason = str(error) if error is not None else "bearer token required"
    body = {"error": "invalid_token" if error is not None else "unauthorized", "reason": reason}
    if error is not None:
        body["code"] = error.code
    response = HttpResponse(json.dumps(body), status=401, content_type="application/json")
    response["WWW-Authenticate"] = challenge(error)
    response["Cache-Control"] = "no-store"
    return response


def _apply(request: HttpRequest) -> HttpResponse | None:
    """Authenticate ``request`` from its header; a 401 response when the token fails."""
    try:
        result = authenticate_bearer(request.META.get("HTTP_AUTHORIZATION"))
    except TokenError as exc:
        return unauthorized(exc)
    if result is not None:
        request.user, claims = result
        setattr(request, CLAIMS_ATTRIBUTE, claims)
    return None


class BearerTokenMiddleware(SyncAndAsyncMiddleware):
    """Authenticate requests that carry a bearer token; reject those whose token fails.

    Place it after ``AuthenticationMiddleware``: a token overrides the session user.
    Requests without a bearer token pass through untouched (session users, anonymous).
    """

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        if "HTTP_AUTHORIZATION" in request.META:
            refused = _apply(request)
            if refused is not None:
                return refused
        return self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> Any:
        if "HTTP_AUTHORIZATION" in request.META:
            # Verification may fetch keys or query users: off the event loop.
            refused = await sync_to_async(_apply, thread_sensitive=False)(request)
            if refused is not None:
                return refused
        return await self.get_response(request)


def bearer_token_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Answer 401 unless the request carries a valid bearer token.

    Works with or without :class:`BearerTokenMiddleware` (it verifies the header itself
    when the middleware has not), for sync and async views.
    """

    def refusal(request: HttpRequest) -> HttpResponse | None:
        if hasattr(request, CLAIMS_ATTRIBUTE):
            return None
        if bearer_token(request.META.get("HTTP_AUTHORIZATION")) is None:
            return unauthorized(None)
        return _apply(request)

    if iscoroutinefunction(view):

        @functools.wraps(view)
        async def async_wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            refused = await sync_to_async(refusal, thread_sensitive=False)(request)
            return refused if refused is not None else await view(request, *args, **kwargs)

        return async_wrapper

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        refused = refusal(request)
        return refused if refused is not None else view(request, *args, **kwargs)

    return wrapper
