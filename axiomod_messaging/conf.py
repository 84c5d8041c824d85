"""``AXIOMOD["kafka"]``: the producer, consumer groups, retries and dead letters."""

from __future__ import annotations

import dataclasses
import string
from collections.abc import Iterable
from typing import Any

from axiomod.conf import Section, setting

# Kafka's own rule for topic names: ASCII letters and digits, ".", "_" and "-".
TOPIC_CHARACTERS = frozenset(string.ascii_letters + string.digits + "._-")


def _topic(value: str) -> str | None:
    # Kafka's own rule: 1-249 characters of [a-zA-Z0-9._-].
    if not value or len(value) > 249 or not TOPIC_CHARACTERS.issuperset(value):
        return f"{value!r} is not a valid Kafka topic name"
    return None


def _topics(values: tuple[str, ...]) -> str | None:
    return next((p for p in map(_topic, values) if p), None)


def _suffix(value: str) -> str | None:
    if not value:
        return "must not be empty (the dead letters would go back to the source topic)"
    if not TOPIC_CHARACTERS.issuperset(value):
        return f"{value!r} would make invalid topic names (allowed: a-z A-Z 0-9 . _ -)"
    return None


@dataclasses.dataclass(frozen=True)
class RetrySettings(Section):
    """How a failing handler is retried before its message is dead-lettered."""

    title = "Kafka retry policy"

    max_attempts: int = setting(3, doc="Tries per message, the first included.", min=1)
    backoff_initial: float = setting(0.5, doc="Seconds before the second try.", min=0.0)
    backoff_max: float = setting(30.0, doc="Longest wait between tries, in seconds.", min=0.0)
    multiplier: float = setting(2.0, doc="Growth of the wait after each try.", min=1.0)

    def validate(self) -> Iterable[tuple[str, str]]:
        if self.backoff_max < self.backoff_initial:
            yield ("backoff_max", "must be at least backoff_initial")


@dataclasses.dataclass(frozen=True)
class ConsumerGroupSettings(Section):
    """One consumer group run by ``manage.py axiomod_consume --group NAME``."""

    title = "Kafka consumer group"

    topics: tuple[str, ...] = setting(
        (), doc="Topics consumed; empty means the topics of the group's handlers.", check=_topics
    )
    consumer: dict[str, Any] = setting({}, doc="librdkafka overrides for this group.")
    concurrency: int = setting(
        1, doc="Consumers (threads, one Kafka consumer each) this group runs per process.", min=1
    )
    batch_size: int = setting(
        100,
        doc="Messages fetched per poll. Offsets still advance one message at a time, "
        "after its handler succeeds; on shutdown the unhandled rest is fetched again.",
        min=1,
        max=10000,
    )
    in_flight: int = setting(
        1,
        doc="Messages of different partitions one consumer handles at once, for groups "
        "with ``async def`` handlers (never two of one partition: each partition keeps its "
        "order). Raise it for I/O-bound handlers on topics with many partitions; sync-only "
        "groups handle one at a time whatever it says (use ``concurrency``).",
        min=1,
        max=1000,
    )


@dataclasses.dataclass(frozen=True)
class KafkaSettings(Section):
    """Kafka on confluent-kafka, read by ``axiomod_messaging``."""

    title = "Kafka"
    app = "axiomod_messaging"
    key = "kafka"
    optional = True

    bootstrap_servers: str = setting(
        required=True,
        doc="Comma-separated ``host:port`` list.",
        env="KAFKA_BOOTSTRAP_SERVERS",
        go_key="kafka.brokers",
    )
    client_id: str | None = setting(None, doc="Client id; defaults to the service name.")
    security: dict[str, Any] = setting(
        {}, doc="``security.protocol``, ``sasl.*`` and ``ssl.*`` keys passed to every client."
    )
    producer: dict[str, Any] = setting({}, doc="librdkafka producer overrides.")
    consumer: dict[str, Any] = setting({}, doc="librdkafka consumer overrides for every group.")
    groups: dict[str, ConsumerGroupSettings] = setting(
        {},
        doc="Consumer groups by ``group.id``; handlers without ``group=`` join the one named "
        "after ``service_name``.",
        go_key="kafka.consumerGroup",
    )
    retry: RetrySettings = setting(RetrySettings(), doc="Handler retry policy.")
    dead_letter: bool = setting(True, doc="Send messages that exhaust their tries to a topic.")
    dead_letter_suffix: str = setting(
        ".dlq", doc="Dead-letter topic = source topic + suffix.", check=_suffix
    )
    serializer: str = setting(
        "json",
        doc="``json``, ``bytes`` or the dotted path of a serializer class "
        "(``serialize``/``deserialize``); a handler or publish() may name its own.",
    )
    commit_interval: float = setting(
        1.0,
        doc="Seconds between commits of handled offsets (asynchronous); 0 commits after "
        "every message, synchronously. Revoked partitions and shutdown always commit.",
        min=0.0,
    )
    shutdown_timeout: float = setting(
        30.0, doc="Seconds a consumer gets to finish and commit on SIGTERM.", min=0.0
    )

    def validate(self) -> Iterable[tuple[str, str]]:
        for key in self.security:
            if not key.startswith(("security.", "sasl.", "ssl.")):
                yield ("security", f"{key!r} is not a security.*, sasl.* or ssl.* key")


#: The sections this app adds to ``AXIOMOD`` (found by :mod:`axiomod.conf.registry`).
AXIOMOD_SECTIONS = (KafkaSettings,)
