"""Settings of the consumer processes the Kafka integration tests start.

Everything a test varies comes from the environment (set by ``tests.messaging.consumers``):
the broker, the topic and group the recording handler serves, the file it records to.
"""

import os

SECRET_KEY = "consumer-tests"
USE_TZ = True
INSTALLED_APPS = [
    "axiomod",
    "axiomod_metrics",
    "axiomod_messaging",
    "tests.messaging.project",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
}

GROUP = os.environ.get("AXIOMOD_TEST_GROUP", "test-group")
AXIOMOD = {
    "service_name": "consumer-tests",
    "kafka": {
        # bootstrap_servers: KAFKA_BOOTSTRAP_SERVERS
        "consumer": {
            "session.timeout.ms": 6000,
            "heartbeat.interval.ms": 1000,
            # Also the rebalance timeout: how long the broker waits for members to rejoin.
            "max.poll.interval.ms": 20000,
            # A key librdkafka refuses, for the start-up failure test.
            **({"no.such.key": 1} if os.environ.get("AXIOMOD_TEST_BAD_CONSUMER") else {}),
        },
        "retry": {"max_attempts": 3, "backoff_initial": 0.05, "backoff_max": 0.2},
        "commit_interval": float(os.environ.get("AXIOMOD_TEST_COMMIT_INTERVAL", "1.0")),
        "shutdown_timeout": 15.0,
        "groups": {
            GROUP: {
                "batch_size": int(os.environ.get("AXIOMOD_TEST_BATCH_SIZE", "100")),
                "concurrency": int(os.environ.get("AXIOMOD_TEST_CONCURRENCY", "1")),
                "in_flight": int(os.environ.get("AXIOMOD_TEST_IN_FLIGHT", "1")),
            }
        },
    },
}
