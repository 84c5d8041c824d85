"""A check referenced by dotted path from the health tests' settings."""

from health_check.exceptions import ServiceUnavailable


def always_down() -> None:
    raise ServiceUnavailable("down on purpose")
