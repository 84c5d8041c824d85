from axiomod.apps import AxiomodAppConfig


class AuthConfig(AxiomodAppConfig):
    default = True
    name = "axiomod_auth"
    verbose_name = "axiomod auth"
    extra = "auth"
    urls = "axiomod_auth.urls"
    resets_on = frozenset({"AXIOMOD", "CACHES"})

    def ready(self) -> None:
        super().ready()
        from . import checks  # noqa: F401  registers the system checks

    def reset(self) -> None:
        from . import oidc

        oidc.reset()

    def grpc_contributions(self) -> list:
        """Bearer-token auth on gRPC calls (after metrics and tracing) when ``AXIOMOD["oidc"]``."""
        from axiomod.conf import settings
        from axiomod_grpc import Interceptor

        if settings.oidc is None:
            return []
        return [Interceptor("auth", 300, "axiomod_auth.grpc.server_interceptor")]
