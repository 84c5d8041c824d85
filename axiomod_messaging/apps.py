from axiomod.apps import AxiomodAppConfig


class MessagingConfig(AxiomodAppConfig):
    default = True
    name = "axiomod_messaging"
    verbose_name = "axiomod messaging"
    extra = "kafka"
