"""Signals of ``axiomod_messaging``, for alerting or bookkeeping beyond the metrics.

``delivery_failed(sender=Publisher, message, error)``: a published message was not
delivered (``message`` is confluent-kafka's, ``error`` its ``KafkaError``). Sent on the
thread that serves delivery reports.

``message_dead_lettered(sender=group, message, error, dead_letter_topic)``: a consumed
message exhausted its tries (or could not be decoded) and the broker confirmed its copy in
the dead-letter topic (``message`` is confluent-kafka's, ``error`` the exception).

Both are sent with ``send_robust``: a receiver that raises is logged and cannot break
delivery reporting or the consumer.
"""

import logging
from typing import Any

from django.dispatch import Signal

delivery_failed = Signal()
message_dead_lettered = Signal()

logger = logging.getLogger("axiomod.kafka")


def send(signal: Signal, sender: Any, **kwargs: Any) -> None:
    """Send ``signal`` to every receiver; one that raises is logged, never propagated."""
    for receiver, outcome in signal.send_robust(sender=sender, **kwargs):
        if isinstance(outcome, Exception):
            logger.error("receiver %r of a Kafka signal failed: %r", receiver, outcome)
