"""Readiness checks of the module, found by axiomod_health's autodiscovery."""

from axiomod_health import health_check
from example.invoices.infrastructure.persistence.models import InvoiceModel


@health_check(name="invoices-table", critical=False)
def invoices_table_readable() -> None:
    """The module's table exists and answers (a missing migration shows up here)."""
    InvoiceModel.objects.only("pk").first()
