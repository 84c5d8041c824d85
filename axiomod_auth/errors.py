"""The two ways verification fails: the provider cannot be reached, or the token is bad.

They are kept apart because callers answer them differently: a bad token is the client's
fault (401 with the reason), an unreachable provider is ours (a login page answers 503,
an API still answers 401 because the token could not be verified).
"""

from __future__ import annotations


class ProviderUnavailable(Exception):  # noqa: N818  (reads as a state, like ImproperlyConfigured)
    """No usable discovery document or JWKS: the provider failed, nothing usable is cached."""


class TokenError(Exception):
    """A bearer token or ID token was rejected.

    ``code`` is one of a small fixed set (the ``reason`` label of
    ``oidc_token_verifications_total``); the message is safe to return to the client.
    """

    CODES = frozenset(
        {
            "malformed",
            "algorithm",
            "unknown_key",
            "signature",
            "expired",
            "not_yet_valid",
            "audience",
            "issuer",
            "claims",
            "nonce",
            "no_user",
            "provider_unavailable",
        }
    )

    def __init__(self, code: str, message: str) -> None:
        assert code in self.CODES, code
        super().__init__(message)
        self.code = code
