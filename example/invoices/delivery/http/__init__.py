"""JSON-over-HTTP delivery of the invoices module, written with plain Django views."""
