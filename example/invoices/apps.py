"""AppConfig of the invoices module."""

from django.apps import AppConfig


class InvoicesConfig(AppConfig):
    """Registers the module under the short label ``invoices``.

    The label (not the dotted name) is what migrations, ``db_table`` prefixes and
    ``manage.py makemigrations invoices`` use, so it is kept short and stable.
    """

    name = "example.invoices"
    label = "invoices"
    verbose_name = "Invoices"
    default_auto_field = "django.db.models.BigAutoField"
