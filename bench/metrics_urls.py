"""URLs of the ``metrics`` benchmark project: a trivial ``/ping`` beside the example."""

from django.http import HttpResponse
from django.urls import include, path


def ping(request):
    return HttpResponse(b"pong", content_type="text/plain")


urlpatterns = [
    path("ping", ping),
    path("", include("example.urls")),
]
