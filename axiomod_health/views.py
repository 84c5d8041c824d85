"""``/live``, ``/ready`` and ``/health``.

``/live`` does no I/O: it answers whenever the process can serve, so a database outage
never makes Kubernetes restart every pod. ``/ready`` answers 200 while every critical
check passes (``UP``, or ``DEGRADED`` when only non-critical ones fail) and 503 otherwise,
in the Go framework's shape plus durations. ``/health`` shows every check with its last
result and age. Error texts (which can name hosts) appear only as ``show_details`` allows.
"""

from __future__ import annotations

import json
import time

from django.http import HttpRequest, HttpResponse

from axiomod.conf import settings

from . import shutdown
from .state import Report, current_report

__all__ = ["health", "live", "ready"]

_LIVE = b'{"status": "UP"}'
_NO_STORE = "no-store"


def _json(payload: object, status: int) -> HttpResponse:
    response = HttpResponse(json.dumps(payload), content_type="application/json", status=status)
    response["Cache-Control"] = _NO_STORE
    # A 503 is the probe's answer, not a server error: Django would log every one of them
    # on django.request at ERROR (it skips responses marked as already logged).
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def details_allowed(request: HttpRequest) -> bool:
    policy = settings.health.show_details
    if policy == "always":
        return True
    if policy == "staff":
        user = getattr(request, "user", None)
        return bool(user is not None and user.is_active and user.is_staff)
    return False


def live(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(_LIVE, content_type="application/json")
    response["Cache-Control"] = _NO_STORE
    return response


def _component(result, details: bool) -> dict[str, object]:
    component: dict[str, object] = {
        "status": result.status,
        "duration_ms": round(result.duration * 1000, 3),
    }
    if result.error is not None and details:
        component["error"] = result.error
    return component


def ready_payload(report: Report, details: bool) -> dict[str, object]:
    payload: dict[str, object] = {
        "status": report.status,
        "components": {r.name: _component(r, details) for r in report.results},
        "timestamp": report.timestamp,
    }
    if report.detail is not None:
        payload["detail"] = report.detail
    if shutdown.draining():
        payload["draining"] = True
    return payload


def ready(request: HttpRequest) -> HttpResponse:
    report = current_report()
    return _json(ready_payload(report, details_allowed(request)), 200 if report.ready else 503)


def health(request: HttpRequest) -> HttpResponse:
    report = current_report()
    details = details_allowed(request)
    now = time.time()
    payload = ready_payload(report, details)
    for result in report.results:
        component = payload["components"][result.name]  # type: ignore[index]
        component["critical"] = result.critical
        component["age_seconds"] = round(now - result.checked_at, 3)
    return _json(payload, 200 if report.ready else 503)
