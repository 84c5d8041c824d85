"""URLs of the example service: axiomod's endpoints plus the invoices API."""

from django.urls import include, path

urlpatterns = [
    path("", include("axiomod.urls")),
    path("invoices/", include("example.invoices.delivery.http.urls")),
]
