"""``manage.py axiomod_consume`` as a real subprocess, and the broker-side helpers.

The tests run the command the way a Deployment would, signal it the way Kubernetes
does, and read what its handler recorded (``tests/messaging/project/handlers.py``).
"""

from __future__ import annotations

import collections
import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.servers import ROOT, service_env

SETTINGS = "tests.messaging.project.settings"


@dataclass
class ConsumerProcess:
    """One ``axiomod_consume`` process of the test project."""

    bootstrap_servers: str
    topic: str
    group: str
    record: Path
    log_path: Path
    env: Mapping[str, str] = field(default_factory=dict)
    args: tuple[str, ...] = ()
    settings: str = SETTINGS
    process: subprocess.Popen | None = None

    def start(self) -> ConsumerProcess:
        env = service_env(
            {
                "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
                "AXIOMOD_TEST_TOPIC": self.topic,
                "AXIOMOD_TEST_GROUP": self.group,
                "AXIOMOD_TEST_RECORD": str(self.record),
                "PYTHONUNBUFFERED": "1",
                **self.env,
            }
        )
        env["DJANGO_SETTINGS_MODULE"] = self.settings
        self._log = open(self.log_path, "ab")  # noqa: SIM115  (closed in wait())
        self.process = subprocess.Popen(
            [sys.executable, "-m", "django", "axiomod_consume", *self.args],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float = 60.0, after: int = 0) -> None:
        """Wait until ``text`` appears in the log (past character ``after``)."""
        deadline = time.monotonic() + timeout
        while text not in self.log()[after:]:
            if self.process.poll() is not None:
                raise AssertionError(f"consumer exited ({self.process.returncode}):\n{self.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not logged within {timeout} s:\n{self.log()}")
            time.sleep(0.1)

    def wait_assigned(self, timeout: float = 60.0) -> None:
        self.wait_for_log(f"group {self.group} assigned", timeout)

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM, as Kubernetes sends it; the exit status (fails the test if it hangs)."""
        self.process.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def kill(self) -> None:
        self.process.kill()
        self.wait(10)

    def wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            raise AssertionError(
                f"consumer did not exit within {timeout} s:\n{self.log()}"
            ) from None
        finally:
            self._log.close()

    def __enter__(self) -> ConsumerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.wait(10)


def records(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def handled_numbers(path: Path) -> collections.Counter:
    return collections.Counter(r["n"] for r in records(path))


def wait_for_records(
    path: Path, predicate, consumers: Iterable[ConsumerProcess] = (), timeout: float = 90.0
) -> list[dict[str, Any]]:
    """Wait until ``predicate(records)`` holds; fail with the consumers' logs if it never does."""
    deadline = time.monotonic() + timeout
    while True:
        found = records(path)
        if predicate(found):
            return found
        if time.monotonic() > deadline:
            logs = "\n".join(c.log() for c in consumers)
            raise AssertionError(f"records never matched ({len(found)} so far); logs:\n{logs}")
        time.sleep(0.1)


def produce(
    broker: Any,
    topic: str,
    values: Iterable[bytes | dict],
    *,
    key: bytes | None = None,
    headers: list[tuple[str, bytes]] | None = None,
    partitions: int = 1,
) -> None:
    """Produce raw messages with plain confluent-kafka (the test's independent producer).

    Message i goes to partition ``i % partitions``: librdkafka's sticky partitioner
    would put a whole keyless batch on one partition.
    """
    from confluent_kafka import Producer

    producer = Producer(broker.client_config())
    for i, value in enumerate(values):
        data = value if isinstance(value, bytes) else json.dumps(value).encode()
        producer.produce(topic, data, key, partition=i % partitions, headers=headers)
    assert producer.flush(30) == 0


def consume_all(broker: Any, topic: str, count: int, timeout: float = 30.0) -> list[Any]:
    """Read ``count`` messages of ``topic`` from the start with plain confluent-kafka."""
    from confluent_kafka import Consumer

    consumer = Consumer(broker.consumer_config(f"reader-{topic}-{time.monotonic_ns()}"))
    consumer.subscribe([topic])
    found: list[Any] = []
    deadline = time.monotonic() + timeout
    try:
        while len(found) < count and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                found.append(message)
    finally:
        consumer.close()
    return found
