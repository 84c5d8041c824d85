"""A test app the ASGI servers load (``tests.asgi.settings``): ``serving_stopped``, visible."""

from __future__ import annotations

import logging
import os

from django.apps import AppConfig

#: Logged by the receiver, once per process, when ``serving_stopped`` arrives.
STOPPED_LINE = "serving_stopped received"


class AsgiTestsConfig(AppConfig):
    name = "tests.asgi"
    label = "asgi_tests"

    def ready(self) -> None:
        from axiomod.signals import serving_stopped

        def stopped(sender: object, **kwargs: object) -> None:
            # A line in the server's log is what the tests can see of another process.
            logging.getLogger("tests.asgi").warning(
                "%s: sender=%s pid=%s", STOPPED_LINE, sender, os.getpid()
            )

        serving_stopped.connect(stopped, weak=False, dispatch_uid="tests.asgi.stopped")
