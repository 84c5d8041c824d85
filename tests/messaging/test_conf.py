"""``AXIOMOD["kafka"]`` validation."""

from __future__ import annotations

from axiomod.conf import validate


def messages(raw, environ=None):
    loaded = validate({"kafka": raw}, environ or {})
    return [str(e) for errors in loaded.errors.values() for e in errors]


def test_groups_are_typed_sections_with_defaults():
    kafka = validate(
        {"kafka": {"bootstrap_servers": "b:9092", "groups": {"billing": {"topics": ["a.b"]}}}}, {}
    ).values["kafka"]
    assert kafka.groups["billing"].topics == ("a.b",)
    assert kafka.groups["billing"].concurrency == 1
    assert kafka.retry.max_attempts == 3
    assert kafka.dead_letter_suffix == ".dlq"


def test_bootstrap_servers_from_environment():
    loaded = validate({"kafka": {}}, {"KAFKA_BOOTSTRAP_SERVERS": "k:9092"})
    assert loaded.values["kafka"].bootstrap_servers == "k:9092"
    assert not any(loaded.errors.values())


def test_group_errors_name_the_group():
    (message,) = messages(
        {"bootstrap_servers": "b:9092", "groups": {"billing": {"topics": ["bad topic"]}}}
    )
    assert message.startswith('AXIOMOD["kafka"]["groups"]["billing"]["topics"]')
    assert "not a valid Kafka topic name" in message


def test_unknown_group_key():
    (message,) = messages({"bootstrap_servers": "b", "groups": {"g": {"topic": ["x"]}}})
    assert 'AXIOMOD["kafka"]["groups"]["g"]["topic"]: unknown setting' in message
    assert "did you mean 'topics'?" in message


def test_security_accepts_only_security_keys():
    (message,) = messages({"bootstrap_servers": "b", "security": {"acks": "all"}})
    assert "'acks' is not a security.*, sasl.* or ssl.* key" in message


def test_retry_backoff_bounds():
    (message,) = messages(
        {"bootstrap_servers": "b", "retry": {"backoff_initial": 5, "backoff_max": 1}}
    )
    assert message.startswith('AXIOMOD["kafka"]["retry"]["backoff_max"]')


def test_dead_letter_suffix_must_make_a_new_valid_topic():
    (empty,) = messages({"bootstrap_servers": "b", "dead_letter_suffix": ""})
    assert "must not be empty" in empty
    (bad,) = messages({"bootstrap_servers": "b", "dead_letter_suffix": "/dlq"})
    assert "invalid topic names" in bad


def test_topic_names_are_ascii_only():
    (message,) = messages({"bootstrap_servers": "b", "groups": {"g": {"topics": ["café"]}}})
    assert "not a valid Kafka topic name" in message
