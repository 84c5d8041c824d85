"""What axiomod's middlewares share: one class for sync and async stacks.

Django calls a middleware with the next handler; under ASGI that handler is a coroutine
function and the middleware must be one too, or Django wraps it in a thread hop per
request. A subclass sets up its own state in ``__init__`` after calling this one, and
writes ``__call__`` (sync) and ``__acall__`` (async); ``__call__`` returns
``self.__acall__(request)`` when ``self.is_async``.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction

__all__ = ["SyncAndAsyncMiddleware"]


class SyncAndAsyncMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)
