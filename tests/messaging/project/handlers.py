"""The recording handlers of the consumer test processes.

Each appends one JSON line per handled message to ``$AXIOMOD_TEST_RECORD`` with a single
``O_APPEND`` write, which the kernel keeps even when the process is killed with -9 right
after. The message value steers it: ``{"n": 1, "sleep": 0.01, "fail": 2}`` sleeps, then
fails its first two tries.

``AXIOMOD_TEST_ASYNC_HANDLER`` picks the handler of ``$AXIOMOD_TEST_TOPIC``:

* unset: ``record``, a plain function;
* ``def``: ``record_async``, its ``async def`` twin (``await asyncio.sleep`` instead of
  ``time.sleep``), which also records when it started and ended and how many messages
  were in flight in the process when it started (the concurrency the runner allowed);
* ``returns``: a plain function that returns ``record_async``'s coroutine;
* ``generator``: an async generator function, which the runners cannot run.

``AXIOMOD_TEST_MIXED_TOPIC`` adds, for a second topic, the sync ``record`` to the same group
(a group mixing sync and async handlers) and to a sync-only group ``<group>-sync``.
``AXIOMOD_TEST_STARTED`` names a file that gets a line when a message starts.
"""

import asyncio
import json
import os
import threading
import time

from opentelemetry import trace

from axiomod_messaging import Message, handler

TOPIC = os.environ.get("AXIOMOD_TEST_TOPIC", "test-topic")
GROUP = os.environ.get("AXIOMOD_TEST_GROUP", "test-group")
RECORD = os.environ.get("AXIOMOD_TEST_RECORD")
STARTED = os.environ.get("AXIOMOD_TEST_STARTED")
ASYNC_HANDLER = os.environ.get("AXIOMOD_TEST_ASYNC_HANDLER")
MIXED_TOPIC = os.environ.get("AXIOMOD_TEST_MIXED_TOPIC")

_active = 0  # messages being handled right now (the async handler runs on one loop thread)


def _append(path: str | None, line: dict) -> None:
    if path:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (json.dumps(line) + "\n").encode())
        finally:
            os.close(fd)


def _line(message: Message, kind: str, **extra) -> dict:
    context = trace.get_current_span().get_span_context()
    return {
        "n": message.value.get("n"),
        "topic": message.topic,
        "group": message.group,
        "kind": kind,
        "partition": message.partition,
        "offset": message.offset,
        "attempt": message.attempt,
        "pid": os.getpid(),
        "thread": threading.current_thread().name,
        "traceparent": message.header("traceparent"),
        "trace_id": format(context.trace_id, "032x") if context.is_valid else None,
        **extra,
    }


def record(message: Message) -> None:
    value = message.value
    time.sleep(value.get("sleep", 0))
    if message.attempt <= value.get("fail", 0):
        raise RuntimeError(f"planned failure of try {message.attempt}")
    _append(RECORD, _line(message, "sync"))


async def record_async(message: Message) -> None:
    global _active
    value = message.value
    _active += 1
    started = time.time()
    _append(STARTED, {"n": value.get("n"), "partition": message.partition})
    try:
        await asyncio.sleep(value.get("sleep", 0))
        if message.attempt <= value.get("fail", 0):
            raise RuntimeError(f"planned failure of try {message.attempt}")
        line = _line(message, "async", started=started, ended=time.time(), active=_active)
    finally:
        _active -= 1
    _append(RECORD, line)


def returns_coroutine(message: Message):
    return record_async(message)


async def yields(message: Message):
    yield message


if ASYNC_HANDLER == "def":
    handler(TOPIC, group=GROUP)(record_async)
elif ASYNC_HANDLER == "returns":
    handler(TOPIC, group=GROUP)(returns_coroutine)
elif ASYNC_HANDLER == "generator":
    handler(TOPIC, group=GROUP)(yields)
else:
    handler(TOPIC, group=GROUP)(record)

if MIXED_TOPIC:
    handler(MIXED_TOPIC, group=GROUP)(record)
    handler(MIXED_TOPIC, group=f"{GROUP}-sync")(record)
