"""``InvoiceRepository`` on the Django ORM."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction

from example.invoices.entity import Invoice, InvoiceNotFound, InvoiceStatus, NewInvoice
from example.invoices.infrastructure.persistence.models import InvoiceModel
from example.invoices.repository import InvoiceRepository, NumberFor


class DjangoInvoiceRepository(InvoiceRepository):
    """Stores invoices in ``invoices_invoice`` through the default database alias.

    Stateless (the connection is looked up per call), so one instance can be shared by
    every thread and request.
    """

    def add(self, new: NewInvoice, number_for: NumberFor) -> Invoice:
        """Insert, then derive the number from the primary key, in one transaction.

        The primary key is the only counter every database hands out uniquely under
        concurrent inserts without extra locking, so the number is ``number_for(pk)``.
        The row is first written with a random placeholder (``number`` is unique and not
        null, and the pk is unknown until the insert), then updated; both statements are
        in one ``atomic()`` block, so no other transaction ever sees the placeholder and a
        failure leaves no row behind.
        """
        with transaction.atomic():
            row = InvoiceModel.objects.create(
                number=f"tmp-{uuid.uuid4().hex}",
                customer=new.customer,
                amount=new.amount,
                currency=new.currency,
                status=InvoiceStatus.DRAFT.value,
            )
            row.number = number_for(row.pk)
            row.save(update_fields=["number"])
        return self._to_entity(row)

    def get(self, invoice_id: int) -> Invoice:
        """Return the invoice or raise ``InvoiceNotFound`` (never ``DoesNotExist``, which
        would leak the ORM into the layers above)."""
        try:
            row = InvoiceModel.objects.get(pk=invoice_id)
        except InvoiceModel.DoesNotExist:
            raise InvoiceNotFound(invoice_id) from None
        return self._to_entity(row)

    def count(self) -> int:
        return InvoiceModel.objects.count()

    def list(self, limit: int, offset: int) -> list[Invoice]:
        rows = InvoiceModel.objects.order_by("-created_at", "-pk")[offset : offset + limit]
        return [self._to_entity(row) for row in rows]

    def issue(self, invoice_id: int) -> bool:
        updated = InvoiceModel.objects.filter(
            pk=invoice_id, status=InvoiceStatus.DRAFT.value
        ).update(status=InvoiceStatus.ISSUED.value)
        return updated == 1

    def mark_paid(self, invoice_id: int) -> bool:
        """``PaidInvoices`` (the settlement use cases' port): issued -> paid, conditionally."""
        updated = InvoiceModel.objects.filter(
            pk=invoice_id, status=InvoiceStatus.ISSUED.value
        ).update(status=InvoiceStatus.PAID.value)
        return updated == 1

    def draft_ids(self, created_before: dt.datetime, limit: int) -> list[int]:
        rows = InvoiceModel.objects.filter(
            status=InvoiceStatus.DRAFT.value, created_at__lt=created_before
        ).order_by("created_at", "pk")
        return list(rows.values_list("pk", flat=True)[:limit])

    @staticmethod
    def _to_entity(row: InvoiceModel) -> Invoice:
        return Invoice(
            id=row.pk,
            number=row.number,
            customer=row.customer,
            amount=row.amount,
            currency=row.currency,
            status=InvoiceStatus(row.status),
            created_at=row.created_at,
        )
