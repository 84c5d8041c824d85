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
from typing import Any, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

from . import registry
from .schema import ConfigError, ErrorKind, Section, _choices_hint, load_section
from .sections import CoreSettings

S = TypeVar("S", bound=Section)

_CORE_KEYS = tuple(f.name for f in dataclasses.fields(CoreSettings))


def section_class(name: str) -> type[Section]:
    """The section class of ``AXIOMOD[name]`` (installed apps first, then the catalogue)."""
    cls = registry.section_for(name)
    if cls is None:
        raise KeyError(name)
    return cls


def known_sections() -> dict[str, type[Section]]:
    """Every section this project can configure: its apps' and the available ones'."""
    return {**registry.catalogue(), **registry.installed_sections()}


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
    sections = dict(registry.installed_sections())
    unknown = [key for key in raw if key not in sections and key not in _CORE_KEYS]
    if unknown:  # the catalogue is read only when the installed apps do not explain a key
        available = registry.catalogue()
        sections.update({k: available[k] for k in unknown if k in available})
    for key in raw:
        if key not in _CORE_KEYS and key not in sections:
            valid_keys = [*_CORE_KEYS, *known_sections()]
            given = key if isinstance(key, str) else None
            hint = _choices_hint(valid_keys, given).replace("allowed: ", "valid keys: ")
            errors[""].append(ConfigError(ErrorKind.UNKNOWN_KEY, (key,), "unknown setting", hint))
    core_raw = {k: raw[k] for k in _CORE_KEYS if k in raw}
    core, core_errors = load_section(CoreSettings, core_raw, (), environ)
    errors[""].extend(core_errors)
    for key in _CORE_KEYS:
        values[key] = getattr(core, key)
    for name, cls in sections.items():
        values[name], errors[name] = _load(cls, raw.get(name), environ)
    return _Loaded(values, errors)


def _load(
    cls: type[Section], raw: Any, environ: Mapping[str, str]
) -> tuple[Section | None, list[ConfigError]]:
    """One section; an optional one (an external service) left out is None, not defaults."""
    if cls.optional and raw is None:
        return None, []
    return load_section(cls, raw, (cls.key,), environ)


class AxiomodSettings:
    """Attribute access to the validated ``AXIOMOD`` setting.

    ``settings.metrics`` is a frozen :class:`~axiomod_metrics.conf.MetricsSettings`;
    ``settings.oidc`` is None until the section is configured. A section with errors
    raises ImproperlyConfigured naming them, so a bad value never reaches the code that
    would misuse it; ``manage.py check`` reports the same errors up front.
    """

    # Sections are attributes (``settings.metrics``) typed as Any, because the kernel
    # does not import the apps that declare them; :meth:`section` gives a typed read.
    service_name: str
    environment: str
    version: str

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
        state = self._loaded_with(name)
        section_errors = state.errors.get("" if name in _CORE_KEYS else name)
        if section_errors:
            raise ImproperlyConfigured(_describe_errors(section_errors))
        value = state.values[name]
        setattr(self, name, value)  # later reads are plain attribute lookups
        return value

    def section(self, cls: type[S]) -> S:
        """``AXIOMOD[cls.key]`` typed as ``cls``: for apps that want a type checker's help."""
        return getattr(self, cls.key)

    def best_effort(self, name: str) -> Any:
        """Section ``name`` with invalid entries at their defaults; never raises.

        For code that runs while ``manage.py check`` loads the project (URLconfs): the
        checks report the errors, and a traceback from the URLconf would hide them.
        """
        return self._loaded_with(name).values[name]

    def _loaded_with(self, name: str) -> _Loaded:
        """The loaded state, with ``name`` in it even if no installed app declares it."""
        state = self._state()
        if name not in _CORE_KEYS and name not in state.values:
            cls = registry.section_for(name)
            if cls is None:
                raise AttributeError(f"AXIOMOD has no setting {name!r}")
            # The section of an available app that is not installed, and not written.
            state.values[name], state.errors[name] = _load(cls, None, os.environ)
        return state

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
            for key in [k for k in self.__dict__ if not k.startswith("_")]:
                del self.__dict__[key]
            self._loaded = None


def _describe_errors(errors: list[ConfigError]) -> str:
    lines = "\n".join(f"  - {error}" for error in errors)
    return (
        f"The AXIOMOD setting is invalid:\n{lines}\n"
        "Run `python manage.py check` to see every error with its hint."
    )


settings = AxiomodSettings()


def _reload_on_change(*, setting: str, **kwargs: Any) -> None:
    if setting in {"AXIOMOD", "INSTALLED_APPS"}:
        settings.reload()


setting_changed.connect(_reload_on_change, dispatch_uid="axiomod.conf.reload")
