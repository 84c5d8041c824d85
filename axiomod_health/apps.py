from axiomod.apps import AxiomodAppConfig


class HealthConfig(AxiomodAppConfig):
    default = True
    name = "axiomod_health"
    verbose_name = "axiomod health"
    extra = "health"

    def ready(self) -> None:
        super().ready()
        from axiomod_health import checks  # noqa: F401  registers the app's system checks
