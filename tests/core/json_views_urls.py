"""A root URLconf with axiomod's JSON error handlers, for tests/core/test_views.py."""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.urls import path

from axiomod.views import JsonView, handler400, handler403, handler404, handler500  # noqa: F401


def reads_body(request):
    """Not a JsonView: Django's handler400 is what sees its RequestDataTooBig."""
    return HttpResponse(len(request.body))


def forbidden(request):
    raise PermissionDenied("no")


urlpatterns = [
    path("upload", reads_body),
    path("forbidden", forbidden),
]


class SessionView(JsonView):
    """A JsonView that also serves session-cookie callers opts back into CSRF."""

    csrf_protected = True

    def post(self, request):
        return JsonResponse({"ok": True})


urlpatterns.append(path("session", SessionView.as_view()))
