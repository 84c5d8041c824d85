"""``manage.py axiomod_health`` exit codes and output."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command
from health_check.exceptions import ServiceUnavailable

from axiomod_health import health_check

pytestmark = pytest.mark.django_db


def test_ready_exits_0_and_lists_checks(capsys, only_checks):
    @health_check(name="ok")
    def ok():
        pass

    call_command("axiomod_health")
    out = capsys.readouterr().out
    assert "UP    ok" in out
    assert out.strip().endswith("UP")


def test_not_ready_exits_1_with_the_reason(capsys, only_checks):
    @health_check(name="primary")
    def primary():
        raise ServiceUnavailable("connection refused")

    with pytest.raises(CommandError) as error:
        call_command("axiomod_health", "--json")
    assert error.value.returncode == 1
    body = json.loads(capsys.readouterr().out)
    assert body["components"]["primary"]["error"] == "connection refused"


def test_live_runs_no_check(capsys, only_checks):
    calls = []

    @health_check(name="counted")
    def counted():
        calls.append(1)

    call_command("axiomod_health", "--live")
    assert calls == []
    assert capsys.readouterr().out.strip() == "UP"
