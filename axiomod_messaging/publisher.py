"""The process-wide producer: ``producer()``, ``publish()`` and ``flush()``.

One confluent-kafka ``Producer`` per process, created on first use (never in a
gunicorn master that only imports code), replaced in a forked child (librdkafka's
threads do not survive ``fork()``, so the inherited handle is left alone rather than
used or destroyed), replaced when ``AXIOMOD`` changes (``override_settings`` in tests),
and flushed when the process exits.

Delivery is asynchronous, as in confluent-kafka: ``publish()`` returns once the message
is queued. Every delivery report goes through :meth:`Publisher._delivered`, which counts
it (``kafka_messages_produced_total``), logs failures and sends the
:data:`~axiomod_messaging.signals.delivery_failed` signal, so a lost message is never
silent. Reports are served by ``publish()`` itself and, when the process is idle, by a
daemon thread, so a failure surfaces within a fraction of a second even if nothing else
is published.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from opentelemetry import trace

from axiomod.tracing import kafka_headers

from . import metrics, signals
from .clients import kafka_settings, producer_config
from .conf import KafkaSettings
from .serializers import Serializer, get_serializer

__all__ = ["Publisher", "flush", "producer", "publish", "reset"]

logger = logging.getLogger("axiomod.kafka")

Headers = Mapping[str, str | bytes] | Iterable[tuple[str, str | bytes]]
DeliveryCallback = Callable[[Any, Any], None]

#: Seconds ``publish()`` waits for room when the local queue is full, serving delivery
#: reports meanwhile, before it gives up with ``BufferError``.
QUEUE_FULL_WAIT = 5.0
#: Seconds between the report thread's looks at an idle producer.
REPORT_INTERVAL = 0.2
_tracer = trace.get_tracer("axiomod.messaging")


def _encode_key(key: str | bytes | None) -> bytes | None:
    if key is None or isinstance(key, bytes):
        return key
    return str(key).encode()


class Publisher:
    """A confluent-kafka ``Producer`` with serialisation, trace headers and reporting.

    Built by :func:`producer` from the settings; build one yourself only for a producer
    with a different configuration (``Publisher(**{"linger.ms": 0})``).
    """

    def __init__(self, kafka: KafkaSettings | None = None, **overrides: Any) -> None:
        import confluent_kafka

        kafka = kafka or kafka_settings()
        config = producer_config(kafka, **overrides)
        config.setdefault("on_delivery", self._delivered)
        self.pid = os.getpid()
        self.shutdown_timeout = kafka.shutdown_timeout
        self.serializer: Serializer = get_serializer(kafka.serializer)
        self.raw = confluent_kafka.Producer(config)
        self._closed = threading.Event()
        self._last_publish = 0.0
        self._poller = threading.Thread(
            target=self._serve_reports, name="axiomod-kafka-producer", daemon=True
        )
        self._poller.start()

    def publish(
        self,
        topic: str,
        value: Any,
        key: str | bytes | None = None,
        headers: Headers | None = None,
        *,
        partition: int | None = None,
        timestamp: int | None = None,
        serializer: str | Serializer | None = None,
        on_delivery: DeliveryCallback | None = None,
    ) -> None:
        """Queue one message; its delivery is reported asynchronously.

        ``value`` is serialised (``bytes`` and ``None`` pass through), ``key`` is UTF-8
        encoded when it is a ``str``, and the current trace context joins ``headers``.
        ``on_delivery(error, message)`` is called after axiomod's own report, on the
        thread that serves reports.
        """
        if value is not None and not isinstance(value, bytes):
            if serializer is None:
                value = self.serializer.serialize(value)
            else:
                chosen = get_serializer(serializer) if isinstance(serializer, str) else serializer
                value = chosen.serialize(value)
        kwargs: dict[str, Any] = {}
        if partition is not None:
            kwargs["partition"] = partition
        if timestamp is not None:
            kwargs["timestamp"] = timestamp
        if on_delivery is not None:
            kwargs["on_delivery"] = self._also(on_delivery)
        parent = trace.get_current_span()
        if parent.is_recording():
            with _tracer.start_as_current_span(
                f"{topic} publish",
                kind=trace.SpanKind.PRODUCER,
                attributes={
                    "messaging.system": "kafka",
                    "messaging.operation.type": "send",
                    "messaging.destination.name": topic,
                },
            ):
                self._produce(topic, value, _encode_key(key), kafka_headers(headers), kwargs)
            return
        if parent.get_span_context().is_valid:  # an unsampled trace still propagates
            headers = kafka_headers(headers)
        # confluent-kafka takes a dict or (key, str | bytes) pairs as they are.
        self._produce(topic, value, _encode_key(key), headers or None, kwargs)

    def _produce(
        self, topic: str, value: Any, key: Any, headers: Any, kwargs: dict[str, Any]
    ) -> None:
        raw = self.raw
        self._last_publish = time.monotonic()
        try:
            raw.produce(topic, value, key, headers=headers, **kwargs)
        except BufferError:
            # The local queue is full (the broker is slow or away): wait for room,
            # serving delivery reports, rather than dropping the message.
            deadline = time.monotonic() + QUEUE_FULL_WAIT
            while True:
                raw.poll(0.05)
                try:
                    raw.produce(topic, value, key, headers=headers, **kwargs)
                    break
                except BufferError:
                    if time.monotonic() > deadline:
                        metrics.produced(topic, ok=False)
                        raise
        raw.poll(0)

    def _also(self, callback: DeliveryCallback) -> DeliveryCallback:
        def both(error: Any, message: Any) -> None:
            self._delivered(error, message)
            try:
                callback(error, message)
            except Exception:
                # confluent-kafka would re-raise it from whichever poll()/flush() served
                # the report: an unrelated publish() or the report thread.
                logger.exception("on_delivery callback %r failed", callback)

        return both

    def _delivered(self, error: Any, message: Any) -> None:
        topic = message.topic()
        metrics.produced(topic, ok=error is None)
        if error is not None:
            logger.error(
                "kafka delivery to %s failed (key %r): %s", topic, message.key(), error.str()
            )
            signals.send(signals.delivery_failed, Publisher, message=message, error=error)

    def _serve_reports(self) -> None:
        """Serve delivery reports while nothing calls ``publish()``.

        While publishing, ``publish()``'s own ``poll(0)`` serves them; polling here too
        would only make the two threads take turns on the GIL for the same callbacks
        (a fifth of the throughput in ``bench kafka``).
        """
        while not self._closed.wait(REPORT_INTERVAL):
            if time.monotonic() - self._last_publish < REPORT_INTERVAL:
                continue
            try:
                self.raw.poll(0)
            except Exception:  # never let the thread die: later reports would be lost
                logger.exception("serving kafka delivery reports failed")

    def flush(self, timeout: float | None = None) -> int:
        """Wait until queued messages are delivered (or ``timeout``); the count left."""
        if timeout is None:
            timeout = self.shutdown_timeout
        return self.raw.flush(timeout)

    def close(self, timeout: float | None = None) -> int:
        """Flush, then stop serving reports; the count of messages left undelivered."""
        left = self.flush(timeout)
        self._closed.set()
        if left:
            logger.error("kafka producer closed with %d messages undelivered", left)
        return left

    def __len__(self) -> int:
        return len(self.raw)


_lock = threading.Lock()
_current: Publisher | None = None
_inherited: list[Publisher] = []  # a parent's producers, never used or destroyed in a child


def producer() -> Publisher:
    """This process's producer, created on first use from ``AXIOMOD["kafka"]``."""
    current = _current
    if current is not None and current.pid == os.getpid():
        return current
    return _create()


def _create() -> Publisher:
    global _current
    with _lock:
        if _current is not None and _current.pid == os.getpid():
            return _current
        if _current is not None:
            _inherited.append(_current)
        _current = Publisher()
        return _current


def publish(
    topic: str,
    value: Any,
    key: str | bytes | None = None,
    headers: Headers | None = None,
    **kwargs: Any,
) -> None:
    """Publish with this process's producer: see :meth:`Publisher.publish`."""
    producer().publish(topic, value, key, headers, **kwargs)


def flush(timeout: float | None = None) -> int:
    """Deliver what this process queued; the count still undelivered (0 when none)."""
    current = _current
    if current is None or current.pid != os.getpid():
        return 0
    return current.flush(timeout)


def reset(timeout: float | None = 5.0) -> None:
    """Close this process's producer; the next ``producer()`` builds a new one."""
    global _current
    with _lock:
        current, _current = _current, None
    if current is not None and current.pid == os.getpid():
        current.close(timeout)


def _after_fork_in_child() -> None:
    global _current
    if _current is not None:
        _inherited.append(_current)
        _current = None


def _at_exit() -> None:
    current = _current
    if current is not None and current.pid == os.getpid():
        try:
            current.close()
        except Exception:  # interpreter shutdown: report, never raise
            logger.exception("kafka producer flush at exit failed")


os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(_at_exit)
