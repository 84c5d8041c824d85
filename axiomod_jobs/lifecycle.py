"""What worker and beat processes do at start and stop, connected to Celery's signals.

* Tracing: set up in the worker's main process, again in every prefork child
  (``worker_process_init``: an exporter's thread and gRPC channel do not survive
  ``fork()``), and in beat; flushed when a child or the worker stops, since billiard
  children leave through ``os._exit`` and skip ``atexit``. Jobs are traced by
  opentelemetry-instrumentation-celery, which continues the trace of the code that
  enqueued the job (its ``traceparent`` travels in the message headers).
* Database: inherited connections and pools are dropped in each child by
  :mod:`axiomod.db.fork` (installed by the ``axiomod`` app), before Celery's own Django
  fixup looks at them.
* Metrics: the worker's main process serves the metrics port (``axiomod_metrics``);
  here, a warning when prefork children would record into memory no scrape reads.
* Kafka: messages that jobs published are flushed when a child or the worker stops.
* Shutdown: Celery's warm shutdown on SIGTERM is what we want (finish the running jobs,
  leave the reserved ones in the broker thanks to late acks and prefetch 1); this module
  only makes it visible in the log with the number of jobs being finished.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import signals

from axiomod import tracing

__all__ = ["connect", "instrument_tracing"]

logger = logging.getLogger("axiomod.jobs")


def instrument_tracing() -> bool:
    """Trace jobs (publish and run) when ``AXIOMOD["tracing"]`` exports spans.

    The instrumentor gets tracers from the global provider, which ``tracing.configure()``
    makes follow this process's provider, so it keeps working after a fork.
    """
    if not tracing.exports():
        return False
    try:
        from opentelemetry.instrumentation.celery import CeleryInstrumentor
    except ImportError:
        logger.warning(
            "AXIOMOD['tracing'] exports spans but opentelemetry-instrumentation-celery is "
            "not installed (the 'jobs' and 'tracing' extras): jobs are not traced"
        )
        return False
    instrumentor = CeleryInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument()
    return True


def _worker_init(sender: Any = None, **kwargs: Any) -> None:
    tracing.configure()
    _warn_unscraped_children(sender)


def _warn_unscraped_children(worker: Any) -> None:
    from django.apps import apps

    from axiomod.conf import settings

    if not apps.is_installed("axiomod_metrics") or os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    if settings.best_effort("metrics").port is None:
        return  # nothing scrapes this worker
    pool = getattr(worker, "pool_cls", None)
    pool_name = getattr(pool, "__module__", "") + "." + getattr(pool, "__name__", "")
    if "prefork" in pool_name:
        logger.warning(
            "PROMETHEUS_MULTIPROC_DIR is not set: job metrics recorded in the prefork "
            "children are not in this worker's scrape. Set it to an empty directory "
            "(see the events and messaging guide), or run --pool threads/solo."
        )


def _process_init(**kwargs: Any) -> None:
    tracing.configure()


def _process_shutdown(**kwargs: Any) -> None:
    # Prefork children leave through os._exit: the atexit hooks that flush queued Kafka
    # messages and spans do not run, so this does what they would.
    from django.apps import apps

    if apps.is_installed("axiomod_messaging"):
        import axiomod_messaging

        left = axiomod_messaging.flush()
        if left:
            logger.error("%d Kafka message(s) published by jobs were not delivered", left)
    tracing.shutdown()


def _worker_shutting_down(sender: Any = None, sig: str = "", how: str = "", **kwargs: Any) -> None:
    from celery.worker import state

    logger.info(
        "worker: %s received, %s shutdown: finishing %d running job(s); jobs not started "
        "stay in the broker",
        sig,
        how.lower(),
        len(state.active_requests),
    )


def _beat_init(**kwargs: Any) -> None:
    tracing.configure()


_RECEIVERS = (
    (signals.worker_init, _worker_init),
    (signals.worker_process_init, _process_init),
    (signals.worker_process_shutdown, _process_shutdown),
    (signals.worker_shutdown, _process_shutdown),
    (signals.worker_shutting_down, _worker_shutting_down),
    (signals.beat_init, _beat_init),
)


def connect() -> None:
    for signal, receiver in _RECEIVERS:
        signal.connect(receiver, weak=False, dispatch_uid=f"axiomod_jobs.{receiver.__name__}")
