from axiomod.apps import AxiomodAppConfig


class AuthConfig(AxiomodAppConfig):
    default = True
    name = "axiomod_auth"
    verbose_name = "axiomod auth"
    extra = "auth"
