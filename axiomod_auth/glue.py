"""mozilla-django-oidc's ``OIDC_*`` settings, answered from ``AXIOMOD["oidc"]`` and discovery.

mozilla-django-oidc reads every setting through ``get_settings(name, *default)``; the
axiomod subclasses route that through :func:`oidc_setting`, so a project sets the issuer,
client id and secret once and nothing else. A ``OIDC_*`` Django setting the project does
set still wins (an endpoint override for a provider with a broken discovery document).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings
from mozilla_django_oidc.utils import import_from_settings

from axiomod.conf import settings

from .oidc import provider

#: mozilla-django-oidc setting -> discovery field (RFC 8414 / OIDC Discovery names).
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    "OIDC_OP_LOGOUT_ENDPOINT": "end_session_endpoint",
}

_MISSING = object()


def oidc_setting(name: str, *default: Any) -> Any:
    """The value mozilla-django-oidc gets for ``name``."""
    explicit = getattr(django_settings, name, _MISSING)
    # Django's own defaults hold None for LOGIN_REDIRECT_URL-style settings, which
    # mozilla-django-oidc would pass to resolve_url() and crash on: None means "unset".
    if explicit is not _MISSING:
        return default[0] if explicit is None and default else explicit
    conf = settings.oidc
    if conf is not None:
        if name == "OIDC_RP_CLIENT_ID":
            return conf.client_id
        if name == "OIDC_RP_CLIENT_SECRET":
            return conf.client_secret
        if name == "OIDC_TIMEOUT":
            return conf.http_timeout
        if name in DISCOVERED:
            document = provider().discovery.get().value
            if default and not document.get(DISCOVERED[name]):
                return default[0]
            return document.endpoint(DISCOVERED[name])
    return import_from_settings(name, *default)
