"""gRPC settings checks and the server's options (no server started)."""

from __future__ import annotations

import grpc
from django.test import override_settings

from axiomod_grpc.checks import check_grpc
from axiomod_grpc.server import server_options


def grpc_settings(**values):
    return override_settings(AXIOMOD={"grpc": values})


def test_example_handlers_pass():
    assert check_grpc() == []


def test_unreadable_tls_files_are_named(tmp_path):
    with grpc_settings(tls_cert=str(tmp_path / "missing.pem"), tls_key=str(tmp_path / "k")):
        messages = check_grpc()
    assert [m.id for m in messages] == ["axiomod.E061", "axiomod.E061"]
    assert messages[0].msg.startswith('AXIOMOD["grpc"]["tls_cert"]: ')
    assert "No such file or directory" in messages[0].msg


def test_options_carry_size_limits_and_keepalive():
    with grpc_settings(max_message_bytes=8 * 1024 * 1024, keepalive_time_ms=20000):
        options = dict(server_options())
    assert options["grpc.max_receive_message_length"] == 8 * 1024 * 1024
    assert options["grpc.max_send_message_length"] == 8 * 1024 * 1024
    assert options["grpc.keepalive_time_ms"] == 20000
    assert options["grpc.http2.min_ping_interval_without_data_ms"] == 20000
    with grpc_settings():
        assert "grpc.keepalive_time_ms" not in dict(server_options())


def test_metrics_interceptor_follows_the_metrics_grpc_setting():
    from axiomod_grpc.server import interceptor_chain
    from axiomod_metrics.grpc import MetricsInterceptor

    with override_settings(AXIOMOD={"metrics": {"grpc": False}}):
        assert not any(isinstance(i, MetricsInterceptor) for i in interceptor_chain(fused=False))
    with override_settings(AXIOMOD={}):
        assert isinstance(interceptor_chain(fused=False)[0], MetricsInterceptor)
        assert isinstance(interceptor_chain()[0].parts[0], MetricsInterceptor)


def test_a_grpc_section_without_the_app_says_to_add_it():
    from django.conf import settings as django_settings
    from django.core import checks

    apps = [a for a in django_settings.INSTALLED_APPS if a != "axiomod_grpc"]
    with override_settings(INSTALLED_APPS=apps, AXIOMOD={"grpc": {"port": 50052}}):
        messages = checks.run_checks(tags=["axiomod"])
    assert [m.id for m in messages] == ["axiomod.W001"]
    assert "AXIOMOD[\"grpc\"] is set but 'axiomod_grpc' is not in INSTALLED_APPS" in messages[0].msg
    assert messages[0].hint == "Add 'axiomod_grpc' to INSTALLED_APPS or remove the section."


def test_handlers_that_cannot_be_imported_are_reported_by_the_app():
    from axiomod_grpc.checks import check_grpc_handlers

    with grpc_settings(handlers=["example.nope.register"]):
        messages = check_grpc_handlers()
    assert [m.id for m in messages] == ["axiomod.E060"]
    assert messages[0].msg.startswith('AXIOMOD["grpc"]["handlers"][0]: cannot import')


def test_a_fused_layer_runs_its_parts_in_order_and_honours_each_skip():
    import types

    from axiomod_grpc import WrappingInterceptor
    from axiomod_grpc.wrapping import FusedInterceptor

    seen: list[str] = []

    class Part(WrappingInterceptor):
        def __init__(self, name: str, skipped: str = "") -> None:
            super().__init__()
            self.name, self.skipped = name, skipped

        def skip(self, method: str) -> bool:
            return method == self.skipped

        def wrapper(self, method: str):
            def wrap(behaviour, streams):
                def unary(request, context):
                    seen.append(self.name)
                    return behaviour(request, context)

                return unary

            return wrap

    fused = FusedInterceptor([Part("outer"), Part("middle", skipped="/s.S/Probe"), Part("inner")])
    handler = grpc.unary_unary_rpc_method_handler(lambda request, context: seen.append("call"))

    def details(method: str):
        return types.SimpleNamespace(method=method, invocation_metadata=())

    served = fused.intercept_service(lambda d: handler, details("/s.S/Work"))
    served.unary_unary(b"", None)
    assert seen == ["outer", "middle", "inner", "call"]
    seen.clear()
    fused.intercept_service(lambda d: handler, details("/s.S/Probe")).unary_unary(b"", None)
    assert seen == ["outer", "inner", "call"]
    # built once per method while the server hands over the same handler
    assert fused.intercept_service(lambda d: handler, details("/s.S/Work")) is served
    other = grpc.unary_unary_rpc_method_handler(lambda request, context: None)
    assert fused.intercept_service(lambda d: other, details("/s.S/Work")) is not served
    assert fused.intercept_service(lambda d: None, details("/s.S/Missing")) is None
