"""URLs of the example service: axiomod's endpoints, the invoices API, and /me."""

from django.urls import include, path

from example.views import me

urlpatterns = [
    path("", include("axiomod.urls")),
    path("invoices/", include("example.invoices.delivery.http.urls")),
    path("me", me, name="me"),
]
