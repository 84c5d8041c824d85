"""The WSGI/ASGI entry points refuse to start with an invalid AXIOMOD block."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from axiomod.process.startup import ensure_valid_configuration

ROOT = Path(__file__).resolve().parents[2]


def test_valid_configuration_starts():
    ensure_valid_configuration()


def test_invalid_configuration_refuses_to_start_naming_the_setting():
    with (
        override_settings(AXIOMOD={"metrics": {"path": "metrics"}}),
        pytest.raises(ImproperlyConfigured, match=r'AXIOMOD\["metrics"\]\["path"\]'),
    ):
        ensure_valid_configuration()


def load_entry_point(entry: str, settings_module: str) -> subprocess.CompletedProcess:
    """Import ``entry`` in a fresh interpreter, as a server would; print its handler's type."""
    return subprocess.run(
        [sys.executable, "-c", f"import {entry}; print(type({entry}.application).__name__)"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": settings_module},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("entry", ["example.wsgi", "example.asgi"])
def test_server_entry_point_fails_at_import_not_at_first_request(entry):
    result = load_entry_point(entry, "tests.core.bad_settings")
    assert result.returncode != 0
    assert "ImproperlyConfigured: axiomod cannot start" in result.stderr
    assert 'AXIOMOD["metrics"]["port"]' in result.stderr


@pytest.mark.parametrize("entry", ["example.wsgi", "example.asgi"])
def test_server_entry_point_loads_with_valid_settings(entry):
    result = load_entry_point(entry, "example.settings")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() in {"WSGIHandler", "AxiomodASGIHandler"}


def test_the_stable_entry_paths_re_export_the_composition_root():
    """Projects, Procfiles and the template point at axiomod.wsgi/asgi/gunicorn_config."""
    import inspect
    import shutil

    # Importing the gunicorn config does what it must in a gunicorn master: it marks the
    # process as the master and turns prometheus_client's multiprocess mode on. In this
    # test process that would leak into every later test (no exemplars, pid labels), so
    # the environment is put back as it was.
    before = dict(os.environ)
    try:
        from axiomod import asgi, gunicorn_config, wsgi
        from axiomod.process import asgi as root_asgi
        from axiomod.process import gunicorn_config as root_gunicorn
        from axiomod.process import wsgi as root_wsgi
    finally:
        created = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if created and created != before.get("PROMETHEUS_MULTIPROC_DIR"):
            shutil.rmtree(created, ignore_errors=True)
        os.environ.clear()
        os.environ.update(before)

    assert wsgi.get_wsgi_application is root_wsgi.get_wsgi_application
    assert asgi.get_asgi_application is root_asgi.get_asgi_application
    # gunicorn reads the config module's public names: every hook and setting is there.
    public = {
        name
        for name, value in vars(root_gunicorn).items()
        if not name.startswith("_")
        and (inspect.isfunction(value) or isinstance(value, (bool, int)))
        and getattr(value, "__module__", root_gunicorn.__name__) == root_gunicorn.__name__
    }
    assert public == set(gunicorn_config.__all__)
    for name in public:
        assert getattr(gunicorn_config, name) is getattr(root_gunicorn, name)
