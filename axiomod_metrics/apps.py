from axiomod.apps import AxiomodAppConfig


class MetricsConfig(AxiomodAppConfig):
    default = True
    name = "axiomod_metrics"
    verbose_name = "axiomod metrics"
    extra = "metrics"
    urls = "axiomod_metrics.urls"

    def ready(self) -> None:
        super().ready()
        from axiomod import instruments
        from axiomod.signals import serving_started

        from . import checks, registry  # noqa: F401  (checks registers the system checks)

        # The kernel's and the apps' instruments are created through this app's registry.
        instruments.set_backend(registry)

        from .exposition import start_metrics_server

        def start_port(**kwargs: object) -> None:
            start_metrics_server(owner=f"{kwargs.get('sender')} process")

        serving_started.connect(start_port, weak=False, dispatch_uid="axiomod_metrics.port")
        self._record_gc()
        self._connect_celery()

    def _record_gc(self) -> None:
        """Multiprocess mode: each worker records its GC figures for the scrape (process.py).

        Runs wherever the apps load: in each gunicorn worker, or in the master with
        ``--preload`` and in Celery's main process, whose forked children then start their own.
        """
        from . import multiprocess

        if multiprocess.is_enabled():
            from .process import install_gc_recorder

            install_gc_recorder()

    def probe_paths(self) -> tuple[str, ...]:
        from axiomod.conf import settings

        return (settings.best_effort("metrics").path,)

    def grpc_contributions(self) -> list:
        """The gRPC metrics interceptor, outermost, and the exemplar capture inside tracing,
        when ``AXIOMOD["metrics"]["grpc"]``."""
        from axiomod.conf import settings
        from axiomod_grpc import Interceptor

        if not settings.best_effort("metrics").grpc:
            return []
        return [
            Interceptor("metrics", 100, "axiomod_metrics.grpc.server_interceptor"),
            # inside tracing (200): reads the call's span while it is current
            Interceptor("metrics-exemplars", 250, "axiomod_metrics.grpc.exemplar_interceptor"),
        ]

    def _connect_celery(self) -> None:
        """Celery workers serve the metrics port from their main process, like gunicorn's master.

        ``worker_init`` runs in the main process before the prefork pool starts, so the
        children inherit the owner marker and never try to bind the port themselves.
        """
        try:
            from celery import signals
        except ImportError:
            return
        import os

        from .exposition import PORT_OWNER_ENV, start_metrics_server
        from .multiprocess import prepare_directory

        def worker_init(**kwargs: object) -> None:
            # Like gunicorn's on_starting: an earlier run's files would add to our totals.
            prepare_directory()
            os.environ[PORT_OWNER_ENV] = str(os.getpid())
            start_metrics_server(owner="celery worker")

        signals.worker_init.connect(worker_init, weak=False, dispatch_uid="axiomod_metrics.celery")
