"""Message value serializers: JSON by default, bytes as they are, or your own class.

A serializer is any object with ``serialize(value) -> bytes`` and
``deserialize(data: bytes) -> value``. ``AXIOMOD["kafka"]["serializer"]`` names the
default (``"json"``, ``"bytes"`` or a dotted path to a class); ``publish()`` and
``@handler`` take ``serializer=`` to override it for one topic.

A value that is already ``bytes`` is never re-encoded by ``publish()``, whatever the
serializer: that is how callers send pre-encoded Avro/Protobuf without a custom class.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Protocol, runtime_checkable

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.module_loading import import_string

__all__ = [
    "BytesSerializer",
    "DeserializationError",
    "JSONSerializer",
    "Serializer",
    "get_serializer",
]


@runtime_checkable
class Serializer(Protocol):
    def serialize(self, value: Any) -> bytes: ...

    def deserialize(self, data: bytes) -> Any: ...


class DeserializationError(ValueError):
    """A message value the handler's serializer cannot read: never retried, dead-lettered."""


class JSONSerializer:
    """UTF-8 JSON; Django's encoder, so ``Decimal``, ``datetime`` and ``UUID`` just work."""

    def __init__(self) -> None:
        # One encoder object: json.dumps(cls=...) would build a new one per message.
        self._encode = DjangoJSONEncoder(separators=(",", ":"), ensure_ascii=False).encode

    def serialize(self, value: Any) -> bytes:
        return self._encode(value).encode()

    def deserialize(self, data: bytes) -> Any:
        try:
            return json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DeserializationError(f"value is not valid JSON: {exc}") from exc


class BytesSerializer:
    """No encoding: values are ``bytes`` (``str`` is UTF-8 encoded) and handlers get bytes."""

    def serialize(self, value: Any) -> bytes:
        if isinstance(value, str):
            return value.encode()
        if isinstance(value, bytes | bytearray | memoryview):
            return bytes(value)
        raise TypeError(f"the bytes serializer takes bytes or str, not {type(value).__name__}")

    def deserialize(self, data: bytes) -> Any:
        return data


_BUILTIN: dict[str, type] = {"json": JSONSerializer, "bytes": BytesSerializer}


@functools.cache
def get_serializer(name: str) -> Serializer:
    """The serializer named ``name`` (``json``, ``bytes`` or a dotted class path), shared."""
    cls = _BUILTIN.get(name) or import_string(name)
    instance = cls()
    if not isinstance(instance, Serializer):
        raise TypeError(f"{name} has no serialize()/deserialize() methods")
    return instance
