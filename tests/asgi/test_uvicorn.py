"""The example under one real uvicorn (httptools, uvloop), DEBUG on, tracing to an OTLP
receiver: it serves, no middleware is adapted between sync and async, and spans keep their
parent across awaits and between concurrent requests."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from axiomod.testing.otlp import OtlpReceiver, ReceivedSpan
from tests.asgi.servers import uvicorn
from tests.servers import ServerProcess

pytestmark = pytest.mark.integration

#: ``opentelemetry.proto.trace.v1.Span.SpanKind`` values, as the receiver reports them.
SERVER, CLIENT = 2, 3
ADAPTED = "handler adapted for"  # Django's "(A)synchronous handler adapted for %s."


@pytest.fixture
def server(shared_uvicorn) -> ServerProcess:
    return shared_uvicorn


def full_log(server: ServerProcess) -> str:
    assert server.log_path is not None
    return server.log_path.read_text(errors="replace")


@pytest.mark.smoke
def test_the_example_serves_under_uvicorn_with_the_lifespan_protocol(server):
    created = server.request(
        "POST", "/invoices/", {"customer": "uvicorn", "amount": "12.00", "currency": "EUR"}
    )
    assert created.status == 201, created.body
    listed = server.request("GET", "/invoices/?limit=200")
    assert created.json()["id"] in [item["id"] for item in listed.json()["items"]]
    assert server.request("GET", "/ready").status == 200
    assert server.request("GET", "/live").status == 200
    log = full_log(server)
    assert "Application startup complete." in log, log
    assert "ASGI 'lifespan' protocol appears unsupported" not in log, log


def test_no_middleware_is_adapted_between_sync_and_async(server, asgi_var_dir, tmp_path):
    assert server.request("GET", "/invoices/?limit=1").status == 200
    assert ADAPTED not in full_log(server), full_log(server)

    # The control: the same settings and logging, one sync-only middleware added at the
    # end; Django adapts the handler it wraps and says so in the same log.
    env = {"AXIOMOD_VAR_DIR": str(asgi_var_dir), "ASGI_TESTS_SYNC_ONLY_MIDDLEWARE": "1"}
    with uvicorn(env, tmp_path / "control.log") as control:
        assert control.request("GET", "/invoices/?limit=1").status == 200
        log = full_log(control)
    line = "Asynchronous handler adapted for middleware tests.asgi.middleware.SyncOnlyMiddleware."
    assert line in log, log


def wait_for_count(
    receiver: OtlpReceiver, predicate: Callable[[ReceivedSpan], bool], count: int
) -> list[ReceivedSpan]:
    """The spans matching ``predicate`` once there are ``count`` of them (30 s at most)."""
    deadline = time.monotonic() + 30
    while True:
        found = receiver.wait_for(predicate, 0)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_spans_keep_their_parent_across_awaits_and_between_concurrent_requests(
    server, shared_otlp_receiver
):
    size = 6
    numbers = range(1000, 1000 + size)

    def get(n: int):
        return server.request("GET", f"/asgi/awaits/{n}/?group=concurrent&size={size}")

    with ThreadPoolExecutor(size) as pool:
        answers = list(pool.map(get, numbers))
    assert [answer.status for answer in answers] == [200] * size, answers
    # Every request waited inside the view until all of them were there: interleaved.
    assert all(answer.json()["overlapped"] for answer in answers), answers

    paths = {f"/asgi/awaits/{n}/": n for n in numbers}
    roots = wait_for_count(
        shared_otlp_receiver,
        lambda s: s.kind == SERVER and s.attributes.get("url.path") in paths,
        size,
    )
    assert len(roots) == size, roots
    spans = shared_otlp_receiver.wait_for(lambda s: True, 0)
    for root in roots:
        children = [s for s in spans if s.parent_span_id == root.span_id]
        manual = [s for s in children if s.name == "after awaits"]
        queries = [
            s
            for s in children
            if s.kind == CLIENT and "invoices_invoice" in s.attributes.get("db.query.text", "")
        ]
        # The span started after the awaits, and the SQL span of the ORM query run in a
        # sync_to_async thread, are this request's server span's children, no other's.
        assert [s.attributes["test.n"] for s in manual] == [paths[root.attributes["url.path"]]]
        assert len(queries) == 1, children
        assert {s.trace_id for s in children} == {root.trace_id}
        assert root.parent_span_id == ""
    # Each trace is its own: six roots, six traces.
    assert len({root.trace_id for root in roots}) == size
