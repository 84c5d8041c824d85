"""Carrying the trace context across process boundaries, with the configured propagators.

These use only the OpenTelemetry API: with tracing off they return empty headers and an
empty context, at the cost of a function call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

__all__ = ["context_from_kafka", "extract_context", "inject_headers", "kafka_headers"]


def inject_headers(headers: MutableMapping[str, str] | None = None) -> MutableMapping[str, str]:
    """``headers`` (or a new dict) with the current context added (``traceparent``...)."""
    from opentelemetry import propagate

    headers = {} if headers is None else headers
    propagate.inject(headers)
    return headers


def extract_context(headers: Mapping[str, str]) -> Any:
    """The context carried by incoming ``headers`` (case-insensitive keys)."""
    from opentelemetry import propagate

    lowered = {key.lower(): value for key, value in headers.items()}
    return propagate.extract(lowered)


def kafka_headers(
    headers: Iterable[tuple[str, bytes | str]] | Mapping[str, bytes | str] | None = None,
) -> list[tuple[str, bytes]]:
    """confluent-kafka message headers with the current context added.

    Kafka header values are bytes; the W3C keys go in as ``traceparent`` etc.
    """
    items = list(headers.items()) if isinstance(headers, Mapping) else list(headers or ())
    result = [(key, value.encode() if isinstance(value, str) else value) for key, value in items]
    for key, value in inject_headers().items():
        result.append((key, value.encode()))
    return result


def context_from_kafka(headers: Iterable[tuple[str, bytes | None]] | None) -> Any:
    """The context a producer put in a consumed message's headers (``message.headers()``)."""
    text = {}
    for key, value in headers or ():
        if value is not None:
            text[key.lower()] = value.decode("latin-1") if isinstance(value, bytes) else value
    return extract_context(text)
