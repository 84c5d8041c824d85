"""An axiomod app installed without its extra fails with ImproperlyConfigured naming the extra."""

from __future__ import annotations

import sys

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from axiomod.extras import EXTRAS, has_extra, require_extra

APP_EXTRAS = {
    "axiomod_metrics": "metrics",
    "axiomod_health": "health",
    "axiomod_auth": "auth",
    "axiomod_messaging": "kafka",
    "axiomod_jobs": "jobs",
}


@pytest.mark.parametrize(("app", "extra"), APP_EXTRAS.items())
def test_app_without_its_extra_names_the_pip_install(app, extra, monkeypatch):
    missing = EXTRAS[extra][0]
    monkeypatch.setitem(sys.modules, missing, None)  # makes `import missing` raise ImportError
    with pytest.raises(ImproperlyConfigured) as info:
        apps.get_app_config(app.split(".")[-1]).ready()
    message = str(info.value)
    assert f'pip install "axiomod[{extra}]"' in message
    assert repr(missing) in message
    assert app in message


@pytest.mark.parametrize("app", APP_EXTRAS)
def test_apps_start_when_their_extra_is_installed(app):
    apps.get_app_config(app).ready()


def test_every_extra_in_pyproject_is_known():
    import tomllib
    from pathlib import Path

    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    declared = set(pyproject["project"]["optional-dependencies"]) - {"all", "dev"}
    assert declared == set(EXTRAS)


def test_all_extra_includes_every_extra():
    import tomllib
    from pathlib import Path

    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    (everything,) = pyproject["project"]["optional-dependencies"]["all"]
    assert everything == f"axiomod[{','.join(EXTRAS)}]"


def test_has_extra(monkeypatch):
    assert has_extra("postgres")
    monkeypatch.setitem(sys.modules, "psycopg_pool", None)
    assert not has_extra("postgres")
    with pytest.raises(ImproperlyConfigured, match=r"axiomod\[postgres\]"):
        require_extra("postgres", feature="The database pool")
