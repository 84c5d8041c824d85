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

        from . import checks, registry  # noqa: F401  (checks registers the system checks)

        # The kernel's and the apps' instruments are created through this app's registry.
        instruments.set_backend(registry)

        self._connect_serving()
        self._record_gc()
        self._connect_celery()

    def _connect_serving(self) -> None:
        """A serving process starts the metrics port; one that stops gives it up.

        On ``serving_started``: the port (:func:`~.exposition.start_metrics_server`), and,
        outside multiprocess mode, a warning in any child this process forks later
        (:func:`~.workers.warn_if_forked_while_single_process`). On ``serving_stopped``
        (the ASGI lifespan shutdown): the port goes to another worker, and this process's
        live gauges are dropped (:func:`~.multiprocess.mark_stopped`), as gunicorn's
        ``child_exit`` hook does for its workers.
        """
        from axiomod.signals import serving_started, serving_stopped

        from .exposition import start_metrics_server, stop_metrics_server
        from .multiprocess import mark_stopped
        from .workers import warn_if_forked_while_single_process

        def started(**kwargs: object) -> None:
            start_metrics_server(owner=f"{kwargs.get('sender')} process")
            warn_if_forked_while_single_process()

        def stopped(**kwargs: object) -> None:
            stop_metrics_server()
            mark_stopped()

        serving_started.connect(started, weak=False, dispatch_uid="axiomod_metrics.port")
        serving_stopped.connect(stopped, weak=False, dispatch_uid="axiomod_metrics.stopped")

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
