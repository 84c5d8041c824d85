"""The example's settings with a broker URL kombu would take for an AMQP host name."""

from example.settings import *  # noqa: F403
from example.settings import AXIOMOD as _EXAMPLE

AXIOMOD = {**_EXAMPLE, "jobs": {**_EXAMPLE.get("jobs", {}), "broker_url": "garbage"}}
