from axiomod.apps import AxiomodAppConfig


class HealthConfig(AxiomodAppConfig):
    default = True
    name = "axiomod_health"
    verbose_name = "axiomod health"
    extra = "health"
    urls = "axiomod_health.urls"

    def ready(self) -> None:
        super().ready()
        from django.core.signals import setting_changed
        from django.utils.module_loading import autodiscover_modules

        from axiomod.signals import serving_started
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

        def settings_changed(*, setting: str, **kwargs: object) -> None:
            if setting in {"AXIOMOD", "DATABASES", "CACHES"}:
                state.reset()

        serving_started.connect(serving, weak=False, dispatch_uid="axiomod_health.serving")
        setting_changed.connect(settings_changed, weak=False, dispatch_uid="axiomod_health.reset")
