"""Writing messages that cannot be handled to their dead-letter topic, confirmed.

The source offset may only be committed once the broker has the dead-letter copy, so a
write is confirmed synchronously (``flush`` until its delivery report arrives) and
retried with backoff while it fails. Dead letters are rare, so the wait costs nothing
on the normal path.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Any

from .clients import producer_config
from .conf import KafkaSettings

__all__ = ["DeadLetterWriter", "error_headers"]

logger = logging.getLogger("axiomod.kafka")

#: librdkafka gives up on a queued message after this long and reports the failure, so
#: a write attempt ends with a definite answer instead of waiting for ever.
DELIVERY_TIMEOUT_MS = 10_000
HEADER_PREFIX = "x-axiomod-"
MAX_ERROR_TEXT = 2000


def error_headers(raw: Any, error: BaseException, group: str, attempts: int) -> list[tuple]:
    """The source message's headers plus ``x-axiomod-*`` headers naming the failure."""
    kind = type(error)
    values = {
        "error-type": f"{kind.__module__}.{kind.__qualname__}",
        "error-message": str(error)[:MAX_ERROR_TEXT],
        "original-topic": raw.topic(),
        "original-partition": str(raw.partition()),
        "original-offset": str(raw.offset()),
        "consumer-group": group,
        "attempts": str(attempts),
        "failed-at": datetime.now(UTC).isoformat(timespec="milliseconds"),
    }
    headers = list(raw.headers() or ())
    headers.extend((HEADER_PREFIX + name, value.encode()) for name, value in values.items())
    return headers


class DeadLetterWriter:
    """A dedicated producer (``acks=all``, idempotent) for one consumer's dead letters."""

    def __init__(self, kafka: KafkaSettings) -> None:
        import confluent_kafka

        self.suffix = kafka.dead_letter_suffix
        self._producer = confluent_kafka.Producer(
            producer_config(
                kafka,
                **{
                    "acks": "all",
                    "enable.idempotence": True,
                    "linger.ms": 0,
                    "message.timeout.ms": DELIVERY_TIMEOUT_MS,
                },
            )
        )

    def topic_for(self, topic: str) -> str:
        return topic + self.suffix

    def write(
        self, topic: str, key: bytes | None, value: bytes | None, headers: list
    ) -> str | None:
        """Write one message and wait for the broker; None when stored, else the error."""
        outcome: list[str | None] = []

        def delivered(error: Any, message: Any) -> None:
            outcome.append(None if error is None else error.str())

        try:
            self._producer.produce(topic, value, key, headers=headers, on_delivery=delivered)
        except Exception as exc:  # BufferError, KafkaException (unknown topic)...
            return str(exc)
        # Wait past librdkafka's own deadline so the report (success or failure) arrives.
        self._producer.flush(DELIVERY_TIMEOUT_MS / 1000 + 5)
        if not outcome:
            return "no delivery report from the broker"
        return outcome[0]

    def send(
        self,
        raw: Any,
        error: BaseException,
        *,
        group: str,
        attempts: int,
        stop: threading.Event,
        backoff: float,
        backoff_max: float,
    ) -> str | None:
        """Dead-letter ``raw``, retrying until stored; the topic, or None if ``stop`` came first."""
        topic = self.topic_for(raw.topic())
        headers = error_headers(raw, error, group, attempts)
        delay = max(backoff, 0.1)
        while True:
            problem = self.write(topic, raw.key(), raw.value(), headers)
            if problem is None:
                return topic
            logger.error(
                "dead-letter write of %s[%d]@%d to %s failed (%s); retrying in %.1f s",
                raw.topic(),
                raw.partition(),
                raw.offset(),
                topic,
                problem,
                delay,
            )
            if stop.wait(delay):
                return None
            delay = min(delay * 2, max(backoff_max, delay))

    def close(self) -> None:
        self._producer.flush(5)
