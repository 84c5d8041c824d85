"""Empty migrations from a template: RunPython or RunSQL with both directions stubbed.

``makemigrations --empty`` writes a migration with no operation at all, which is what
people then forget to make reversible. These templates put the backward half in front
of the author. A project overrides one by placing a file of the same name
(``python.py-tpl``, ``sql.py-tpl``) in ``<BASE_DIR>/templates/axiomod/migrations/``;
``$app_label``, ``$dependencies`` and ``$description`` are substituted
(:class:`string.Template`, so a template needs no template engine configured).
"""

from __future__ import annotations

import re
import string
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db.migrations.loader import MigrationLoader

__all__ = ["TEMPLATE_NAMES", "find_template", "write_empty_migration"]

PACKAGE_TEMPLATES = Path(__file__).with_name("templates")
TEMPLATE_NAMES = {"python": "python.py-tpl", "sql": "sql.py-tpl"}


def find_template(kind: str) -> Path:
    """The project's override of ``kind`` if it has one, else the package's."""
    name = TEMPLATE_NAMES[kind]
    base = getattr(settings, "BASE_DIR", None)
    if base is not None:
        override = Path(base) / "templates" / "axiomod" / "migrations" / name
        if override.is_file():
            return override
    return PACKAGE_TEMPLATES / name


def _next_number(loader: MigrationLoader, app: str) -> int:
    numbers = [
        int(match.group(1))
        for (label, name) in loader.disk_migrations
        if label == app and (match := re.match(r"^(\d+)_", name))
    ]
    return max(numbers, default=0) + 1


def write_empty_migration(app: str, name: str | None, kind: str) -> Path:
    """Write ``<app>/migrations/NNNN_<name>.py`` from the template; its path."""
    config = apps.get_app_config(app)
    loader = MigrationLoader(None, ignore_no_migrations=True)
    leaves = [node for node in loader.graph.leaf_nodes() if node[0] == app]
    number = _next_number(loader, app)
    slug = re.sub(r"\W+", "_", name or ("data" if kind == "python" else "sql")).strip("_")
    directory = Path(config.path) / "migrations"
    directory.mkdir(exist_ok=True)
    (directory / "__init__.py").touch()
    path = directory / f"{number:04d}_{slug}.py"
    if path.exists():
        raise FileExistsError(f"{path} already exists")
    text = string.Template(find_template(kind).read_text()).substitute(
        app_label=app,
        dependencies=repr(sorted(leaves)) if leaves else "[]",
        description=f"{app} {number:04d}_{slug}: {'data' if kind == 'python' else 'SQL'} "
        "migration (edit both directions).",
    )
    path.write_text(text)
    return path
