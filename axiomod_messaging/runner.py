"""One consumer of a group: fetch, handle, retry, dead-letter, commit.

The delivery guarantee is at-least-once, and this is where it is kept:

* a message's offset becomes committable only after its handler returned, or after its
  dead-letter copy was confirmed by the broker (``_handled``);
* handled offsets are committed every ``commit_interval`` (asynchronously; a failed
  commit is retried by the next one), for revoked partitions before they are handed
  over, and once more, synchronously, before the consumer closes;
* when asked to stop, the runner finishes the message in hand and leaves the rest of
  its batch unhandled (it is fetched again by whoever owns the partition next), so a
  clean shutdown neither loses a message nor handles one twice.

``async def`` handlers run on :class:`~axiomod_messaging.async_runner.AsyncConsumerRunner`,
a subclass that keeps these rules with several messages (of different partitions) in flight.

Why not django-kafka or faststream: both commit through librdkafka's auto-commit timer
(or per batch), neither confirms the dead-letter write before moving past a message,
and neither knows Django's connection handling; the loop itself is small.
"""

from __future__ import annotations

import collections
import inspect
import logging
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import close_old_connections
from opentelemetry import trace

from axiomod.db.routers import reset_pin
from axiomod.tracing import context_from_kafka, is_configured

from . import signals
from .clients import consumer_config, group_settings, kafka_settings
from .conf import KafkaSettings
from .dead_letters import DeadLetterWriter
from .errors import PermanentError
from .message import Message
from .metrics import BatchedObservations, ConsumerMetrics
from .registry import Handler

__all__ = ["ConsumerRunner"]

logger = logging.getLogger("axiomod.kafka")

#: Longest a fetch blocks: how soon a stop request is noticed when no messages arrive.
POLL_TIMEOUT = 0.5
#: Seconds between refreshes of the lag gauge.
LAG_INTERVAL = 5.0

_tracer = trace.get_tracer("axiomod.messaging")

TopicPartition = tuple[str, int]


class ConsumerRunner:
    """Runs one Kafka consumer of ``group`` for ``handlers`` (topic -> handler) until stopped."""

    def __init__(
        self,
        group: str,
        handlers: Mapping[str, Handler],
        stop: threading.Event,
        *,
        kafka: KafkaSettings | None = None,
    ) -> None:
        self.group = group
        self.handlers = dict(handlers)
        self.stop = stop
        self.kafka = kafka = kafka or kafka_settings()
        self.batch_size = group_settings(group, kafka).batch_size
        self.retry = kafka.retry
        self.commit_interval = kafka.commit_interval
        self.metrics = ConsumerMetrics(group)
        self.error: BaseException | None = None
        self.consumer: Any = None
        self._serializers = {topic: entry.serializer() for topic, entry in self.handlers.items()}
        self._dead_letters = DeadLetterWriter(kafka) if kafka.dead_letter else None
        self._handled: dict[TopicPartition, int] = {}  # next offset to commit, by partition
        self._committed: dict[TopicPartition, int] = {}
        self._assigned_at: dict[TopicPartition, int] = {}  # committed offset when assigned
        self._ok: collections.Counter[str] = collections.Counter()  # handled, this batch
        self._durations = BatchedObservations()
        self._traced = is_configured()
        self._warned_awaitable: set[str] = set()
        self._next_commit = self._next_lag = 0.0

    # -- the loop ---------------------------------------------------------------------

    def run(self) -> None:
        """Consume until ``stop`` is set; record a fatal error in ``self.error``."""
        try:
            self._start()
        except Exception as exc:  # a bad configuration, a broker-side refusal...
            self.error = exc
            logger.exception("consumer of group %s could not start", self.group)
            return
        try:
            self._loop()
        except Exception as exc:
            self.error = exc
            logger.exception("consumer of group %s failed", self.group)
        finally:
            self._close()

    def _start(self) -> None:
        import confluent_kafka

        config = consumer_config(self.group, self.kafka)
        config["on_commit"] = self._on_commit
        self.consumer = confluent_kafka.Consumer(config)
        self.consumer.subscribe(
            sorted(self.handlers),
            on_assign=self._on_assign,
            on_revoke=self._on_revoke,
            on_lost=self._on_lost,
        )
        logger.info("consumer of group %s started on %s", self.group, ", ".join(self.handlers))

    def _loop(self) -> None:
        consumer = self.consumer
        handled = self._handled
        while not self.stop.is_set():
            batch = consumer.consume(self.batch_size, POLL_TIMEOUT)
            for raw in batch:
                if self.stop.is_set():
                    break  # the unhandled rest of the batch is fetched again later
                if raw.error() is not None:
                    self._client_error(raw.error())
                elif not self._handle(raw):
                    break  # interrupted while retrying: not handled, not committed
                else:
                    handled[(raw.topic(), raw.partition())] = raw.offset() + 1
                    if not self.commit_interval:
                        self._commit(asynchronous=False)
            if batch:
                self._end_of_batch()
            self._tick()

    def _tick(self) -> None:
        """Commit every ``commit_interval``; refresh the lag gauge every ``LAG_INTERVAL``."""
        now = time.monotonic()
        if now >= self._next_commit:
            self._commit(asynchronous=True)
            self._next_commit = now + self.commit_interval
        if now >= self._next_lag:
            self._report_lag()
            self._next_lag = now + LAG_INTERVAL

    def _end_of_batch(self) -> None:
        """Per-batch bookkeeping, kept off the per-message path.

        Django's ``close_old_connections`` (what a request's start and end call) costs
        microseconds even with no connection open, as much as the rest of the runner's
        per-message work, so it runs once per batch (and after every failed try, where a
        broken connection is likely); a batch is one message when traffic is light.
        """
        close_old_connections()
        for topic, count in self._ok.items():
            self.metrics.child("consumed", topic, "ok").inc(count)
        self._ok.clear()
        self._durations.flush()

    def _close(self) -> None:
        self._end_of_batch()
        self._commit(asynchronous=False)
        self.consumer.close()
        if self._dead_letters is not None:
            self._dead_letters.close()
        logger.info("consumer of group %s closed", self.group)

    def _client_error(self, error: Any) -> None:
        import confluent_kafka

        if error.fatal():
            raise confluent_kafka.KafkaException(error)
        if error.code() != confluent_kafka.KafkaError._PARTITION_EOF:
            logger.warning("consumer of group %s: %s", self.group, error.str())

    # -- one message --------------------------------------------------------------------

    def _handle(self, raw: Any) -> bool:
        """Handle one message; False only when a stop interrupted it before it was done."""
        topic = raw.topic()
        started = time.perf_counter()
        if self._traced:
            with self._span(raw):
                done = self._tries(raw, topic)
        else:
            done = self._tries(raw, topic)
        self._durations.add(self.metrics.child("seconds", topic), time.perf_counter() - started)
        return done

    def _span(self, raw: Any) -> Any:
        """The CONSUMER span of one message, continuing the producer's trace."""
        topic = raw.topic()
        return _tracer.start_as_current_span(
            f"{topic} process",
            context=context_from_kafka(raw.headers()),
            kind=trace.SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.operation.type": "process",
                "messaging.destination.name": topic,
                "messaging.consumer.group.name": self.group,
                "messaging.destination.partition.id": str(raw.partition()),
                "messaging.kafka.offset": raw.offset(),
            },
        )

    def _decode(self, raw: Any, topic: str) -> Any:
        data = raw.value()
        return None if data is None else self._serializers[topic].deserialize(data)

    def _tries(self, raw: Any, topic: str) -> bool:
        try:
            value = self._decode(raw, topic)
        except Exception as exc:
            return self._dead_letter(raw, exc, attempts=0, outcome="invalid")
        func = self.handlers[topic].func
        delay = self.retry.backoff_initial
        attempt = 1
        while True:
            reset_pin()
            try:
                result = func(Message(raw, value, self.group, attempt))
                if inspect.isawaitable(result):
                    self._await(topic, result)
            except Exception as exc:
                error = exc
            else:
                self._ok[topic] += 1
                return True
            close_old_connections()  # a broken connection must not reach the next try
            if not self._try_again(raw, error, attempt, delay):
                return self._dead_letter(raw, error, attempts=attempt, outcome="error")
            if self.stop.wait(delay):
                return False
            attempt += 1
            delay = self._next_delay(delay)

    def _await(self, topic: str, awaitable: Any) -> None:
        """Run the awaitable a plain ``def`` handler returned, to completion, on this thread.

        A function that returns a coroutine looks synchronous to the registry, so its
        group got this runner; asgiref's ``async_to_sync`` (what Django uses for the same
        hop) runs it on a fresh event loop. Correct but one at a time: declared ``async
        def``, the handler would get the async runner and ``in_flight``.
        """
        from asgiref.sync import async_to_sync

        if topic not in self._warned_awaitable:
            self._warned_awaitable.add(topic)
            logger.warning(
                "handler %s returned an awaitable: awaited with async_to_sync, one message "
                "at a time; declare it async def to run it on the async runner",
                self.handlers[topic].name,
            )
        async_to_sync(_awaited)(awaitable)

    def _try_again(self, raw: Any, error: BaseException, attempt: int, delay: float) -> bool:
        """Record a failed try; True when the message gets another after ``delay``."""
        trace.get_current_span().record_exception(error)
        retry = self.retry
        if isinstance(error, PermanentError) or attempt >= retry.max_attempts:
            return False
        self.metrics.child("retries", raw.topic()).inc()
        logger.warning(
            "handler of %s[%d]@%d failed (try %d of %d), retrying in %.2f s: %r",
            raw.topic(),
            raw.partition(),
            raw.offset(),
            attempt,
            retry.max_attempts,
            delay,
            error,
        )
        return True

    def _next_delay(self, delay: float) -> float:
        return min(delay * self.retry.multiplier, self.retry.backoff_max)

    def _dead_letter(self, raw: Any, error: BaseException, attempts: int, outcome: str) -> bool:
        """Move past a message that failed for good; False if a stop came first.

        Counted (``consumed_total{status=outcome}``) only once it is really moved past,
        so a message whose dead-letter write a shutdown interrupted is counted once, by
        the consumer that handles it next.
        """
        trace.get_current_span().set_status(
            trace.Status(trace.StatusCode.ERROR, f"{type(error).__name__}: {error}")
        )
        topic = None
        if self._dead_letters is not None:
            topic = self._dead_letters.send(
                raw,
                error,
                group=self.group,
                attempts=attempts,
                stop=self.stop,
                backoff=self.retry.backoff_initial,
                backoff_max=self.retry.backoff_max,
            )
            if topic is None:
                return False
            self.metrics.child("dead", raw.topic()).inc()
        self.metrics.child("consumed", raw.topic(), outcome).inc()
        where = f"{raw.topic()}[{raw.partition()}]@{raw.offset()}"
        if topic:
            logger.error(
                "message %s sent to %s after %d tries: %r",
                where,
                topic,
                attempts,
                error,
                exc_info=error,
            )
            signals.send(
                signals.message_dead_lettered,
                self.group,
                message=raw,
                error=error,
                dead_letter_topic=topic,
            )
        else:
            logger.error(
                "message %s dropped after %d tries (dead letters are off): %r",
                where,
                attempts,
                error,
                exc_info=error,
            )
        return True

    # -- offsets ------------------------------------------------------------------------

    def _commit(self, *, asynchronous: bool, only: Iterable[TopicPartition] | None = None) -> None:
        import confluent_kafka

        wanted = self._handled if only is None else {k: self._handled[k] for k in only}
        if asynchronous:
            wanted = {k: v for k, v in wanted.items() if self._committed.get(k) != v}
        if not wanted:
            return
        offsets = [confluent_kafka.TopicPartition(t, p, o) for (t, p), o in wanted.items()]
        try:
            self.consumer.commit(offsets=offsets, asynchronous=asynchronous)
        except confluent_kafka.KafkaException as exc:
            # Kept in _handled: the next commit (or the partition's next owner) retries.
            logger.warning("commit of group %s failed: %s", self.group, exc.args[0])
            return
        self._committed.update(wanted)

    def _on_commit(self, error: Any, partitions: list) -> None:
        failed = [tp for tp in partitions if tp.error is not None]
        if error is None and not failed:
            return
        for tp in failed or partitions:
            self._committed.pop((tp.topic, tp.partition), None)  # retried by the next commit
        logger.warning("commit of group %s failed: %s", self.group, error or failed[0].error)

    def _on_assign(self, consumer: Any, partitions: list) -> None:
        logger.info("group %s assigned %s", self.group, _names(partitions))
        try:
            committed = consumer.committed(partitions, timeout=LAG_INTERVAL)
        except Exception as exc:  # only the lag gauge needs it
            logger.warning("group %s: committed offsets unknown: %s", self.group, exc)
            return
        for tp in committed:
            self._assigned_at[(tp.topic, tp.partition)] = tp.offset

    def _on_revoke(self, consumer: Any, partitions: list) -> None:
        """Commit what was handled on the partitions before their next owner starts."""
        keys = [(tp.topic, tp.partition) for tp in partitions]
        self._commit(asynchronous=False, only=[k for k in keys if k in self._handled])
        self._forget(keys)
        logger.info("group %s revoked %s", self.group, _names(partitions))

    def _on_lost(self, consumer: Any, partitions: list) -> None:
        """Lost (not handed over): another member may own them already; committing is unsafe."""
        self._forget([(tp.topic, tp.partition) for tp in partitions])
        logger.warning("group %s lost %s", self.group, _names(partitions))

    def _forget(self, keys: list[TopicPartition]) -> None:
        for key in keys:
            self._handled.pop(key, None)
            self._committed.pop(key, None)
            self._assigned_at.pop(key, None)
            self.metrics.forget_lag(*key)

    def _report_lag(self) -> None:
        """Lag of every partition held, from the high watermark librdkafka last fetched.

        A partition nothing was handled on yet counts from its committed offset (or its
        start, for a new group), so a consumer stuck on its first message shows its lag.
        """
        import confluent_kafka

        for key, start in self._assigned_at.items():
            tp = confluent_kafka.TopicPartition(*key)
            low, high = self.consumer.get_watermark_offsets(tp, cached=True)
            next_offset = self._handled.get(key, start if start >= 0 else low)
            if high >= 0 and next_offset >= 0:
                self.metrics.lag(*key, max(high - next_offset, 0))


def _names(partitions: list) -> str:
    return ", ".join(f"{tp.topic}[{tp.partition}]" for tp in partitions) or "nothing"


async def _awaited(awaitable: Any) -> Any:
    return await awaitable
