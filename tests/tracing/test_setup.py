"""Building the SDK from AXIOMOD["tracing"]: exporters, sampler, resource, propagators."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter

from axiomod import tracing
from axiomod.tracing import setup


def tracing_settings(**values):
    return override_settings(AXIOMOD={"service_name": "billing", "tracing": values})


def exporter_of(provider):
    (processor,) = provider._active_span_processor._span_processors
    return processor.span_exporter if hasattr(processor, "span_exporter") else processor._exporter


def test_none_configures_nothing():
    with tracing_settings(exporter="none"):
        assert tracing.configure(force=True) is False
        assert tracing.tracer() is None
    tracing.shutdown()


def test_jaeger_means_otlp_grpc_to_jaegers_port():
    with tracing_settings(exporter="jaeger"):
        exporter = exporter_of(setup.build_provider())
    assert isinstance(exporter, GrpcExporter)
    assert exporter._endpoint == "localhost:4317"


def test_otlp_http_endpoint_gets_the_traces_path():
    with tracing_settings(
        exporter="otlp-http",
        endpoint="http://collector:4318",
        headers={"authorization": "Bearer t"},
    ):
        exporter = exporter_of(setup.build_provider())
    assert isinstance(exporter, HttpExporter)
    assert exporter._endpoint == "http://collector:4318/v1/traces"


def test_resource_and_sampler():
    with tracing_settings(
        exporter="console", sample_ratio=0.1, resource_attributes={"k8s.cluster.name": "prod"}
    ):
        provider = setup.build_provider()
    attributes = provider.resource.attributes
    assert attributes["service.name"] == "billing"
    assert attributes["deployment.environment"] == "development"
    assert attributes["k8s.cluster.name"] == "prod"
    assert "ParentBased" in provider.sampler.get_description()
    assert "0.1" in provider.sampler.get_description()


def test_a_propagator_whose_package_is_missing_is_named():
    with (
        tracing_settings(exporter="console", propagators=["tracecontext", "b3"]),
        pytest.raises(ImproperlyConfigured, match="opentelemetry-propagator-b3"),
    ):
        tracing.configure(force=True)
    tracing.shutdown()


def test_configure_is_once_per_process():
    with tracing_settings(exporter="console"):
        assert tracing.configure(force=True) is True
        first = tracing.tracer()
        assert tracing.configure() is True
        assert tracing.tracer() is first
    tracing.shutdown()


def test_service_name_wins_over_resource_attributes():
    with tracing_settings(exporter="console", resource_attributes={"service.name": "other"}):
        provider = setup.build_provider()
    assert provider.resource.attributes["service.name"] == "billing"


def test_environment_values_are_percent_decoded():
    from axiomod.conf import validate

    tracing_values = validate(
        {}, {"OTEL_EXPORTER_OTLP_HEADERS": "authorization=Bearer%20abc"}
    ).values["tracing"]
    assert tracing_values.headers == {"authorization": "Bearer abc"}


def test_otel_sdk_disabled_turns_tracing_off(monkeypatch):
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    with tracing_settings(exporter="console"):
        assert tracing.configure(force=True) is False
        assert tracing.tracer() is None
    tracing.shutdown()


@pytest.mark.parametrize(
    ("sampler", "trusted"),
    [
        ("parentbased_traceidratio", True),
        ("parentbased_always_on", True),
        ("traceidratio", False),
        ("always_on", False),
        ("always_off", False),
    ],
)
def test_otel_traces_sampler_says_whether_callers_flags_are_trusted(sampler, trusted):
    from axiomod.conf import validate

    environ = {"OTEL_TRACES_SAMPLER": sampler, "OTEL_TRACES_SAMPLER_ARG": "0.1"}
    values = validate({}, environ).values["tracing"]
    assert values.trust_parent_sampling is trusted
    # A key written in the settings wins over the variable.
    written = validate({"tracing": {"trust_parent_sampling": not trusted}}, environ)
    assert written.values["tracing"].trust_parent_sampling is not trusted


def test_an_edge_sampler_uses_the_ratio_for_remote_parents_only():
    with tracing_settings(exporter="console", sample_ratio=0.1, trust_parent_sampling=False):
        description = setup.build_provider().sampler.get_description()
    assert "remoteParentSampled:TraceIdRatioBased{0.1}" in description
    assert "remoteParentNotSampled:TraceIdRatioBased{0.1}" in description
    assert "localParentSampled:AlwaysOnSampler" in description
