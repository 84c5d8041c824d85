"""The names a generated module is written with, derived from the one name the user gives.

``axiomod generate module --name invoices`` needs a directory and app label
(``invoices``), an entity class (``Invoice``), file names (``invoice_repository.py``,
``list_invoices.py``) and a proto package. Deriving them in one place keeps every
template consistent, and validating the name up front turns a bad name into one clear
error before anything is written.

inflect and django.utils.text were looked at for singular/plural forms: inflect is not a
dependency here and Django only capitalises; the rules below are the regular English ones,
and ``--entity`` overrides the singular when they guess wrong.
"""

from __future__ import annotations

import hashlib
import importlib.util
import keyword
import re
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "MAX_NAME_LENGTH",
    "MAX_PROJECT_NAME_LENGTH",
    "ModuleNames",
    "ScaffoldError",
    "camel",
    "check_identifier",
    "length_problem",
    "plural",
    "shadowed",
    "singular",
]

MAX_INDEX_NAME = 30  # Django's limit (models.E034), for Oracle's sake
#: Longest module, entity, service or handler name. A module's table is
#: ``<module>_<entity>``: 31 + 1 + 31 fits PostgreSQL's 63-byte identifiers (longer ones
#: are cut) and MySQL's 64 characters (longer ones fail at migrate), and every file
#: name derived from a name stays far below the 255 bytes file systems allow.
MAX_NAME_LENGTH = 31
#: Longest project package (``axiomod new``): a directory and the database name of the
#: template's ``DATABASE_URL``, held to PostgreSQL's 63-byte identifiers.
MAX_PROJECT_NAME_LENGTH = 63
_SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_CAMEL = re.compile(r"[A-Z][A-Za-z0-9]*")


class ScaffoldError(Exception):
    """A generation request that cannot be carried out; the message says why and what to do.

    Raised before any file is written, so a refused request leaves the project untouched.
    """


def length_problem(
    value: str,
    what: str,
    limit: int = MAX_NAME_LENGTH,
    reason: str = "so that its table and file names fit the databases' and file systems' limits",
) -> str | None:
    """Why ``value`` is too long to be ``what``, or None.

    Checked before any other rule and before the name reaches the file system: a name
    past the file system's limit otherwise ends in ``OSError: File name too long`` from
    the first ``exists()``, and the message quotes only the start of the name.
    """
    if len(value) <= limit:
        return None
    shown = f"{value[:20]}..." if len(value) > 24 else value
    return f"{what} {shown!r} is {len(value)} characters long; at most {limit}, {reason}"


def check_identifier(value: str, what: str) -> str:
    """``value`` if it is a short lower_snake_case Python identifier and not a keyword."""
    if not value:
        raise ScaffoldError(f"{what} must not be empty")
    problem = length_problem(value, what)
    if problem:
        raise ScaffoldError(problem)
    if keyword.iskeyword(value) or keyword.issoftkeyword(value):
        raise ScaffoldError(f"{what} {value!r} is a Python keyword; choose another name")
    if not _SNAKE.fullmatch(value):
        suggestion = re.sub(r"[^a-z0-9]+", "_", _to_snake(value)).strip("_")
        hint = (
            f" (for example {suggestion!r})"
            if suggestion and _SNAKE.fullmatch(suggestion) and not keyword.iskeyword(suggestion)
            else ""
        )
        raise ScaffoldError(
            f"{what} {value!r} is not a lower_snake_case Python identifier{hint}: "
            "letters, digits and single underscores, starting with a letter"
        )
    return value


def shadowed(name: str, *, inside: Path | None = None) -> str | None:
    """What a top-level package ``name`` would hide: ``"standard library"``, the path of an
    installed module, or None.

    The project directory comes first on ``sys.path``, so a package named ``json`` or
    ``celery`` there breaks every import of the real one. A module found ``inside`` (the
    package being regenerated) is its own, not a clash.
    """
    if name in sys.stdlib_module_names:
        return "standard library"
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    origin = spec and (spec.origin or next(iter(spec.submodule_search_locations or []), None))
    if not origin or (inside is not None and Path(origin).resolve().is_relative_to(inside)):
        return None
    return origin


def _to_snake(value: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", value).lower()


def camel(snake: str) -> str:
    """``billing_account`` -> ``BillingAccount``."""
    return "".join(part[:1].upper() + part[1:] for part in snake.split("_"))


def singular(word: str) -> str:
    """The regular English singular of the last word of ``word`` (``invoices`` -> ``invoice``)."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if re.search(r"(?:s|x|z|ch|sh)es$", word):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def plural(word: str) -> str:
    """The regular English plural of the last word of ``word`` (``invoice`` -> ``invoices``)."""
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    if re.search(r"(?:s|x|z|ch|sh)$", word):
        return word + "es"
    return word + "s"


@dataclass(frozen=True)
class ModuleNames:
    """Every spelling of a module the templates use.

    ``package`` is the dotted package the module lives in (``example``) or empty for a
    top-level app; ``app`` is the module's dotted import path (``example.invoices``).
    """

    module: str
    package: str
    entity_snake: str

    @classmethod
    def build(cls, module: str, *, package: str = "", entity: str | None = None) -> ModuleNames:
        check_identifier(module, "module name")
        for part in package.split(".") if package else ():
            if not part.isidentifier() or keyword.iskeyword(part):
                raise ScaffoldError(f"package {package!r} is not a dotted Python path")
        if entity is None:
            entity_snake = singular(module)
        elif _CAMEL.fullmatch(entity):
            entity_snake = _to_snake(entity)
        else:
            entity_snake = entity
        check_identifier(entity_snake, "entity name")
        return cls(module=module, package=package, entity_snake=entity_snake)

    @property
    def app(self) -> str:
        return f"{self.package}.{self.module}" if self.package else self.module

    @property
    def module_camel(self) -> str:
        return camel(self.module)

    @property
    def entity(self) -> str:
        return camel(self.entity_snake)

    @property
    def entity_plural(self) -> str:
        """The module name when it is the entity's plural (``invoices``), else the plural."""
        if singular(self.module) == self.entity_snake:
            return self.module
        return plural(self.entity_snake)

    @property
    def verbose(self) -> str:
        return self.module.replace("_", " ").capitalize()

    @property
    def grpc_service(self) -> str:
        """``Invoices``; ``BillingService`` when the module and its entity share a name
        (a proto service and message cannot both be ``Billing``)."""
        if self.module_camel == self.entity:
            return f"{self.module_camel}Service"
        return self.module_camel

    @property
    def index_name(self) -> str:
        """``billing_created_at_idx``; shortened with a hash of the module name when that
        passes Django's 30-character limit, so two long names sharing a prefix never give
        one database two indexes of the same name."""
        name = f"{self.module}_created_at_idx"
        if len(name) <= MAX_INDEX_NAME:
            return name
        digest = hashlib.sha1(self.module.encode(), usedforsecurity=False).hexdigest()[:6]
        return f"{self.module[:14]}_{digest}_cr_idx"

    @property
    def proto_package(self) -> str:
        return f"{self.app}.v1"

    def context(self) -> dict[str, str]:
        """The template variables."""
        return {
            "module": self.module,
            "module_camel": self.module_camel,
            "package": self.package,
            "app": self.app,
            "entity": self.entity,
            "entity_snake": self.entity_snake,
            "entity_plural": self.entity_plural,
            "entity_plural_camel": camel(self.entity_plural),
            "verbose": self.verbose,
            "proto_package": self.proto_package,
            "grpc_service": self.grpc_service,
            "index_name": self.index_name,
        }
