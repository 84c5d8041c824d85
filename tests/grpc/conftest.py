"""Fixtures of the gRPC tests: the auth tests' loopback OpenID provider, ``traced``."""

from tests.auth.conftest import idp, provider
from tests.tracing.conftest import traced

__all__ = ["idp", "provider", "traced"]
