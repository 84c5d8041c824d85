from axiomod.apps import AxiomodAppConfig


class JobsConfig(AxiomodAppConfig):
    default = True
    name = "axiomod_jobs"
    verbose_name = "axiomod jobs"
    extra = "jobs"

    def ready(self) -> None:
        super().ready()
        from . import checks, lifecycle, metrics  # noqa: F401  (checks registers)
        from .registry import autodiscover

        autodiscover()
        metrics.connect()
        lifecycle.connect()
        lifecycle.instrument_tracing()
