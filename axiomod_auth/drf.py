"""Django REST framework authentication from locally verified bearer JWTs.

Unlike ``mozilla_django_oidc.contrib.drf.OIDCAuthentication``, which calls the
provider's userinfo endpoint on every request, this verifies the token against the
cached JWKS: no network call on a warm cache. ``request.auth`` holds the claims.

    REST_FRAMEWORK = {
        "DEFAULT_AUTHENTICATION_CLASSES": ["axiomod_auth.drf.BearerTokenAuthentication"],
    }
"""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from .bearer import CLAIMS_ATTRIBUTE, authenticate_bearer, challenge
from .errors import TokenError


class BearerTokenAuthentication(BaseAuthentication):
    www_authenticate_realm = "api"

    def authenticate(self, request: Any) -> tuple[Any, dict[str, Any]] | None:
        verified = getattr(request._request, CLAIMS_ATTRIBUTE, None)
        if verified is not None:  # BearerTokenMiddleware already checked this token
            return request._request.user, verified
        try:
            return authenticate_bearer(request.META.get("HTTP_AUTHORIZATION"))
        except TokenError as exc:
            request._axiomod_token_error = exc
            raise AuthenticationFailed(str(exc), code=exc.code) from exc

    def authenticate_header(self, request: Any) -> str:
        # DRF answers 401 (not 403) only when this returns a challenge.
        error = getattr(request, "_axiomod_token_error", None)
        return challenge(error, self.www_authenticate_realm)
