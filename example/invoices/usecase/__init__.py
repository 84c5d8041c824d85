"""Use cases: one class per thing a client can ask the invoices module to do.

Each takes its collaborators in ``__init__`` (wired once in ``example.invoices.container``)
and does its work in ``execute``, so every delivery calls exactly the same code.
"""

from example.invoices.usecase.create_invoice import CreateInvoice
from example.invoices.usecase.get_invoice import GetInvoice
from example.invoices.usecase.issue_invoice import IssueInvoice, IssueStaleDrafts
from example.invoices.usecase.list_invoices import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    InvoicePage,
    ListInvoices,
)
from example.invoices.usecase.ports import InvoiceEvents

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "CreateInvoice",
    "GetInvoice",
    "InvoiceEvents",
    "InvoicePage",
    "IssueInvoice",
    "IssueStaleDrafts",
    "ListInvoices",
]
