"""Bearer tokens on gRPC calls: ``axiomod_auth``'s contribution to ``axiomod_grpc``'s chain.

* :class:`AuthInterceptor`: a call with ``authorization: Bearer <jwt>`` metadata is
  verified as an HTTP request would be (cached discovery and keys, audience, issuer,
  expiry); a bad token ends the call with ``UNAUTHENTICATED`` and the reason. A call
  without a token goes on anonymous; servicers that need a user read
  :func:`axiomod_grpc.current_user` and raise :class:`~axiomod.errors.Unauthorized`.
* :class:`AsyncAuthInterceptor`: the same for ``grpc.aio`` servers.

:class:`~axiomod_auth.apps.AuthConfig` contributes them (order 300: after metrics and
tracing, before the error interceptor) when ``AXIOMOD["oidc"]`` is set. Health and
reflection calls are passed through untouched.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import grpc
from asgiref.sync import sync_to_async

from axiomod_grpc import (
    AsyncWrappingInterceptor,
    PassThrough,
    WrappingInterceptor,
    reset_identity,
    set_identity,
    stream_items,
)

from .bearer import authenticate_bearer
from .errors import TokenError

__all__ = ["AsyncAuthInterceptor", "AuthInterceptor", "server_interceptor"]


def server_interceptor(*, asyncio: bool) -> Any:
    """The interceptor for a thread-pool (``asyncio=False``) or ``grpc.aio`` server."""
    return AsyncAuthInterceptor() if asyncio else AuthInterceptor()


def _authorization(context: Any) -> str | None:
    for key, value in context.invocation_metadata() or ():
        if key == "authorization":
            return value if isinstance(value, str) else value.decode()
    return None


def _unauthenticated(exc: Exception) -> str:
    code = getattr(exc, "code", "invalid_token")
    return f"invalid_token ({code}): {exc}"


class AuthInterceptor(PassThrough, WrappingInterceptor):
    """Bearer tokens in ``authorization`` metadata, verified by ``axiomod_auth``."""

    def wrapper(self, method: str) -> Callable[[Callable, bool], Callable]:

        def wrap(behaviour: Callable, streams: bool) -> Callable:
            def identify(context: Any) -> tuple[Any, dict[str, Any]] | None:
                try:
                    return authenticate_bearer(_authorization(context))
                except TokenError as exc:
                    context.abort(grpc.StatusCode.UNAUTHENTICATED, _unauthenticated(exc))

            if streams:

                def streaming(request: Any, context: Any) -> Iterator[Any]:
                    token = set_identity(identify(context))
                    try:
                        yield from behaviour(request, context)
                    finally:
                        reset_identity(token)

                return streaming

            def unary(request: Any, context: Any) -> Any:
                token = set_identity(identify(context))
                try:
                    return behaviour(request, context)
                finally:
                    reset_identity(token)

            return unary

        return wrap


class AsyncAuthInterceptor(PassThrough, AsyncWrappingInterceptor):
    """:class:`AuthInterceptor` for ``grpc.aio``; verification runs in a thread (it may
    fetch keys and look the user up in the database)."""

    def wrapper(self, method: str) -> Callable[[Callable, bool], Callable]:

        verify = sync_to_async(authenticate_bearer, thread_sensitive=False)

        def wrap(behaviour: Callable, streams: bool) -> Callable:
            async def identify(context: Any) -> tuple[Any, dict[str, Any]] | None:
                try:
                    return await verify(_authorization(context))
                except TokenError as exc:
                    await context.abort(grpc.StatusCode.UNAUTHENTICATED, _unauthenticated(exc))
                    raise  # abort raises; this line is never reached

            if streams:

                async def streaming(request: Any, context: Any) -> AsyncIterator[Any]:
                    set_identity(await identify(context))
                    async for item in stream_items(behaviour(request, context)):
                        yield item

                return streaming

            async def unary(request: Any, context: Any) -> Any:
                set_identity(await identify(context))
                result = behaviour(request, context)
                return await result if hasattr(result, "__await__") else result

            return unary

        return wrap
