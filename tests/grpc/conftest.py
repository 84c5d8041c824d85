"""Fixtures of the gRPC tests: the loopback OpenID provider of the auth tests."""

from tests.auth.conftest import idp, provider

__all__ = ["idp", "provider"]
