"""Login, callback, logout and refresh URLs, mounted by ``axiomod.urls`` under ``url_prefix``.

The login URL names are mozilla-django-oidc's (``oidc_authentication_init``,
``oidc_authentication_callback``, ``oidc_logout``), so templates and settings written
for it keep working. The views answer 404 while ``AXIOMOD["oidc"]`` is unset.
"""

from django.urls import path

from axiomod.conf import settings

from . import views

_conf = settings.best_effort("oidc")
_prefix = (_conf.url_prefix if _conf is not None else "oidc/").strip("/")
_prefix = f"{_prefix}/" if _prefix else ""

login, callback, logout = (
    views.OIDCLoginView.as_view(),
    views.OIDCCallbackView.as_view(),
    views.OIDCLogoutView.as_view(),
)
urlpatterns = [
    path(f"{_prefix}authenticate/", login, name="oidc_authentication_init"),
    path(f"{_prefix}callback/", callback, name="oidc_authentication_callback"),
    path(f"{_prefix}logout/", logout, name="oidc_logout"),
    path(f"{_prefix}refresh/", views.refresh, name="axiomod_oidc_refresh"),
]
