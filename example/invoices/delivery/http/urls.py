"""Routes of the invoices JSON API, mounted under ``/invoices/`` by the project."""

from django.urls import path

from example.invoices.delivery.http import views

app_name = "invoices"

urlpatterns = [
    path("", views.InvoiceCollectionView.as_view(), name="collection"),
    path("<int:pk>/", views.InvoiceDetailView.as_view(), name="detail"),
]
