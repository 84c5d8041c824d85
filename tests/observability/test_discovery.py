"""The kernel finds each app's monitoring contribution and checks the thresholds set for it."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from axiomod.observability import (
    Contribution,
    Monitoring,
    Parameter,
    contributions,
    resolve,
    runnable,
)
from axiomod.observability.model import selector

LAG = Parameter("kafka_lag_messages", 1000, "Lag that pages.", min=1)
RATIO = Parameter("http_availability_slo", 0.999, "SLO.", min=0.5, max=0.99999)
FOUND = [
    Contribution("a", Monitoring("A", parameters=(LAG,))),
    Contribution("b", Monitoring("B", parameters=(RATIO,))),
]


def test_defaults_then_overrides():
    values, problems = resolve(FOUND, {"kafka_lag_messages": 5000})
    assert values == {"kafka_lag_messages": 5000, "http_availability_slo": 0.999}
    assert problems == []


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        (
            {"kafka_lag_message": 5},
            "'kafka_lag_message' is not a parameter of any installed app's rules; "
            "did you mean 'kafka_lag_messages'?",
        ),
        ({"kafka_lag_messages": 0}, "'kafka_lag_messages': 0 is below the minimum 1"),
        (
            {"http_availability_slo": 1.0},
            "'http_availability_slo': 1.0 is above the maximum 0.99999",
        ),
        (
            {"http_availability_slo": "high"},
            "'http_availability_slo': expected a number, got str 'high'",
        ),
        ({"kafka_lag_messages": True}, "'kafka_lag_messages': expected a number, got bool True"),
    ],
)
def test_a_bad_override_is_named_and_the_default_kept(overrides, problem):
    values, problems = resolve(FOUND, overrides)
    assert problems == [problem]
    assert values == {"kafka_lag_messages": 1000, "http_availability_slo": 0.999}


def test_a_parameter_belongs_to_one_app():
    with pytest.raises(ImproperlyConfigured, match="'kafka_lag_messages' is declared twice"):
        resolve([*FOUND, Contribution("c", Monitoring("C", parameters=(LAG,)))])


def test_the_kernel_comes_first_then_the_apps_in_installed_order():
    from django.conf import settings

    packages = [c.package for c in contributions()]
    assert packages[0] == "axiomod.db"
    order = [entry.split(".")[0] for entry in settings.INSTALLED_APPS]
    apps = packages[1:]
    assert apps == sorted(apps, key=lambda p: order.index(p.split(".")[0]))


def test_an_unknown_parameter_is_a_check_error_naming_the_setting():
    declared = {p.name for c in contributions() for p in c.monitoring.parameters}
    assert declared, "the installed apps declare parameters"
    some = sorted(declared)[0]
    with override_settings(AXIOMOD={"observability": {"parameters": {some + "x": 1, some: -1e9}}}):
        errors = [m for m in run_checks() if m.id == "axiomod.E090"]
    texts = sorted(e.msg for e in errors)
    assert len(texts) == 2, texts
    assert all(t.startswith('AXIOMOD["observability"]["parameters"]: ') for t in texts)
    assert any(f"did you mean {some!r}" in t for t in texts)


def test_runnable_substitutes_the_dashboard_variables():
    five = 'status=~"5.."'
    expr = "sum(rate(http_requests_total" + selector(five) + "[$__rate_interval]))"
    assert runnable(expr) == (
        'sum(rate(http_requests_total{job=~".*", instance=~".*", status=~"5.."}[1m]))'
    )
    assert runnable(expr, job="invoices").count('job=~"invoices"') == 1
