"""The recording handler of the consumer test processes.

It appends one JSON line per handled message to ``$AXIOMOD_TEST_RECORD`` with a single
``O_APPEND`` write, which the kernel keeps even when the process is killed with -9 right
after. The message value steers it: ``{"n": 1, "sleep": 0.01, "fail": 2}`` sleeps, then
fails its first two tries.
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


@handler(TOPIC, group=GROUP)
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
