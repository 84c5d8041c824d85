"""OpenID Connect for axiomod services: cached discovery and JWKS, login, bearer tokens.

Configured by ``AXIOMOD["oidc"]`` (:class:`axiomod_auth.conf.OidcSettings`).
Needs the ``auth`` extra. Public API (imported lazily, so reading ``AXIOMOD`` never
needs PyJWT)::

    import axiomod_auth

    axiomod_auth.refresh()               # refetch discovery + JWKS now
    claims = axiomod_auth.verify_token(token)   # TokenError with a reason if bad

Bearer tokens: ``axiomod_auth.drf.BearerTokenAuthentication`` (DRF),
``axiomod_auth.bearer.BearerTokenMiddleware`` and ``bearer_token_required`` (Django).
Login: ``axiomod_auth.backends.OIDCBackend`` plus ``path("", include("axiomod.urls"))``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from axiomod.lazy import lazy_exports

if TYPE_CHECKING:
    from .bearer import BearerTokenMiddleware, bearer_token_required
    from .errors import ProviderUnavailable, TokenError
    from .oidc import provider, refresh
    from .tokens import verify_token
    from .users import TokenUser, sync_user

_WHERE = {
    "BearerTokenMiddleware": "bearer",
    "bearer_token_required": "bearer",
    "ProviderUnavailable": "errors",
    "TokenError": "errors",
    "provider": "oidc",
    "refresh": "oidc",
    "verify_token": "tokens",
    "TokenUser": "users",
    "sync_user": "users",
}
__all__ = [
    "BearerTokenMiddleware",
    "ProviderUnavailable",
    "TokenError",
    "TokenUser",
    "bearer_token_required",
    "provider",
    "refresh",
    "sync_user",
    "verify_token",
]


__getattr__ = lazy_exports(__name__, _WHERE)
