from axiomod.apps import AxiomodAppConfig


class GrpcConfig(AxiomodAppConfig):
    """The gRPC transport: ``manage.py axiomod_grpc``, ``AXIOMOD["grpc"]`` and its checks.

    It builds the interceptor chain and the services from what every installed app
    contributes (``grpc_contributions()``, see :mod:`axiomod_grpc.contributions`) and
    contributes its own two interceptors: tracing (the gRPC glue of :mod:`axiomod.tracing`)
    and the domain-error mapping, innermost.
    """

    default = True
    name = "axiomod_grpc"
    verbose_name = "axiomod gRPC"
    extra = "grpc"

    def ready(self) -> None:
        super().ready()
        from . import checks  # noqa: F401  registers the system checks

    def grpc_contributions(self) -> list:
        from .contributions import ERRORS, TRACING, Interceptor

        return [
            Interceptor("tracing", TRACING, "axiomod_grpc.tracing.tracing_interceptor"),
            Interceptor("errors", ERRORS, "axiomod_grpc.interceptors.error_interceptor"),
        ]
