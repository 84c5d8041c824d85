"""App configs: the core ``axiomod`` app and the base class every axiomod app shares.

The base class is also where an app *contributes* to the kernel without the kernel
knowing it (the kernel imports no ``axiomod_*`` app):

- ``probe_paths()``: paths answered for machines (probes, scrapes) that tracing and the
  request metrics leave out; see :func:`axiomod.probes.probe_paths`.
- ``resets_on``: settings whose change (``override_settings`` in tests) must drop the
  app's cached state; :meth:`AxiomodAppConfig.reset` is then called.

Transport apps look up hooks of their own the same way: ``grpc_contributions()`` (the
interceptors and services an app adds to the gRPC server) is ``axiomod_grpc``'s, see
``axiomod_grpc.contributions``. A third-party app can offer the same hooks on its own
``AppConfig`` (they are looked up by name), without subclassing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from django.apps import AppConfig


class AxiomodAppConfig(AppConfig):
    """Base of the axiomod apps.

    ``extra`` names the pip extra the app needs (checked in :meth:`ready`, so a missing
    dependency is an ImproperlyConfigured naming the extra); ``urls`` is the module that
    :mod:`axiomod.urls` includes when the app is installed.
    """

    default = False  # a base class, never picked as an app's default config
    default_auto_field = "django.db.models.BigAutoField"
    extra: str | None = None
    urls: str | None = None
    #: Django settings whose change calls :meth:`reset` (empty: nothing to reset).
    resets_on: ClassVar[frozenset[str]] = frozenset()

    def ready(self) -> None:
        from axiomod import checks  # noqa: F401  registers the AXIOMOD system checks
        from axiomod.extras import require_extra

        if self.extra:
            require_extra(self.extra, feature=f"The {self.name!r} app")
        if self.resets_on:
            from django.core.signals import setting_changed

            setting_changed.connect(
                self._setting_changed, weak=False, dispatch_uid=f"{self.name}.reset"
            )

    def _setting_changed(self, *, setting: str, **kwargs: object) -> None:
        if setting in self.resets_on:
            self.reset()

    def reset(self) -> None:
        """Drop what the app cached from the settings named in :attr:`resets_on`."""

    def probe_paths(self) -> Iterable[str]:
        """URL paths of this app that machines call (probes, scrapes); none by default."""
        return ()


class AxiomodConfig(AxiomodAppConfig):
    default = True
    name = "axiomod"
    verbose_name = "axiomod"

    def ready(self) -> None:
        super().ready()
        from axiomod.db import checks, fork, instrumentation  # noqa: F401  (checks registers)
        from axiomod.observability import checks as observability_checks  # noqa: F401
        from axiomod.tracing import checks as tracing_checks  # noqa: F401  (registers)

        instrumentation.install()
        fork.install()
