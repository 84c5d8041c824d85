"""``axiomod migrate``: Django's migrations with the guard rails a rollback needs.

Used by ``python manage.py axiomod_migrate`` (and ``axiomod migrate``). Public API::

    from axiomod.devtools.migrate import app_status, plan_rollback, write_empty_migration
"""

from .history import AppStatus, Rollback, RollbackRefused, app_status, plan_rollback
from .templates import find_template, write_empty_migration

__all__ = [
    "AppStatus",
    "Rollback",
    "RollbackRefused",
    "app_status",
    "find_template",
    "plan_rollback",
    "write_empty_migration",
]
