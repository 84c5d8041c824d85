"""What a fused interceptor chain (#22) must keep, on both server kinds.

``manage.py axiomod_grpc --threads`` and ``--asyncio`` as real subprocesses (the test
project of ``tests/grpc``, plus :mod:`tests.grpc.chain_probe`), with metrics on a port
of their own, tracing exporting over OTLP to a loopback receiver (sample ratio 1.0, a
short batch delay) and bearer-token auth (``AXIOMOD["oidc"]`` at the test provider).
Today the chain is one grpcio interceptor per contribution; #22 may run them as one
layer. These tests pin what such a change could silently drop:

* metrics: ``grpc_requests_total`` and ``grpc_request_duration_seconds`` with exactly
  the labels ``service``, ``method``, ``status``, for OK and for the status the error
  mapping or the auth interceptor chose (``NOT_FOUND``, ``INTERNAL``,
  ``UNAUTHENTICATED``);
* spans: named by the full method, kind SERVER, with ``rpc.system``, ``rpc.service``,
  ``rpc.method``, ``rpc.grpc.status_code`` (the mapped code) and the peer
  (``net.peer.ip``/``net.peer.port``; no server address or port is set today); a root
  span without a caller's context, a child of the caller's ``traceparent`` with one;
* the root sampling rule: at ratio 0 no span for a new trace, yet every call counted;
  a sampled caller's context is still continued;
* health and reflection calls: neither counted nor traced;
* errors: an unexpected exception is ``INTERNAL`` without its message (the whole
  domain-error table is ``test_server.py``'s);
* bearer tokens: no token goes on anonymous; a bad one is ``UNAUTHENTICATED`` with the
  reason; a good one reaches the servicer (``current_user``/``current_claims``) and
  does not outlive its call;
* the call boundary for Django: a database connection opened in a call (``CONN_MAX_AGE``
  0) is closed when the call ends, not only when the thread serves its next call.

Already pinned elsewhere, for both kinds unless said: the domain-error table and the
servicer's own ``abort`` code (``test_server.py``), expired and garbage tokens refused
and a good one seen (``test_server.py``), span name, parent link and status code with
health untraced (``test_tls_tracing.py``), metric labels with a lone metrics
interceptor (``tests/metrics/test_grpc.py``), the ratio rules on a thread-pool server of
one's own (``test_own_server.py``).
"""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from prometheus_client.parser import text_string_to_metric_families

from axiomod.testing import free_port
from axiomod.testing.oidc_provider import CLIENT_ID
from axiomod.testing.otlp import OtlpReceiver
from example.invoices.delivery.grpc import invoices_pb2 as pb
from example.invoices.delivery.grpc import invoices_pb2_grpc as pb_grpc
from tests.grpc.chain_probe import OBSERVER
from tests.grpc.servers import GrpcServer
from tests.servers import manage

pytestmark = pytest.mark.integration

INVOICES = "axiomod.example.invoices.v1.Invoices"
SPAN_KIND_SERVER = 2  # opentelemetry.proto.trace.v1.Span.SpanKind
STATUS_UNSET, STATUS_ERROR = 0, 2  # opentelemetry.proto.trace.v1.Status.StatusCode
LABELS = {"service", "method", "status"}

SETTINGS = """\
from tests.grpc.project.settings import *  # noqa

AXIOMOD = {{
    **AXIOMOD,
    "metrics": {{**AXIOMOD.get("metrics", {{}}), "port": {port}, "address": "127.0.0.1"}},
    "grpc": {{
        **AXIOMOD["grpc"],
        "handlers": [*AXIOMOD["grpc"]["handlers"], "tests.grpc.chain_probe.register"],
    }},
}}
DATABASES["default"]["CONN_MAX_AGE"] = {conn_max_age}
"""


class Served:
    """A running server, its receiver and its metrics port."""

    def __init__(
        self, server: GrpcServer, receiver: OtlpReceiver, metrics_port: int, kind: str
    ) -> None:
        self.server, self.receiver, self.metrics_port = server, receiver, metrics_port
        self.kind = kind

    def channel(self) -> grpc.Channel:
        return self.server.channel()

    def samples(self) -> list[tuple[str, dict[str, str], float]]:
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as response:
            text = response.read().decode()
        return [
            (s.name, dict(s.labels), s.value)
            for family in text_string_to_metric_families(text)
            for s in family.samples
            if s.name.startswith("grpc_request")
        ]

    def count(self, service: str, method: str, status: str) -> float:
        wanted = {"service": service, "method": method, "status": status}
        return sum(
            value
            for name, labels, value in self.samples()
            if name == "grpc_requests_total" and labels == wanted
        )


def start(
    tmp_path, kind: str, receiver: OtlpReceiver, idp, ratio: str, conn_max_age: int | None = 0
) -> Iterator[Served]:
    metrics_port = free_port()
    (tmp_path / "chain_settings.py").write_text(
        SETTINGS.format(port=metrics_port, conn_max_age=conn_max_age)
    )
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "chain_settings",
        "PYTHONPATH": str(tmp_path),
        "OIDC_ISSUER": idp.issuer,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "AXIOMOD_TEST_HEALTH_DOWN": str(tmp_path / "down"),
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.http_endpoint,
        "OTEL_TRACES_SAMPLER_ARG": ratio,
        "OTEL_BSP_SCHEDULE_DELAY": "100",
    }
    assert manage("migrate", "--no-input", env=env).returncode == 0
    server = GrpcServer(env, tmp_path / "grpc.log", (f"--{kind}",), settings="chain_settings")
    with server:
        yield Served(server, receiver, metrics_port, kind)


@pytest.fixture(scope="module")
def module_receiver() -> Iterator[OtlpReceiver]:
    receiver = OtlpReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="module", params=["threads", "asyncio"])
def served(request, tmp_path_factory, module_receiver, idp) -> Iterator[Served]:
    tmp_path = tmp_path_factory.mktemp(f"chain-{request.param}")
    yield from start(tmp_path, request.param, module_receiver, idp, "1.0")


def traceparent(n: int) -> tuple[str, str, list[tuple[str, str]]]:
    """A caller's sampled context, different per test and per server kind."""
    trace_id = f"{time.time_ns():024x}{n:08x}"[-32:]
    parent = f"{n:016x}"
    return trace_id, parent, [("traceparent", f"00-{trace_id}-{parent}-01")]


def span_of(served: Served, trace_id: str):
    (span,) = served.receiver.wait_for(  # the call's own span (its queries add CLIENT ones)
        lambda s: s.trace_id == trace_id and s.kind == SPAN_KIND_SERVER, timeout=15
    )
    return span


def raise_(channel: grpc.Channel, what: bytes, **kwargs) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        channel.unary_unary("/tests.Probe/Raise")(what, timeout=30, **kwargs)
    return raised.value


# --------------------------------------------------------------------------- metrics


def test_metric_names_and_labels_for_ok_and_mapped_errors(served):
    before = {
        status: served.count(INVOICES, "GetInvoice", status) for status in ("OK", "NOT_FOUND")
    }
    internal_before = served.count("tests.Probe", "Raise", "INTERNAL")
    with served.channel() as channel:
        stub = pb_grpc.InvoicesStub(channel)
        created = stub.CreateInvoice(
            pb.CreateInvoiceRequest(customer="Acme", amount="1", currency="EUR"), timeout=30
        )
        assert stub.GetInvoice(pb.GetInvoiceRequest(id=created.id), timeout=30) == created
        with pytest.raises(grpc.RpcError) as missing:
            stub.GetInvoice(pb.GetInvoiceRequest(id=404), timeout=30)
        assert missing.value.code() is grpc.StatusCode.NOT_FOUND
        boom = raise_(channel, b"boom")
        assert (boom.code(), boom.details()) == (grpc.StatusCode.INTERNAL, "internal error")
    assert served.count(INVOICES, "GetInvoice", "OK") == before["OK"] + 1
    assert served.count(INVOICES, "GetInvoice", "NOT_FOUND") == before["NOT_FOUND"] + 1
    assert served.count("tests.Probe", "Raise", "INTERNAL") == internal_before + 1

    samples = served.samples()
    names = {name for name, _, _ in samples}
    assert {
        "grpc_requests_total",
        "grpc_request_duration_seconds_bucket",
        "grpc_request_duration_seconds_count",
        "grpc_request_duration_seconds_sum",
    } <= names
    for name, labels, _ in samples:
        expected = LABELS | {"le"} if name.endswith("_bucket") else LABELS
        assert set(labels) == expected, (name, labels)
    durations = {
        labels["status"]: value
        for name, labels, value in samples
        if name == "grpc_request_duration_seconds_count"
        and labels["service"] == INVOICES
        and labels["method"] == "GetInvoice"
    }
    totals = {
        labels["status"]: value
        for name, labels, value in samples
        if name == "grpc_requests_total"
        and labels["service"] == INVOICES
        and labels["method"] == "GetInvoice"
    }
    assert durations == totals  # one observation per counted call, same labels


# --------------------------------------------------------------------------- spans


def test_spans_carry_the_rpc_conventions_and_the_callers_parent(served):
    ok_trace, ok_parent, ok_context = traceparent(1)
    missing_trace, _, missing_context = traceparent(2)
    boom_trace, _, boom_context = traceparent(3)
    with served.channel() as channel:
        stub = pb_grpc.InvoicesStub(channel)
        created = stub.CreateInvoice(
            pb.CreateInvoiceRequest(customer="Acme", amount="2", currency="EUR"), timeout=30
        )
        stub.GetInvoice(pb.GetInvoiceRequest(id=created.id), metadata=ok_context, timeout=30)
        with pytest.raises(grpc.RpcError):
            stub.GetInvoice(pb.GetInvoiceRequest(id=404), metadata=missing_context, timeout=30)
        raise_(channel, b"boom", metadata=boom_context)

    ok = span_of(served, ok_trace)
    assert ok.name == f"/{INVOICES}/GetInvoice"
    assert ok.kind == SPAN_KIND_SERVER
    assert ok.parent_span_id == ok_parent
    assert ok.attributes["rpc.system"] == "grpc"
    assert ok.attributes["rpc.service"] == INVOICES
    assert ok.attributes["rpc.method"] == "GetInvoice"
    assert ok.attributes["rpc.grpc.status_code"] == 0
    assert ok.attributes["net.peer.ip"] == "127.0.0.1"
    assert int(ok.attributes["net.peer.port"]) > 0
    assert ok.attributes["net.peer.name"] == "localhost"
    assert ok.attributes["rpc.user_agent"].startswith("grpc-python/")
    assert ok.status_code == STATUS_UNSET
    missing = span_of(served, missing_trace)
    assert missing.attributes["rpc.grpc.status_code"] == 5  # NOT_FOUND
    assert missing.status_code == STATUS_UNSET  # a client's error is not the server's
    boom = span_of(served, boom_trace)
    assert boom.name == "/tests.Probe/Raise"
    assert boom.attributes["rpc.grpc.status_code"] == 13  # INTERNAL, as the client saw it
    assert (boom.status_code, boom.status_message) == (
        STATUS_ERROR,
        "StatusCode.INTERNAL:internal error",
    )
    assert "hunter2" not in repr(boom.attributes) + boom.status_message

    # The CreateInvoice call came without a caller's context: a root span at ratio 1.0.
    roots = served.receiver.wait_for(
        lambda s: s.name == f"/{INVOICES}/CreateInvoice" and not s.parent_span_id, timeout=15
    )
    assert roots


def test_health_and_reflection_are_neither_counted_nor_traced(served):
    sentinel_trace, _, sentinel_context = traceparent(4)
    with served.channel() as channel:
        health = health_pb2_grpc.HealthStub(channel)
        answer = health.Check(health_pb2.HealthCheckRequest(), timeout=10)
        assert answer.status == health_pb2.HealthCheckResponse.SERVING
        reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
        (listed,) = reflection.ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=10
        )
        assert listed.list_services_response.service
        # A traced call after them: once its span is in, theirs would be too.
        channel.unary_unary("/tests.Probe/Whoami")(b"", metadata=sentinel_context, timeout=30)
    span_of(served, sentinel_trace)
    names = {span.name for span in served.receiver.spans}
    assert not {n for n in names if n.startswith(("/grpc.health.", "/grpc.reflection."))}
    counted = {labels["service"] for name, labels, _ in served.samples()}
    assert not {s for s in counted if s.startswith(("grpc.health.", "grpc.reflection."))}


# --------------------------------------------------------------------------- auth


def test_bearer_tokens_anonymous_refused_with_a_reason_and_identity(served, idp):
    whoami = "/tests.Probe/Whoami"
    unauthenticated_before = served.count("tests.Probe", "Whoami", "UNAUTHENTICATED")
    bad_trace, _, bad_context = traceparent(5)
    with served.channel() as channel:
        call = channel.unary_unary(whoami)
        assert call(b"", timeout=30) == b"anonymous"  # no token: the call goes on
        with pytest.raises(grpc.RpcError) as garbage:
            call(b"", metadata=[("authorization", "Bearer not.a.jwt"), *bad_context], timeout=30)
        assert garbage.value.code() is grpc.StatusCode.UNAUTHENTICATED
        assert garbage.value.details().startswith("invalid_token (")
        other = idp.token({"aud": "someone-else"})
        with pytest.raises(grpc.RpcError) as audience:
            call(b"", metadata=[("authorization", f"Bearer {other}")], timeout=30)
        assert audience.value.code() is grpc.StatusCode.UNAUTHENTICATED
        assert audience.value.details().startswith("invalid_token (audience)")

        token = idp.token({"sub": "chain-user", "preferred_username": "chain"})
        seen = call(b"", metadata=[("authorization", f"Bearer {token}")], timeout=30)
        assert seen.decode().endswith("|chain-user")  # current_user() and current_claims()
        # The identity ends with its call: the next calls, on whatever thread, are anonymous.
        assert {call(b"", timeout=30) for _ in range(20)} == {b"anonymous"}
    assert served.count("tests.Probe", "Whoami", "UNAUTHENTICATED") == unauthenticated_before + 2
    span = span_of(served, bad_trace)
    assert span.attributes["rpc.grpc.status_code"] == 16  # UNAUTHENTICATED


# --------------------------------------------------------------------------- Django


def test_a_connection_opened_in_a_call_is_closed_when_it_ends(served):
    with served.channel() as channel:
        for _ in range(3):
            assert channel.unary_unary("/tests.ChainProbe/Query")(b"", timeout=30) == b"done"
            state = channel.unary_unary(f"/{OBSERVER}/Closed")(b"", timeout=30)
            assert state == b"closed"


def test_the_projects_own_request_signal_receivers_run_around_each_call(served):
    """Connected after the chain has sent signals: the boundary sees receivers change."""
    with served.channel() as channel:
        counts = [channel.unary_unary(f"/{OBSERVER}/{name}") for name in ("Started", "Finished")]
        before = [int(count(b"", timeout=30)) for count in counts]
        for _ in range(3):
            assert channel.unary_unary("/tests.ChainProbe/Query")(b"", timeout=30) == b"done"
        after = [int(count(b"", timeout=30)) for count in counts]
    assert [a - b for a, b in zip(after, before, strict=True)] == [3, 3]


def test_sync_servicer_methods_run_in_the_servers_own_pool(served):
    """``max_workers`` bounds them on both kinds (grpc.aio: its migration pool)."""
    with served.channel() as channel:
        names = {channel.unary_unary("/tests.ChainProbe/Thread")(b"", timeout=30) for _ in range(5)}
    prefix = b"grpc-worker" if served.kind == "threads" else b"grpc-sync"
    assert all(name.startswith(prefix) for name in names), names


@pytest.mark.parametrize("kind", ["threads", "asyncio"])
def test_the_observer_sees_a_persistent_connection_open(kind, tmp_path, otlp_receiver, idp):
    """The control of the test above: with ``CONN_MAX_AGE`` None the connection stays open
    after the call, and the observer (outside the chain) says so."""
    for served in start(tmp_path, kind, otlp_receiver, idp, "1.0", conn_max_age=None):
        with served.channel() as channel:
            assert channel.unary_unary("/tests.ChainProbe/Query")(b"", timeout=30) == b"done"
            assert channel.unary_unary(f"/{OBSERVER}/Closed")(b"", timeout=30) == b"open"


# --------------------------------------------------------------------------- ratio 0


@pytest.mark.parametrize("kind", ["threads", "asyncio"])
def test_ratio_zero_traces_no_new_trace_but_counts_every_call(kind, tmp_path, otlp_receiver, idp):
    trace_id, parent, context = traceparent(6)
    for served in start(tmp_path, kind, otlp_receiver, idp, "0"):
        before = served.count("tests.Probe", "Whoami", "OK")
        with served.channel() as channel:
            call = channel.unary_unary("/tests.Probe/Whoami")
            for _ in range(20):
                assert call(b"", timeout=30) == b"anonymous"
            call(b"", metadata=context, timeout=30)  # a sampled caller is still followed
        assert served.count("tests.Probe", "Whoami", "OK") == before + 21
        continued = span_of(served, trace_id)
        assert continued.parent_span_id == parent
        served.server.terminate()  # whatever is left is flushed at exit
        assert served.server.wait(30) == 0
    assert [span.trace_id for span in otlp_receiver.spans] == [trace_id]
