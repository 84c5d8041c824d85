"""The example's settings with one error of each kind, for the ``manage.py check`` test."""

from example.settings import *  # noqa: F403

AXIOMOD = {
    "service_name": "invoices",
    "tracing": {"sample_rate": 0.5},
    "health": {"check_timeout": "fast"},
    "metrics": {"port": 99999},
}
