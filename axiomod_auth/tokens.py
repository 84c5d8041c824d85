"""Local verification of provider-signed JWTs: no network call on a warm cache.

mozilla-django-oidc's DRF class asks the provider's userinfo endpoint about every
request, and its backend fetches the JWKS for every ID token; here the signature and
claims are checked against the cached keys, with PyJWT doing the cryptography.
"""

from __future__ import annotations

from typing import Any

import jwt

from axiomod.conf import settings

from . import metrics
from .errors import ProviderUnavailable, TokenError
from .oidc import provider

#: Longer than any token a provider issues; a bigger header is an attack or a mistake.
MAX_TOKEN_LENGTH = 16 * 1024

#: Claims every accepted token carries.
REQUIRED_CLAIMS = ("iss", "sub", "exp", "iat")

_REASONS: tuple[tuple[type[jwt.PyJWTError], str, str], ...] = (
    # Most specific first: ExpiredSignatureError is an InvalidTokenError, and so on.
    (jwt.ExpiredSignatureError, "expired", "token expired"),
    (jwt.ImmatureSignatureError, "not_yet_valid", "token not valid yet (nbf/iat in the future)"),
    (jwt.InvalidAudienceError, "audience", "token is for another audience"),
    (jwt.InvalidIssuerError, "issuer", "token is from another issuer"),
    (jwt.InvalidSignatureError, "signature", "token signature does not verify"),
    (jwt.MissingRequiredClaimError, "claims", "token lacks a required claim"),
    (jwt.InvalidIssuedAtError, "claims", "token has an invalid iat claim"),
    (jwt.InvalidKeyError, "signature", "token signature does not verify"),
    (jwt.InvalidAlgorithmError, "algorithm", "token algorithm does not match its key"),
    (jwt.DecodeError, "malformed", "token is not a well-formed JWT"),
)


def verify_token(token: str, *, audience: str | None = None) -> dict[str, Any]:
    """The claims of ``token`` once its signature and claims check out.

    Checks: the algorithm is in ``allowed_algorithms`` (so never ``none`` or HMAC) and
    matches the key, the signature against the provider's cached JWKS, ``iss`` is the
    provider, ``aud`` contains ``audience`` (default ``AXIOMOD["oidc"]["audience"]`` or
    ``client_id``), ``exp``/``nbf``/``iat`` within ``leeway``. Raises
    :class:`TokenError` with a reason fit for a 401 body.
    """
    try:
        claims = _verify(token, audience)
    except TokenError as exc:
        metrics.verified(exc.code)
        raise
    metrics.verified("ok")
    return claims


def _verify(token: str, audience: str | None) -> dict[str, Any]:
    conf = settings.oidc
    if conf is None:
        raise TokenError("provider_unavailable", 'no OIDC provider is configured (AXIOMOD["oidc"])')
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise TokenError("malformed", "token is not a well-formed JWT")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise TokenError("malformed", "token is not a well-formed JWT") from exc
    algorithm = header.get("alg")
    if not isinstance(algorithm, str) or algorithm not in conf.allowed_algorithms:
        raise TokenError("algorithm", f"token algorithm {str(algorithm)[:20]!r} is not allowed")
    kid = header.get("kid")
    try:
        oidc = provider()
        key = oidc.signing_key(kid, algorithm)
    except ProviderUnavailable as exc:
        raise TokenError(
            "provider_unavailable", "token cannot be verified: the identity provider is unavailable"
        ) from exc
    if key is None:
        raise TokenError("unknown_key", "token is signed with an unknown key")
    try:
        claims = jwt.decode(
            token,
            key.key,
            algorithms=[algorithm],
            audience=audience or conf.token_audience,
            issuer=oidc.token_issuer,
            leeway=conf.leeway,
            options={"require": list(REQUIRED_CLAIMS)},
        )
    except jwt.PyJWTError as exc:
        for error_type, code, message in _REASONS:
            if isinstance(exc, error_type):
                raise TokenError(code, message) from exc
        raise TokenError("malformed", "token is not a valid JWT") from exc
    except (ValueError, TypeError) as exc:  # a key/algorithm mismatch deep in cryptography
        raise TokenError("signature", "token signature does not verify") from exc
    return claims


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, else None."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or ""
