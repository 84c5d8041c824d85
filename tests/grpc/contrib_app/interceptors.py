"""The contributed interceptor: stamps each call's trailing metadata with the caller.

Imported only when a chain is built (the contribution names it by dotted path).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from axiomod_grpc import PassThrough, WrappingInterceptor, current_user

SEEN: list[str] = []


class StampInterceptor(PassThrough, WrappingInterceptor):
    def wrapper(self, method: str) -> Callable[[Callable, bool], Callable]:
        def wrap(behaviour: Callable, streams: bool) -> Callable:
            if streams:
                return behaviour

            def unary(request: Any, context: Any) -> Any:
                SEEN.append(method)
                user = current_user()
                context.set_trailing_metadata(
                    (("x-stamp", "anonymous" if user is None else user.get_username()),)
                )
                return behaviour(request, context)

            return unary

        return wrap


def stamp(*, asyncio: bool) -> Any | None:
    """Thread-pool servers only: the contribution itself decides it stays out of aio."""
    return None if asyncio else StampInterceptor()
