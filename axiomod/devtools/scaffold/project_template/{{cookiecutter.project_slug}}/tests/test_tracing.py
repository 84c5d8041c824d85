"""Each request is a server span, exported over OTLP as production exports it.

``otlp_receiver`` (axiomod.testing's plugin, enabled in conftest.py) is a real OTLP
collector on loopback; the test points AXIOMOD["tracing"] at it.
"""

import pytest
from axiomod import tracing
from django.http import JsonResponse
from django.urls import path
from opentelemetry import trace

from {{ cookiecutter.project_slug }} import urls as project_urls


def greet(request, name):
    return JsonResponse({"hello": name})


# This module is the URLconf of its tests: the project's routes and a route of its own.
urlpatterns = [*project_urls.urlpatterns, path("greet/<str:name>/", greet)]

pytestmark = pytest.mark.urls(__name__)

ROUTE = "/greet/<str:name>/"
#: OTLP's SPAN_KIND_SERVER.
SERVER = 2


@pytest.fixture
def exported(settings, otlp_receiver):
    """Tracing on, every request sampled, spans exported over OTLP/gRPC to the receiver."""
    settings.AXIOMOD = {
        **settings.AXIOMOD,
        "tracing": {
            "exporter": "otlp",
            "endpoint": otlp_receiver.grpc_endpoint,
            "sample_ratio": 1.0,
        },
    }
    tracing.configure(force=True)  # configured once per process: rebuild it from these
    yield otlp_receiver
    tracing.shutdown()


def flush():
    """Send the batched spans now (production sends them every few seconds)."""
    assert trace.get_tracer_provider().force_flush(10_000)


def test_a_request_is_exported_as_a_server_span(client, exported):
    response = client.get("/greet/ada/?lang=en", headers={"user-agent": "tests"})
    assert response.status_code == 200
    assert client.get("/live").status_code == 200  # probes are not traced
    flush()

    (span,) = exported.wait_for(lambda span: span.name == f"GET {ROUTE}", timeout=10)
    assert span.kind == SERVER
    assert span.service_name == "{{ cookiecutter.project_slug | replace('_', '-') }}"
    assert span.parent_span_id == ""  # a root: the request came with no trace context
    assert span.attributes["http.request.method"] == "GET"
    assert span.attributes["http.route"] == ROUTE
    assert span.attributes["url.path"] == "/greet/ada/"
    assert span.attributes["http.response.status_code"] == 200
    assert span.attributes["user_agent.original"] == "tests"
    assert [span.name for span in exported.spans] == [f"GET {ROUTE}"]


def test_a_callers_trace_is_continued(client, exported):
    trace_id, caller_span_id = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    traceparent = f"00-{trace_id}-{caller_span_id}-01"
    response = client.get("/greet/bob/", headers={"traceparent": traceparent})
    assert response.status_code == 200
    flush()

    (span,) = exported.wait_for(lambda span: span.trace_id == trace_id, timeout=10)
    assert span.name == f"GET {ROUTE}"
    assert span.parent_span_id == caller_span_id


def test_a_failing_request_is_recorded_with_its_status(client, exported):
    assert client.get("/no-such-page/").status_code == 404
    flush()

    (span,) = exported.wait_for(lambda span: span.attributes.get("url.path") == "/no-such-page/")
    assert span.name == "GET"  # no route matched: the method alone
    assert span.attributes["http.response.status_code"] == 404
