"""The configured OpenID provider: its discovery document and signing keys, cached.

One :class:`Provider` per process, built from ``AXIOMOD["oidc"]`` on first use and
rebuilt when the setting changes. Everything that needs the provider (token
verification, the login backend and views, the refresh command and endpoint) goes
through :func:`provider`.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import jwt
from django.core.exceptions import ImproperlyConfigured

from axiomod.conf import settings

from .cache import CachedDocument, Entry, Policy
from .conf import OidcSettings
from .errors import ProviderUnavailable

logger = logging.getLogger("axiomod.auth")


class Discovery(dict[str, Any]):
    """The provider's ``openid-configuration``, checked to name the configured issuer."""

    def endpoint(self, name: str) -> str:
        url = self.get(name)
        if not isinstance(url, str) or not url:
            raise ProviderUnavailable(f"the discovery document has no {name}")
        return url


class KeySet:
    """The signing keys of a JWKS, indexed by ``kid``.

    Keys for encryption (``use: enc``) and keys PyJWT cannot load are left out, with a
    log line, rather than failing the whole set: providers publish keys of types a
    client does not need.
    """

    def __init__(self, jwks: dict[str, Any]) -> None:
        keys = jwks.get("keys")
        if not isinstance(keys, list):
            raise ProviderUnavailable("the JWKS has no 'keys' list")
        self._by_kid: dict[str | None, list[jwt.PyJWK]] = {}
        for data in keys:
            if not isinstance(data, dict) or data.get("use", "sig") != "sig":
                continue
            try:
                key = jwt.PyJWK(data)
            except (jwt.PyJWTError, ValueError, TypeError, KeyError) as exc:
                logger.info("OIDC JWKS: skipping key %r: %s", data.get("kid"), exc)
                continue
            self._by_kid.setdefault(data.get("kid"), []).append(key)
        if not self._by_kid:
            raise ProviderUnavailable("the JWKS holds no usable signing key")

    def find(self, kid: str | None, algorithm: str) -> jwt.PyJWK | None:
        """The key with this ``kid`` that may sign with ``algorithm``."""
        for key in self._by_kid.get(kid, ()):
            declared = key._jwk_data.get("alg")
            if declared is None or declared == algorithm:
                return key
        return None

    @property
    def kids(self) -> list[str | None]:
        return list(self._by_kid)


class Provider:
    """Discovery and JWKS of one issuer, with the unknown-``kid`` refresh budget."""

    def __init__(self, conf: OidcSettings) -> None:
        self.conf = conf
        self.issuer = conf.issuer
        self.discovery: CachedDocument[Discovery] = CachedDocument(
            "discovery",
            conf.issuer,
            url=lambda: conf.issuer.rstrip("/") + "/.well-known/openid-configuration",
            parse=self._parse_discovery,
            policy=_policy(conf, ttl=conf.discovery_ttl),
        )
        self.jwks: CachedDocument[KeySet] = CachedDocument(
            "jwks",
            conf.issuer,
            url=lambda: self.discovery.get().value.endpoint("jwks_uri"),
            parse=KeySet,
            policy=_policy(conf, ttl=conf.jwks_ttl),
        )
        self._kid_lock = threading.Lock()
        self._kid_refresh_at = float("-inf")  # monotonic time of the last unknown-kid fetch

    def _parse_discovery(self, raw: dict[str, Any]) -> Discovery:
        named = raw.get("issuer")
        # Exact match as OpenID Connect Discovery 1.0 §4.3 asks; a trailing slash is
        # the one difference tolerated, because configurations disagree about it.
        if not isinstance(named, str) or named.rstrip("/") != self.issuer.rstrip("/"):
            raise ProviderUnavailable(
                f"the discovery document names issuer {named!r}, not {self.issuer!r}"
            )
        document = Discovery(raw)
        document.endpoint("jwks_uri")
        return document

    @property
    def token_issuer(self) -> str:
        """The ``iss`` tokens carry: as the provider spells it (discovery may differ from the
        configured issuer by a trailing slash). Read through :meth:`CachedDocument.get`, so a
        worker whose keys came from the shared cache still learns the provider's spelling."""
        try:
            return self.discovery.get().value["issuer"]
        except ProviderUnavailable:
            return self.issuer

    def signing_key(self, kid: str | None, algorithm: str) -> jwt.PyJWK | None:
        """The key for a token header; refetches the JWKS for an unknown ``kid``, within budget.

        A provider rotating its keys publishes the new key before signing with it, so an
        unknown ``kid`` usually means "our copy is old". But anyone can send tokens with
        random ``kid`` values, so a refetch happens at most once per
        ``jwks_min_refresh_interval`` across the fleet (``cache.add`` as the gate);
        between refetches a newer copy another worker fetched is picked up from the
        shared cache.
        """
        keys = self.jwks.get().value
        key = keys.find(kid, algorithm)
        if key is not None:
            return key
        if self.jwks.adopt_shared():
            key = self.jwks.entry.value.find(kid, algorithm)  # type: ignore[union-attr]
            if key is not None:
                return key
        if not self._may_refetch_for_unknown_kid():
            return None
        try:
            return self.jwks.refresh().value.find(kid, algorithm)
        except ProviderUnavailable:
            return None

    def _may_refetch_for_unknown_kid(self) -> bool:
        interval = self.conf.jwks_min_refresh_interval
        with self._kid_lock:
            now = time.monotonic()
            if now - self._kid_refresh_at < interval:
                return False
            self._kid_refresh_at = now
        return interval <= 0 or self.jwks.claim("kid-refresh", interval)

    def refresh(self) -> dict[str, Any]:
        """Fetch discovery and JWKS now; ProviderUnavailable (cache kept) if either fails."""
        discovery = self.discovery.refresh()
        if self.discovery.last_error:
            raise ProviderUnavailable(self.discovery.last_error)
        jwks = self.jwks.refresh()
        if self.jwks.last_error:
            raise ProviderUnavailable(self.jwks.last_error)
        return {"discovery": _describe(discovery), "jwks": _describe(jwks)}

    def status(self) -> dict[str, Any]:
        """What this process holds, without fetching."""
        return {
            "issuer": self.issuer,
            "discovery": _describe(self.discovery.entry, self.discovery),
            "jwks": _describe(self.jwks.entry, self.jwks),
        }

    def forget(self) -> None:
        for document in (self.discovery, self.jwks):
            document.forget()
        self._kid_refresh_at = float("-inf")


def _policy(conf: OidcSettings, *, ttl: float) -> Policy:
    return Policy(
        ttl=ttl,
        max_stale=conf.max_stale,
        retry_interval=conf.refresh_retry_interval,
        timeout=conf.http_timeout,
        cache_alias=conf.cache_alias,
    )


def _describe(
    entry: Entry[Any] | None, document: CachedDocument[Any] | None = None
) -> dict[str, Any]:
    described: dict[str, Any] = {"cached": entry is not None}
    if entry is not None:
        described.update(
            url=entry.url,
            fetched_at=entry.fetched_at,
            age_seconds=round(time.time() - entry.fetched_at, 3),
        )
        if isinstance(entry.value, KeySet):
            described["kids"] = entry.value.kids
    if document is not None:
        described["ttl_seconds"] = document.policy.ttl
        described["last_error"] = document.last_error
    return described


_lock = threading.Lock()
_provider: Provider | None = None


def provider() -> Provider:
    """The process's provider for ``AXIOMOD["oidc"]``; ImproperlyConfigured when unset."""
    current = _provider
    if current is not None:
        return current
    return _build()


def _build() -> Provider:
    global _provider
    with _lock:
        if _provider is None:
            conf = settings.oidc
            if conf is None:
                raise ImproperlyConfigured(
                    'AXIOMOD["oidc"] is not set: axiomod_auth needs at least '
                    '{"issuer": ..., "client_id": ...}.'
                )
            _provider = Provider(conf)
        return _provider


def reset(forget_shared: bool = False) -> None:
    """Drop the process's provider (settings changed); ``forget_shared`` drops the copies too."""
    global _provider
    with _lock:
        old, _provider = _provider, None
    if forget_shared and old is not None:
        old.forget()


def refresh() -> dict[str, Any]:
    """Refetch the discovery document and JWKS now (the manual refresh API).

    Returns what was fetched; raises :class:`ProviderUnavailable` when the provider
    fails, in which case the previous copies stay in use.
    """
    return provider().refresh()
