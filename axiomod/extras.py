"""Optional dependencies: which extra provides what, and a clear error when one is missing.

An app whose extra is not installed must fail at start-up with a message naming the
``pip install`` to run, not with an ImportError from deep inside a request.
"""

from __future__ import annotations

import importlib

from django.core.exceptions import ImproperlyConfigured

#: Modules that prove an extra is installed, by extra name (see ``pyproject.toml``).
EXTRAS: dict[str, tuple[str, ...]] = {
    "metrics": ("prometheus_client",),
    "tracing": ("opentelemetry.sdk.trace", "opentelemetry.exporter.otlp.proto.grpc"),
    "health": ("health_check",),
    "auth": ("jwt", "mozilla_django_oidc", "requests"),
    "kafka": ("confluent_kafka",),
    "jobs": ("celery", "redbeat", "redis"),
    "grpc": ("grpc", "grpc_health.v1"),
    "postgres": ("psycopg", "psycopg_pool"),
    "mysql": ("pymysql",),
    "asgi": ("uvicorn", "uvicorn_worker"),
    "scaffold": ("cookiecutter", "grimp"),
}


def require_extra(extra: str, *, feature: str) -> None:
    """Import the modules of ``extra``; raise ImproperlyConfigured naming it if one is missing."""
    for module in EXTRAS[extra]:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise ImproperlyConfigured(
                f"{feature} needs the '{extra}' extra, but {module!r} cannot be imported "
                f'({exc}). Install it with: pip install "axiomod[{extra}]"'
            ) from exc


def has_extra(extra: str) -> bool:
    """Whether every module of ``extra`` imports; for features that are optional."""
    try:
        require_extra(extra, feature="")
    except ImproperlyConfigured:
        return False
    return True
