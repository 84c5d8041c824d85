from axiomod.apps import AxiomodAppConfig


class AuthConfig(AxiomodAppConfig):
    default = True
    name = "axiomod_auth"
    verbose_name = "axiomod auth"
    extra = "auth"
    urls = "axiomod_auth.urls"

    def ready(self) -> None:
        super().ready()
        from django.core.signals import setting_changed

        from . import checks, oidc  # noqa: F401  (checks registers the system checks)

        def settings_changed(*, setting: str, **kwargs: object) -> None:
            if setting in {"AXIOMOD", "CACHES"}:
                oidc.reset()

        setting_changed.connect(settings_changed, weak=False, dispatch_uid="axiomod_auth.reset")
