"""Kafka for axiomod services: the producer, handler registry and consumer runner.

Configured by ``AXIOMOD["kafka"]`` (:class:`axiomod_messaging.conf.KafkaSettings`).
Needs the ``kafka`` extra.
"""
