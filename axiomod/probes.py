"""The paths machines call (probes, scrapes): what tracing and request metrics leave out.

Each app contributes its own through ``AppConfig.probe_paths()`` (see
:class:`axiomod.apps.AxiomodAppConfig`): the health app its ``/live``, ``/ready`` and
``/health``, the metrics app its ``/metrics``. The kernel asks the installed apps rather
than reading their settings, so it names none of them.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.signals import setting_changed

__all__ = ["probe_paths"]

_cached: frozenset[str] | None = None


def probe_paths() -> frozenset[str]:
    """Every installed app's probe paths (cached until the settings change)."""
    global _cached
    if _cached is None:
        paths: set[str] = set()
        for config in apps.get_app_configs():
            contribute = getattr(config, "probe_paths", None)
            if callable(contribute):
                paths.update(contribute())
        _cached = frozenset(paths)
    return _cached


def _forget(*, setting: str, **kwargs: Any) -> None:
    global _cached
    if setting in {"AXIOMOD", "INSTALLED_APPS"}:
        _cached = None


setting_changed.connect(_forget, dispatch_uid="axiomod.probes.forget")
