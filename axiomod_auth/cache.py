"""A provider document cached in process and in the Django cache, served stale on failure.

Why by hand: PyJWT's ``PyJWKClient`` caches only the JWKS and only in process (older
releases refetched on every unknown ``kid`` and dropped the cache when a fetch failed);
it knows nothing of discovery or of serving a stale copy. mozilla-django-oidc caches
nothing. ``cachetools`` has TTL caches but no
stale-while-failing, no single flight and no sharing between gunicorn workers.

Reading a fresh document costs one attribute read and one clock read. When it expires,
one thread per process fetches it (others keep serving the previous one meanwhile), and
before fetching it looks in the Django cache, where another worker may already have put
a newer copy: with a shared cache (Redis, Memcached) a fleet of workers fetches each
document about once per TTL, and ``cache.add`` keeps two workers from fetching at once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from . import metrics
from .errors import ProviderUnavailable
from .fetch import fetch_json

logger = logging.getLogger("axiomod.auth")

T = TypeVar("T")

#: A worker without any copy waits up to ``http_timeout`` for another worker's fetch to
#: land in the shared cache, looking this often, before fetching itself.
_SHARED_POLL_SECONDS = 0.05


@dataclasses.dataclass(frozen=True)
class Entry(Generic[T]):
    """A fetched document: ``raw`` as the provider sent it, ``value`` parsed from it."""

    raw: dict[str, Any]
    value: T
    fetched_at: float  # wall clock: compared across processes through the shared cache
    url: str


@dataclasses.dataclass(frozen=True)
class Policy:
    ttl: float
    max_stale: float
    retry_interval: float
    timeout: float
    cache_alias: str


class CachedDocument(Generic[T]):
    """One provider document (``kind`` is ``discovery`` or ``jwks``).

    ``url`` is called when a fetch is due (the JWKS URL comes from discovery);
    ``parse`` validates the raw JSON and builds the value handed to callers, raising
    :class:`ProviderUnavailable` for a document that cannot be used. ``issuer`` names
    the shared copy: the URL may itself need the network, the issuer is known up front.
    """

    def __init__(
        self,
        kind: str,
        issuer: str,
        url: Callable[[], str],
        parse: Callable[[dict[str, Any]], T],
        policy: Policy,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.kind = kind
        self._shared_key = f"axiomod:oidc:{kind}:{hashlib.sha256(issuer.encode()).hexdigest()[:16]}"
        self._url = url
        self._parse = parse
        self.policy = policy
        self._clock = clock
        self._entry: Entry[T] | None = None
        self._lock = threading.Lock()
        self._retry_after = 0.0
        self._last_error: str | None = None
        self._age_reported_at = 0.0
        self._holds_fetch_lock = False
        self.fetches = 0  # network fetches this process made (tests and `show` read it)

    # -- reading ----------------------------------------------------------------------

    def get(self) -> Entry[T]:
        """The document, fetched or refreshed if due; ProviderUnavailable if none is usable."""
        entry = self._entry
        now = self._clock()
        if entry is not None and now - entry.fetched_at < self.policy.ttl:
            if now - self._age_reported_at >= 1.0:
                self._age_reported_at = now
                metrics.served(self.kind, now - entry.fetched_at)
            return entry
        return self._renew(force=False)

    def refresh(self) -> Entry[T]:
        """Fetch now, whatever the TTL says (manual refresh, unknown ``kid``)."""
        return self._renew(force=True)

    def adopt_shared(self) -> bool:
        """Take a newer copy another worker put in the shared cache; whether there was one."""
        current = self._entry
        shared = self._read_shared(newer_than=current.fetched_at if current else None)
        with self._lock:
            if shared is not None and (
                self._entry is None or shared.fetched_at > self._entry.fetched_at
            ):
                self._entry = shared
                return True
        return False

    @property
    def entry(self) -> Entry[T] | None:
        """The copy this process holds, fresh or not; never fetches."""
        return self._entry

    @property
    def last_error(self) -> str | None:
        return self._last_error

    def forget(self) -> None:
        """Drop this process's copy and the shared one (tests, settings changes)."""
        with self._lock:
            self._entry = None
            self._retry_after = 0.0
            self._last_error = None
        try:
            self._cache().delete(self._shared_key)
        except Exception:  # a cache outage must not break a reset
            logger.debug("could not delete the shared %s copy", self.kind, exc_info=True)

    # -- renewing ---------------------------------------------------------------------

    def _usable(self, entry: Entry[T] | None, now: float) -> bool:
        limit = self.policy.ttl + self.policy.max_stale
        return entry is not None and now - entry.fetched_at < limit

    def _fresh(self, entry: Entry[T] | None, now: float) -> bool:
        return entry is not None and now - entry.fetched_at < self.policy.ttl

    def _renew(self, *, force: bool) -> Entry[T]:
        now = self._clock()
        current = self._entry
        if not force and self._usable(current, now):
            # Someone else is fetching: serve the previous copy instead of queueing.
            if not self._lock.acquire(blocking=False):
                return current  # type: ignore[return-value]
        elif not self._lock.acquire(timeout=self.policy.timeout * 2 + 1):
            raise ProviderUnavailable(
                f"OIDC {self.kind}: another thread's fetch did not finish in time"
            )
        try:
            return self._renew_locked(force=force)
        finally:
            self._lock.release()

    def _renew_locked(self, *, force: bool) -> Entry[T]:
        now = self._clock()
        current = self._entry
        if not force:
            if self._fresh(current, now):
                return current  # type: ignore[return-value]  another thread renewed it
            shared = self._read_shared(newer_than=current.fetched_at if current else None)
            if shared is not None:
                self._entry = current = shared
                if self._fresh(current, now):
                    return current
            if time.monotonic() < self._retry_after:
                return self._fallback(current, now)
            if self._another_worker_fetching():
                if self._usable(current, now):
                    return current  # type: ignore[return-value]
                shared = self._wait_for_shared()
                if shared is not None:
                    self._entry = shared
                    return shared
            else:
                # Holding the fleet lock now; the worker that held it before may have
                # stored its copy between our read above and our claim.
                shared = self._read_shared(newer_than=current.fetched_at if current else None)
                if shared is not None and self._fresh(shared, now):
                    self._release_fetch_lock()
                    self._entry = shared
                    return shared
        return self._fetch(current)

    def _fetch(self, current: Entry[T] | None) -> Entry[T]:
        # The fleet-wide fetch lock is released only once the new copy is in the shared
        # cache (or the fetch failed): released earlier, a cold worker arriving in between
        # finds the lock free and the shared cache empty, and fetches again.
        try:
            try:
                url = self._url()
                self.fetches += 1
                raw = fetch_json(url, self.policy.timeout)
                value = self._use(raw)
            except ProviderUnavailable as exc:
                return self._failed(current, exc)
            entry = Entry(raw=raw, value=value, fetched_at=self._clock(), url=url)
            self._entry = entry
            self._retry_after = 0.0
            self._last_error = None
            self._write_shared(entry)
        finally:
            self._release_fetch_lock()
        metrics.refreshed(self.kind, ok=True, fetched_at=entry.fetched_at)
        logger.info("OIDC %s fetched from %s", self.kind, url)
        return entry

    def _use(self, raw: dict[str, Any]) -> T:
        """``parse(raw)``; a document it cannot use in any way is the provider's failure."""
        try:
            return self._parse(raw)
        except ProviderUnavailable:
            raise
        except Exception as exc:  # a wrong-shaped document must not become a 500
            raise ProviderUnavailable(
                f"the {self.kind} document cannot be used: {type(exc).__name__}: {exc}"
            ) from exc

    def _failed(self, current: Entry[T] | None, exc: ProviderUnavailable) -> Entry[T]:
        """Back off for ``retry_interval``; serve the stale copy or raise a clear error."""
        now = self._clock()
        # The back-off is this process's own: the monotonic clock, so that a step of the
        # wall clock (NTP, a resumed VM) neither ends it early nor stretches it.
        self._retry_after = time.monotonic() + self.policy.retry_interval
        self._last_error = str(exc)
        metrics.refreshed(self.kind, ok=False)
        if self._usable(current, now):
            logger.warning(
                "OIDC %s refresh failed, serving the copy fetched %.0f s ago: %s",
                self.kind,
                now - current.fetched_at,  # type: ignore[union-attr]
                exc,
            )
        return self._fallback(current, now)

    def _fallback(self, current: Entry[T] | None, now: float) -> Entry[T]:
        """The stale copy while it is within ``max_stale``, else a clear error."""
        if self._usable(current, now):
            return current  # type: ignore[return-value]
        error = self._last_error or "no fetch has succeeded yet"
        if current is None:
            raise ProviderUnavailable(f"OIDC {self.kind} unavailable: {error}")
        raise ProviderUnavailable(
            f"OIDC {self.kind} unavailable: the last good copy is "
            f"{now - current.fetched_at:.0f} s old, beyond ttl + max_stale "
            f"({self.policy.ttl + self.policy.max_stale:.0f} s); last error: {error}"
        )

    # -- the shared copy --------------------------------------------------------------

    def _cache(self) -> Any:
        from django.core.cache import caches

        return caches[self.policy.cache_alias]

    def _read_shared(self, newer_than: float | None = None) -> Entry[T] | None:
        """The shared copy, parsed only when it is newer than ``newer_than``.

        Parsing a JWKS loads every key; a flood of unknown ``kid`` values must not pay
        that for a copy this process already holds.
        """
        try:
            stored = self._cache().get(self._shared_key)
        except Exception:  # the cache is an optimisation, never a dependency
            logger.warning("OIDC %s: shared cache read failed", self.kind, exc_info=True)
            return None
        if not isinstance(stored, dict):
            return None
        try:
            fetched_at = float(stored["fetched_at"])
            if newer_than is not None and fetched_at <= newer_than:
                return None
            return Entry(
                raw=stored["raw"],
                value=self._use(stored["raw"]),
                fetched_at=fetched_at,
                url=str(stored["url"]),
            )
        except (KeyError, TypeError, ValueError, ProviderUnavailable):
            return None

    def _write_shared(self, entry: Entry[T]) -> None:
        stored = {"raw": entry.raw, "fetched_at": entry.fetched_at, "url": entry.url}
        try:
            self._cache().set(
                self._shared_key, stored, timeout=self.policy.ttl + self.policy.max_stale
            )
        except Exception:
            logger.warning("OIDC %s: shared cache write failed", self.kind, exc_info=True)

    def claim(self, name: str, seconds: float) -> bool:
        """Take the fleet-wide token ``name`` for ``seconds`` (``cache.add``); False if taken.

        When the shared cache fails, the claim succeeds: each process still limits itself.
        """
        try:
            return bool(self._cache().add(f"{self._shared_key}:{name}", 1, timeout=seconds))
        except Exception:
            return True

    def _another_worker_fetching(self) -> bool:
        """Take the fleet-wide fetch lock; True when another worker holds it."""
        self._holds_fetch_lock = self.claim("fetching", self.policy.timeout + 1)
        return not self._holds_fetch_lock

    def _release_fetch_lock(self) -> None:
        if self._holds_fetch_lock:
            self._holds_fetch_lock = False
            try:
                self._cache().delete(f"{self._shared_key}:fetching")
            except Exception:
                logger.debug("could not release the %s fetch lock", self.kind, exc_info=True)

    def _wait_for_shared(self) -> Entry[T] | None:
        deadline = time.monotonic() + self.policy.timeout
        while time.monotonic() < deadline:
            time.sleep(_SHARED_POLL_SECONDS)
            shared = self._read_shared()
            if shared is not None:
                return shared
        return None
