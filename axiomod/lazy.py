"""Lazy public APIs for the apps' packages (PEP 562 module ``__getattr__``).

An app's ``__init__`` names its public API without importing it, so reading ``AXIOMOD``
or listing ``INSTALLED_APPS`` never needs the app's optional dependency (PyJWT,
confluent-kafka...): the submodule is imported when a name is first used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: ``where`` maps each name to its submodule."""

    def attribute(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(import_module(f"{package}.{module}"), name)

    return attribute
