"""The ``kafka`` readiness check, contributed to the health app when ``AXIOMOD["kafka"]`` is set.

A metadata request with a timeout. Not django-health-check's ``Kafka`` check: it joins a
consumer group for every probe and reports DOWN for a healthy cluster that has no topics
yet. Imported by the health app's autodiscovery of ``<app>/health.py`` (so only where
``axiomod_health``, and with it django-health-check, is installed).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
from typing import Any

from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable

from axiomod.conf import settings
from axiomod_health import CheckSpec, check_source

__all__ = ["KafkaMetadata", "kafka_checks"]


@dataclasses.dataclass
class KafkaMetadata(HealthCheck):
    """The brokers answer a metadata request within the timeout."""

    bootstrap_servers: str = ""
    config: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False)
    timeout_seconds: float = 1.0

    def _admin(self) -> Any:
        from confluent_kafka.admin import AdminClient

        key = (os.getpid(), self.bootstrap_servers, tuple(sorted(self.config.items())))
        with _ADMIN_LOCK:
            client = _ADMIN_CLIENTS.get(key)
            if client is None:  # one client per process: it reconnects by itself
                client = _ADMIN_CLIENTS[key] = AdminClient(
                    {
                        "bootstrap.servers": self.bootstrap_servers,
                        # librdkafka writes to stderr by default, several lines a second
                        # while a broker is down; route it to a logger users can tune.
                        "logger": logging.getLogger("axiomod.health.kafka"),
                        **self.config,
                    }
                )
            return client

    def run(self) -> None:
        from confluent_kafka import KafkaException

        try:
            metadata = self._admin().list_topics(timeout=self.timeout_seconds)
        except KafkaException as exc:
            raise ServiceUnavailable(f"no metadata from {self.bootstrap_servers}: {exc}") from exc
        if not metadata.brokers:
            raise ServiceUnavailable(f"no broker answered at {self.bootstrap_servers}")


_ADMIN_CLIENTS: dict[tuple, Any] = {}
_ADMIN_LOCK = threading.Lock()


@check_source
def kafka_checks(timeout: float) -> list[CheckSpec]:
    kafka = settings.kafka
    if kafka is None:
        return []
    return [
        CheckSpec("kafka", KafkaMetadata(kafka.bootstrap_servers, dict(kafka.security), timeout))
    ]
