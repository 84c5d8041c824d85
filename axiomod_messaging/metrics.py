"""Kafka metrics, recorded through ``axiomod_metrics`` when that app is installed.

* ``kafka_messages_produced_total{topic,status}``: delivery reports of ``publish()``
  (``ok``: the broker has it; ``error``: delivery failed and was reported).
* ``kafka_messages_consumed_total{topic,group,status}``: each message once, by outcome:
  ``ok`` (handled), ``error`` (tries exhausted), ``invalid`` (could not be decoded).
* ``kafka_message_retries_total{topic,group}``: failed tries that were tried again.
* ``kafka_message_processing_seconds{topic,group}``: handling time, every try included.
* ``kafka_messages_dead_lettered_total{topic,group}``: written to the dead-letter topic.
* ``kafka_consumer_lag{topic,partition,group}``: messages behind the partition's end,
  refreshed every few seconds by each consumer for the partitions it holds.

Without ``axiomod_metrics`` the recorders are no-ops; label children are cached per
topic so the per-message cost is one ``inc()``/``observe()``.
"""

from __future__ import annotations

import contextlib
import functools
from typing import Any

from django.apps import apps

__all__ = ["ConsumerMetrics", "produced"]


class _Null:
    """Stands for a metric child when ``axiomod_metrics`` is not installed."""

    def inc(self, amount: float = 1) -> None:
        return None

    def observe(self, amount: float) -> None:
        return None

    def set(self, value: float) -> None:
        return None


NULL = _Null()


@functools.cache
def _families() -> dict[str, Any] | None:
    if not apps.is_installed("axiomod_metrics"):
        return None
    from axiomod_metrics import counter, gauge, histogram

    return {
        "produced": counter(
            "kafka_messages_produced_total",
            "Messages published, by delivery result.",
            ["topic", "status"],
        ),
        "consumed": counter(
            "kafka_messages_consumed_total",
            "Messages consumed, by outcome.",
            ["topic", "group", "status"],
        ),
        "retries": counter(
            "kafka_message_retries_total",
            "Failed handler tries that were tried again.",
            ["topic", "group"],
        ),
        "seconds": histogram(
            "kafka_message_processing_seconds",
            "Time to handle a message, every try included.",
            ["topic", "group"],
        ),
        "dead": counter(
            "kafka_messages_dead_lettered_total",
            "Messages written to a dead-letter topic.",
            ["topic", "group"],
        ),
        "lag": gauge(
            "kafka_consumer_lag",
            "Messages between a partition's end and the consumer's handled offset.",
            ["topic", "partition", "group"],
            multiprocess_mode="max",
        ),
    }


@functools.lru_cache(maxsize=4096)
def _produced_child(topic: str, status: str) -> Any:
    families = _families()
    return NULL if families is None else families["produced"].labels(topic, status)


def produced(topic: str, ok: bool) -> None:
    _produced_child(topic, "ok" if ok else "error").inc()


class ConsumerMetrics:
    """The children one consumer records into, looked up once per topic."""

    def __init__(self, group: str) -> None:
        self.group = group
        self._families = _families()
        self._children: dict[tuple[str, str], Any] = {}

    def child(self, family: str, topic: str, *labels: str) -> Any:
        key = (family, topic, *labels)
        child = self._children.get(key)
        if child is None:
            if self._families is None:
                child = NULL
            else:
                child = self._families[family].labels(topic, self.group, *labels)
            self._children[key] = child
        return child

    def lag(self, topic: str, partition: int, value: int) -> None:
        if self._families is not None:
            self._families["lag"].labels(topic, str(partition), self.group).set(value)

    def forget_lag(self, topic: str, partition: int) -> None:
        """Drop a revoked partition's series: another consumer reports it now."""
        if self._families is not None:
            with contextlib.suppress(KeyError):
                self._families["lag"].remove(topic, str(partition), self.group)


class BatchedObservations:
    """Durations gathered during a batch, written into a histogram child at its end.

    prometheus_client has no ``observe_many``: each ``observe()`` takes the value lock
    once for the sum and once for a bucket (~2 µs, a third of the runner's own
    per-message cost in ``bench kafka``). Here a batch's durations are sorted into
    buckets with ``bisect`` and each touched bucket is incremented once. That uses the
    child's ``_upper_bounds``/``_buckets``/``_sum`` (stable since prometheus_client 0.4);
    a child without them (the no-op, a future client) gets plain ``observe()`` calls.
    """

    def __init__(self) -> None:
        self._pending: dict[Any, list[float]] = {}

    def add(self, child: Any, seconds: float) -> None:
        pending = self._pending.get(child)
        if pending is None:
            pending = self._pending[child] = []
        pending.append(seconds)

    def flush(self) -> None:
        import bisect
        import collections

        for child, values in self._pending.items():
            bounds = getattr(child, "_upper_bounds", None)
            if bounds is None or not hasattr(child, "_buckets"):
                for value in values:
                    child.observe(value)
                continue
            counts = collections.Counter(bisect.bisect_left(bounds, v) for v in values)
            for index, count in counts.items():
                child._buckets[index].inc(count)
            child._sum.inc(sum(values))
        self._pending.clear()
