from axiomod.apps import AxiomodAppConfig


class MessagingConfig(AxiomodAppConfig):
    default = True
    name = "axiomod_messaging"
    verbose_name = "axiomod messaging"
    extra = "kafka"

    def ready(self) -> None:
        super().ready()
        from django.core.signals import setting_changed

        from . import checks, publisher  # noqa: F401  (checks registers the system checks)
        from .registry import autodiscover

        autodiscover()

        def settings_changed(*, setting: str, **kwargs: object) -> None:
            # override_settings in a test gets a producer built from the new settings.
            if setting == "AXIOMOD":
                publisher.reset()

        setting_changed.connect(
            settings_changed, weak=False, dispatch_uid="axiomod_messaging.reset"
        )
