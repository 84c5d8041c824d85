"""The recording handler of the consumer test processes.

It appends one JSON line per handled message to ``$AXIOMOD_TEST_RECORD`` with a single
``O_APPEND`` write, which the kernel keeps even when the process is killed with -9 right
after. The message value steers it: ``{"n": 1, "sleep": 0.01, "fail": 2}`` sleeps, then
fails its first two tries.

``AXIOMOD_TEST_ASYNC_HANDLER`` swaps it for a coroutine handler: ``def`` (an ``async def``
function registered directly) or ``returns`` (a plain function that returns a coroutine).
"""

import json
import os
import threading
import time

from opentelemetry import trace

from axiomod_messaging import Message, handler

TOPIC = os.environ.get("AXIOMOD_TEST_TOPIC", "test-topic")
GROUP = os.environ.get("AXIOMOD_TEST_GROUP", "test-group")
RECORD = os.environ.get("AXIOMOD_TEST_RECORD")
ASYNC_HANDLER = os.environ.get("AXIOMOD_TEST_ASYNC_HANDLER")


def record(message: Message) -> None:
    value = message.value
    time.sleep(value.get("sleep", 0))
    if message.attempt <= value.get("fail", 0):
        raise RuntimeError(f"planned failure of try {message.attempt}")
    context = trace.get_current_span().get_span_context()
    line = {
        "n": value.get("n"),
        "partition": message.partition,
        "offset": message.offset,
        "attempt": message.attempt,
        "pid": os.getpid(),
        "thread": threading.current_thread().name,
        "traceparent": message.header("traceparent"),
        "trace_id": format(context.trace_id, "032x") if context.is_valid else None,
    }
    if RECORD:
        fd = os.open(RECORD, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (json.dumps(line) + "\n").encode())
        finally:
            os.close(fd)


async def record_async(message: Message) -> None:
    record(message)


def returns_coroutine(message: Message):
    return record_async(message)


if ASYNC_HANDLER == "def":
    handler(TOPIC, group=GROUP)(record_async)
elif ASYNC_HANDLER == "returns":
    handler(TOPIC, group=GROUP)(returns_coroutine)
else:
    handler(TOPIC, group=GROUP)(record)
