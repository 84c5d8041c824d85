"""Which code is the project's: its modules (Django apps with Clean Architecture layers).

By default a module is an installed app whose package lives under the project directory
(``settings.BASE_DIR``, else the working directory) and not in a ``site-packages``: that is
the code a team writes, as opposed to Django, third-party apps and axiomod itself, which
are dependencies to import freely. ``--package`` names the modules instead, for projects
laid out differently and for tests.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

#: axiomod's own apps are the framework, never project code, even in an editable install.
AXIOMOD_APPS = frozenset(
    {
        "axiomod",
        "axiomod_metrics",
        "axiomod_health",
        "axiomod_auth",
        "axiomod_messaging",
        "axiomod_jobs",
        "axiomod_grpc",
    }
)


class ProjectError(ValueError):
    """A ``--package`` that is not an importable package."""


@dataclass(frozen=True)
class ProjectModule:
    """One module: ``name`` is its dotted package (``example.invoices``), ``path`` its directory."""

    name: str
    path: Path

    @property
    def top_level(self) -> str:
        return self.name.partition(".")[0]

    @property
    def short(self) -> str:
        """The last part of the name, what the Go rules call the domain (``invoices``)."""
        return self.name.rpartition(".")[2]

    @property
    def slash_path(self) -> str:
        return self.name.replace(".", "/")

    @property
    def root_dir(self) -> Path:
        """The directory on ``sys.path`` that holds the top-level package."""
        return self.path.parents[self.name.count(".")]


def project_dir() -> Path:
    """``settings.BASE_DIR`` when the project defines it, else the working directory."""
    from django.conf import settings

    base = getattr(settings, "BASE_DIR", None) if settings.configured else None
    return Path(base).resolve() if base else Path.cwd().resolve()


def discover_modules(base: Path | None = None) -> list[ProjectModule]:
    """The installed apps under ``base`` that are not dependencies (see the module docstring)."""
    from django.apps import apps

    base = (base or project_dir()).resolve()
    found = []
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if config.name.partition(".")[0] in AXIOMOD_APPS:
            continue
        if not path.is_relative_to(base) or {"site-packages", "dist-packages"} & set(path.parts):
            continue
        found.append(ProjectModule(config.name, path))
    return sorted(found, key=lambda module: module.name)


def modules_from_names(names: list[str]) -> list[ProjectModule]:
    """Modules named by dotted package; a name that is not an importable package is an error."""
    found = []
    for name in names:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError) as exc:
            raise ProjectError(f"--package {name}: cannot be imported ({exc})") from exc
        if spec is None or not spec.submodule_search_locations:
            raise ProjectError(f"--package {name}: no such package")
        found.append(
            ProjectModule(name, Path(next(iter(spec.submodule_search_locations))).resolve())
        )
    return sorted(found, key=lambda module: module.name)
