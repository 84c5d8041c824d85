"""System checks of ``AXIOMOD["kafka"]`` and the handlers, beyond what the schema validates.

* axiomod.E040: librdkafka refuses a key (unknown, or a bad value) in ``producer``,
  ``consumer``, ``security`` or a group's ``consumer``; the message names the key.
* axiomod.E041: a key the consumer runner owns (``group.id``, ``enable.auto.commit``,
  ``enable.auto.offset.store``) is overridden.
* axiomod.E042: two handlers claim one topic in one group.
* axiomod.E043: a group's ``topics`` lists a topic no handler of the group handles.
* axiomod.E044: a serializer (the default or a handler's) cannot be loaded.
* axiomod.E045: a handler the runners cannot run: an async generator function (``async
  def`` with ``yield``), whose body would never run. (``async def`` handlers are run by
  the async runner; until 1.3 this check refused them.)
* axiomod.W046: a group sets ``in_flight`` above 1 but has no ``async def`` handler: sync
  handlers run one at a time per consumer, so the setting does nothing there.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.core.checks import CheckMessage, Error, register
from django.core.checks import Warning as CheckWarning

from axiomod.checks import TAG
from axiomod.conf import settings

from .clients import MANAGED_CONSUMER_KEYS, invalid_keys
from .registry import registry
from .serializers import get_serializer


@register(TAG)
def check_kafka(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    messages = list(_unsupported_handlers())
    kafka = settings.best_effort("kafka")
    if kafka is None:
        return messages
    messages.extend(_client_keys(kafka))
    messages.extend(_handlers(kafka))
    return messages


def _client_keys(kafka: Any) -> Iterator[CheckMessage]:
    sections: list[tuple[str, Mapping[str, Any], str]] = [
        ('AXIOMOD["kafka"]["security"]', kafka.security, "producer"),
        ('AXIOMOD["kafka"]["producer"]', kafka.producer, "producer"),
        ('AXIOMOD["kafka"]["consumer"]', kafka.consumer, "consumer"),
    ]
    sections += [
        (f'AXIOMOD["kafka"]["groups"]["{name}"]["consumer"]', group.consumer, "consumer")
        for name, group in kafka.groups.items()
    ]
    for where, config, kind in sections:
        if kind == "consumer" and "group.id" in config:
            yield Error(
                f'{where}["group.id"]: set by axiomod_messaging, not configurable.',
                hint='The group id is the key of AXIOMOD["kafka"]["groups"] (or a handler\'s '
                "group=).",
                id="axiomod.E041",
            )
        for key in MANAGED_CONSUMER_KEYS:
            if kind == "consumer" and key in config:
                yield Error(
                    f'{where}["{key}"]: set by axiomod_messaging, not configurable.',
                    hint="The runner commits each offset after its handler succeeds; "
                    "commit_interval sets how often.",
                    id="axiomod.E041",
                )
        if not config:
            continue
        for key, problem in invalid_keys(config, kind):
            target = f'{where}["{key}"]' if key else where
            yield Error(f"{target}: librdkafka refuses it: {problem}.", id="axiomod.E040")


def _unsupported_handlers() -> Iterator[CheckMessage]:
    for entry in registry:
        problem = entry.unsupported
        if problem:
            yield Error(
                f"Kafka handler {entry.name} (topic {entry.topic!r}, group {entry.group!r}) "
                f"is {problem}.",
                hint="Write it as a def or an async def function that handles the message "
                "and returns.",
                id="axiomod.E045",
            )


def _handlers(kafka: Any) -> Iterator[CheckMessage]:
    for first, second in registry.conflicts():
        yield Error(
            f"Kafka handlers {first.name} and {second.name} both handle topic "
            f"{first.topic!r} in group {first.group!r}.",
            hint="A group hands each message to one handler: merge them or give one "
            "its own group=.",
            id="axiomod.E042",
        )
    for name, group in kafka.groups.items():
        handled = registry.for_group(name)
        if group.in_flight > 1 and handled and not any(h.is_async for h in handled.values()):
            yield CheckWarning(
                f'AXIOMOD["kafka"]["groups"]["{name}"]["in_flight"] is {group.in_flight} but '
                f"no handler of group {name!r} is async def: its sync handlers run one at a "
                "time per consumer, so the setting has no effect.",
                hint="Make the I/O-bound handlers async def, or raise concurrency instead.",
                id="axiomod.W046",
            )
        for topic in group.topics:
            if topic not in handled:
                yield Error(
                    f'AXIOMOD["kafka"]["groups"]["{name}"]["topics"]: no handler of group '
                    f"{name!r} handles {topic!r}.",
                    hint=f'Add @handler("{topic}", group="{name}") in an app\'s handlers.py.',
                    id="axiomod.E043",
                )
    names = {kafka.serializer: 'AXIOMOD["kafka"]["serializer"]'}
    for entry in registry:
        if entry.serializer_name:
            names.setdefault(entry.serializer_name, f"handler {entry.name}: serializer")
    for name, where in names.items():
        try:
            get_serializer(name)
        except (ImportError, TypeError) as exc:
            yield Error(f"{where}: {name!r} cannot be used: {exc}", id="axiomod.E044")
