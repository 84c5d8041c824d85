"""Who a verified token belongs to.

By default a :class:`TokenUser` built from the claims, with no database query (like
djangorestframework-simplejwt's ``TokenUser``): right for services that authorise on
claims. ``AXIOMOD["oidc"]["user_mapper"]`` names a ``callable(claims) -> user | None``
for services that keep users; :func:`sync_user` is a ready one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.module_loading import import_string

from axiomod.conf import settings


class TokenUser:
    """An authenticated principal that exists only in the token."""

    is_active = True
    is_anonymous = False
    is_authenticated = True
    is_staff = False
    is_superuser = False

    def __init__(self, claims: Mapping[str, Any]) -> None:
        self.claims = dict(claims)
        self.pk = self.id = self.username = str(claims["sub"])
        self.email = str(claims.get("email", ""))

    def __str__(self) -> str:
        return self.username

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TokenUser) and other.pk == self.pk

    def __hash__(self) -> int:
        return hash(self.pk)

    def get_username(self) -> str:
        return self.username

    @property
    def scopes(self) -> frozenset[str]:
        """The ``scope`` claim as a set (space-separated string or list)."""
        scope = self.claims.get("scope", self.claims.get("scp", ""))
        return frozenset(scope.split() if isinstance(scope, str) else scope)

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return False

    def has_perms(self, perms: Any, obj: object = None) -> bool:
        return False

    def has_module_perms(self, module: str) -> bool:
        return False


def sync_user(claims: Mapping[str, Any]) -> Any:
    """Get or create the Django user named by ``sub``; copy email and names from the claims.

    Saves only when a claim changed, so a steady client costs one SELECT per request.
    """
    model = get_user_model()
    user, created = model._default_manager.get_or_create(
        **{model.USERNAME_FIELD: str(claims["sub"])[:150]}
    )
    changed = created
    copied = (("email", "email"), ("first_name", "given_name"), ("last_name", "family_name"))
    for field, claim in copied:
        value = claims.get(claim)
        if isinstance(value, str) and hasattr(user, field) and getattr(user, field) != value:
            setattr(user, field, value)
            changed = True
    if changed:
        if created:
            user.set_unusable_password()
        user.save()
    return user if user.is_active else None


@functools.cache
def _mapper(path: str | None) -> Callable[[Mapping[str, Any]], Any]:
    return import_string(path) if path else TokenUser


def user_for_claims(claims: Mapping[str, Any]) -> Any:
    """The user for verified ``claims``, or None when the mapper refuses them."""
    conf = settings.oidc
    return _mapper(conf.user_mapper if conf is not None else None)(claims)
