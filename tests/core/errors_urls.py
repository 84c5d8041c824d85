"""Views raising each domain error, for tests/core/test_errors.py."""

from django.http import Http404, HttpResponse
from django.urls import path
from rest_framework.decorators import api_view

from axiomod import errors


def raising(request, name):
    if name == "http404":
        raise Http404("no such page")
    if name == "boom":
        raise RuntimeError("secret internal detail: password=hunter2")
    error = getattr(errors, name)
    raise error(f"{name} on purpose", field="amount" if name == "InvalidInput" else None)


@api_view(["GET"])
def drf_raising(request, name):
    if name == "fine":
        return HttpResponse("fine")
    raise getattr(errors, name)(f"{name} from DRF")


urlpatterns = [
    path("raise/<str:name>", raising),
    path("drf/<str:name>", drf_raising),
]
