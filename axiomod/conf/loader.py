"""The ``axiomod.conf.settings`` accessor: the validated ``AXIOMOD`` block, cached per process.

Modelled on DRF's ``api_settings``: values are read lazily on first access, cached as
plain attributes (so a hot path pays one attribute lookup), and dropped when Django's
``setting_changed`` signal says ``AXIOMOD`` changed, which makes ``override_settings``
work in tests. Unlike DRF it validates: a section with errors is never handed out.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from .schema import ConfigError, ErrorKind, Section, _choices_hint, load_section
from .sections import CoreSettings

if TYPE_CHECKING:
    from axiomod_auth.conf import OidcSettings
    from axiomod_health.conf import HealthSettings
    from axiomod_jobs.conf import JobsSettings
    from axiomod_messaging.conf import KafkaSettings
    from axiomod_metrics.conf import MetricsSettings

    from .sections import DatabaseSettings, GrpcSettings, ScaffoldSettings, TracingSettings

#: Every section of ``AXIOMOD``, by key, as a dotted path so that reading the settings
#: imports no optional dependency (each app's ``conf`` module is plain Python).
SECTIONS: dict[str, str] = {
    "metrics": "axiomod_metrics.conf.MetricsSettings",
    "tracing": "axiomod.conf.sections.TracingSettings",
    "health": "axiomod_health.conf.HealthSettings",
    "oidc": "axiomod_auth.conf.OidcSettings",
    "db": "axiomod.conf.sections.DatabaseSettings",
    "kafka": "axiomod_messaging.conf.KafkaSettings",
    "jobs": "axiomod_jobs.conf.JobsSettings",
    "grpc": "axiomod.conf.sections.GrpcSettings",
    "scaffold": "axiomod.conf.sections.ScaffoldSettings",
}

#: Sections that describe an external service: absent means "not configured" and the
#: accessor returns None, rather than defaults that point at nothing.
OPTIONAL_SECTIONS = frozenset({"oidc", "kafka"})

_CORE_KEYS = tuple(f.name for f in dataclasses.fields(CoreSettings))


def section_class(name: str) -> type[Section]:
    return import_string(SECTIONS[name])


@dataclasses.dataclass
class _Loaded:
    values: dict[str, Any]
    errors: dict[str, list[ConfigError]]  # by section key; "" for the top level


def validate(raw: Any, environ: Mapping[str, str] | None = None) -> _Loaded:
    """Validate a whole ``AXIOMOD`` value; pure, so tests can call it with any dict."""
    environ = os.environ if environ is None else environ
    errors: dict[str, list[ConfigError]] = {"": []}
    values: dict[str, Any] = {}
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        errors[""].append(
            ConfigError(ErrorKind.WRONG_TYPE, (), f"expected a dict, got {type(raw).__name__}")
        )
        raw = {}
    valid_keys = [*_CORE_KEYS, *SECTIONS]
    for key in raw:
        if key not in valid_keys:
            given = key if isinstance(key, str) else None
            hint = _choices_hint(valid_keys, given).replace("allowed: ", "valid keys: ")
            errors[""].append(ConfigError(ErrorKind.UNKNOWN_KEY, (key,), "unknown setting", hint))
    core_raw = {k: raw[k] for k in _CORE_KEYS if k in raw}
    core, core_errors = load_section(CoreSettings, core_raw, (), environ)
    errors[""].extend(core_errors)
    for key in _CORE_KEYS:
        values[key] = getattr(core, key)
    for name in SECTIONS:
        if name in OPTIONAL_SECTIONS and raw.get(name) is None:
            values[name] = None
            continue
        values[name], errors[name] = load_section(
            section_class(name), raw.get(name), (name,), environ
        )
    return _Loaded(values, errors)


class AxiomodSettings:
    """Attribute access to the validated ``AXIOMOD`` setting.

    ``settings.metrics`` is a frozen :class:`~axiomod_metrics.conf.MetricsSettings`;
    ``settings.oidc`` is None until the section is configured. A section with errors
    raises ImproperlyConfigured naming them, so a bad value never reaches the code that
    would misuse it; ``manage.py check`` reports the same errors up front.
    """

    if TYPE_CHECKING:
        service_name: str
        environment: str
        version: str
        metrics: MetricsSettings
        tracing: TracingSettings
        health: HealthSettings
        oidc: OidcSettings | None
        db: DatabaseSettings
        kafka: KafkaSettings | None
        jobs: JobsSettings
        grpc: GrpcSettings
        scaffold: ScaffoldSettings

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: _Loaded | None = None

    def _state(self) -> _Loaded:
        loaded = self._loaded
        if loaded is None:
            with self._lock:
                if self._loaded is None:
                    from django.conf import settings as django_settings

                    self._loaded = validate(getattr(django_settings, "AXIOMOD", {}))
                loaded = self._loaded
        return loaded

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in SECTIONS and name not in _CORE_KEYS:
            raise AttributeError(f"AXIOMOD has no setting {name!r}")
        state = self._state()
        section_errors = state.errors.get("" if name in _CORE_KEYS else name)
        if section_errors:
            raise ImproperlyConfigured(_describe_errors(section_errors))
        value = state.values[name]
        setattr(self, name, value)  # later reads are plain attribute lookups
        return value

    def best_effort(self, name: str) -> Any:
        """Section ``name`` with invalid entries at their defaults; never raises.

        For code that runs while ``manage.py check`` loads the project (URLconfs): the
        checks report the errors, and a traceback from the URLconf would hide them.
        """
        return self._state().values[name]

    @property
    def errors(self) -> list[ConfigError]:
        """Every problem in the configuration, top level first."""
        return [e for errors in self._state().errors.values() for e in errors]

    def is_configured(self, name: str) -> bool:
        """Whether the user wrote the section ``name`` (optional sections are None otherwise)."""
        from django.conf import settings as django_settings

        raw = getattr(django_settings, "AXIOMOD", {})
        return isinstance(raw, Mapping) and raw.get(name) is not None

    def ensure_valid(self) -> None:
        """Raise ImproperlyConfigured listing every error; for process start-up."""
        if self.errors:
            raise ImproperlyConfigured(_describe_errors(self.errors))

    def reload(self) -> None:
        """Forget cached values; the next access validates ``AXIOMOD`` (and the env) again."""
        with self._lock:
            for key in (*_CORE_KEYS, *SECTIONS):
                self.__dict__.pop(key, None)
            self._loaded = None


def _describe_errors(errors: list[ConfigError]) -> str:
    lines = "\n".join(f"  - {error}" for error in errors)
    return (
        f"The AXIOMOD setting is invalid:\n{lines}\n"
        "Run `python manage.py check` to see every error with its hint."
    )


settings = AxiomodSettings()


def _reload_on_change(*, setting: str, **kwargs: Any) -> None:
    if setting == "AXIOMOD":
        settings.reload()


setting_changed.connect(_reload_on_change, dispatch_uid="axiomod.conf.reload")
