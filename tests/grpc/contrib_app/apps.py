from django.apps import AppConfig


class ContribConfig(AppConfig):
    """Duck-typed: ``grpc_contributions()`` is all ``axiomod_grpc`` looks for."""

    name = "tests.grpc.contrib_app"
    label = "grpc_contrib_app"

    def grpc_contributions(self) -> list:
        from axiomod_grpc import Interceptor

        # Between auth (300) and errors (900): it sees the caller and the mapped status.
        return [Interceptor("stamp", 350, "tests.grpc.contrib_app.interceptors.stamp")]
