"""The example as it runs in a cluster: every process of it, on real services.

gunicorn (HTTP), ``manage.py axiomod_grpc`` (the Settlements service the HTTP edge
calls), ``manage.py axiomod_consume --group invoices-billing`` (Kafka) and a prefork
Celery worker, on PostgreSQL, Redis and a Tansu broker of the test's own. The one-trace
test follows a request through them; the dashboards test has the real Prometheus scrape
them. Import the fixtures used here into the test module (``example_broker``,
``jobs_redis``), as with the jobs suite's.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from axiomod.testing.kafka_broker import KafkaBroker
from tests.grpc.servers import GrpcServer
from tests.jobs.workers import CeleryProcess
from tests.messaging.consumers import ConsumerProcess
from tests.servers import ServerProcess, gunicorn, manage, service_env

__all__ = ["TOPICS", "WAIT", "ExampleStack", "example_broker", "example_stack"]

TOPICS = ("invoices.created", "invoices.settled")
#: Seconds any one wait may take before the test fails with the processes' logs.
WAIT = 60.0
#: The processes of the stack, the keys of ``example_stack``'s per-process environment.
PROCESSES = ("gunicorn", "grpc", "consumer", "worker")


@pytest.fixture
def example_broker(kafka_broker: KafkaBroker, tmp_path: Path) -> Iterator[KafkaBroker]:
    """A Tansu broker of this test's own, from the session broker's binary.

    The example's topic names and its billing group are fixed, and tests/messaging creates
    ``invoices.created`` on the session broker: a private broker keeps both suites' topics
    and committed offsets apart. Depending on ``kafka_broker`` keeps its skip-or-fail rule.
    """
    broker = KafkaBroker(
        binary=kafka_broker.binary, log_path=tmp_path / "tansu.log", version=kafka_broker.version
    )
    broker.start()
    try:
        for topic in TOPICS:
            broker.create_topic(topic)
        yield broker
    finally:
        broker.stop()


@dataclasses.dataclass
class ExampleStack:
    server: ServerProcess
    grpc: GrpcServer
    consumer: ConsumerProcess
    worker: CeleryProcess

    def logs(self) -> str:
        """The tail of every process's log, for failure messages."""
        return "\n".join(
            f"--- {name}\n{text[-2500:]}"
            for name, text in (
                ("gunicorn", self.server.log()),
                ("grpc", self.grpc.log()),
                ("consumer", self.consumer.log()),
                ("worker", self.worker.log()),
            )
        )


@contextlib.contextmanager
def example_stack(
    env: Mapping[str, str],
    tmp_path: Path,
    *,
    per_process: Mapping[str, Mapping[str, str]] | None = None,
    gunicorn_workers: int = 1,
) -> Iterator[ExampleStack]:
    """Migrate ``env``'s database, start the four processes, wait until each is serving.

    ``env`` holds what every process shares (``DATABASE_URL``, ``KAFKA_BOOTSTRAP_SERVERS``,
    ``CELERY_BROKER_URL``...); ``per_process`` adds variables to one of :data:`PROCESSES`
    (a metrics port of its own).
    """
    extra = {name: dict((per_process or {}).get(name, {})) for name in PROCESSES}
    migrated = manage("migrate", "--no-input", env=env)
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    with contextlib.ExitStack() as stack:
        grpc_server = stack.enter_context(
            GrpcServer({**env, **extra["grpc"]}, tmp_path / "grpc.log", settings="example.settings")
        )
        consumer = stack.enter_context(
            ConsumerProcess(
                env["KAFKA_BOOTSTRAP_SERVERS"],
                "invoices.settled",
                "invoices-billing",
                tmp_path / "unused.jsonl",
                tmp_path / "consumer.log",
                env={**env, **extra["consumer"]},
                args=("--group", "invoices-billing"),
                settings="example.settings",
            )
        )
        worker = CeleryProcess(
            "worker",
            service_env({**env, **extra["worker"], "DJANGO_SETTINGS_MODULE": "example.settings"}),
            tmp_path / "worker.log",
            ("--pool", "prefork", "--concurrency", "1"),
            app="example",
        ).start()
        stack.callback(worker.stop)
        server = stack.enter_context(
            gunicorn(
                {**env, **extra["gunicorn"], "SETTLEMENTS_GRPC_TARGET": grpc_server.target},
                tmp_path / "gunicorn.log",
                workers=gunicorn_workers,
            )
        )
        consumer.wait_assigned(WAIT)
        worker.wait_for_log("ready.", WAIT)
        yield ExampleStack(server, grpc_server, consumer, worker)
