"""Serializers, the handler registry, the message object and the system checks (no broker)."""

from __future__ import annotations

import functools
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import confluent_kafka
import pytest

from axiomod_messaging import DeserializationError, Message, handler
from axiomod_messaging.checks import check_kafka
from axiomod_messaging.clients import consumer_config, invalid_keys, producer_config
from axiomod_messaging.registry import HandlerRegistry, is_coroutine_callable
from axiomod_messaging.runner import ConsumerRunner
from axiomod_messaging.serializers import BytesSerializer, JSONSerializer, get_serializer
from axiomod_messaging.supervisor import build_plan


class Upper:
    """A custom serializer, loaded by dotted path."""

    def serialize(self, value):
        return value.upper().encode()

    def deserialize(self, data):
        return data.decode().lower()


# -- serializers ------------------------------------------------------------------------


def test_json_serializer_handles_django_types_and_rejects_bad_input():
    json = JSONSerializer()
    ident = uuid.UUID(int=1)
    data = json.serialize({"amount": Decimal("1.10"), "id": ident, "name": "Zoë"})
    assert data == f'{{"amount":"1.10","id":"{ident}","name":"Zoë"}}'.encode()
    assert json.deserialize(data)["name"] == "Zoë"
    with pytest.raises(DeserializationError, match="not valid JSON"):
        json.deserialize(b"{nope")
    with pytest.raises(DeserializationError):
        json.deserialize(b"\xff\xfe")


def test_bytes_serializer():
    raw = BytesSerializer()
    assert raw.serialize("é") == "é".encode()
    assert raw.deserialize(b"\x00") == b"\x00"
    with pytest.raises(TypeError, match="bytes or str"):
        raw.serialize(1)


def test_serializers_by_name():
    assert isinstance(get_serializer("json"), JSONSerializer)
    assert get_serializer(f"{__name__}.Upper").serialize("a") == b"A"
    with pytest.raises(ImportError):
        get_serializer("no.such.Serializer")


# -- the message -------------------------------------------------------------------------


def test_message_exposes_the_record():
    raw = confluent_kafka.Message(
        topic="t",
        partition=2,
        offset=7,
        key=b"k",
        value=b'{"a": 1}',
        headers=[("h", b"1"), ("h", b"2"), ("e", None)],
        timestamp=(confluent_kafka.TIMESTAMP_CREATE_TIME, 1_700_000_000_000),
    )
    message = Message(raw, {"a": 1}, "g", attempt=2)
    assert (message.topic, message.partition, message.offset, message.key) == ("t", 2, 7, b"k")
    assert message.raw_value == b'{"a": 1}'
    assert message.header("h") == "2"  # the last of a repeated header
    assert message.header("e", "default") == "default"
    assert message.timestamp == datetime.fromtimestamp(1_700_000_000, tz=UTC)
    assert repr(message) == "<Message t[2]@7 attempt 2>"


# -- the registry and the command's plan -------------------------------------------------


def test_handler_registration_and_conflicts():
    registry = HandlerRegistry()

    @handler("a", group="g1", registry=registry)
    def one(message): ...

    @handler("a", group="g1", registry=registry)
    def two(message): ...

    @handler("b", registry=registry)  # default group: the service name
    def three(message): ...

    registry.register(registry.for_group("g1")["a"])  # registering twice is harmless
    assert registry.groups() == ["g1", "invoices"]
    assert registry.for_group("g1")["a"].func is one
    ((first, second),) = registry.conflicts()
    assert (first.func, second.func) == (one, two)
    assert registry.for_group("invoices")["b"].name.endswith("three")


def test_the_example_handler_is_autodiscovered():
    from axiomod_messaging.registry import registry

    assert registry.for_group("invoices-billing")["invoices.created"].name == (
        "example.invoices.handlers.issue_created_invoice"
    )


@pytest.fixture
def kafka(settings):
    def configure(**kafka):
        settings.AXIOMOD = {
            **settings.AXIOMOD,
            "kafka": {"bootstrap_servers": "127.0.0.1:9", **kafka},
        }

    return configure


def test_plan_defaults_to_every_group_with_handlers(kafka):
    kafka()
    plan = build_plan()
    assert sorted(plan["invoices-billing"]) == ["invoices.created", "invoices.settled"]


def test_plan_errors_name_the_problem(kafka):
    kafka(groups={"billing": {"topics": ["orphan.topic"]}})
    with pytest.raises(ValueError, match="unknown group 'nope'"):
        build_plan(["nope"])
    with pytest.raises(ValueError, match=r"group 'billing' has no handler for orphan\.topic"):
        build_plan(["billing"])
    with pytest.raises(ValueError, match=r"consumes other\.topic"):
        build_plan(["invoices-billing"], ["other.topic"])


# -- client configurations and checks ----------------------------------------------------


def test_consumer_config_layers_and_keeps_commits_to_the_runner(kafka):
    kafka(
        consumer={"fetch.min.bytes": 10, "auto.offset.reset": "latest"},
        groups={"g": {"consumer": {"fetch.min.bytes": 20}}},
        security={"security.protocol": "PLAINTEXT"},
    )
    config = consumer_config("g")
    assert config["group.id"] == "g"
    assert config["fetch.min.bytes"] == 20
    assert config["auto.offset.reset"] == "latest"
    assert config["security.protocol"] == "PLAINTEXT"
    assert config["client.id"] == "invoices"
    assert config["enable.auto.commit"] is False
    assert config["enable.auto.offset.store"] is False
    assert producer_config()["enable.idempotence"] is True


def test_invalid_keys_names_each_culprit():
    found = dict(invalid_keys({"linger.ms": 5, "lnger.ms": 5, "acks": "maybe"}, "producer"))
    assert set(found) == {"lnger.ms", "acks"}
    assert "No such configuration property" in found["lnger.ms"]
    assert list(invalid_keys({"linger.ms": 5}, "producer")) == []


def test_checks_report_librdkafka_keys_by_setting_path(kafka):
    kafka(
        producer={"lnger.ms": 5},
        consumer={"enable.auto.commit": True, "group.id": "other"},
        groups={"g": {"consumer": {"fetch.min.bytes": "lots"}}},
    )
    found = [(m.id, m.msg) for m in check_kafka()]
    assert (
        "axiomod.E040",
        'AXIOMOD["kafka"]["producer"]["lnger.ms"]: librdkafka refuses it: '
        'No such configuration property: "lnger.ms".',
    ) in found
    assert any(
        i == "axiomod.E040" and msg.startswith('AXIOMOD["kafka"]["groups"]["g"]["consumer"]')
        for i, msg in found
    )
    assert any(
        i == "axiomod.E041" and '["consumer"]["enable.auto.commit"]: set by' in msg
        for i, msg in found
    )
    assert any(
        i == "axiomod.E041" and '["consumer"]["group.id"]: set by' in msg for i, msg in found
    )


def test_checks_report_orphan_topics_and_bad_serializers(kafka):
    kafka(groups={"billing": {"topics": ["orphan.topic"]}}, serializer="no.such.Serializer")
    ids = {m.id: m.msg for m in check_kafka()}
    assert "no handler of group 'billing' handles 'orphan.topic'" in ids["axiomod.E043"]
    assert ids["axiomod.E044"].startswith('AXIOMOD["kafka"]["serializer"]: \'no.such.Serializer\'')


def test_checks_report_two_handlers_for_one_topic(kafka):
    from axiomod_messaging.registry import registry

    kafka()

    @handler("invoices.created", group="invoices-billing")
    def duplicate(message): ...

    try:
        ids = {m.id: m.msg for m in check_kafka()}
    finally:
        registry.unregister(duplicate)
    assert "both handle topic 'invoices.created' in group 'invoices-billing'" in ids["axiomod.E042"]
    assert not check_kafka()


class AsyncCallable:
    async def __call__(self, message): ...


async def coroutine_handler(message): ...


async def generator_handler(message):
    yield message


def plain_handler(message): ...


@pytest.mark.parametrize(
    "func",
    [coroutine_handler, functools.partial(coroutine_handler), AsyncCallable()],
    ids=["async-def", "partial", "async-call"],
)
def test_coroutine_handlers_pass_the_checks_and_get_the_async_runner(kafka, func):
    from axiomod_messaging.async_runner import AsyncConsumerRunner
    from axiomod_messaging.registry import registry
    from axiomod_messaging.supervisor import runner_class

    kafka()
    handler("invoices.async", group="async-group")(func)
    handler("invoices.sync", group="async-group")(plain_handler)  # a mixed group
    try:
        assert check_kafka() == []
        plan = build_plan(["async-group"])
    finally:
        registry.unregister(func)
        registry.unregister(plain_handler)
    assert runner_class(plan["async-group"]) is AsyncConsumerRunner
    assert runner_class({"t": plan["async-group"]["invoices.sync"]}) is ConsumerRunner


def test_checks_refuse_async_generator_handlers(kafka):
    from axiomod_messaging.registry import registry

    kafka()
    handler("invoices.agen", group="agen-group")(generator_handler)
    try:
        ids = {m.id: m.msg for m in check_kafka()}
        with pytest.raises(ValueError, match="is an async generator function"):
            build_plan(["agen-group"])
    finally:
        registry.unregister(generator_handler)
    assert "generator_handler (topic 'invoices.agen', group 'agen-group')" in ids["axiomod.E045"]
    assert not check_kafka()


def test_in_flight_on_a_sync_only_group_is_a_warning(kafka):
    kafka(groups={"invoices-billing": {"in_flight": 8}})
    ((message,),) = [[m for m in check_kafka() if m.id == "axiomod.W046"]]
    assert message.msg.startswith('AXIOMOD["kafka"]["groups"]["invoices-billing"]["in_flight"]')


def test_sync_handlers_and_sync_callables_are_not_coroutines():
    class SyncCallable:
        def __call__(self, message): ...

    for func in (lambda m: None, SyncCallable(), functools.partial(print), generator_handler):
        assert not is_coroutine_callable(func)


def test_no_kafka_section_no_messages(settings):
    settings.AXIOMOD = {k: v for k, v in settings.AXIOMOD.items() if k != "kafka"}
    assert check_kafka() == []


def test_batched_observations_match_one_observe_per_value():
    from prometheus_client import CollectorRegistry, Histogram

    from axiomod_messaging.metrics import BatchedObservations

    registry = CollectorRegistry()
    one, batched = Histogram("one", "", registry=registry), Histogram("two", "", registry=registry)
    values = [1e-6, 0.005, 0.0051, 0.1, 0.25, 3.0, 100.0] * 7
    pending = BatchedObservations()
    for value in values:
        one.observe(value)
        pending.add(batched, value)
    pending.flush()

    def samples(name):
        return {
            (s.name.removeprefix(name), s.labels.get("le")): s.value
            for metric in registry.collect()
            if metric.name == name
            for s in metric.samples
            if not s.name.endswith("_created")
        }

    assert samples("one") == samples("two")
    assert samples("two")[("_count", None)] == len(values)


def test_without_dead_letters_a_failed_message_is_dropped_loudly(kafka, caplog):
    import threading

    from prometheus_client import REGISTRY

    from axiomod_messaging.registry import Handler

    kafka(dead_letter=False)

    def failing(message):
        raise RuntimeError("always")

    runner = ConsumerRunner(
        "drop-group", {"drop.topic": Handler("drop.topic", failing)}, threading.Event()
    )
    raw = confluent_kafka.Message(topic="drop.topic", partition=0, offset=9, value=b"{}")
    labels = {"topic": "drop.topic", "group": "drop-group", "status": "error"}
    before = REGISTRY.get_sample_value("kafka_messages_consumed_total", labels) or 0
    with caplog.at_level("ERROR", logger="axiomod.kafka"):
        assert runner._dead_letter(raw, RuntimeError("always"), 3, "error") is True
    assert "message drop.topic[0]@9 dropped after 3 tries (dead letters are off)" in caplog.text
    assert REGISTRY.get_sample_value("kafka_messages_consumed_total", labels) == before + 1
