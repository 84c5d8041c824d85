"""Carrying the trace context across process boundaries, with the configured propagators.

These use only the OpenTelemetry API: with tracing off they return empty headers and an
empty context, at the cost of a function call.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

__all__ = [
    "baggage_propagator",
    "context_from_kafka",
    "extract_context",
    "inject_headers",
    "kafka_headers",
]

logger = logging.getLogger("axiomod.tracing")

#: The logger opentelemetry-api's W3C baggage propagator warns on, once per bad entry.
BAGGAGE_LOGGER = "opentelemetry.baggage.propagation"
#: Longest sample of a dropped entry's warning repeated in axiomod's one line.
_SAMPLE_CHARS = 120


class _HeldWarnings:
    """The baggage warnings of one extraction: how many, and the first one's text."""

    __slots__ = ("count", "first")

    def __init__(self) -> None:
        self.count = 0
        self.first = ""


_held: contextvars.ContextVar[_HeldWarnings | None] = contextvars.ContextVar(
    "axiomod_baggage_warnings", default=None
)


class _HoldBaggageWarnings(logging.Filter):
    """Holds back the propagator's warnings while axiomod's extraction is running.

    Only records made inside :class:`baggage_propagator`'s ``extract`` (a context
    variable marks it, so threads and asyncio tasks don't mix) are held; the
    propagator's warnings from any other use pass through unchanged.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        held = _held.get()
        if held is None:
            return True
        if not held.count:
            held.first = record.getMessage()[:_SAMPLE_CHARS]
        held.count += 1
        return False


_FILTER = _HoldBaggageWarnings()


def baggage_propagator() -> Any:
    """OpenTelemetry's ``W3CBaggagePropagator``, logging at most one line per extraction.

    The library warns once per malformed or excess list-member on its module logger, so
    a header such as ``=,=,=,...`` from any caller made ~180 WARNING lines per request
    (its 180-member limit, then one more). Its parsing is right and is kept; only the
    logging is gathered into one WARNING on ``axiomod.tracing`` with the count and the
    first problem. Rewriting the parser would duplicate the W3C rules; raising that
    logger's level would also hide its warnings from code outside a request. The
    filter sits on the library's own logger (``logging.Logger.addFilter`` ignores a
    second add of the same filter) and acts only inside this propagator's ``extract``.
    """
    from opentelemetry.baggage.propagation import W3CBaggagePropagator
    from opentelemetry.propagators import textmap

    logging.getLogger(BAGGAGE_LOGGER).addFilter(_FILTER)

    class OneLineBaggagePropagator(W3CBaggagePropagator):
        def extract(
            self,
            carrier: Any,
            context: Any = None,
            getter: Any = textmap.default_getter,
        ) -> Any:
            held = _HeldWarnings()
            token = _held.set(held)
            try:
                return super().extract(carrier, context=context, getter=getter)
            finally:
                _held.reset(token)
                if held.count:
                    logger.warning(
                        "baggage header: %d malformed or excess entries ignored (first: %s)",
                        held.count,
                        held.first,
                    )

    return OneLineBaggagePropagator()


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
