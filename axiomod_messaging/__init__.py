"""Kafka for axiomod services: the producer, handler registry and consumer runner.

Configured by ``AXIOMOD["kafka"]`` (:class:`axiomod_messaging.conf.KafkaSettings`).
Needs the ``kafka`` extra. Public API (imported lazily, so reading ``AXIOMOD`` never
needs confluent-kafka)::

    import axiomod_messaging
    from axiomod_messaging import handler

    axiomod_messaging.publish("invoices.created", {"id": 7}, key="7")

    @handler("invoices.created", group="billing")   # in <app>/handlers.py
    def on_invoice_created(message):
        ...  # message.value == {"id": 7}

Consumers run with ``python manage.py axiomod_consume [--group billing]``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from axiomod.lazy import lazy_exports

if TYPE_CHECKING:
    from .errors import PermanentError
    from .message import Message
    from .publisher import Publisher, flush, producer, publish
    from .registry import handler
    from .serializers import DeserializationError, Serializer

_WHERE = {
    "DeserializationError": "serializers",
    "Message": "message",
    "PermanentError": "errors",
    "Publisher": "publisher",
    "Serializer": "serializers",
    "flush": "publisher",
    "handler": "registry",
    "producer": "publisher",
    "publish": "publisher",
}
__all__ = [
    "DeserializationError",
    "Message",
    "PermanentError",
    "Publisher",
    "Serializer",
    "flush",
    "handler",
    "producer",
    "publish",
]


__getattr__ = lazy_exports(__name__, _WHERE)
