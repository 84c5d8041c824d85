"""Answer ``/live`` and ``/ready`` before the rest of the middleware stack.

Kubernetes probes reach the pod by IP (``Host: 10.1.2.3:8000``), which ``ALLOWED_HOSTS``
rarely lists: through the normal stack a probe gets ``400 DisallowedHost`` and the pod is
never ready. Put this middleware first and the probes are answered before any host
validation, session or authentication work (django-alive and django-k8s do the same).
The ``/health`` details view stays behind the normal stack: it may show details to staff.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from axiomod.conf import settings
from axiomod.middleware import SyncAndAsyncMiddleware

from . import views


class HealthProbeMiddleware(SyncAndAsyncMiddleware):
    def __init__(self, get_response: Any) -> None:
        super().__init__(get_response)
        conf = settings.health
        self.live_path, self.ready_path = conf.live_path, conf.ready_path

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        path = request.path_info
        if path == self.live_path:
            return views.live(request)
        if path == self.ready_path:
            return views.ready(request)
        return self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> Any:
        from asgiref.sync import sync_to_async

        path = request.path_info
        if path == self.live_path:
            return views.live(request)
        if path == self.ready_path:
            return await sync_to_async(views.ready, thread_sensitive=False)(request)
        return await self.get_response(request)
