"""A generated module installed in this test process, for the hostile-request suites.

``axiomod generate module`` writes it into a temporary package on ``sys.path``; it is then
added to ``INSTALLED_APPS``, routed under ``/<module>/`` behind axiomod's JSON error
handlers, and given its table (by the schema editor: SQLite cannot change the schema
inside the test transaction, so callers need ``transactional_db``).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings as django_settings
from django.db import connection
from django.test import override_settings
from hypothesis import strategies as st

from axiomod.devtools.scaffold import generate_module
from tests.hostile_http import ids

URLS = """\
from django.urls import include, path

from axiomod.views import handler400, handler403, handler404, handler500  # noqa: F401

urlpatterns = [path("{module}/", include("{package}.{module}.delivery.http.urls"))]
"""


def paths(module: str) -> st.SearchStrategy[str]:
    """The module's collection and item URLs, with good, bad and undecodable ids."""
    return st.one_of(
        st.just(f"/{module}/"),
        ids.map(lambda pk: f"/{module}/{pk}/"),
        st.sampled_from([f"/{module}/abc/", f"/{module}/-1/", f"/{module}/%FF/"]),
    )


@contextlib.contextmanager
def generated_package(root: Path, package: str, module: str, **options: Any) -> Iterator[Path]:
    """``package.module`` generated under ``root`` and importable while the block runs."""
    (root / package).mkdir()
    (root / package / "__init__.py").write_text("")
    (root / package / "urls.py").write_text(URLS.format(package=package, module=module))
    generate_module(module, package=package, root=root, **options)
    sys.path.insert(0, str(root))
    try:
        yield root
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules if name.startswith(package)]:
            del sys.modules[name]


@contextlib.contextmanager
def installed_api(package: str, module: str) -> Iterator[None]:
    """The generated module installed, routed and with its table while the block runs."""
    with override_settings(
        INSTALLED_APPS=[*django_settings.INSTALLED_APPS, f"{package}.{module}"],
        ROOT_URLCONF=f"{package}.urls",
    ):
        with connection.schema_editor() as editor:
            for model in apps.get_app_config(module).get_models():
                editor.create_model(model)
        try:
            yield
        finally:
            with connection.schema_editor() as editor:
                for model in apps.get_app_config(module).get_models():
                    editor.delete_model(model)
