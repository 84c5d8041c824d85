"""One request, one trace: settling an invoice crosses every transport of the example.

``POST /invoices/<id>/settle/`` (gunicorn) calls the ``Settlements`` gRPC service
(``manage.py axiomod_grpc``), which publishes ``invoices.settled`` on Kafka; the billing
consumer (``manage.py axiomod_consume``) enqueues ``invoices.close_settled`` on Celery
(Redis), and a prefork worker runs it against PostgreSQL. Every process exports its spans
over real OTLP/HTTP to one receiver at sample ratio 1.0; the receiver must hold ONE trace
for the request, each span the child of the one before it:

    POST (HTTP server) -> Settlements/SettleInvoice (gRPC client) -> (gRPC server)
      -> invoices.settled publish (Kafka producer) -> invoices.settled process (consumer)
      -> apply_async/invoices.close_settled (job publish) -> run/... (job run)
      -> UPDATE of invoices_invoice (SQL, axiomod.db's query span)
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from axiomod.testing.otlp import OtlpReceiver, ReceivedSpan
from tests.example.stack import WAIT, example_broker, example_stack  # noqa: F401  (a fixture)
from tests.jobs.conftest import jobs_redis  # noqa: F401  (the jobs tests' Redis databases)
from tests.servers import ServerProcess

pytestmark = pytest.mark.integration

#: ``opentelemetry.proto.trace.v1.Span.SpanKind`` values, as the receiver reports them.
SERVER, CLIENT, PRODUCER, CONSUMER = 2, 3, 4, 5
SETTLE_RPC = "/axiomod.example.invoices.v1.Settlements/SettleInvoice"


def test_settling_an_invoice_is_one_trace_across_every_transport(
    example_broker,  # noqa: F811  (the fixture imported above)
    jobs_redis,  # noqa: F811  (the fixture imported above)
    postgres_database,
    otlp_receiver,
    tmp_path,
):
    env = {
        "DATABASE_URL": postgres_database,
        "KAFKA_BOOTSTRAP_SERVERS": example_broker.address,
        "CELERY_BROKER_URL": jobs_redis.broker,
        "CELERY_RESULT_BACKEND": jobs_redis.broker,
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_receiver.http_endpoint,
        "OTEL_TRACES_SAMPLER_ARG": "1.0",
        # Export every 100 ms instead of 5 s: the spans arrive while the test waits.
        "OTEL_BSP_SCHEDULE_DELAY": "100",
        "PYTHONUNBUFFERED": "1",
    }
    with example_stack(env, tmp_path) as stack:
        server, logs = stack.server, stack.logs
        created = server.request(
            "POST", "/invoices/", {"customer": "acme", "amount": "99.90", "currency": "EUR"}
        )
        assert created.status == 201, created.body
        invoice = created.json()["id"]
        wait_for_status(server, invoice, "issued", logs)  # the consumer issued it

        settled = server.request("POST", f"/invoices/{invoice}/settle/")
        assert settled.status == 202, settled.body
        assert settled.json()["status"] == "issued"  # accepted; the job marks it paid
        wait_for_status(server, invoice, "paid", logs)

        path = f"/invoices/{invoice}/settle/"
        roots = otlp_receiver.wait_for(
            lambda s: s.kind == SERVER and s.attributes.get("url.path") == path, WAIT
        )
        assert len(roots) == 1, f"HTTP server spans of {path}: {roots}\n{logs()}"
        root = roots[0]
        spans = wait_for_trace(otlp_receiver, root.trace_id, has_marked_paid)

        # The edge answers the billing core's refusals as the domain errors they are.
        again = server.request("POST", f"/invoices/{invoice}/settle/")
        assert (again.status, again.json()["status"]) == (202, "paid"), again.body
        unknown = server.request("POST", f"/invoices/{invoice + 1000}/settle/")
        assert (unknown.status, unknown.json()["error"]) == (404, "not_found"), unknown.body

    tree = render(spans)
    assert root.parent_span_id == "", tree  # the request started the trace
    grpc_client = only_child(spans, root, CLIENT, SETTLE_RPC)
    grpc_server_span = only_child(spans, grpc_client, SERVER, SETTLE_RPC)
    kafka_producer = only_child(spans, grpc_server_span, PRODUCER, "invoices.settled publish")
    kafka_consumer = only_child(spans, kafka_producer, CONSUMER, "invoices.settled process")
    job_publish = only_child(spans, kafka_consumer, PRODUCER, "apply_async/invoices.close_settled")
    job_run = only_child(spans, job_publish, CONSUMER, "run/invoices.close_settled")
    updates = [span for span in children(spans, job_run, CLIENT) if is_marking_paid(span)]
    assert len(updates) == 1, f"UPDATEs of invoices_invoice under the job run:\n{tree}"
    assert updates[0].attributes["db.system.name"] == "postgresql", updates[0].attributes
    assert kafka_consumer.attributes["messaging.consumer.group.name"] == "invoices-billing"
    assert all(span.status_code != 2 for span in spans), tree  # 2: ERROR
    # One trace: every span of it hangs from the request's span, none from elsewhere, and
    # the job ran in no other trace.
    ids = {span.span_id for span in spans}
    assert all(s is root or s.parent_span_id in ids for s in spans), tree
    runs = otlp_receiver.wait_for(lambda s: s.name == "run/invoices.close_settled", 0)
    assert {s.trace_id for s in runs} == {root.trace_id}, tree
    assert {s.service_name for s in spans} == {"invoices"}, tree


def wait_for_status(
    server: ServerProcess, invoice: int, status: str, logs: Callable[[], str]
) -> None:
    """Poll ``GET /invoices/<id>/`` until the invoice has ``status``; fail after ``WAIT`` s."""
    deadline = time.monotonic() + WAIT
    while True:
        found = server.request("GET", f"/invoices/{invoice}/").json().get("status")
        if found == status:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"invoice {invoice} still {found!r}, never {status!r}\n{logs()}")
        time.sleep(0.2)


def is_marking_paid(span: ReceivedSpan) -> bool:
    """The SQL span of ``mark_paid``: the conditional UPDATE of the invoices table."""
    return span.attributes.get("db.operation.name") == "UPDATE" and '"invoices_invoice"' in (
        span.attributes.get("db.query.text", "")
    )


def has_marked_paid(spans: list[ReceivedSpan]) -> bool:
    """Every leg has arrived (each process exports on its own), the last one included."""
    names = {span.name for span in spans}
    legs = {SETTLE_RPC, "invoices.settled process", "run/invoices.close_settled"}
    return legs <= names and any(is_marking_paid(span) for span in spans)


def wait_for_trace(
    receiver: OtlpReceiver, trace_id: str, complete: Callable[[list[ReceivedSpan]], bool]
) -> list[ReceivedSpan]:
    """The spans of ``trace_id`` once ``complete`` says all have come (or after ``WAIT`` s,
    then the assertions show what is missing)."""
    deadline = time.monotonic() + WAIT
    while True:
        spans = receiver.wait_for(lambda span: span.trace_id == trace_id, 0)
        if complete(spans) or time.monotonic() > deadline:
            return spans
        time.sleep(0.1)


def children(spans: list[ReceivedSpan], parent: ReceivedSpan, kind: int) -> list[ReceivedSpan]:
    return [s for s in spans if s.parent_span_id == parent.span_id and s.kind == kind]


def only_child(
    spans: list[ReceivedSpan], parent: ReceivedSpan, kind: int, name: str
) -> ReceivedSpan:
    """The one span named ``name`` of ``kind`` whose parent is ``parent``."""
    found = [span for span in children(spans, parent, kind) if span.name == name]
    assert len(found) == 1, f"{len(found)} {name!r} under {parent.name!r}:\n{render(spans)}"
    return found[0]


KINDS = {1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}


def render(spans: list[ReceivedSpan]) -> str:
    """The trace as an indented tree (name, kind), for failure messages."""
    children: dict[str, list[ReceivedSpan]] = {}
    for span in spans:
        children.setdefault(span.parent_span_id, []).append(span)
    ids = {span.span_id for span in spans}
    lines: list[str] = []

    def walk(span: ReceivedSpan, depth: int) -> None:
        lines.append(f"{'  ' * depth}{span.name} [{KINDS.get(span.kind, span.kind)}]")
        for child in children.get(span.span_id, []):
            walk(child, depth + 1)

    for span in spans:
        if span.parent_span_id not in ids:
            walk(span, 0)
    return "\n".join(lines)
