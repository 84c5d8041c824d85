"""The example's URLs plus an ``async def`` view that awaits, for the tracing tests."""

from __future__ import annotations

import asyncio
from collections import defaultdict

from django.http import HttpRequest, JsonResponse
from django.urls import path

from example.invoices.models import InvoiceModel
from example.urls import handler400, handler403, handler404, handler500  # noqa: F401
from example.urls import urlpatterns as example_urlpatterns

_arrived: dict[str, int] = defaultdict(int)
_all_arrived: dict[str, asyncio.Event] = defaultdict(asyncio.Event)


async def awaits(request: HttpRequest, n: int) -> JsonResponse:
    """Await a sleep, an ORM query (in a sync_to_async thread) and a manual span.

    ``?group=g&size=k``: wait (up to 10 s) until k requests of group g are all inside, so
    concurrent requests really are interleaved on the event loop when their spans start.
    """
    from opentelemetry import trace

    group, size = request.GET.get("group", str(n)), int(request.GET.get("size", "1"))
    _arrived[group] += 1
    if _arrived[group] >= size:
        _all_arrived[group].set()
    try:
        await asyncio.wait_for(_all_arrived[group].wait(), 10)
        overlapped = True
    except TimeoutError:
        overlapped = False
    await asyncio.sleep(0.01)
    count = await InvoiceModel.objects.filter(customer=f"asgi-{n}").acount()
    await asyncio.sleep(0.01)
    with trace.get_tracer("tests.asgi").start_as_current_span("after awaits") as span:
        span.set_attribute("test.n", n)
        await asyncio.sleep(0)
    return JsonResponse({"n": n, "count": count, "overlapped": overlapped})


urlpatterns = [path("asgi/awaits/<int:n>/", awaits), *example_urlpatterns]
