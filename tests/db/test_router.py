"""Read/write split across two real PostgreSQL databases acting as primary and replica.

There is no replication between them, which makes routing visible: a row written to the
primary is missing on the "replica".
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from axiomod.db import PrimaryReplicaRouter, database, use_primary
from axiomod.db.routers import reset_pin
from example.invoices.infrastructure.persistence.models import InvoiceModel

pytestmark = pytest.mark.integration


class RouterUnderTest(PrimaryReplicaRouter):
    primary = "rw_primary"


@pytest.fixture
def routed(add_alias, postgres_database_factory):
    add_alias("rw_primary", database(postgres_database_factory.create().url))
    add_alias("rw_replica", database(postgres_database_factory.create().url))
    for alias in ("rw_primary", "rw_replica"):
        call_command("migrate", "invoices", database=alias, verbosity=0)
    with override_settings(
        DATABASE_ROUTERS=[f"{__name__}.RouterUnderTest"],
        AXIOMOD={"db": {"replicas": ["rw_replica"]}},
    ):
        reset_pin()
        yield
    reset_pin()


def create() -> None:
    InvoiceModel.objects.create(number="INV-1", customer="A", amount="1.00", currency="EUR")


def test_reads_go_to_the_replica_and_writes_to_the_primary(routed):
    assert InvoiceModel.objects.db_manager("rw_primary").count() == 0
    create()
    assert InvoiceModel.objects.using("rw_primary").count() == 1
    assert InvoiceModel.objects.using("rw_replica").count() == 0
    reset_pin()  # a new request
    assert InvoiceModel.objects.count() == 0, "read from the replica"


def test_read_your_writes_in_the_same_request(routed):
    assert InvoiceModel.objects.count() == 0
    create()
    assert InvoiceModel.objects.count() == 1, "after a write, reads stay on the primary"


def test_reads_inside_a_transaction_stay_on_the_primary(routed):
    create()
    reset_pin()
    with transaction.atomic(using="rw_primary"):
        assert InvoiceModel.objects.count() == 1
    assert InvoiceModel.objects.count() == 0


def test_use_primary_forces_the_primary(routed):
    create()
    reset_pin()
    with use_primary():
        assert InvoiceModel.objects.count() == 1
    assert InvoiceModel.objects.count() == 0


def test_migrations_never_run_on_replicas(routed):
    router = RouterUnderTest()
    assert router.allow_migrate("rw_replica", "invoices") is False
    assert router.allow_migrate("rw_primary", "invoices") is None


def test_a_write_inside_use_primary_still_pins_after_the_block(routed):
    with use_primary():
        create()
    assert InvoiceModel.objects.count() == 1, "read-your-writes outlives the block"


def test_each_celery_task_starts_unpinned(routed):
    from celery.signals import task_prerun

    create()
    task_prerun.send(sender=None, task_id="t", task=None)
    assert InvoiceModel.objects.count() == 0
