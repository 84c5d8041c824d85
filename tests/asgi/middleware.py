"""The control of the adaptation test: a middleware Django must adapt under ASGI."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


class SyncOnlyMiddleware:
    """A middleware that can only run sync (Django's default for a plain class)."""

    sync_capable, async_capable = True, False

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        return self.get_response(request)
