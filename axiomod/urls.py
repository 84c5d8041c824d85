"""One include for every axiomod endpoint: ``path("", include("axiomod.urls"))``.

It mounts the ``urls`` module of each installed axiomod app (``AxiomodAppConfig.urls``),
so installing an app is all it takes to serve its endpoints; the paths themselves come
from each app's ``AXIOMOD`` section.
"""

from __future__ import annotations

from django.apps import apps
from django.urls import URLPattern, URLResolver, include, path

from axiomod.apps import AxiomodAppConfig


def axiomod_urlpatterns() -> list[URLPattern | URLResolver]:
    """The URL includes of the installed axiomod apps, in INSTALLED_APPS order."""
    return [
        path("", include(config.urls))
        for config in apps.get_app_configs()
        if isinstance(config, AxiomodAppConfig) and config.urls
    ]


urlpatterns = axiomod_urlpatterns()
