"""Names of the facts the invoices module announces.

An event's name is part of the domain's language (the billing core announces that an
invoice was *settled*); the Kafka publisher uses it as its topic and the handler
subscribes to it, so both layers take it from here instead of one from the other.
"""

INVOICE_SETTLED = "invoices.settled"
