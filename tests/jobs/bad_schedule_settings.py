"""The example's settings with schedule entries the schema refuses, for ``manage.py check``.

Each of these made the jobs check crash (issue #18, item 7): the check asked the Celery
app for its tasks, whose configuration cannot load while ``AXIOMOD["jobs"]`` is invalid.
"""

from example.settings import *  # noqa: F403
from example.settings import AXIOMOD as _EXAMPLE

AXIOMOD = {
    **_EXAMPLE,
    "metrics": {"port": 99999},  # an error in another section stays visible too
    "jobs": {
        "schedule": {
            "three_fields": {"task": "billing.close", "cron": "* * *"},
            "words": {"task": "billing.close", "cron": "every day"},
            "both": {"task": "billing.close", "cron": "0 3 * * *", "every": 60},
        }
    },
}
