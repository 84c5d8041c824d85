"""socio-grpc's handler hook, listed in AXIOMOD["grpc"]["handlers"] by the test settings."""

from django_socio_grpc.services.app_handler_registry import AppHandlerRegistry


def grpc_handlers(server):
    from tests.grpc.socio_app.services import GreeterService

    AppHandlerRegistry("socio_app", server).register(GreeterService)
