"""WSGI entry point of the benchmark project (``bench.metrics_project``)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.metrics_project")

from axiomod.wsgi import get_wsgi_application

application = get_wsgi_application()
