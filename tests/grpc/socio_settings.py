"""The gRPC test project plus a django-socio-grpc app, served by ``axiomod_grpc --asyncio``."""

from tests.grpc.project.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "django_socio_grpc", "tests.grpc.socio_app"]  # noqa: F405
AXIOMOD = {
    **AXIOMOD,  # noqa: F405
    "grpc": {
        **AXIOMOD["grpc"],  # noqa: F405
        "asyncio": True,
        "handlers": [
            *AXIOMOD["grpc"]["handlers"],  # noqa: F405
            "tests.grpc.socio_app.handlers.grpc_handlers",
        ],
    },
}
GRPC_FRAMEWORK = {
    "ROOT_HANDLERS_HOOK": "tests.grpc.socio_app.handlers.grpc_handlers",
    "GRPC_ASYNC": True,
    "GRPC_MIDDLEWARE": [
        "axiomod_grpc.socio.domain_errors_middleware",
        "django_socio_grpc.middlewares.close_old_connections_middleware",
    ],
}
