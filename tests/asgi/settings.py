"""The example's settings for the ASGI server tests: DEBUG on and ``django.request`` at DEBUG
(so Django logs each middleware it adapts), the test URLs with an ``async def`` view, a
``serving_stopped`` receiver that logs, and, when ``ASGI_TESTS_SYNC_ONLY_MIDDLEWARE=1``, a
sync-only middleware (the control that shows the adaptation line appearing)."""

import os

from example.settings import *  # noqa: F403
from example.settings import INSTALLED_APPS, LOGGING, MIDDLEWARE

DEBUG = True
ROOT_URLCONF = "tests.asgi.urls"
INSTALLED_APPS = [*INSTALLED_APPS, "tests.asgi.apps.AsgiTestsConfig"]
if os.environ.get("ASGI_TESTS_SYNC_ONLY_MIDDLEWARE") == "1":
    MIDDLEWARE = [*MIDDLEWARE, "tests.asgi.middleware.SyncOnlyMiddleware"]
LOGGING = {**LOGGING, "loggers": {"django.request": {"level": "DEBUG"}}}
