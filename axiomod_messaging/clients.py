"""librdkafka configurations built from ``AXIOMOD["kafka"]``, and their validation.

Every client (the producer, each consumer, the dead-letter producer) is configured here,
so the layering is in one place: connection and security keys, then the section's
``producer``/``consumer`` overrides, then the group's own overrides, then the keys the
runner must own for its delivery guarantee.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from typing import Any

from axiomod.conf import settings

from .conf import ConsumerGroupSettings, KafkaSettings

__all__ = [
    "MANAGED_CONSUMER_KEYS",
    "consumer_config",
    "group_settings",
    "invalid_keys",
    "kafka_settings",
    "producer_config",
]


class _RepeatFilter(logging.Filter):
    """Lets a librdkafka log line through once per ``window`` seconds.

    While a broker is down librdkafka logs the same connection failure for every
    reconnect attempt (several a second); one line per window says the same thing.
    """

    def __init__(self, window: float = 30.0) -> None:
        super().__init__()
        self.window = window
        self._last: dict[str, float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        now = time.monotonic()
        last = self._last.get(text)
        if last is not None and now - last < self.window:
            return False
        if len(self._last) > 1000:
            self._last.clear()
        self._last[text] = now
        return True


#: librdkafka's own log lines go to this logger instead of stderr.
client_logger = logging.getLogger("axiomod.kafka.client")
client_logger.addFilter(_RepeatFilter())

#: Set by the runner whatever the overrides say: offsets are committed by the runner,
#: one handled message at a time, never by librdkafka's timer for messages in flight.
MANAGED_CONSUMER_KEYS: Mapping[str, Any] = {
    "enable.auto.commit": False,
    "enable.auto.offset.store": False,
}

# Producer defaults safer than librdkafka's own: no duplicates on retries. Overridable.
PRODUCER_DEFAULTS: Mapping[str, Any] = {"enable.idempotence": True}

# Consumer defaults: a new group starts at the oldest retained message rather than
# skipping everything already in the topic. Overridable.
CONSUMER_DEFAULTS: Mapping[str, Any] = {"auto.offset.reset": "earliest"}


def kafka_settings() -> KafkaSettings:
    """``AXIOMOD["kafka"]``, or ImproperlyConfigured saying how to set it."""
    kafka = settings.kafka
    if kafka is None:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            'AXIOMOD["kafka"] is not set: add {"bootstrap_servers": "host:9092"} '
            "(or set KAFKA_BOOTSTRAP_SERVERS) to use Kafka."
        )
    return kafka


def _base(kafka: KafkaSettings) -> dict[str, Any]:
    return {
        "bootstrap.servers": kafka.bootstrap_servers,
        "client.id": kafka.client_id or settings.service_name,
        **kafka.security,
        "logger": client_logger,
    }


def producer_config(kafka: KafkaSettings | None = None, **extra: Any) -> dict[str, Any]:
    """The producer's configuration; ``extra`` (librdkafka keys) goes on top."""
    kafka = kafka or kafka_settings()
    return {**_base(kafka), **PRODUCER_DEFAULTS, **kafka.producer, **extra}


def group_settings(group: str, kafka: KafkaSettings | None = None) -> ConsumerGroupSettings:
    """The group's section, or the defaults for a group only handlers name."""
    kafka = kafka or kafka_settings()
    return kafka.groups.get(group) or ConsumerGroupSettings()


def consumer_config(group: str, kafka: KafkaSettings | None = None) -> dict[str, Any]:
    """The configuration of one consumer of ``group``."""
    kafka = kafka or kafka_settings()
    return {
        **_base(kafka),
        **CONSUMER_DEFAULTS,
        **kafka.consumer,
        **group_settings(group, kafka).consumer,
        "group.id": group,
        **MANAGED_CONSUMER_KEYS,
    }


def invalid_keys(config: Mapping[str, Any], kind: str) -> Iterable[tuple[str | None, str]]:
    """``(key, problem)`` for each key librdkafka refuses in a ``kind`` client config.

    librdkafka is the authority on its ~200 keys and their values (confluent-kafka has no
    list of them), so the check asks it: building a client without ``bootstrap.servers``
    validates the configuration and opens no connection. When the whole configuration
    fails, each key is tried alone to name the culprit; a problem no single key explains
    (``sasl.mechanism`` without credentials, say) comes back with ``key`` None.
    """
    import confluent_kafka

    def problem(conf: Mapping[str, Any]) -> str | None:
        conf = {k: v for k, v in conf.items() if k != "bootstrap.servers"}
        conf["logger"] = client_logger
        try:
            if kind == "producer":
                confluent_kafka.Producer(conf)
            else:
                conf.setdefault("group.id", "axiomod-config-check")
                confluent_kafka.Consumer(conf).close()
        except (confluent_kafka.KafkaException, TypeError, ValueError) as exc:
            error = exc.args[0] if exc.args else exc
            return error.str() if isinstance(error, confluent_kafka.KafkaError) else str(error)
        return None

    whole = problem(config)
    if whole is None:
        return
    found = False
    for key, value in config.items():
        single = problem({key: value})
        if single is not None:
            found = True
            yield key, single
    if not found:
        yield None, whole
