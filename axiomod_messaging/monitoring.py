"""Kafka on the components dashboard, and the alerts for lag growing and dead letters.

From :mod:`axiomod_messaging.metrics`: ``kafka_messages_produced_total{topic,status}``,
``kafka_messages_consumed_total{topic,group,status}`` (``ok``, ``error``, ``invalid``),
``kafka_message_retries_total{topic,group}``, ``kafka_messages_dead_lettered_total{topic,group}``,
``kafka_message_processing_seconds{topic,group}`` (``AXIOMOD["metrics"]["buckets"]``) and
``kafka_consumer_lag{topic,partition,group}`` (each consumer reports the partitions it
holds; a rebalance moves a partition's series to another instance, so the lag rules add
up a group's partitions over the whole job, not per instance).
"""

from __future__ import annotations

from collections.abc import Iterator

from axiomod.observability import (
    RATE,
    Alert,
    Monitoring,
    Panel,
    Parameter,
    Params,
    Query,
    Row,
    RuleGroup,
    selector,
)

DEAD = "kafka_messages_dead_lettered_total"
NOT_OK = 'status!="ok"'
LAG_WINDOW = "15m"

PARAMETERS = (
    Parameter(
        "kafka_lag_messages",
        1000,
        "Lag (messages, summed over a consumer group's partitions of a topic) below which "
        "KafkaConsumerLagGrowing stays quiet however fast it grows.",
        min=1,
    ),
    Parameter(
        "kafka_lag_growth_messages",
        100,
        f"Growth of that lag over {LAG_WINDOW} above which KafkaConsumerLagGrowing fires "
        "(with the lag above kafka_lag_messages).",
        min=0,
    ),
    Parameter(
        "kafka_dead_letters",
        0,
        "Messages dead-lettered by a consumer group (per topic, over 10 minutes) above "
        "which KafkaDeadLetters fires.",
        min=0,
    ),
)


def rows(params: Params) -> Iterator[Row]:
    yield Row(
        "Kafka",
        (
            Panel(
                "Produced",
                (
                    Query(
                        f"sum by (topic, status) "
                        f"(rate(kafka_messages_produced_total{selector()}{RATE}))",
                        "{{topic}} {{status}}",
                    ),
                ),
                unit="ops",
                description="Delivery reports of publish(): ok (the broker has it) or error.",
                quiet="A message published with axiomod_messaging's publish().",
            ),
            Panel(
                "Consumed",
                (
                    Query(
                        f"sum by (topic, group, status) "
                        f"(rate(kafka_messages_consumed_total{selector()}{RATE}))",
                        "{{topic}} {{group}} {{status}}",
                    ),
                ),
                unit="ops",
                description="Messages by outcome: ok (handled), error (tries exhausted), "
                "invalid (could not be decoded).",
                quiet="A consumer (manage.py axiomod_consume) handling messages.",
            ),
            Panel(
                "Failed and invalid messages",
                (
                    Query(
                        f"sum by (topic, group, status) "
                        f"(rate(kafka_messages_consumed_total{selector(NOT_OK)}{RATE}))",
                        "{{topic}} {{group}} {{status}}",
                    ),
                ),
                unit="ops",
                quiet="A handler failing every try, or a message that cannot be decoded.",
            ),
            Panel(
                "Retries",
                (
                    Query(
                        f"sum by (topic, group) "
                        f"(rate(kafka_message_retries_total{selector()}{RATE}))",
                        "{{topic}} {{group}}",
                    ),
                ),
                unit="ops",
                quiet="A handler try that raised and was tried again.",
            ),
            Panel(
                "Dead-lettered",
                (
                    Query(
                        f"sum by (topic, group) (increase({DEAD}{selector()}{RATE}))",
                        "{{topic}} {{group}}",
                    ),
                ),
                description="Messages written to the dead-letter topic after their last try.",
                quiet="A message whose handler failed every try.",
            ),
            Panel(
                "Consumer lag",
                (
                    Query(
                        f"sum by (topic, group) (kafka_consumer_lag{selector()})",
                        "{{topic}} {{group}}",
                    ),
                ),
                description="Messages between the partitions' ends and the handled "
                "offsets, added up over the group's partitions. KafkaConsumerLagGrowing "
                f"fires above {params['kafka_lag_messages']} when it grew by more than "
                f"{params['kafka_lag_growth_messages']} in {LAG_WINDOW}.",
                quiet="A consumer holding partitions (it reports every few seconds).",
            ),
            Panel(
                "Processing time p50 / p95 / p99",
                tuple(
                    Query(
                        f"histogram_quantile({q}, sum by (topic, group, le) "
                        f"(rate(kafka_message_processing_seconds_bucket{selector()}{RATE})))",
                        f"p{round(q * 100)} {{{{topic}}}} {{{{group}}}}",
                    )
                    for q in (0.5, 0.95, 0.99)
                ),
                unit="s",
                description="Time to handle a message, every try included.",
                quiet="A consumer handling messages.",
            ),
        ),
    )


def new_or_increase(counter: str, window: str) -> str:
    """Each series' increase over ``window``; a series born within it counts in full.

    prometheus_client creates a series on its first increment, so its first sample is
    already 1 and ``increase()`` (which needs two samples and sees no change) misses it:
    the first dead letter of a topic would never alert.
    """
    return f"(({counter} unless {counter} offset {window}) or increase({counter}[{window}]))"


def rules(params: Params) -> Iterator[RuleGroup]:
    by = "job, topic, group"
    yield RuleGroup(
        "axiomod-messaging",
        (
            Alert(
                "KafkaConsumerLagGrowing",
                f"sum by ({by}) (kafka_consumer_lag) > {params['kafka_lag_messages']}\n"
                f"and on ({by})\n"
                f"sum by ({by}) (delta(kafka_consumer_lag[{LAG_WINDOW}])) "
                f"> {params['kafka_lag_growth_messages']}",
                summary="Consumer group {{ $labels.group }} falls behind on {{ $labels.topic }}",
                description="Group {{ $labels.group }} of {{ $labels.job }} is "
                "{{ $value | humanize }} messages behind on {{ $labels.topic }} and the lag "
                f"grew by more than {params['kafka_lag_growth_messages']} in {LAG_WINDOW}: "
                "messages arrive faster than they are handled.",
                runbook="kafka-consumer-lag-growing",
                for_="10m",
                severity="ticket",
            ),
            Alert(
                "KafkaDeadLetters",
                f"sum by ({by}) {new_or_increase(DEAD, '10m')} > {params['kafka_dead_letters']}",
                summary="{{ $labels.group }} dead-letters messages of {{ $labels.topic }}",
                description="Consumer group {{ $labels.group }} of {{ $labels.job }} wrote "
                "{{ $value | humanize }} messages of {{ $labels.topic }} to the dead-letter "
                "topic in 10 minutes: their handler failed every try. They wait there to be "
                "replayed.",
                runbook="kafka-dead-letters",
                for_="0m",
                severity="ticket",
            ),
        ),
    )


AXIOMOD_MONITORING = Monitoring("Kafka", parameters=PARAMETERS, rows=rows, rules=rules)
