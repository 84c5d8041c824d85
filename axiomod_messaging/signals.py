"""Signals of ``axiomod_messaging``, for alerting or bookkeeping beyond the metrics.

``delivery_failed(sender=Publisher, message, error)``: a published message was not
delivered (``message`` is confluent-kafka's, ``error`` its ``KafkaError``). Sent on the
thread that serves delivery reports.

``message_dead_lettered(sender=group, message, error, dead_letter_topic)``: a consumed
message exhausted its tries and was written to the dead-letter topic (``message`` is the
:class:`~axiomod_messaging.message.Message` or, for one that could not be decoded, the
confluent-kafka message; ``error`` the exception).
"""

from django.dispatch import Signal

delivery_failed = Signal()
message_dead_lettered = Signal()
