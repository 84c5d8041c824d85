from axiomod.apps import AxiomodAppConfig


class JobsConfig(AxiomodAppConfig):
    default = True
    name = "axiomod_jobs"
    verbose_name = "axiomod jobs"
    extra = "jobs"
