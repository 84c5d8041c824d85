"""Login views (mozilla-django-oidc's, fed by discovery) and the manual refresh endpoint."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlencode

from django.conf import settings as django_settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import resolve_url
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from mozilla_django_oidc import views as oidc_views

from axiomod.conf import settings

from . import oidc as oidc_provider
from .bearer import CLAIMS_ATTRIBUTE
from .errors import ProviderUnavailable
from .glue import oidc_setting

logger = logging.getLogger("axiomod.auth")

#: Seconds a browser is told to wait before retrying a login while the provider is down.
RETRY_AFTER_SECONDS = 30


def provider_unavailable(exc: ProviderUnavailable) -> HttpResponse:
    """503 for a login while the provider cannot be reached: the user's fault it is not."""
    logger.warning("OIDC login unavailable: %s", exc)
    response = HttpResponse(
        "Sign-in is temporarily unavailable: the identity provider cannot be reached.\n",
        status=503,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _require_configured() -> None:
    if settings.oidc is None:
        raise Http404('AXIOMOD["oidc"] is not set')


class _ProviderAware:
    """Answer 503, not a 500 traceback, when discovery or the token endpoint is down."""

    get_settings = staticmethod(oidc_setting)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        _require_configured()
        try:
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        except ProviderUnavailable as exc:
            return provider_unavailable(exc)


class OIDCLoginView(_ProviderAware, oidc_views.OIDCAuthenticationRequestView):
    """Redirect to the provider's ``authorization_endpoint`` (from discovery)."""

    def __init__(self, **kwargs: Any) -> None:
        # The base class reads the endpoint in __init__, outside dispatch: too early to
        # answer 503. Here it is read when the request is handled.
        oidc_views.View.__init__(self, **kwargs)

    @property
    def OIDC_OP_AUTH_ENDPOINT(self) -> str:  # noqa: N802  (mozilla-django-oidc's name)
        return oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")

    @property
    def OIDC_RP_CLIENT_ID(self) -> str | None:  # noqa: N802
        return oidc_setting("OIDC_RP_CLIENT_ID")


class OIDCCallbackView(_ProviderAware, oidc_views.OIDCAuthenticationCallbackView):
    """The provider's redirect back; exchanges the code through :class:`OIDCBackend`."""


class OIDCLogoutView(_ProviderAware, oidc_views.OIDCLogoutView):
    """Log out locally; at the provider too with
    ``OIDC_OP_LOGOUT_URL_METHOD = "axiomod_auth.views.provider_logout_url"``."""


def provider_logout_url(request: HttpRequest) -> str:
    """RP-initiated logout at the provider's ``end_session_endpoint``, then back here."""
    landing = getattr(django_settings, "LOGOUT_REDIRECT_URL", None) or "/"
    after = request.build_absolute_uri(resolve_url(landing))
    document = oidc_provider.provider().discovery.get().value
    endpoint = document.get("end_session_endpoint")
    if not endpoint:
        return after
    query = {
        "client_id": oidc_setting("OIDC_RP_CLIENT_ID") or "",
        "post_logout_redirect_uri": after,
    }
    id_token = request.session.get("oidc_id_token")
    if id_token:
        query["id_token_hint"] = id_token
    return f"{endpoint}?{urlencode(query)}"


# CSRF is enforced below for cookie sessions; a bearer token cannot be sent cross-site.
@csrf_exempt
@never_cache
@require_POST
def refresh(request: HttpRequest) -> HttpResponse:
    """POST: refetch the discovery document and JWKS now. Staff only.

    Like DRF's ``SessionAuthentication``: a request authenticated by its session cookie
    must pass Django's CSRF check; one authenticated by a bearer token (set by
    :class:`axiomod_auth.bearer.BearerTokenMiddleware`) carries no ambient credential.
    """
    _require_configured()
    if not hasattr(request, CLAIMS_ATTRIBUTE):
        check = CsrfViewMiddleware(lambda r: HttpResponse())
        check.process_request(request)
        if check.process_view(request, None, (), {}) is not None:
            return JsonResponse({"error": "CSRF check failed"}, status=403)
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return JsonResponse({"error": "authentication required"}, status=401)
    if not (user.is_active and user.is_staff):
        return JsonResponse({"error": "staff only"}, status=403)
    try:
        fetched = oidc_provider.refresh()
    except ProviderUnavailable as exc:
        return JsonResponse({"refreshed": False, "error": str(exc)}, status=503)
    logger.info("OIDC documents refreshed by %s", user)
    return HttpResponse(json.dumps({"refreshed": True, **fetched}), content_type="application/json")
