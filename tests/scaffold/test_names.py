"""How one module name becomes every name the templates use, and which names are refused."""

from __future__ import annotations

import pytest

from axiomod.devtools.scaffold import ModuleNames, ScaffoldError
from axiomod.devtools.scaffold.names import MAX_NAME_LENGTH, camel, plural, singular


@pytest.mark.parametrize(
    ("word", "one"),
    [
        ("invoices", "invoice"),
        ("categories", "category"),
        ("boxes", "box"),
        ("batches", "batch"),
        ("addresses", "address"),
        ("billing", "billing"),
        ("status", "status"),
        ("analysis", "analysis"),
    ],
)
def test_singular(word, one):
    assert singular(word) == one


@pytest.mark.parametrize(
    ("word", "many"),
    [("invoice", "invoices"), ("category", "categories"), ("key", "keys"), ("batch", "batches")],
)
def test_plural(word, many):
    assert plural(word) == many


def test_the_names_of_a_module():
    names = ModuleNames.build("customer_accounts", package="shop")
    assert names.app == "shop.customer_accounts"
    assert (names.entity, names.entity_snake, names.entity_plural) == (
        "CustomerAccount",
        "customer_account",
        "customer_accounts",
    )
    assert names.grpc_service == "CustomerAccounts"
    assert names.proto_package == "shop.customer_accounts.v1"
    assert camel("a_b_c") == "ABC"


def test_an_entity_named_like_its_module_gets_a_distinct_grpc_service():
    # A proto service and a message cannot both be called Billing.
    names = ModuleNames.build("billing")
    assert (names.entity, names.grpc_service, names.entity_plural) == (
        "Billing",
        "BillingService",
        "billing",
    )


def test_the_entity_may_be_given_in_either_spelling():
    assert ModuleNames.build("people", entity="Person").entity_snake == "person"
    assert ModuleNames.build("people", entity="person").entity == "Person"
    assert ModuleNames.build("people", entity="Person").entity_plural == "persons"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "must not be empty"),
        ("class", "is a Python keyword"),
        ("match", "is a Python keyword"),  # a soft keyword: legal, but confusing
        ("Billing", "not a lower_snake_case Python identifier (for example 'billing')"),
        ("billing-items", "(for example 'billing_items')"),
        ("2fa", "not a lower_snake_case"),
        ("bill__ing", "not a lower_snake_case"),
        ("café", "not a lower_snake_case"),
        ("a" * 300, "'aaaaaaaaaaaaaaaaaaaa...' is 300 characters long; at most 31"),
        ("a" * 32, "is 32 characters long; at most 31"),
    ],
)
def test_bad_module_names_are_refused_with_the_reason(name, message):
    with pytest.raises(ScaffoldError, match="module name") as caught:
        ModuleNames.build(name)
    assert message in str(caught.value)


def test_the_longest_names_give_a_table_name_every_database_keeps():
    """31 characters each: ``<module>_<entity>`` is 63, PostgreSQL's identifier limit
    (MySQL allows 64); the table is named in the generated model and migration."""
    module = "m" * MAX_NAME_LENGTH
    names = ModuleNames.build(module, entity="e" * MAX_NAME_LENGTH)
    assert len(f"{names.module}_{names.entity_snake}") == 63
    with pytest.raises(ScaffoldError, match="entity name 'eeee"):
        ModuleNames.build(module, entity="E" + "e" * MAX_NAME_LENGTH)


def test_a_bad_package_is_refused():
    with pytest.raises(ScaffoldError, match="dotted Python path"):
        ModuleNames.build("billing", package="shop..x")


def test_index_names_fit_djangos_limit_and_stay_distinct():
    short = ModuleNames.build("billing").index_name
    assert short == "billing_created_at_idx"
    first = ModuleNames.build("customer_loyalty_accounts").index_name
    second = ModuleNames.build("customer_loyalty_rewards").index_name
    assert len(first) <= 30 and len(second) <= 30
    assert first != second
