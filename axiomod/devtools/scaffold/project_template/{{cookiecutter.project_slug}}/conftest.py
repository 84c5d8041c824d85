"""pytest set-up shared by tests/ and the modules' own tests.

axiomod.testing's plugin gives the tests real services on loopback: ``otlp_receiver`` (an
OTLP collector), ``oidc_provider`` (an OpenID provider with real keys) and
``kafka_broker`` (a Kafka-protocol broker). A fixture whose extra or service is missing
skips its tests, naming what to install; ``AXIOMOD_REQUIRE_SERVICES=1`` (CI) fails them.
"""

pytest_plugins = ["axiomod.testing.pytest_plugin"]
