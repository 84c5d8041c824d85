"""OIDC metrics, recorded through ``axiomod_metrics`` when that app is installed.

* ``oidc_refresh_total{kind,status}``: fetches of the discovery document / JWKS
  (``status`` ok or error).
* ``oidc_cache_age_seconds{kind}``: age of the document being served (updated at most
  once a second, when it is read), and ``oidc_cache_fetched_timestamp_seconds{kind}``:
  when it was fetched (``time() - x`` gives the exact age at any scrape).
* ``oidc_token_verifications_total{result}``: ``ok`` or the rejection reason.

Without ``axiomod_metrics`` nothing is recorded and nothing fails.
"""

from __future__ import annotations

import functools
from typing import Any

from django.apps import apps


@functools.cache
def _metrics() -> dict[str, Any] | None:
    if not apps.is_installed("axiomod_metrics"):
        return None
    from axiomod_metrics import counter, gauge

    return {
        "refresh": counter(
            "oidc_refresh_total", "Fetches of OIDC provider documents.", ["kind", "status"]
        ),
        "age": gauge(
            "oidc_cache_age_seconds",
            "Age of the cached OIDC document being served.",
            ["kind"],
            multiprocess_mode="max",
        ),
        "fetched": gauge(
            "oidc_cache_fetched_timestamp_seconds",
            "Unix time the cached OIDC document was fetched.",
            ["kind"],
            multiprocess_mode="max",
        ),
        "verifications": counter(
            "oidc_token_verifications_total",
            "Bearer and ID token verifications by result.",
            ["result"],
        ),
    }


def refreshed(kind: str, ok: bool, fetched_at: float | None = None) -> None:
    metrics = _metrics()
    if metrics is None:
        return
    metrics["refresh"].labels(kind, "ok" if ok else "error").inc()
    if fetched_at is not None:
        metrics["fetched"].labels(kind).set(fetched_at)
        metrics["age"].labels(kind).set(0.0)


def served(kind: str, age: float) -> None:
    metrics = _metrics()
    if metrics is not None:
        metrics["age"].labels(kind).set(age)


def verified(result: str) -> None:
    metrics = _metrics()
    if metrics is not None:
        metrics["verifications"].labels(result).inc()
