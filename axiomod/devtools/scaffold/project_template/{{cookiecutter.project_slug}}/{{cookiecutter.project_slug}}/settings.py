"""Django settings of {{ cookiecutter.project_name }}.

With nothing in the environment they need nothing installed: SQLite in ``var/``, the
local-memory cache, no trace exporter{% if cookiecutter.use_jobs == "y" %}, jobs run where they are enqueued (no broker){% endif %}.
The environment changes them:

- ``DATABASE_URL``: ``postgres://...``, ``mysql://...``, ``sqlite:///...`` (axiomod.db);
- ``DJANGO_SECRET_KEY``, ``DJANGO_DEBUG=1``, ``DJANGO_ALLOWED_HOSTS`` (comma-separated);
- ``METRICS_PORT``: also serve /metrics on this port (the Kubernetes manifests use 9100);
- ``OTEL_TRACES_EXPORTER``, ``OTEL_EXPORTER_OTLP_ENDPOINT``, ...: OpenTelemetry's own;
{%- if cookiecutter.use_jobs == "y" %}
- ``CELERY_BROKER_URL``: the Celery broker (``redis://...``);
{%- endif %}
{%- if cookiecutter.use_kafka == "y" %}
- ``KAFKA_BOOTSTRAP_SERVERS``: turns Kafka on;
{%- endif %}
{%- if cookiecutter.use_oidc == "y" %}
- ``OIDC_ISSUER``, ``OIDC_CLIENT_ID``, ``OIDC_CLIENT_SECRET``: turn OpenID Connect on;
{%- endif %}
{%- if cookiecutter.use_grpc == "y" %}
- ``GRPC_PORT``: the port of ``manage.py axiomod_grpc`` (50051);
{%- endif %}
- ``LOG_LEVEL``.

Production runs ``settings_production.py`` beside this file, which imports these and
hardens them; the Dockerfile and the Kubernetes manifests select it.
"""

import os
from pathlib import Path

from axiomod.db import database

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))

# Development values; settings_production.py requires the real ones from the environment.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "insecure-development-key")
DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "axiomod",
    "axiomod_metrics",
    "axiomod_health",
{%- if cookiecutter.use_oidc == "y" %}
    "axiomod_auth",
{%- endif %}
{%- if cookiecutter.use_kafka == "y" %}
    "axiomod_messaging",
{%- endif %}
{%- if cookiecutter.use_jobs == "y" %}
    "axiomod_jobs",
{%- endif %}
{%- if cookiecutter.use_grpc == "y" %}
    "axiomod_grpc",
{%- endif %}
{%- if cookiecutter.first_module %}
    "{{ cookiecutter.project_slug }}.{{ cookiecutter.first_module }}",
{%- endif %}
]

MIDDLEWARE = [
    # Probes first: answered before ALLOWED_HOSTS and HTTPS redirects, never counted.
    "axiomod_health.middleware.HealthProbeMiddleware",
    # Then metrics, so the request duration covers the rest of the stack.
    "axiomod_metrics.middleware.MetricsMiddleware",
    # A span per request when tracing exports (OTEL_TRACES_EXPORTER).
    "axiomod.tracing.middleware.TracingMiddleware",
    # axiomod.errors (NotFound, InvalidInput...) raised by a view become their status.
    "axiomod.middleware.DomainErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
{%- if cookiecutter.use_oidc == "y" %}
    # `Authorization: Bearer <jwt>` authenticates the request; a bad token is a 401.
    "axiomod_auth.bearer.BearerTokenMiddleware",
{%- endif %}
]

ROOT_URLCONF = "{{ cookiecutter.project_slug }}.urls"
WSGI_APPLICATION = "{{ cookiecutter.project_slug }}.wsgi.application"
ASGI_APPLICATION = "{{ cookiecutter.project_slug }}.asgi.application"

# SQLite unless DATABASE_URL says otherwise{% if cookiecutter.database == "postgresql" %} (production: postgres://user:pass@host:5432/name){% elif cookiecutter.database == "mysql" %} (production: mysql://user:pass@host:3306/name){% endif %}.
# axiomod.db.database() gives PostgreSQL Django's psycopg pool, the others persistent
# connections checked before reuse.
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
DATABASES = {"default": database(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if os.environ.get("REDIS_CACHE_URL"):  # one cache for every worker and pod
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

# axiomod logs on loggers under "axiomod" (axiomod.tracing, axiomod.health, axiomod.db.slow,
# ...) and, as a library, adds no handler of its own: this one prints its INFO lines, such
# as "tracing to console (sample ratio 1.0)" at start-up, with the service's own.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# The one axiomod block, validated by `python manage.py check`; every key is in axiomod's
# docs/configuration.md. Keys left out take their defaults, and the standard variables
# (OTEL_*, AXIOMOD_ENVIRONMENT{% if cookiecutter.use_jobs == "y" %}, CELERY_BROKER_URL{% endif %}...) still apply to them.
AXIOMOD = {
    "service_name": "{{ cookiecutter.project_slug | replace('_', '-') }}",
    "metrics": {
        "path": "/metrics",
        # gunicorn's master serves every worker's samples on this port when it is set.
        "port": int(os.environ["METRICS_PORT"]) if os.environ.get("METRICS_PORT") else None,
    },
    # No exporter key: spans are exported only when OTEL_TRACES_EXPORTER is set (otlp,
    # otlp-http, console), to OTEL_EXPORTER_OTLP_ENDPOINT; a key written here would win
    # over the variable.
    "tracing": {},
    # /live never touches a dependency; /ready runs the database check (critical).
    "health": {"check_timeout": 1.0, "cache_ttl": 2.0},
    "db": {"slow_query_ms": 200},
{%- if cookiecutter.use_jobs == "y" %}
    # Celery (celery.py): @job functions in <app>/jobs.py, schedules here or in @job.
    # Without a broker (CELERY_BROKER_URL), jobs run eagerly where they are enqueued.
    "jobs": {"timezone": "UTC", "schedule": {}},
{%- endif %}
{%- if cookiecutter.use_grpc == "y" %}
    # `python manage.py axiomod_grpc`: health (Kubernetes gRPC probes), reflection in
    # development, and the services that the register(server) functions listed add.
    "grpc": {
        "port": int(os.environ.get("GRPC_PORT", "50051")),
{%- if cookiecutter.first_module %}
        "handlers": [
            "{{ cookiecutter.project_slug }}.{{ cookiecutter.first_module }}.delivery.grpc.register",
        ],
{%- else %}
        "handlers": [],
{%- endif %}
        "reflection": DEBUG,
    },
{%- endif %}
}
{%- if cookiecutter.use_oidc == "y" %}

# OpenID Connect: with OIDC_ISSUER set (e.g. https://sso.example.com/realms/acme), bearer
# tokens of that provider are accepted and the login is at /oidc/authenticate/. Endpoints
# and keys come from its discovery document, cached for every worker.
if os.environ.get("OIDC_ISSUER"):
    AXIOMOD["oidc"] = {
        "issuer": os.environ["OIDC_ISSUER"],
        "client_id": os.environ.get("OIDC_CLIENT_ID", AXIOMOD["service_name"]),
        "client_secret": os.environ.get("OIDC_CLIENT_SECRET"),
    }
    if os.environ.get("OIDC_CLIENT_SECRET"):  # the browser login needs the secret
        AUTHENTICATION_BACKENDS = [
            "axiomod_auth.backends.OIDCBackend",
            "django.contrib.auth.backends.ModelBackend",
        ]
{%- endif %}
{%- if cookiecutter.use_kafka == "y" %}

# Kafka: with KAFKA_BOOTSTRAP_SERVERS set, axiomod_messaging.publish() sends and
# `python manage.py axiomod_consume` runs the @handler functions of <app>/handlers.py
# (their group is named after service_name unless they name one). Left unset, the
# section is off, so `make run` and /ready need no broker.
if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
    AXIOMOD["kafka"] = {
        # A dead consumer's partitions move on after 10 s instead of librdkafka's 45 s.
        "consumer": {"session.timeout.ms": 10000, "heartbeat.interval.ms": 2000},
    }
{%- endif %}
