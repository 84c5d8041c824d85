"""The ``AXIOMOD`` setting: typed sections, validation and the cached accessor.

Usage::

    from axiomod.conf import settings

    settings.metrics.path          # "/metrics"
    settings.tracing.sample_ratio  # a float in [0, 1]

Each app declares its own section next to its code (``axiomod_metrics/conf.py``...)
with :class:`Section` and :func:`setting`; :data:`SECTIONS` lists them all.
"""

from .loader import OPTIONAL_SECTIONS, SECTIONS, AxiomodSettings, section_class, settings, validate
from .schema import ConfigError, ErrorKind, Section, format_path, load_section, setting

__all__ = [
    "OPTIONAL_SECTIONS",
    "SECTIONS",
    "AxiomodSettings",
    "ConfigError",
    "ErrorKind",
    "Section",
    "format_path",
    "load_section",
    "section_class",
    "setting",
    "settings",
    "validate",
]
