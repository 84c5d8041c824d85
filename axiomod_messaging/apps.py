from axiomod.apps import AxiomodAppConfig


class MessagingConfig(AxiomodAppConfig):
    default = True
    name = "axiomod_messaging"
    verbose_name = "axiomod messaging"
    extra = "kafka"
    resets_on = frozenset({"AXIOMOD"})

    def ready(self) -> None:
        super().ready()
        from . import checks  # noqa: F401  registers the system checks
        from .registry import autodiscover

        autodiscover()

    def reset(self) -> None:
        # override_settings in a test gets a producer built from the new settings.
        from . import publisher

        publisher.reset()
