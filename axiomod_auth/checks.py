"""System checks of ``AXIOMOD["oidc"]`` beyond what the schema validates.

* axiomod.E030: the issuer is plain http on a host other than localhost while DEBUG is
  off (tokens and the client secret would cross the network in clear).
* axiomod.E031: ``OIDCBackend`` is in ``AUTHENTICATION_BACKENDS`` but the section, its
  ``client_id`` or its ``client_secret`` is missing.
* axiomod.E032: ``user_mapper`` cannot be imported.
* axiomod.W033: ``BearerTokenMiddleware`` is above ``AuthenticationMiddleware`` in
  ``MIDDLEWARE``, which then replaces the token's user with the session's (anonymous).
  The middleware itself is optional (``@bearer_token_required`` and the DRF class work
  without it), so its absence is not reported.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings as django_settings
from django.core.checks import CheckMessage, Error, Warning, register

from axiomod.checks import TAG, importable, middleware_above
from axiomod.conf import settings

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
BACKEND = "axiomod_auth.backends.OIDCBackend"


@register(TAG)
def check_oidc(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    conf = settings.best_effort("oidc")
    messages: list[CheckMessage] = []
    uses_backend = BACKEND in getattr(django_settings, "AUTHENTICATION_BACKENDS", ())
    if conf is None:
        if uses_backend:
            messages.append(
                Error(
                    f'{BACKEND} is in AUTHENTICATION_BACKENDS but AXIOMOD["oidc"] is not set.',
                    hint='Set AXIOMOD["oidc"] with its issuer, client_id and client_secret.',
                    id="axiomod.E031",
                )
            )
        return messages
    issuer = urlsplit(conf.issuer)
    if issuer.scheme == "http" and issuer.hostname not in LOCAL_HOSTS and not django_settings.DEBUG:
        messages.append(
            Error(
                f'AXIOMOD["oidc"]["issuer"]: {conf.issuer!r} is plain http.',
                hint="Use the provider's https:// URL; http is accepted for localhost "
                "or with DEBUG on.",
                id="axiomod.E030",
            )
        )
    if uses_backend:
        for name in ("client_id", "client_secret"):
            if not getattr(conf, name):
                messages.append(
                    Error(
                        f'AXIOMOD["oidc"]["{name}"] is required: {BACKEND} is in '
                        "AUTHENTICATION_BACKENDS.",
                        hint="The login flow identifies this service to the provider with it.",
                        id="axiomod.E031",
                    )
                )
    if conf.user_mapper:
        problem = importable(conf.user_mapper)
        if problem:
            messages.append(Error(f'AXIOMOD["oidc"]["user_mapper"]: {problem}', id="axiomod.E032"))
    return messages


MIDDLEWARE = "axiomod_auth.bearer.BearerTokenMiddleware"
AUTHENTICATION = "django.contrib.auth.middleware.AuthenticationMiddleware"


@register(TAG)
def check_bearer_middleware_order(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """axiomod.W033: the bearer middleware must run after Django's authentication one."""
    if not middleware_above(AUTHENTICATION, [MIDDLEWARE]):
        return []  # absent, or below AuthenticationMiddleware (or without it) as it should
    return [
        Warning(
            f"{MIDDLEWARE!r} is above {AUTHENTICATION!r} in MIDDLEWARE: that one sets "
            "request.user again, from the session, so a request with a valid bearer token "
            "reaches the view as the session's user (usually anonymous).",
            hint=f"Move {MIDDLEWARE!r} to right after {AUTHENTICATION!r}.",
            obj="settings.MIDDLEWARE",
            id="axiomod.W033",
        )
    ]
