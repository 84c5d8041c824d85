"""Routes of the module's JSON API, mounted by the project's urls."""

from django.urls import path

from example.invoices.delivery.http import views

app_name = "invoices"

urlpatterns = [
    path("", views.InvoiceCollectionView.as_view(), name="collection"),
    path("<int:pk>/", views.InvoiceDetailView.as_view(), name="detail"),
]
