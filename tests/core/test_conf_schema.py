"""The AXIOMOD schema: every kind of bad input is reported with its full path and a hint."""

from __future__ import annotations

import pytest

from axiomod.conf import ErrorKind, format_path, validate
from axiomod.conf.sections import TracingSettings


def errors_of(raw, environ=None):
    return [e for errors in validate(raw, environ or {}).errors.values() for e in errors]


def only_error(raw, environ=None):
    errors = errors_of(raw, environ)
    assert len(errors) == 1, [str(e) for e in errors]
    return errors[0]


def test_empty_block_is_valid_and_fills_defaults():
    loaded = validate({}, {})
    assert errors_of({}) == []
    assert loaded.values["metrics"].path == "/metrics"
    assert loaded.values["tracing"].sample_ratio == 1.0
    assert loaded.values["health"].check_timeout == 1.0
    assert loaded.values["oidc"] is None, "optional sections stay unconfigured"
    assert loaded.values["kafka"] is None


def test_format_path_names_every_level():
    assert format_path(("tracing", "batch", "max_queue_size")) == (
        'AXIOMOD["tracing"]["batch"]["max_queue_size"]'
    )
    assert format_path(("grpc", "handlers", 2)) == 'AXIOMOD["grpc"]["handlers"][2]'


def test_unknown_key_names_full_path_suggests_and_lists_valid_keys():
    error = only_error({"tracing": {"sample_rate": 0.5}})
    assert error.kind is ErrorKind.UNKNOWN_KEY
    assert error.id == "axiomod.E001"
    assert error.setting == 'AXIOMOD["tracing"]["sample_rate"]'
    assert "did you mean 'sample_ratio'?" in error.hint
    assert "valid keys: exporter, endpoint, sample_ratio" in error.hint


def test_unknown_top_level_section_lists_sections():
    error = only_error({"metricz": {}})
    assert error.setting == 'AXIOMOD["metricz"]'
    assert "did you mean 'metrics'?" in error.hint
    for section in ("metrics", "tracing", "health", "oidc", "db", "kafka", "jobs", "grpc"):
        assert section in error.hint


def test_block_that_is_not_a_dict_is_a_type_error():
    error = only_error(["metrics"])
    assert error.kind is ErrorKind.WRONG_TYPE
    assert error.setting == "AXIOMOD"


@pytest.mark.parametrize(
    ("raw", "setting", "expected"),
    [
        ({"health": {"check_timeout": "fast"}}, '["health"]["check_timeout"]', "a number"),
        ({"metrics": {"port": "9100"}}, '["metrics"]["port"]', "an integer or None"),
        ({"metrics": {"port": 9100.0}}, '["metrics"]["port"]', "an integer or None"),
        ({"metrics": {"grpc": "yes"}}, '["metrics"]["grpc"]', "a boolean"),
        ({"tracing": {"sample_ratio": True}}, '["tracing"]["sample_ratio"]', "a number"),
        ({"tracing": {"propagators": "tracecontext"}}, '["tracing"]["propagators"]', "a list"),
        ({"tracing": {"headers": ["a"]}}, '["tracing"]["headers"]', "a dict"),
        ({"tracing": {"batch": 5}}, '["tracing"]["batch"]', "a dict"),
        ({"grpc": {"handlers": ["ok.path", 3]}}, '["grpc"]["handlers"][1]', "a string"),
    ],
)
def test_wrong_type_names_path_and_expected_type(raw, setting, expected):
    error = only_error(raw)
    assert error.kind is ErrorKind.WRONG_TYPE
    assert error.id == "axiomod.E002"
    assert error.setting == "AXIOMOD" + setting
    assert f"expected {expected}" in error.message


@pytest.mark.parametrize(
    ("raw", "setting", "fragment"),
    [
        ({"tracing": {"sample_ratio": 1.5}}, '["tracing"]["sample_ratio"]', "0.0 <= value <= 1.0"),
        ({"tracing": {"sample_ratio": -0.1}}, '["tracing"]["sample_ratio"]', "out of range"),
        ({"metrics": {"port": 70000}}, '["metrics"]["port"]', "1 <= value <= 65535"),
        ({"health": {"check_timeout": 0}}, '["health"]["check_timeout"]', "value > 0.0"),
        ({"health": {"check_timeout": float("nan")}}, '["health"]["check_timeout"]', "finite"),
        ({"tracing": {"exporter": "jager"}}, '["tracing"]["exporter"]', "did you mean 'jaeger'"),
        ({"tracing": {"propagators": ["w3c"]}}, '["tracing"]["propagators"][0]', "tracecontext"),
        ({"metrics": {"path": "metrics"}}, '["metrics"]["path"]', "must start with '/'"),
        ({"metrics": {"buckets": [0.1, 0.05]}}, '["metrics"]["buckets"]', "strictly increasing"),
        ({"metrics": {"buckets": []}}, '["metrics"]["buckets"]', "at least one"),
        ({"service_name": "my service"}, '["service_name"]', "letters, digits"),
        ({"tracing": {"endpoint": "collector:4317"}}, '["tracing"]["endpoint"]', "http://"),
    ],
)
def test_invalid_value_names_path_and_what_is_allowed(raw, setting, fragment):
    error = only_error(raw)
    assert error.kind is ErrorKind.INVALID_VALUE
    assert error.id == "axiomod.E003"
    assert error.setting == "AXIOMOD" + setting
    assert fragment in str(error)


def test_cross_field_rule_of_nested_section():
    error = only_error({"tracing": {"batch": {"max_queue_size": 100}}})
    assert error.setting == 'AXIOMOD["tracing"]["batch"]["max_export_batch_size"]'
    assert "larger than max_queue_size (100)" in error.message


def test_missing_required_value_in_configured_section():
    error = only_error({"kafka": {"client_id": "svc"}})
    assert error.kind is ErrorKind.MISSING_VALUE
    assert error.id == "axiomod.E004"
    assert error.setting == 'AXIOMOD["kafka"]["bootstrap_servers"]'
    assert "KAFKA_BOOTSTRAP_SERVERS" in error.hint


def test_required_value_cannot_be_none():
    error = only_error({"oidc": {"issuer": None}})
    assert error.kind is ErrorKind.MISSING_VALUE


def test_every_error_is_reported_not_only_the_first():
    errors = errors_of(
        {
            "tracing": {"sample_ratio": 3, "exporter": "zipkin"},
            "metrics": {"port": "x"},
            "nope": 1,
        }
    )
    assert {e.setting for e in errors} == {
        'AXIOMOD["tracing"]["sample_ratio"]',
        'AXIOMOD["tracing"]["exporter"]',
        'AXIOMOD["metrics"]["port"]',
        'AXIOMOD["nope"]',
    }


def test_invalid_entries_fall_back_to_defaults_so_the_rest_is_usable():
    loaded = validate({"tracing": {"sample_ratio": 3, "exporter": "console"}}, {})
    assert loaded.values["tracing"].sample_ratio == 1.0
    assert loaded.values["tracing"].exporter == "console"


def test_integers_are_accepted_for_numbers_and_lists_become_tuples():
    tracing = validate({"tracing": {"sample_ratio": 0, "propagators": ["baggage"]}}, {}).values[
        "tracing"
    ]
    assert tracing.sample_ratio == 0.0 and isinstance(tracing.sample_ratio, float)
    assert tracing.propagators == ("baggage",)


def test_sections_are_frozen():
    tracing = validate({}, {}).values["tracing"]
    with pytest.raises(AttributeError):
        tracing.sample_ratio = 0.5


def test_mutable_defaults_are_not_shared_between_loads():
    first = validate({}, {}).values["tracing"]
    first.headers["x"] = "y"
    assert validate({}, {}).values["tracing"].headers == {}


class TestEnvironmentDefaults:
    def test_otel_variables_provide_defaults(self):
        loaded = validate(
            {},
            {
                "OTEL_SERVICE_NAME": "billing",
                "OTEL_TRACES_SAMPLER_ARG": "0.25",
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317",
                "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=prod, team=pay",
                "OTEL_EXPORTER_OTLP_HEADERS": "authorization=Bearer x",
                "OTEL_PROPAGATORS": "tracecontext,baggage,b3",
                "OTEL_BSP_MAX_QUEUE_SIZE": "4096",
            },
        )
        assert loaded.values["service_name"] == "billing"
        tracing = loaded.values["tracing"]
        assert tracing.sample_ratio == 0.25
        assert tracing.endpoint == "http://collector:4317"
        assert tracing.resource_attributes == {"deployment.environment": "prod", "team": "pay"}
        assert tracing.headers == {"authorization": "Bearer x"}
        assert tracing.propagators == ("tracecontext", "baggage", "b3")
        assert tracing.batch.max_queue_size == 4096

    def test_signal_specific_variable_wins_over_generic(self):
        tracing = validate(
            {},
            {
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://generic:4317",
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://traces:4317",
            },
        ).values["tracing"]
        assert tracing.endpoint == "http://traces:4317"

    def test_explicit_setting_wins_over_environment(self):
        tracing = validate(
            {"tracing": {"sample_ratio": 0.5}}, {"OTEL_TRACES_SAMPLER_ARG": "0.1"}
        ).values["tracing"]
        assert tracing.sample_ratio == 0.5

    def test_otlp_exporter_follows_protocol_variable(self):
        environ = {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}
        assert validate({}, environ).values["tracing"].exporter == "otlp-http"
        environ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc"
        assert validate({}, environ).values["tracing"].exporter == "otlp"

    @pytest.mark.parametrize(
        ("environ", "variable", "fragment"),
        [
            ({"OTEL_TRACES_SAMPLER_ARG": "abc"}, "OTEL_TRACES_SAMPLER_ARG", "cannot be read"),
            ({"OTEL_TRACES_SAMPLER_ARG": "2"}, "OTEL_TRACES_SAMPLER_ARG", "out of range"),
            ({"OTEL_TRACES_EXPORTER": "zipkin"}, "OTEL_TRACES_EXPORTER", "not one of"),
            ({"OTEL_RESOURCE_ATTRIBUTES": "novalue"}, "OTEL_RESOURCE_ATTRIBUTES", "key=value"),
            ({"OTEL_EXPORTER_OTLP_INSECURE": "maybe"}, "OTEL_EXPORTER_OTLP_INSECURE", "true or"),
        ],
    )
    def test_bad_environment_value_names_the_variable_and_the_setting(
        self, environ, variable, fragment
    ):
        error = only_error({}, environ)
        assert error.env == variable
        assert str(error).startswith(f"{variable} (default of AXIOMOD[")
        assert fragment in str(error)

    def test_blank_variable_is_ignored(self):
        assert validate({}, {"OTEL_SERVICE_NAME": "  "}).values["service_name"] == (
            "django-service"
        )


def test_every_setting_is_documented():
    from axiomod.conf import known_sections
    from axiomod.conf.schema import section_fields
    from axiomod.conf.sections import CoreSettings

    classes = [CoreSettings, TracingSettings, *known_sections().values()]
    for cls in classes:
        for field, _ in section_fields(cls):
            assert field.metadata.get("doc"), f"{cls.__name__}.{field.name} has no doc"


@pytest.mark.parametrize(
    ("environ", "ratio"),
    [
        ({"OTEL_TRACES_SAMPLER": "always_off"}, 0.0),
        ({"OTEL_TRACES_SAMPLER": "parentbased_always_on"}, 1.0),
        (
            {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1"},
            0.1,
        ),
        ({"OTEL_TRACES_SAMPLER": "traceidratio"}, 1.0),
        ({"OTEL_TRACES_SAMPLER_ARG": "0.3"}, 0.3),
    ],
)
def test_otel_sampler_variables_become_the_sample_ratio(environ, ratio):
    assert validate({}, environ).values["tracing"].sample_ratio == ratio


def test_unsupported_otel_sampler_is_reported():
    error = only_error({}, {"OTEL_TRACES_SAMPLER": "jaeger_remote"})
    assert error.env == "OTEL_TRACES_SAMPLER"
    assert "traceidratio" in error.message
