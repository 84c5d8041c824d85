"""Where a project keeps its template overrides (needs Django settings; the generators don't).

The same place as the migration templates' overrides, one level over:
``<BASE_DIR>/templates/axiomod/scaffold/<kind>/...`` unless ``AXIOMOD["scaffold"]
["templates_dir"]`` names another directory.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["DEFAULT_OVERRIDES", "templates_dir"]

DEFAULT_OVERRIDES = Path("templates") / "axiomod" / "scaffold"


def templates_dir() -> Path | None:
    """The project's overrides directory, or None when it has none.

    Raises ``ValueError`` naming the setting when it is set to something that is not a
    directory: a typo there would otherwise silently generate the package's templates.
    """
    from django.conf import settings as django_settings

    from axiomod.conf import settings

    base = Path(getattr(django_settings, "BASE_DIR", Path.cwd()))
    configured = settings.scaffold.templates_dir
    if configured is None:
        candidate = base / DEFAULT_OVERRIDES
        return candidate if candidate.is_dir() else None
    path = base / configured
    if not path.is_dir():
        raise ValueError(f'AXIOMOD["scaffold"]["templates_dir"]: {path} is not a directory')
    return path
