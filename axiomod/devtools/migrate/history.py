"""What Django's migration framework knows, arranged for ``axiomod migrate``.

Django is the migration tool (the Go framework wraps golang-migrate); this module only
answers the questions its commands leave to the user: which migrations of an app are
applied and pending, which ones rolling back "the last N" means, and whether that
path can be rolled back at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

__all__ = [
    "AppStatus",
    "Rollback",
    "RollbackRefused",
    "UsageError",
    "app_status",
    "irreversible_operations",
    "plan_rollback",
]


class RollbackRefused(Exception):  # noqa: N818  (a refusal, not a failure)
    """The rollback cannot be done as asked; the message says why and what to do."""


class UsageError(RollbackRefused):
    """The request itself is wrong (unknown app or migration, bad count): exit 2."""


@dataclass
class AppStatus:
    app: str
    applied: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)


def _executor(database: str) -> MigrationExecutor:
    return MigrationExecutor(connections[database])


def app_status(apps: Sequence[str] = (), database: str = DEFAULT_DB_ALIAS) -> list[AppStatus]:
    """Applied and pending migrations per app, in the order Django applies them."""
    executor = _executor(database)
    graph = executor.loader.graph
    applied = executor.loader.applied_migrations
    labels = sorted(apps or executor.loader.migrated_apps)
    found = []
    for label in labels:
        if label not in executor.loader.migrated_apps:
            raise UsageError(f"app {label!r} is not installed or has no migrations")
        status = AppStatus(label)
        leaves = [node for node in graph.leaf_nodes() if node[0] == label]
        seen: set[tuple[str, str]] = set()
        for leaf in leaves:
            for node in graph.forwards_plan(leaf):
                if node[0] != label or node in seen:
                    continue
                seen.add(node)
                (status.applied if node in applied else status.pending).append(node[1])
        found.append(status)
    return found


def backwards_steps(app: str, target: str, database: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Migrations that ``migrate APP TARGET`` would unapply (empty when it only applies)."""
    executor = _executor(database)
    if app not in executor.loader.migrated_apps:
        raise UsageError(f"app {app!r} is not installed or has no migrations")
    name = _resolve(executor.loader, app, target)
    node = (app, None) if name == "zero" else (app, name)
    return [f"{m.app_label}.{m.name}" for m, back in executor.migration_plan([node]) if back]


def leaf_conflicts(app: str) -> list[str]:
    """The leaf migrations of ``app`` when there is more than one (a merge is needed)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    leaves = sorted(name for label, name in loader.graph.leaf_nodes() if label == app)
    return leaves if len(leaves) > 1 else []


def irreversible_operations(migration: Any) -> list[str]:
    """Descriptions of the operations of ``migration`` that cannot be reversed."""
    return [op.describe() for op in migration.operations if not op.reversible]


@dataclass
class Rollback:
    """Rolling ``app`` back to ``target`` (a migration name, or ``zero``)."""

    app: str
    target: str
    steps: list[tuple[Any, bool]]  # (Migration, backwards) as Django's executor plans them

    @property
    def names(self) -> list[str]:
        return [f"{migration.app_label}.{migration.name}" for migration, _ in self.steps]


def plan_rollback(
    app: str,
    *,
    steps: int | None = None,
    to: str | None = None,
    database: str = DEFAULT_DB_ALIAS,
) -> Rollback:
    """The rollback of the last ``steps`` applied migrations of ``app`` (or down to ``to``).

    Refused, before anything runs, when the app has no applied migration, when the
    path goes through a merge migration (which "the last N" would leave ambiguous: name
    the target with ``to``) or through an irreversible operation (named).
    """
    executor = _executor(database)
    loader: MigrationLoader = executor.loader
    if app not in loader.migrated_apps:
        raise UsageError(f"app {app!r} is not installed or has no migrations")
    (status,) = app_status([app], database)
    if not status.applied:
        raise RollbackRefused(f"{app}: no migration is applied, nothing to roll back")
    if to is not None:
        target = _resolve(loader, app, to)
    else:
        count = 1 if steps is None else steps
        if count < 1:
            raise UsageError("--steps must be at least 1")
        if count > len(status.applied):
            raise UsageError(
                f"{app}: only {len(status.applied)} migration(s) applied, cannot roll back {count}"
            )
        undone = status.applied[-count:]
        for name in undone:
            parents = [p for p in loader.graph.node_map[(app, name)].parents if p.key[0] == app]
            if len(parents) > 1:
                raise RollbackRefused(
                    f"{app}.{name} is a merge migration: --steps is ambiguous across it; "
                    f"name the migration to return to with --to"
                )
        remaining = status.applied[:-count]
        target = remaining[-1] if remaining else "zero"
    node = None if target == "zero" else (app, target)
    plan = executor.migration_plan([(app, None) if node is None else node])
    plan = [(migration, backwards) for migration, backwards in plan if backwards]
    if not plan:
        raise RollbackRefused(f"{app} is already at {target}: nothing to roll back")
    for migration, _ in plan:
        blocked = irreversible_operations(migration)
        if blocked:
            raise RollbackRefused(
                f"{migration.app_label}.{migration.name} is irreversible "
                f"({'; '.join(blocked)}): nothing was rolled back"
            )
    return Rollback(app, target, plan)


def _resolve(loader: MigrationLoader, app: str, name: str) -> str:
    if name == "zero":
        return name
    try:
        migration = loader.get_migration_by_prefix(app, name)
    except KeyError:
        raise UsageError(f"{app} has no migration named {name!r}") from None
    except Exception as exc:  # AmbiguityError
        raise UsageError(str(exc)) from exc
    return migration.name
