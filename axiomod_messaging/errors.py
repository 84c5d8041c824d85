"""Exceptions a handler may raise to steer what happens to its message."""

from __future__ import annotations

__all__ = ["PermanentError"]


class PermanentError(Exception):
    """The message can never succeed (a rule it breaks, a record that is gone).

    Raised from a handler, it sends the message to the dead-letter topic at once
    instead of spending the retry policy's tries and backoff on it.
    """
