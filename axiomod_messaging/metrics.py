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

Declared on the kernel's :mod:`axiomod.instruments`: recorded when ``axiomod_metrics``
supplies the backend, no-ops without it. Label children are cached per topic so the
per-message cost is one ``inc()``/``observe()``.
"""

from __future__ import annotations

import contextlib
import functools
from typing import Any

from axiomod import instruments

__all__ = ["ConsumerMetrics", "produced"]

PRODUCED = instruments.counter(
    "kafka_messages_produced_total",
    "Messages published, by delivery result.",
    ["topic", "status"],
)
CONSUMED = instruments.counter(
    "kafka_messages_consumed_total",
    "Messages consumed, by outcome.",
    ["topic", "group", "status"],
)
RETRIES = instruments.counter(
    "kafka_message_retries_total",
    "Failed handler tries that were tried again.",
    ["topic", "group"],
)
SECONDS = instruments.histogram(
    "kafka_message_processing_seconds",
    "Time to handle a message, every try included.",
    ["topic", "group"],
)
DEAD_LETTERED = instruments.counter(
    "kafka_messages_dead_lettered_total",
    "Messages written to a dead-letter topic.",
    ["topic", "group"],
)
LAG = instruments.gauge(
    "kafka_consumer_lag",
    "Messages between a partition's end and the consumer's handled offset.",
    ["topic", "partition", "group"],
    multiprocess_mode="livemax",
)
#: The families :meth:`ConsumerMetrics.child` names (labels: topic, group, then the rest).
_FAMILIES: dict[str, instruments.Instrument] = {
    "consumed": CONSUMED,
    "retries": RETRIES,
    "seconds": SECONDS,
    "dead": DEAD_LETTERED,
}


@functools.lru_cache(maxsize=4096)
def _produced_child(topic: str, status: str) -> Any:
    return PRODUCED.labels(topic, status)


def produced(topic: str, ok: bool) -> None:
    _produced_child(topic, "ok" if ok else "error").inc()


class ConsumerMetrics:
    """The children one consumer records into, looked up once per topic."""

    def __init__(self, group: str) -> None:
        self.group = group
        self._children: dict[tuple[str, ...], Any] = {}

    def child(self, family: str, topic: str, *labels: str) -> Any:
        key = (family, topic, *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = _FAMILIES[family].labels(topic, self.group, *labels)
        return child

    def lag(self, topic: str, partition: int, value: int) -> None:
        LAG.labels(topic, str(partition), self.group).set(value)

    def forget_lag(self, topic: str, partition: int) -> None:
        """Drop a revoked partition's series: another consumer reports it now."""
        with contextlib.suppress(KeyError):
            LAG.remove(topic, str(partition), self.group)


class BatchedObservations:
    """Durations gathered during a batch, written into a histogram child at its end.

    prometheus_client has no ``observe_many``: each ``observe()`` takes the value lock
    once for the sum and once for a bucket (~2 µs, a third of the runner's own
    per-message cost in ``bench kafka``). Here a batch's durations are sorted into
    buckets with ``bisect`` and each touched bucket is incremented once. That uses the
    child's ``_upper_bounds``/``_buckets``/``_sum`` (stable since prometheus_client 0.4);
    a child without them (the no-op, a child taken before the backend was set, a
    future client) gets plain ``observe()`` calls.
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
