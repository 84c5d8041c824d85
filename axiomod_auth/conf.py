"""``AXIOMOD["oidc"]``: OpenID Connect discovery, JWKS caching and token verification."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from urllib.parse import urlsplit

from axiomod.conf import Section, setting

#: Asymmetric JWS algorithms only: ``none`` and HMAC (``HS*``) can be forged by anyone who
#: holds the provider's public key, so they are never accepted.
ASYMMETRIC_ALGORITHMS = (
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
)  # fmt: skip


def _issuer(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in {"https", "http"} or not parts.netloc:
        return f"{value!r} must be an https:// URL"
    if parts.query or parts.fragment:
        return f"{value!r} must not carry a query or fragment"
    return None


@dataclasses.dataclass(frozen=True)
class OidcSettings(Section):
    """The OpenID provider that ``axiomod_auth`` trusts."""

    title = "OIDC"
    app = "axiomod_auth"
    key = "oidc"
    optional = True

    issuer: str = setting(
        required=True,
        doc="Issuer URL; discovery is read from ``{issuer}/.well-known/openid-configuration``.",
        check=_issuer,
        go_key="auth.oidc.issuerURL",
    )
    client_id: str | None = setting(
        None, doc="Client id (login flow).", go_key="auth.oidc.clientID"
    )
    client_secret: str | None = setting(
        None, doc="Client secret (login flow).", go_key="auth.oidc.clientSecret"
    )
    audience: str | None = setting(
        None, doc="Expected ``aud`` of bearer tokens; defaults to ``client_id``."
    )
    discovery_ttl: float = setting(
        3600.0,
        doc="Seconds the discovery document is cached.",
        min=0.0,
        min_exclusive=True,
        go_key="auth.oidc.discoveryCacheTTL",
    )
    jwks_ttl: float = setting(
        3600.0, doc="Seconds the JWKS is cached.", min=0.0, min_exclusive=True
    )
    max_stale: float = setting(
        86400.0,
        doc="Seconds the last good document is served while the provider fails.",
        min=0.0,
    )
    jwks_min_refresh_interval: float = setting(
        60.0,
        doc="Least seconds between two JWKS fetches caused by unknown ``kid`` values.",
        min=0.0,
    )
    http_timeout: float = setting(
        5.0,
        doc="Seconds allowed for each request to the provider.",
        min=0.0,
        min_exclusive=True,
    )
    leeway: float = setting(
        30.0,
        doc="Clock skew (seconds) tolerated on ``exp``, ``nbf`` and ``iat``.",
        min=0.0,
        max=300.0,
    )
    refresh_retry_interval: float = setting(
        10.0,
        doc="Seconds between two attempts to refresh a document after a failed one; "
        "requests in between are served from the cache (or refused at once).",
        min=0.0,
    )
    cache_alias: str = setting(
        "default",
        doc="Django cache that shares the documents between worker processes.",
    )
    user_mapper: str | None = setting(
        None,
        doc="Dotted path of ``callable(claims) -> user | None`` mapping a verified bearer "
        "token to a user; None gives a ``TokenUser`` built from the claims. "
        "``axiomod_auth.users.sync_user`` creates and updates Django users.",
    )
    url_prefix: str = setting(
        "oidc/",
        doc="Prefix of the login, callback, logout and refresh URLs under ``axiomod.urls``.",
    )
    allowed_algorithms: tuple[str, ...] = setting(
        ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"),
        doc="JWS algorithms accepted on tokens (asymmetric only).",
        choices=ASYMMETRIC_ALGORITHMS,
    )

    @property
    def token_audience(self) -> str | None:
        """The ``aud`` bearer tokens must carry."""
        return self.audience or self.client_id

    def validate(self) -> Iterable[tuple[str, str]]:
        if self.token_audience is None:
            yield (
                "audience",
                "set audience (or client_id): tokens are accepted for a known audience only",
            )
        if not self.allowed_algorithms:
            yield ("allowed_algorithms", "needs at least one algorithm")
        if self.jwks_min_refresh_interval > self.jwks_ttl:
            yield (
                "jwks_min_refresh_interval",
                f"{self.jwks_min_refresh_interval} is longer than jwks_ttl ({self.jwks_ttl})",
            )


#: The sections this app adds to ``AXIOMOD`` (found by :mod:`axiomod.conf.registry`).
AXIOMOD_SECTIONS = (OidcSettings,)
