"""``manage.py axiomod_consume`` against a real broker: delivery guarantees under faults.

Each test runs the command as a subprocess of the test project (its handler records every
message it handles to a file) and checks what was handled, what was committed and what
reached the dead-letter topic. The guarantee tests run twice (``kind``): with the plain
``def`` handler (the sync runner) and with its ``async def`` twin on the async runner with
4 messages in flight; a message's planned ``sleep`` is multiplied by the messages in
flight, so both variants take about as long.
"""

from __future__ import annotations

import collections
import itertools
from dataclasses import dataclass

import pytest

from .consumers import (
    ConsumerProcess,
    consume_all,
    handled_numbers,
    produce,
    records,
    wait_for_records,
)

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Kind:
    """Which handler the consumer processes of a test run, and how many in flight."""

    name: str
    in_flight: int = 1

    @property
    def env(self) -> dict[str, str]:
        if self.name == "sync":
            return {}
        return {"AXIOMOD_TEST_ASYNC_HANDLER": "def", "AXIOMOD_TEST_IN_FLIGHT": str(self.in_flight)}


KINDS = {
    "sync": Kind("sync"),
    "async": Kind("async", in_flight=4),
    "async-k1": Kind("async-k1", in_flight=1),  # no pausing: the fetch waits instead
}
both_kinds = pytest.mark.parametrize("kind", ["sync", "async"], indirect=True)


@pytest.fixture
def kind(request) -> Kind:
    """The handler kind: ``sync`` unless a test is parametrized with ``both_kinds``."""
    return KINDS[getattr(request, "param", "sync")]


@pytest.fixture
def consumer(kafka_broker, tmp_path, kind):
    """``consumer(topic, group, **env)`` -> a not yet started ConsumerProcess."""
    made: list[ConsumerProcess] = []

    def make(topic: str, group: str, *, args: tuple[str, ...] = (), **env: str):
        process = ConsumerProcess(
            kafka_broker.bootstrap_servers,
            topic,
            group,
            tmp_path / "handled.jsonl",
            tmp_path / f"consumer-{len(made)}.log",
            env={**kind.env, **env},
            args=args,
        )
        made.append(process)
        return process

    yield make
    for process in made:
        process.__exit__()


@both_kinds
def test_retries_then_dead_letters_with_the_reason(kafka_broker, consumer, tmp_path):
    topic = kafka_broker.create_topic(partitions=1)
    produce(
        kafka_broker,
        topic,
        [
            {"n": 1, "fail": 1},  # fails once, then succeeds
            {"n": 2, "fail": 99},  # never succeeds: dead-lettered after 3 tries
            b"{not json",  # cannot be decoded: dead-lettered at once
            {"n": 4},  # the partition is not blocked by the two above
        ],
        headers=[("x-request-id", b"abc")],
    )
    process = consumer(topic, "retry-group").start()
    handled = wait_for_records(
        tmp_path / "handled.jsonl", lambda r: {1, 4} <= {x["n"] for x in r}, [process]
    )
    assert [(r["n"], r["attempt"]) for r in handled] == [(1, 2), (4, 1)]

    # Without a key the dead letters may land on any partition: order by source offset.
    dead = sorted(
        consume_all(kafka_broker, f"{topic}.dlq", 2),
        key=lambda m: int(dict(m.headers())["x-axiomod-original-offset"]),
    )
    assert [m.value() for m in dead] == [b'{"n": 2, "fail": 99}', b"{not json"]
    failed, invalid = (dict(m.headers()) for m in dead)
    assert failed["x-request-id"] == b"abc"  # the original headers are kept
    assert failed["x-axiomod-error-type"] == b"builtins.RuntimeError"
    assert failed["x-axiomod-error-message"] == b"planned failure of try 3"
    assert failed["x-axiomod-attempts"] == b"3"
    assert failed["x-axiomod-original-topic"] == topic.encode()
    assert failed["x-axiomod-original-offset"] == b"1"
    assert failed["x-axiomod-consumer-group"] == b"retry-group"
    assert invalid["x-axiomod-error-type"] == b"axiomod_messaging.serializers.DeserializationError"
    assert invalid["x-axiomod-error-message"].startswith(b"value is not valid JSON")
    assert invalid["x-axiomod-attempts"] == b"0"

    assert process.terminate() == 0, process.log()
    # Everything, dead letters included, was committed: a new consumer of the group
    # finds nothing left to handle.
    produce(kafka_broker, topic, [{"n": 5}])
    again = consumer(topic, "retry-group").start()
    wait_for_records(tmp_path / "handled.jsonl", lambda r: 5 in {x["n"] for x in r}, [again])
    assert again.terminate() == 0
    assert handled_numbers(tmp_path / "handled.jsonl") == {1: 1, 4: 1, 5: 1}


@both_kinds
def test_kill_9_mid_stream_loses_nothing(kafka_broker, consumer, tmp_path, kind):
    """Offsets are committed only after success: a hard kill costs repeats, never losses."""
    topic = kafka_broker.create_topic(partitions=2)
    total = 300
    sleep = 0.01 * kind.in_flight
    produce(kafka_broker, topic, [{"n": n, "sleep": sleep} for n in range(total)], partitions=2)
    record = tmp_path / "handled.jsonl"

    first = consumer(topic, "kill-group", AXIOMOD_TEST_COMMIT_INTERVAL="0.2").start()
    wait_for_records(record, lambda r: len(r) >= 60, [first])
    first.kill()
    handled_before_kill = len(records(record))
    assert handled_before_kill < total

    second = consumer(topic, "kill-group").start()
    wait_for_records(record, lambda r: {x["n"] for x in r} >= set(range(total)), [second])
    assert second.terminate() == 0, second.log()
    counts = handled_numbers(record)
    assert set(counts) == set(range(total))
    # Repeats are bounded by what was handled but not yet committed at the kill.
    repeated = sum(c - 1 for c in counts.values())
    assert repeated <= handled_before_kill


@pytest.mark.parametrize("kind", list(KINDS), indirect=True)
def test_sigterm_mid_stream_finishes_commits_and_repeats_nothing(
    kafka_broker, consumer, tmp_path, kind
):
    topic = kafka_broker.create_topic(partitions=2)
    total = 200
    sleep = 0.02 * kind.in_flight
    produce(kafka_broker, topic, [{"n": n, "sleep": sleep} for n in range(total)], partitions=2)
    record = tmp_path / "handled.jsonl"

    # No periodic commits: only the commit at shutdown can prevent repeats here.
    first = consumer(topic, "term-group", AXIOMOD_TEST_COMMIT_INTERVAL="600").start()
    wait_for_records(record, lambda r: len(r) >= 30, [first])
    assert first.terminate(timeout=20) == 0, first.log()
    stopped_at = len(records(record))
    assert stopped_at < total, "the test needs the stop to come mid-stream"
    assert "consumer of group term-group closed" in first.log()

    second = consumer(topic, "term-group").start()
    wait_for_records(record, lambda r: len(r) >= total, [second])
    assert second.terminate() == 0, second.log()
    counts = handled_numbers(record)
    assert set(counts) == set(range(total))
    assert [n for n, c in counts.items() if c > 1] == []


@both_kinds
def test_two_consumers_share_partitions_through_rebalances(kafka_broker, consumer, tmp_path, kind):
    topic = kafka_broker.create_topic(partitions=4)
    total = 400
    # ~8 s of work: the second member's join and the rebalance (~6 s under load) must
    # come before the first consumer has handled everything.
    sleep = 0.02 * kind.in_flight
    produce(kafka_broker, topic, [{"n": n, "sleep": sleep} for n in range(total)], partitions=4)
    record = tmp_path / "handled.jsonl"

    # No periodic commits: only the commits on revoke can prevent repeats here.
    first = consumer(topic, "shared-group", AXIOMOD_TEST_COMMIT_INTERVAL="600").start()
    wait_for_records(record, lambda r: len(r) >= 20, [first])
    second = consumer(topic, "shared-group", AXIOMOD_TEST_COMMIT_INTERVAL="600").start()
    # Both handle messages once the group rebalanced onto two members.
    wait_for_records(record, lambda r: len({x["pid"] for x in r}) == 2, [first, second])
    assert first.terminate() == 0, first.log()  # a second rebalance: all to `second`
    wait_for_records(record, lambda r: {x["n"] for x in r} >= set(range(total)), [second])
    assert second.terminate() == 0, second.log()

    handled = records(record)
    by_partition = collections.defaultdict(set)
    for entry in handled:
        by_partition[entry["partition"]].add(entry["pid"])
    assert len(by_partition) == 4
    counts = handled_numbers(record)
    assert set(counts) == set(range(total))
    # Revoked partitions were committed before they moved: nothing was handled twice.
    assert [n for n, c in counts.items() if c > 1] == []


def test_concurrency_runs_consumers_as_threads_of_one_process(kafka_broker, consumer, tmp_path):
    topic = kafka_broker.create_topic(partitions=2)
    produce(kafka_broker, topic, [{"n": n, "sleep": 0.02} for n in range(60)], partitions=2)
    process = consumer(topic, "threads-group", AXIOMOD_TEST_CONCURRENCY="2").start()
    found = wait_for_records(tmp_path / "handled.jsonl", lambda r: len(r) >= 60, [process])
    assert process.terminate() == 0, process.log()
    assert len({r["pid"] for r in found}) == 1
    assert len({r["thread"] for r in found}) == 2


@both_kinds
def test_trace_continues_from_the_producer(kafka_broker, consumer, tmp_path, otlp_receiver):
    topic = kafka_broker.create_topic(partitions=1)
    trace_id, parent_id = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    produce(
        kafka_broker,
        topic,
        [{"n": 1}],
        headers=[("traceparent", f"00-{trace_id}-{parent_id}-01".encode())],
    )
    process = consumer(
        topic,
        "trace-group",
        OTEL_TRACES_EXPORTER="otlp",
        OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
        OTEL_EXPORTER_OTLP_ENDPOINT=otlp_receiver.http_endpoint,
    ).start()
    (handled,) = wait_for_records(tmp_path / "handled.jsonl", lambda r: len(r) == 1, [process])
    assert handled["trace_id"] == trace_id  # the handler runs inside the continued trace
    assert process.terminate() == 0, process.log()  # shutdown flushes the spans
    (span,) = otlp_receiver.wait_for(lambda s: s.name == f"{topic} process", timeout=10)
    assert span.trace_id == trace_id
    assert span.parent_span_id == parent_id
    assert span.attributes["messaging.consumer.group.name"] == "trace-group"


def test_unknown_group_is_a_clear_error(kafka_broker, consumer, tmp_path):
    process = consumer("some-topic", "known-group", args=("--group", "nope")).start()
    assert process.wait(60) == 1
    assert "unknown group 'nope'" in process.log()


def test_a_consumer_that_cannot_start_fails_the_command(kafka_broker, consumer, tmp_path):
    checked = consumer("some-topic", "bad-group", AXIOMOD_TEST_BAD_CONSUMER="1").start()
    assert checked.wait(60) == 1
    assert 'AXIOMOD["kafka"]["consumer"]["no.such.key"]' in checked.log()  # the check names it
    unchecked = consumer(
        "some-topic", "bad-group", args=("--skip-checks",), AXIOMOD_TEST_BAD_CONSUMER="1"
    ).start()
    assert unchecked.wait(60) == 1
    assert "consumer of group bad-group could not start" in unchecked.log()


def test_an_async_generator_handler_is_refused_before_anything_is_committed(
    kafka_broker, consumer, tmp_path
):
    topic = kafka_broker.create_topic(partitions=1)
    produce(kafka_broker, topic, [{"n": n} for n in range(5)])
    checked = consumer(topic, "agen-group", AXIOMOD_TEST_ASYNC_HANDLER="generator").start()
    assert checked.wait(60) == 1
    assert "axiomod.E045" in checked.log()
    assert "yields (topic" in checked.log()
    unchecked = consumer(
        topic, "agen-group", args=("--skip-checks",), AXIOMOD_TEST_ASYNC_HANDLER="generator"
    ).start()
    assert unchecked.wait(60) == 1
    assert "is an async generator function" in unchecked.log()
    # Nothing was committed: the group's first real consumer gets every message.
    with consumer(topic, "agen-group") as process:
        wait_for_records(tmp_path / "handled.jsonl", lambda r: len(r) == 5, [process])
    assert handled_numbers(tmp_path / "handled.jsonl") == collections.Counter(range(5))


def test_a_handler_returning_a_coroutine_is_awaited_and_committed(kafka_broker, consumer, tmp_path):
    """A plain def that returns a coroutine gets the sync runner, which awaits it."""
    topic = kafka_broker.create_topic(partitions=1)
    produce(kafka_broker, topic, [{"n": 1}, {"n": 2, "fail": 1}])
    record = tmp_path / "handled.jsonl"
    with consumer(topic, "returns-group", AXIOMOD_TEST_ASYNC_HANDLER="returns") as process:
        wait_for_records(record, lambda r: len(r) == 2, [process])
        assert process.terminate() == 0, process.log()
    assert "returned an awaitable: awaited with async_to_sync" in process.log()
    assert [(r["n"], r["attempt"]) for r in records(record)] == [(1, 1), (2, 2)]
    # Committed: the group's next consumer handles only what is new.
    produce(kafka_broker, topic, [{"n": 3}])
    with consumer(topic, "returns-group", AXIOMOD_TEST_ASYNC_HANDLER="returns") as again:
        wait_for_records(record, lambda r: len(r) == 3, [again])
        assert again.terminate() == 0, again.log()
    assert handled_numbers(record) == {1: 1, 2: 1, 3: 1}


# -- async handlers only ------------------------------------------------------------------


def test_async_handlers_overlap_across_partitions_and_keep_each_partition_in_order(
    kafka_broker, consumer, tmp_path
):
    topic = kafka_broker.create_topic(partitions=4)
    total = 48
    produce(kafka_broker, topic, [{"n": n, "sleep": 0.05} for n in range(total)], partitions=4)
    record = tmp_path / "handled.jsonl"
    # A buffer of 8 and 4 in flight: a partition may hold 2 of the 8 before it is paused.
    process = consumer(
        topic,
        "overlap-group",
        AXIOMOD_TEST_ASYNC_HANDLER="def",
        AXIOMOD_TEST_IN_FLIGHT="4",
        AXIOMOD_TEST_BATCH_SIZE="8",
    ).start()
    handled = wait_for_records(record, lambda r: len(r) >= total, [process])
    assert process.terminate() == 0, process.log()
    assert handled_numbers(record) == collections.Counter(range(total))
    assert {r["thread"] for r in handled} == {"kafka-overlap-group-0-loop"}
    # Several partitions were in flight at once, never more than in_flight.
    assert 2 <= max(r["active"] for r in handled) <= 4
    by_partition = collections.defaultdict(list)
    for entry in handled:  # in the order they finished
        by_partition[entry["partition"]].append(entry)
    assert len(by_partition) == 4
    for entries in by_partition.values():
        offsets = [e["offset"] for e in entries]
        assert offsets == sorted(offsets)  # each partition in order...
        for before, after in itertools.pairwise(entries):
            assert before["ended"] <= after["started"]  # ...one message at a time


def test_sigterm_during_an_await_finishes_the_messages_in_flight(kafka_broker, consumer, tmp_path):
    topic = kafka_broker.create_topic(partitions=4)
    total = 16
    produce(kafka_broker, topic, [{"n": n, "sleep": 0.5} for n in range(total)], partitions=4)
    record, started = tmp_path / "handled.jsonl", tmp_path / "started.jsonl"
    env = {
        "AXIOMOD_TEST_ASYNC_HANDLER": "def",
        "AXIOMOD_TEST_IN_FLIGHT": "4",
        "AXIOMOD_TEST_STARTED": str(started),
        "AXIOMOD_TEST_COMMIT_INTERVAL": "600",  # only the commit at shutdown counts
    }
    first = consumer(topic, "await-group", **env).start()
    wait_for_records(started, lambda r: len(r) >= 2, [first])
    assert first.terminate(timeout=20) == 0, first.log()
    # Every message that had started (each awaiting its 0.5 s sleep) finished before the exit.
    begun = {r["n"] for r in records(started)}
    assert begun == {r["n"] for r in records(record)}
    assert len(begun) < total, "the test needs the stop to come mid-stream"

    second = consumer(topic, "await-group", **env).start()
    wait_for_records(record, lambda r: len(r) >= total, [second])
    assert second.terminate() == 0, second.log()
    assert handled_numbers(record) == collections.Counter(range(total))  # none twice


def test_sync_and_async_handlers_in_one_project(kafka_broker, consumer, tmp_path):
    """Group ``mixed`` has an async and a sync handler; ``mixed-sync`` only the sync one."""
    topic = kafka_broker.create_topic(partitions=2)
    other = kafka_broker.create_topic(partitions=2)
    produce(kafka_broker, topic, [{"n": n} for n in range(10)], partitions=2)
    produce(kafka_broker, other, [{"n": 100 + n} for n in range(10)], partitions=2)
    process = consumer(
        topic,
        "mixed",
        AXIOMOD_TEST_ASYNC_HANDLER="def",
        AXIOMOD_TEST_IN_FLIGHT="2",
        AXIOMOD_TEST_MIXED_TOPIC=other,
    ).start()
    handled = wait_for_records(tmp_path / "handled.jsonl", lambda r: len(r) >= 30, [process])
    assert process.terminate() == 0, process.log()
    seen = collections.Counter((r["group"], r["topic"], r["kind"]) for r in handled)
    assert seen == {
        ("mixed", topic, "async"): 10,
        ("mixed", other, "sync"): 10,
        ("mixed-sync", other, "sync"): 10,
    }
    threads = collections.defaultdict(set)
    for r in handled:
        threads[(r["group"], r["kind"])].add(r["thread"])
    # The async handler on the group's event loop; the mixed group's sync handler off it
    # (asgiref's sync_to_async thread); the sync-only group on its consumer thread.
    assert threads[("mixed", "async")] == {"kafka-mixed-0-loop"}
    assert not any(t.endswith("-loop") for t in threads[("mixed", "sync")])
    assert threads[("mixed-sync", "sync")] == {"kafka-mixed-sync-1"}
