from django.apps import AppConfig


class SocioAppConfig(AppConfig):
    name = "tests.grpc.socio_app"
    label = "socio_app"
