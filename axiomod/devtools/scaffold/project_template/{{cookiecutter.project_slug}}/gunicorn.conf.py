"""gunicorn settings: axiomod's hooks, then this service's defaults.

gunicorn reads ``./gunicorn.conf.py`` by itself; ``gunicorn -c gunicorn.conf.py`` says so.
The hooks imported from ``axiomod.gunicorn_config``: multiprocess Prometheus metrics (a
``PROMETHEUS_MULTIPROC_DIR`` emptied at start, dead workers folded in), the metrics port
served by the master, draining on SIGTERM (``/ready`` answers 503 for
``AXIOMOD_DRAIN_SECONDS`` while requests are still served) and the trace flush as each
worker exits. To add a hook of your own, call the imported one from it.
"""

import os

from axiomod.gunicorn_config import *  # noqa: F403

# The master reads the settings too (AXIOMOD["metrics"]["port"]).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{{ cookiecutter.project_slug }}.settings")

wsgi_app = "{{ cookiecutter.project_slug }}.wsgi:application"
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# A request gets `timeout` seconds; on SIGTERM, workers get `graceful_timeout` seconds,
# counted from the signal and including the drain, to finish. Kubernetes'
# terminationGracePeriodSeconds (deploy/kubernetes/deployment.yaml) is above it.
timeout = 30
graceful_timeout = 30
accesslog = "-"
