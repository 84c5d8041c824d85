"""axiomod's validator: architecture rules, PEP 8 naming and Django's checks in one command.

``manage.py axiomod_validate {architecture,naming,run,all} [--config F] [--json]`` and
``axiomod validator ...`` are thin layers over :func:`validate`; see
``docs/validator-guide.md`` for the rules file and the exit codes.
"""

from axiomod.devtools.validator.architecture import check_architecture
from axiomod.devtools.validator.django_checks import check_django, check_migrations
from axiomod.devtools.validator.naming import check_naming
from axiomod.devtools.validator.project import ProjectModule, discover_modules, modules_from_names
from axiomod.devtools.validator.report import CheckResult, Finding, render_json, render_text
from axiomod.devtools.validator.rules import (
    DEFAULT_RULES,
    Rules,
    RulesError,
    load_rules,
    parse_rules,
)
from axiomod.devtools.validator.runner import (
    CHECKS,
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    exit_code,
    validate,
)

__all__ = [
    "CHECKS",
    "DEFAULT_RULES",
    "EXIT_FINDINGS",
    "EXIT_OK",
    "EXIT_USAGE",
    "CheckResult",
    "Finding",
    "ProjectModule",
    "Rules",
    "RulesError",
    "UsageError",
    "check_architecture",
    "check_django",
    "check_migrations",
    "check_naming",
    "discover_modules",
    "exit_code",
    "load_rules",
    "modules_from_names",
    "parse_rules",
    "render_json",
    "render_text",
    "validate",
]
