"""``axiomod.urls`` mounts the ``urls`` module of every installed axiomod app."""

from __future__ import annotations

import sys
import types

from django.apps import apps
from django.test import Client
from django.urls import clear_url_caches, path

from axiomod.urls import axiomod_urlpatterns


def test_mounts_urls_of_installed_axiomod_apps_only(monkeypatch, settings):
    module = types.ModuleType("axiomod_health._test_urls")

    def view(request):
        from django.http import JsonResponse

        return JsonResponse({"served_by": "axiomod_health"})

    module.urlpatterns = [path("probe-for-test", view)]
    import axiomod_metrics.urls  # noqa: F401  installed apps' own URL modules

    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(apps.get_app_config("axiomod_health"), "urls", module.__name__)

    patterns = axiomod_urlpatterns()
    included = [p.urlconf_name for p in patterns]
    assert module in included
    assert included.index(module) > included.index(sys.modules["axiomod_metrics.urls"]), (
        "includes follow INSTALLED_APPS order"
    )

    urlconf = types.ModuleType("tests_core_urlconf")
    urlconf.urlpatterns = patterns
    monkeypatch.setitem(sys.modules, urlconf.__name__, urlconf)
    settings.ROOT_URLCONF = urlconf.__name__
    clear_url_caches()
    response = Client().get("/probe-for-test")
    assert response.status_code == 200
    assert response.json() == {"served_by": "axiomod_health"}

    monkeypatch.setattr(apps.get_app_config("axiomod_health"), "urls", None)
    assert module not in [p.urlconf_name for p in axiomod_urlpatterns()]


def test_example_urlconf_includes_axiomod_urls():
    from example import urls

    assert any(getattr(p, "urlconf_name", None) is not None for p in urls.urlpatterns)
