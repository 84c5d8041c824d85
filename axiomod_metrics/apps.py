from axiomod.apps import AxiomodAppConfig


class MetricsConfig(AxiomodAppConfig):
    default = True
    name = "axiomod_metrics"
    verbose_name = "axiomod metrics"
    extra = "metrics"
