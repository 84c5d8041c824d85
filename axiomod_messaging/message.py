"""The message object a handler receives."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

__all__ = ["Message"]


class Message:
    """One consumed Kafka message: the decoded ``value`` and where it came from.

    A thin view over confluent-kafka's message (``raw``): only ``value`` is computed
    up front; ``headers`` and ``timestamp`` are converted when first read, so handlers
    that never look at them pay nothing for them. ``attempt`` counts tries from 1.
    """

    __slots__ = ("_headers", "attempt", "group", "raw", "value")

    def __init__(self, raw: Any, value: Any, group: str, attempt: int = 1) -> None:
        self.raw = raw
        self.value = value
        self.group = group
        self.attempt = attempt
        self._headers: dict[str, bytes | None] | None = None

    @property
    def topic(self) -> str:
        return self.raw.topic()

    @property
    def partition(self) -> int:
        return self.raw.partition()

    @property
    def offset(self) -> int:
        return self.raw.offset()

    @property
    def key(self) -> bytes | None:
        return self.raw.key()

    @property
    def raw_value(self) -> bytes | None:
        """The value as it arrived, before the serializer."""
        return self.raw.value()

    @property
    def headers(self) -> dict[str, bytes | None]:
        """Headers by name (the last one wins when a name repeats, as in Kafka Streams)."""
        if self._headers is None:
            self._headers = dict(self.raw.headers() or ())
        return self._headers

    def header(self, name: str, default: str | None = None) -> str | None:
        """A header's value as text, or ``default``."""
        value = self.headers.get(name)
        return default if value is None else value.decode("utf-8", "replace")

    @property
    def timestamp(self) -> datetime | None:
        """When the producer (or broker, per the topic's setting) stamped the message."""
        kind, millis = self.raw.timestamp()
        if kind == 0 or millis < 0:  # TIMESTAMP_NOT_AVAILABLE
            return None
        return datetime.fromtimestamp(millis / 1000, tz=UTC)

    def __repr__(self) -> str:
        return f"<Message {self.topic}[{self.partition}]@{self.offset} attempt {self.attempt}>"
