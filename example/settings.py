"""Settings of the example service.

Embedded defaults need no external service: SQLite in ``var/`` and the local-memory
cache. ``DATABASE_URL`` switches the database (``postgres://``, ``mysql://`` /
``mariadb://``, ``sqlite:///``) through ``axiomod.db.database``, which is how the
integration tests run the same service against PostgreSQL and MariaDB.
"""

import os
from pathlib import Path

from axiomod.db import database

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("AXIOMOD_VAR_DIR", BASE_DIR / "var"))

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "insecure-example-key-change-me-in-production")
DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "axiomod",
    "axiomod_metrics",
    "axiomod_health",
    "axiomod_auth",
    "axiomod_messaging",
    "axiomod_jobs",
    "axiomod_grpc",
    "example.invoices",
]

MIDDLEWARE = [
    # Probes first: answered before ALLOWED_HOSTS checks and never counted as traffic.
    "axiomod_health.middleware.HealthProbeMiddleware",
    # Then metrics, so the request duration covers the rest of the stack.
    "axiomod_metrics.middleware.MetricsMiddleware",
    # A span per request when AXIOMOD["tracing"] (or OTEL_TRACES_EXPORTER) exports.
    "axiomod.tracing.middleware.TracingMiddleware",
    # axiomod.errors raised by a view become their status with a JSON body; anything
    # else a 500 with no detail (Django's debug page when DEBUG is on).
    "axiomod.middleware.DomainErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Requests with `Authorization: Bearer <jwt>` are authenticated from the token
    # (verified locally against the provider's cached keys); a bad token is a 401.
    "axiomod_auth.bearer.BearerTokenMiddleware",
]

ROOT_URLCONF = "example.urls"
# A failed CSRF check (only views that accept the session cookie run one; see JsonView)
# answers in the JSON error body too. The 400/403/404/500 handlers are in example/urls.py.
CSRF_FAILURE_VIEW = "axiomod.views.csrf_failure"
WSGI_APPLICATION = "example.wsgi.application"
ASGI_APPLICATION = "example.asgi.application"

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'example.sqlite3'}"
# axiomod.db.database(): PostgreSQL gets Django's native psycopg pool (the Go framework's
# names: max_open, min_idle, max_lifetime...), MariaDB/SQLite persistent connections.
DATABASES = {"default": database(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# A cache shared by the gunicorn workers (OIDC documents are fetched once for all of them).
if os.environ.get("REDIS_CACHE_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_CACHE_URL"],
        }
    }

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# The one axiomod block. Every key is documented in docs/configuration.md and validated
# by `python manage.py check`.
# Keys left out take their defaults, and OTEL_* variables (OTEL_TRACES_EXPORTER,
# OTEL_EXPORTER_OTLP_ENDPOINT, ...) and AXIOMOD_ENVIRONMENT still apply to them.
AXIOMOD = {
    "service_name": "invoices",
    # METRICS_PORT: serve the scrape on a port of its own as well, as the processes
    # without an HTTP server need (axiomod_grpc, axiomod_consume, celery worker).
    "metrics": {"path": "/metrics", "port": int(os.environ.get("METRICS_PORT") or 0) or None},
    "health": {"check_timeout": 1.0, "cache_ttl": 2.0},
    "db": {"slow_query_ms": float(os.environ.get("SLOW_QUERY_MS") or 200)},
    # python manage.py axiomod_grpc: the Invoices service (plus health and reflection).
    "grpc": {
        "port": int(os.environ.get("GRPC_PORT", "50051")),
        "handlers": [
            "example.invoices.delivery.grpc.register",
            "example.invoices.delivery.grpc.settlements_servicer.register",
        ],
        "reflection": True,
    },
}

# Where POST /invoices/<id>/settle/ reaches the Settlements gRPC service (the gRPC
# Deployment's Service in a cluster; this host's axiomod_grpc by default).
SETTLEMENTS_GRPC_TARGET = (
    os.environ.get("SETTLEMENTS_GRPC_TARGET") or f"127.0.0.1:{AXIOMOD['grpc']['port']}"
)

# OpenID Connect: set OIDC_ISSUER (e.g. https://sso.example.com/realms/acme) and the
# client credentials to accept the provider's bearer tokens and to enable the login at
# /oidc/authenticate/. Endpoints and keys come from discovery. OIDC_AUDIENCE is the `aud`
# bearer tokens must carry when it is not the client id (a provider using resource
# indicators puts the API's URI there).
if os.environ.get("OIDC_ISSUER"):
    AXIOMOD["oidc"] = {
        "issuer": os.environ["OIDC_ISSUER"],
        "client_id": os.environ.get("OIDC_CLIENT_ID", "invoices-api"),
        "client_secret": os.environ.get("OIDC_CLIENT_SECRET"),
        "audience": os.environ.get("OIDC_AUDIENCE") or None,
    }
    if os.environ.get("OIDC_CLIENT_SECRET"):  # the browser login needs the secret
        AUTHENTICATION_BACKENDS = [
            "axiomod_auth.backends.OIDCBackend",
            "django.contrib.auth.backends.ModelBackend",
        ]

# Kafka: set KAFKA_BOOTSTRAP_SERVERS to publish `invoices.created` for each new invoice and
# `invoices.settled` for each settlement, and to run the billing consumer that issues
# invoices and schedules the job closing settled ones:
#   python manage.py axiomod_consume --group invoices-billing
if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
    AXIOMOD["kafka"] = {
        "groups": {"invoices-billing": {"topics": ["invoices.created", "invoices.settled"]}},
        # A dead consumer's partitions move on after 10 s instead of librdkafka's 45 s.
        "consumer": {"session.timeout.ms": 10000, "heartbeat.interval.ms": 2000},
    }
