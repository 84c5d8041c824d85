"""The chain and the services are assembled from what the installed apps contribute."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent import futures

import grpc
import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from axiomod_grpc import ErrorInterceptor, Interceptor, build_server, interceptor_chain
from axiomod_grpc.contributions import interceptors, services
from axiomod_grpc.wrapping import AsyncFusedInterceptor, FusedInterceptor
from tests.grpc.contrib_app import interceptors as contrib
from tests.grpc.project.services import register

CONTRIB = "tests.grpc.contrib_app"
OIDC = {"issuer": "http://localhost:9/realms/x", "audience": "api"}


def names() -> list[str]:
    return [c.name for c in interceptors()]


def with_apps(*extra: str, without: tuple[str, ...] = ()):
    apps = [a for a in django_settings.INSTALLED_APPS if a not in without]
    return override_settings(INSTALLED_APPS=[*apps, *extra])


def test_the_builtin_order_is_metrics_tracing_auth_errors():
    # no oidc in the example
    assert names() == ["metrics", "tracing", "metrics-exemplars", "errors"]
    with override_settings(AXIOMOD={"oidc": OIDC}):
        assert names() == ["metrics", "tracing", "metrics-exemplars", "auth", "errors"]
        chain = interceptor_chain()
    from axiomod_auth.grpc import AuthInterceptor
    from axiomod_metrics.grpc import MetricsInterceptor

    # tracing does not export here, so its contribution (and the exemplar capture, which
    # needs its spans) stays out of the chain; the others run as one grpcio layer, in
    # the table's order
    (layer,) = chain
    assert isinstance(layer, FusedInterceptor)
    assert [type(i) for i in layer.parts] == [
        MetricsInterceptor,
        AuthInterceptor,
        ErrorInterceptor,
    ]
    unfused = interceptor_chain(fused=False)
    assert [type(i) for i in unfused] == [MetricsInterceptor, ErrorInterceptor]


def test_a_plain_interceptor_keeps_its_own_layer_at_its_place(monkeypatch):
    """A contribution that is not a wrapping interceptor splits the fused runs around it."""
    from django.apps import apps

    class Plain(grpc.ServerInterceptor):
        def intercept_service(self, continuation, handler_call_details):
            return continuation(handler_call_details)

    plain = Plain()
    config = apps.get_app_config("axiomod_health")
    mine = [Interceptor("plain", 350, lambda asyncio: plain)]
    monkeypatch.setattr(config, "grpc_contributions", lambda: mine, raising=False)
    with override_settings(AXIOMOD={"oidc": OIDC}):
        assert names() == ["metrics", "tracing", "metrics-exemplars", "auth", "plain", "errors"]
        chain = interceptor_chain()
        aio_chain = interceptor_chain(asyncio=True)
    first, middle, last = chain
    assert [type(i).__name__ for i in first.parts] == ["MetricsInterceptor", "AuthInterceptor"]
    assert middle is plain
    assert isinstance(last, ErrorInterceptor)  # a run of one is not wrapped again
    assert isinstance(aio_chain[0], AsyncFusedInterceptor)
    assert [type(i).__name__ for i in aio_chain[0].parts] == [
        "AsyncMetricsInterceptor",
        "AsyncAuthInterceptor",
    ]


def test_each_contribution_decides_whether_it_is_on():
    with override_settings(AXIOMOD={"metrics": {"grpc": False}}):
        assert names() == ["tracing", "errors"]
    with with_apps(without=("axiomod_auth",)), override_settings(AXIOMOD={}):
        assert "auth" not in names()


def test_services_come_from_the_apps():
    assert [s.name for s in services()] == ["grpc.health.v1.Health"]
    built = build_server(port=0, host="127.0.0.1")
    try:
        assert built.services[-2:] == [
            "grpc.health.v1.Health",
            "grpc.reflection.v1alpha.ServerReflection",
        ]
    finally:
        built.server.stop(None)
    with with_apps(without=("axiomod_health",)):
        assert services() == []


def test_a_third_party_app_contributes_an_interceptor():
    with with_apps(CONTRIB), override_settings(AXIOMOD={"oidc": OIDC}):
        assert names() == ["metrics", "tracing", "metrics-exemplars", "auth", "stamp", "errors"]
        assert not any(
            isinstance(i, contrib.StampInterceptor) for i in interceptor_chain(asyncio=True)
        )
        server = grpc.server(futures.ThreadPoolExecutor(2), interceptors=interceptor_chain())
    register(server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            answer, call = channel.unary_unary("/tests.Probe/Whoami").with_call(b"", timeout=10)
            health = channel.unary_unary("/grpc.health.v1.Health/Check")
            with pytest.raises(grpc.RpcError):  # not served here; still passed through
                health(b"", timeout=10)
    finally:
        server.stop(None)
    assert answer == b"anonymous"
    assert ("x-stamp", "anonymous") in tuple(call.trailing_metadata())
    assert "/tests.Probe/Whoami" in contrib.SEEN
    assert not any(m.startswith("/grpc.health") for m in contrib.SEEN)


def test_two_apps_contributing_one_name_are_refused(monkeypatch):
    from django.apps import apps

    config = apps.get_app_config("axiomod_health")
    twin = [Interceptor("errors", 10, "axiomod_grpc.interceptors.error_interceptor")]
    monkeypatch.setattr(config, "grpc_contributions", lambda: twin, raising=False)
    with pytest.raises(ImproperlyConfigured, match="'errors' is contributed by both"):
        interceptors()


def test_the_apps_grpc_modules_are_imported_only_when_a_server_is_built():
    code = (
        "import django, sys; django.setup(); "
        "from axiomod_grpc.contributions import interceptors, services; "
        "interceptors(); services(); "
        "print(sorted(m for m in sys.modules if m.endswith('.grpc') or m == 'axiomod_grpc.server'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "example.settings"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "[]", out
