"""App configs: the core ``axiomod`` app and the base class every axiomod app shares."""

from __future__ import annotations

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

    def ready(self) -> None:
        from axiomod import checks  # noqa: F401  registers the AXIOMOD system checks
        from axiomod.extras import require_extra

        if self.extra:
            require_extra(self.extra, feature=f"The {self.name!r} app")


class AxiomodConfig(AxiomodAppConfig):
    default = True
    name = "axiomod"
    verbose_name = "axiomod"

    def ready(self) -> None:
        super().ready()
        from axiomod.db import checks, fork, instrumentation  # noqa: F401  (checks registers)
        from axiomod.grpc import checks as grpc_checks  # noqa: F401  (registers)

        instrumentation.install()
        fork.install()
