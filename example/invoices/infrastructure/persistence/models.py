"""Database table of invoices.

The model is a persistence detail: use cases never see it; ``DjangoInvoiceRepository``
maps it to and from the ``Invoice`` entity.
"""

from __future__ import annotations

from django.db import models

from example.invoices.entity import InvoiceStatus

NUMBER_MAX_LENGTH = 40
"""Room for ``INV-`` plus any id a BIGINT can hold, and for the ``tmp-<uuid>`` placeholder
a row carries inside the insert transaction before its number is known."""


class InvoiceModel(models.Model):
    """One row per invoice.

    ``number`` is unique in the database, not only in code: it is the last line of
    defence if a bug ever produced a duplicate.
    """

    number = models.CharField(max_length=NUMBER_MAX_LENGTH, unique=True)
    customer = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=16,
        choices=[(status.value, status.name.title()) for status in InvoiceStatus],
        default=InvoiceStatus.DRAFT.value,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "invoices_invoice"
        # Lists are served newest first; the index keeps that an index scan.
        indexes = [models.Index(fields=["created_at"], name="invoices_created_at_idx")]
        verbose_name = "invoice"
        verbose_name_plural = "invoices"

    def __str__(self) -> str:
        return self.number
