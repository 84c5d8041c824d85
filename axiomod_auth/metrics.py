"""OIDC metrics, declared on the kernel's :mod:`axiomod.instruments`.

* ``oidc_refresh_total{kind,status}``: fetches of the discovery document / JWKS
  (``status`` ok or error).
* ``oidc_cache_age_seconds{kind}``: age of the document being served (updated at most
  once a second, when it is read), and ``oidc_cache_fetched_timestamp_seconds{kind}``:
  when it was fetched (``time() - x`` gives the exact age at any scrape).
* ``oidc_token_verifications_total{result}``: ``ok`` or the rejection reason.

Recorded when ``axiomod_metrics`` supplies the backend; without it they are no-ops.
"""

from __future__ import annotations

from axiomod import instruments

REFRESHES = instruments.counter(
    "oidc_refresh_total", "Fetches of OIDC provider documents.", ["kind", "status"]
)
AGE = instruments.gauge(
    "oidc_cache_age_seconds",
    "Age of the cached OIDC document being served.",
    ["kind"],
    multiprocess_mode="livemax",
)
FETCHED = instruments.gauge(
    "oidc_cache_fetched_timestamp_seconds",
    "Unix time the cached OIDC document was fetched.",
    ["kind"],
    multiprocess_mode="livemax",
)
VERIFICATIONS = instruments.counter(
    "oidc_token_verifications_total",
    "Bearer and ID token verifications by result.",
    ["result"],
)


def refreshed(kind: str, ok: bool, fetched_at: float | None = None) -> None:
    REFRESHES.labels(kind, "ok" if ok else "error").inc()
    if fetched_at is not None:
        FETCHED.labels(kind).set(fetched_at)
        AGE.labels(kind).set(0.0)


def served(kind: str, age: float) -> None:
    AGE.labels(kind).set(age)


def verified(result: str) -> None:
    VERIFICATIONS.labels(result).inc()
