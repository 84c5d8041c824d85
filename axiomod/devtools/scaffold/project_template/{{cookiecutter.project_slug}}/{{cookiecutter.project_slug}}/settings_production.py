"""Production settings, selected by ``DJANGO_SETTINGS_MODULE`` (the Dockerfile sets it).

Everything of ``settings.py``, hardened so that ``manage.py check --deploy`` finds nothing:
no DEBUG, the secret key and the host names required from the environment (the process
stops at start-up without them, rather than run with a guessable key), HTTPS and secure
cookies. TLS is expected to end at the ingress, which says so in ``X-Forwarded-Proto``.
"""

import os

from .settings import *  # noqa: F403
from .settings import AXIOMOD

DEBUG = False
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
ALLOWED_HOSTS = [host for host in os.environ["DJANGO_ALLOWED_HOSTS"].split(",") if host]

AXIOMOD = {**AXIOMOD, "environment": os.environ.get("AXIOMOD_ENVIRONMENT", "production")}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = os.environ.get("DJANGO_SECURE_SSL_REDIRECT", "1") == "1"
# Probes never reach this redirect (HealthProbeMiddleware answers them first); Prometheus
# scraping the HTTP port from inside the cluster must not be sent to https either.
SECURE_REDIRECT_EXEMPT = [r"^metrics$"]
# HSTS is a promise browsers remember: a year, subdomains included, preload allowed.
# Lower DJANGO_SECURE_HSTS_SECONDS while trying HTTPS out.
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
