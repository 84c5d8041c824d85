"""Kafka events of the invoices module."""

from .invoice_events import INVOICE_CREATED, KafkaInvoiceEvents, invoice_payload

__all__ = ["INVOICE_CREATED", "KafkaInvoiceEvents", "invoice_payload"]
