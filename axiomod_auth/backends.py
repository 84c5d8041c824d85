"""mozilla-django-oidc's login backend, with its endpoints from discovery.

mozilla-django-oidc does the authorization-code flow well (state, nonce, PKCE, session
handling, user creation hooks); what it lacks is discovery, and it fetches the JWKS for
every ID token. This subclass keeps its flow and its ``OIDC_*`` settings (scopes, PKCE,
``OIDC_CREATE_USER``, ``OIDC_USERNAME_ALGO``...) but takes the provider's endpoints from
the cached discovery document, the client from ``AXIOMOD["oidc"]``, and verifies ID
tokens with :func:`axiomod_auth.tokens.verify_token` against the cached JWKS.

    AUTHENTICATION_BACKENDS = [
        "axiomod_auth.backends.OIDCBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from .errors import ProviderUnavailable, TokenError
from .glue import oidc_setting
from .tokens import verify_token

logger = logging.getLogger("axiomod.auth")


class OIDCBackend(OIDCAuthenticationBackend):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The base class reads every OIDC_OP_* setting here; Django builds a backend for
        # each authenticate() call, so the endpoints are properties read when used and
        # an unreachable provider cannot break unrelated logins (ModelBackend).
        self.UserModel = get_user_model()

    get_settings = staticmethod(oidc_setting)

    @property
    def OIDC_RP_CLIENT_ID(self) -> str | None:  # noqa: N802  (mozilla-django-oidc's names)
        return oidc_setting("OIDC_RP_CLIENT_ID")

    @property
    def OIDC_RP_CLIENT_SECRET(self) -> str | None:  # noqa: N802
        return oidc_setting("OIDC_RP_CLIENT_SECRET")

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:  # noqa: N802
        return oidc_setting("OIDC_OP_TOKEN_ENDPOINT")

    @property
    def OIDC_OP_USER_ENDPOINT(self) -> str | None:  # noqa: N802
        return oidc_setting("OIDC_OP_USER_ENDPOINT", None)

    @property
    def OIDC_OP_JWKS_ENDPOINT(self) -> str:  # noqa: N802
        return oidc_setting("OIDC_OP_JWKS_ENDPOINT")

    def authenticate(self, request: Any, **kwargs: Any) -> Any:
        """The base flow; a refused code or token is a failed login, an outage propagates.

        ProviderUnavailable reaches :class:`axiomod_auth.views.OIDCCallbackView`, which
        answers 503; everything the provider or the user got wrong is logged and ends as
        the usual redirect to ``LOGIN_REDIRECT_URL_FAILURE``.
        """
        try:
            return super().authenticate(request, **kwargs)
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else 0
            if status >= 500:
                raise ProviderUnavailable(f"the token endpoint answered HTTP {status}") from exc
            logger.warning("OIDC login refused by the provider: %s", exc)
        except requests.RequestException as exc:
            raise ProviderUnavailable(f"the token endpoint failed: {exc}") from exc
        except (TokenError, SuspiciousOperation, ValueError) as exc:
            logger.warning("OIDC login failed: %s", exc)
        return None

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        """The ID token's claims, verified locally (cached JWKS, allow-listed algorithms)."""
        try:
            claims = verify_token(token, audience=self.OIDC_RP_CLIENT_ID)
        except TokenError as exc:
            if exc.code == "provider_unavailable":
                raise ProviderUnavailable(str(exc)) from exc
            raise
        if self.get_settings("OIDC_USE_NONCE", True) and kwargs.get("nonce") != claims.get("nonce"):
            raise TokenError("nonce", "ID token nonce does not match the login request")
        return claims

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        """The userinfo endpoint's claims, or the ID token's when the provider has none."""
        if not self.OIDC_OP_USER_ENDPOINT:
            return payload
        return super().get_userinfo(access_token, id_token, payload)
