"""URLs of the example service: axiomod's endpoints, the invoices API, and /me."""

from django.urls import include, path

# Django's 400/403/404/500 answers (no route matched, an unknown Host, a crash) in the
# JSON error body every view uses, instead of HTML pages.
from axiomod.views import handler400, handler403, handler404, handler500  # noqa: F401
from example.invoices.delivery.http.settlement_views import SettleInvoiceView
from example.views import me

urlpatterns = [
    path("", include("axiomod.urls")),
    path("invoices/", include("example.invoices.delivery.http.urls")),
    # Beside the module's own routes (its urls.py stays as the module template writes it).
    path("invoices/<int:pk>/settle/", SettleInvoiceView.as_view(), name="invoice-settle"),
    path("me", me, name="me"),
]
