"""Real services in a test run: the skip-or-fail policy and the record of what was used.

A test that needs a service (a broker, a database) the machine does not offer is skipped,
or failed when ``AXIOMOD_REQUIRE_SERVICES=1`` (as CI sets): :func:`service_unavailable`.
A :class:`ServiceLedger` records which services a run used and which it had to do
without; the pytest plugin (:mod:`axiomod.testing.pytest_plugin`) prints it at the end.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import NoReturn

__all__ = [
    "REQUIRE_SERVICES_ENV",
    "ServiceLedger",
    "ServiceRecord",
    "ServiceUnreachableError",
    "one_line",
    "service_unavailable",
    "services_required",
    "skip_or_fail",
]

REQUIRE_SERVICES_ENV = "AXIOMOD_REQUIRE_SERVICES"


class ServiceUnreachableError(Exception):
    """A service could not be reached or started; ``str()`` is the reason."""


def services_required() -> bool:
    """True when ``AXIOMOD_REQUIRE_SERVICES`` asks for every service (CI)."""
    value = os.environ.get(REQUIRE_SERVICES_ENV, "").strip().lower()
    return value in {"1", "true", "yes", "on"}


def service_unavailable(service: str, address: str, reason: object) -> NoReturn:
    """Skip the test that needs ``service``; fail it instead when services are required."""
    skip_or_fail(f"{service} not reachable at {address}: {reason}")


def skip_or_fail(message: str) -> NoReturn:
    """Skip the current test with ``message``, or fail it when services are required."""
    import pytest

    if services_required():
        pytest.fail(f"{message} ({REQUIRE_SERVICES_ENV}=1)", pytrace=False)
    pytest.skip(message)


def one_line(exc: BaseException) -> str:
    """An exception as one line: ``Type: message`` with its whitespace collapsed."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@dataclass(frozen=True)
class ServiceRecord:
    name: str
    address: str
    version: str = ""
    origin: str = "found"  # "found" (already running) or "started by fixture"
    reason: str = ""  # why it was unavailable


@dataclass
class ServiceLedger:
    """The services a run used, and those it had to do without."""

    used: list[ServiceRecord] = field(default_factory=list)
    unavailable: list[ServiceRecord] = field(default_factory=list)

    def record_used(self, name: str, address: str, version: str, origin: str = "found") -> None:
        self.used.append(ServiceRecord(name, address, version, origin))

    def record_unavailable(self, name: str, address: str, reason: object) -> None:
        self.unavailable.append(ServiceRecord(name, address, reason=str(reason)))

    def summary_lines(self, required: bool) -> list[str]:
        def used(record: ServiceRecord) -> str:
            version = f" {record.version}" if record.version else ""
            return f"{record.name}{version} at {record.address} ({record.origin})"

        def missing(record: ServiceRecord) -> str:
            at = f" at {record.address}" if record.address else ""
            return f"{record.name}{at} ({record.reason})"

        missing_label = "services failed" if required else "services skipped"
        return [
            "services used: " + ("; ".join(map(used, self.used)) or "none"),
            f"{missing_label}: " + ("; ".join(map(missing, self.unavailable)) or "none"),
        ]
