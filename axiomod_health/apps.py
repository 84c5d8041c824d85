from axiomod.apps import AxiomodAppConfig


class HealthConfig(AxiomodAppConfig):
    default = True
    name = "axiomod_health"
    verbose_name = "axiomod health"
    extra = "health"
    urls = "axiomod_health.urls"
    resets_on = frozenset({"AXIOMOD", "DATABASES", "CACHES"})

    def ready(self) -> None:
        super().ready()
        from django.utils.module_loading import autodiscover_modules

        from axiomod.signals import serving_started, serving_stopping
        from axiomod_health import checks  # noqa: F401  registers the app's system checks

        from . import shutdown, state

        # <app>/health.py modules register their @health_check functions, like admin.py.
        autodiscover_modules("health")

        def serving(**kwargs: object) -> None:
            import os

            # Under gunicorn --preload the application loads in the master, which only
            # forks workers: no drain handler and no refresh thread there (a thread
            # running checks at fork time would leave its locks held in the children).
            if os.environ.get("AXIOMOD_GUNICORN_MASTER") == str(os.getpid()):
                return
            shutdown.install_for_this_process()
            state.start_background_refresh()

        def stopping(**kwargs: object) -> None:
            shutdown.begin_drain()  # /ready and the gRPC health service: not serving

        serving_started.connect(serving, weak=False, dispatch_uid="axiomod_health.serving")
        serving_stopping.connect(stopping, weak=False, dispatch_uid="axiomod_health.stopping")

    def reset(self) -> None:
        from . import state

        state.reset()

    def probe_paths(self) -> tuple[str, ...]:
        from axiomod.conf import settings

        health = settings.best_effort("health")
        return (health.live_path, health.ready_path, health.health_path)

    def grpc_contributions(self) -> list:
        """The standard ``grpc.health.v1.Health`` service, answering from readiness."""
        from axiomod_grpc import Service

        return [Service("grpc.health.v1.Health", "axiomod_health.grpc.add_health_servicer")]
