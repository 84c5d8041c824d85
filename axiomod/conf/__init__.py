"""The ``AXIOMOD`` setting: typed sections, validation and the cached accessor.

Usage::

    from axiomod.conf import settings

    settings.metrics.path          # "/metrics"
    settings.tracing.sample_ratio  # a float in [0, 1]

Each app declares its own sections next to its code (``axiomod_metrics/conf.py``...)
with :class:`Section` and :func:`setting`, listed in that module's ``AXIOMOD_SECTIONS``;
:mod:`axiomod.conf.registry` finds them from ``INSTALLED_APPS``. The kernel's own
sections are the ones below.
"""

from .loader import AxiomodSettings, known_sections, section_class, settings, validate
from .schema import ConfigError, ErrorKind, Section, format_path, load_section, setting
from .sections import DatabaseSettings, ObservabilitySettings, ScaffoldSettings, TracingSettings

#: The sections of the core ``axiomod`` app (found by the same discovery as the apps').
AXIOMOD_SECTIONS = (TracingSettings, DatabaseSettings, ObservabilitySettings, ScaffoldSettings)

__all__ = [
    "AXIOMOD_SECTIONS",
    "AxiomodSettings",
    "ConfigError",
    "ErrorKind",
    "Section",
    "format_path",
    "known_sections",
    "load_section",
    "section_class",
    "setting",
    "settings",
    "validate",
]
