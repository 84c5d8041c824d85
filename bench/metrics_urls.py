"""URLs of the ``metrics`` benchmark project: a trivial ``/ping`` beside the example."""

from django.http import HttpResponse
from django.urls import include, path


def ping(request):
    return HttpResponse(b"pong", content_type="text/plain")


urlpatterns = [
    path("ping", ping),
    path("", include("example.urls")),
]

# django-health-check's own view, as the reference for ``bench health``: it runs its
# checks on every request (no cache). ?format=json picks its JSON renderer.
try:
    from health_check.views import HealthCheckView
except ImportError:  # the health extra is not installed
    pass
else:
    urlpatterns.append(
        path("dhc/", HealthCheckView.as_view(checks=["health_check.checks.Database"]))
    )
