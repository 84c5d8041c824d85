"""``manage.py check`` warns about axiomod middleware missing from MIDDLEWARE or misplaced.

Each warning names the line to add or move and where, as Django admin's checks do for
the middleware it needs (admin.E408-E410). The example's MIDDLEWARE is the correct one.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import checks
from django.test import override_settings

from axiomod.conf import settings
from axiomod_metrics.middleware import MetricsMiddleware

ROOT = Path(__file__).resolve().parents[2]

HEALTH = "axiomod_health.middleware.HealthProbeMiddleware"
METRICS = "axiomod_metrics.middleware.MetricsMiddleware"
TRACING = "axiomod.tracing.middleware.TracingMiddleware"
ERRORS = "axiomod.middleware.DomainErrorMiddleware"
SECURITY = "django.middleware.security.SecurityMiddleware"
COMMON = "django.middleware.common.CommonMiddleware"
AUTHENTICATION = "django.contrib.auth.middleware.AuthenticationMiddleware"
BEARER = "axiomod_auth.bearer.BearerTokenMiddleware"
MIDDLEWARE_IDS = {"W010", "W011", "W023", "W024", "W033", "W080", "W081"}
CONSOLE = {"service_name": "invoices", "tracing": {"exporter": "console"}}


class MyMetricsMiddleware(MetricsMiddleware):  # a project's own subclass counts as it
    pass


def middleware_messages(middleware=None, **overrides):
    """The middleware warnings for ``middleware`` (default: the example's) and settings."""
    if middleware is not None:
        overrides["MIDDLEWARE"] = middleware
    with override_settings(**overrides):
        settings.reload()
        try:
            messages = checks.run_checks(tags=["axiomod"])
        finally:
            settings.reload()
    return [m for m in messages if m.id.split(".")[-1] in MIDDLEWARE_IDS]


def without(*names):
    return [m for m in django_settings.MIDDLEWARE if m not in names]


def moved(name, after):
    """The example's MIDDLEWARE with ``name`` moved to right after ``after``."""
    entries = without(name)
    entries.insert(entries.index(after) + 1, name)
    return entries


def only(messages):
    assert len(messages) == 1, [str(m) for m in messages]
    assert messages[0].level == checks.WARNING
    assert messages[0].obj == "settings.MIDDLEWARE"
    return messages[0]


def test_the_example_middleware_is_clean_with_tracing_on():
    assert middleware_messages() == []
    assert middleware_messages(AXIOMOD=CONSOLE) == []


def test_manage_py_check_of_the_example_is_clean_with_an_exporter():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**_env(), "OTEL_TRACES_EXPORTER": "console"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def _env():
    import os

    env = {**os.environ}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


# axiomod_metrics


def test_missing_metrics_middleware():
    message = only(middleware_messages(without(METRICS)))
    assert message.id == "axiomod.W010"
    assert "http_requests_total" in message.msg
    assert message.hint == f"Add {METRICS!r} to MIDDLEWARE right after {HEALTH!r}."


def test_missing_metrics_middleware_without_the_probe_middleware():
    messages = middleware_messages(without(METRICS, HEALTH))
    metrics = next(m for m in messages if m.id == "axiomod.W010")
    assert metrics.hint == f"Add {METRICS!r} at the top of MIDDLEWARE."


def test_a_subclass_of_the_metrics_middleware_counts():
    entries = [f"{__name__}.MyMetricsMiddleware" if m == METRICS else m for m in without()]
    assert middleware_messages(entries) == []


def test_metrics_above_the_probe_middleware_counts_probes():
    message = only(middleware_messages(moved(HEALTH, after=METRICS)))
    assert message.id == "axiomod.W011"
    assert 'path="unmatched"' in message.msg
    assert message.hint == f"Put {HEALTH!r} first in MIDDLEWARE and {METRICS!r} right after it."


def test_metrics_below_common_middleware_misses_its_answers():
    message = only(middleware_messages(moved(METRICS, after=COMMON)))
    assert message.id == "axiomod.W011"
    assert f"is below {SECURITY!r} and {COMMON!r} in MIDDLEWARE" in message.msg
    assert "301" in message.msg
    assert message.hint == f"Move {METRICS!r} above {SECURITY!r}, right after {HEALTH!r}."


# axiomod_health


def test_missing_probe_middleware():
    message = only(middleware_messages(without(HEALTH)))
    assert message.id == "axiomod.W023"
    assert "/live and /ready" in message.msg
    assert "DisallowedHost" in message.msg
    assert message.hint == f"Add {HEALTH!r} at the top of MIDDLEWARE."


def test_probe_middleware_below_common_middleware():
    messages = middleware_messages(moved(HEALTH, after=COMMON))
    message = only([m for m in messages if m.id == "axiomod.W024"])
    assert "400 DisallowedHost" in message.msg
    assert message.hint == f"Move {HEALTH!r} to the top of MIDDLEWARE."
    # Metrics above the probes (W011) is reported by the metrics app, on its own.
    assert {m.id for m in messages} == {"axiomod.W011", "axiomod.W024"}


def test_probe_middleware_below_common_middleware_is_fine_with_any_host():
    messages = middleware_messages(moved(HEALTH, after=COMMON), ALLOWED_HOSTS=["*"])
    assert [m.id for m in messages] == ["axiomod.W011"]


def test_probe_middleware_below_an_https_redirect():
    entries = moved(HEALTH, after=SECURITY)
    messages = middleware_messages(entries, SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["*"])
    message = only([m for m in messages if m.id == "axiomod.W024"])
    assert "301 to https://" in message.msg
    exempt = middleware_messages(
        entries,
        SECURE_SSL_REDIRECT=True,
        SECURE_REDIRECT_EXEMPT=[r"^(live|ready)$"],
        ALLOWED_HOSTS=["*"],
    )
    assert [m for m in exempt if m.id == "axiomod.W024"] == []


# axiomod_auth


def test_bearer_middleware_above_authentication_middleware():
    message = only(middleware_messages(moved(BEARER, after=COMMON)))
    assert message.id == "axiomod.W033"
    assert "session's user" in message.msg
    assert message.hint == f"Move {BEARER!r} to right after {AUTHENTICATION!r}."


def test_bearer_middleware_is_optional():
    assert middleware_messages(without(BEARER)) == []


# tracing (the core app)


def test_exporter_without_tracing_middleware():
    message = only(middleware_messages(without(TRACING), AXIOMOD=CONSOLE))
    assert message.id == "axiomod.W080"
    assert message.msg.startswith('AXIOMOD["tracing"]["exporter"] is \'console\', but ')
    assert message.hint.startswith(f"Add {TRACING!r} to MIDDLEWARE right after {METRICS!r}.")


def test_exporter_from_the_environment_names_the_variable(monkeypatch):
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp")
    messages = middleware_messages(without(TRACING), AXIOMOD={"service_name": "invoices"})
    message = only(messages)
    assert message.msg.startswith("OTEL_TRACES_EXPORTER=otlp ")
    assert message.id == "axiomod.W080"


def test_no_exporter_no_tracing_warning():
    assert middleware_messages(without(TRACING), AXIOMOD={"tracing": {"exporter": "none"}}) == []


def test_tracing_middleware_below_common_middleware():
    message = only(middleware_messages(moved(TRACING, after=COMMON), AXIOMOD=CONSOLE))
    assert message.id == "axiomod.W081"
    assert "get no span" in message.msg
    assert message.hint == f"Move {TRACING!r} above {SECURITY!r}, right after {METRICS!r}."


@pytest.mark.parametrize("name", [ERRORS, SECURITY])
def test_other_middleware_is_not_required(name):
    assert middleware_messages(without(name), AXIOMOD=CONSOLE) == []


def test_an_entry_that_cannot_be_imported_is_no_middleware_of_ours():
    entries = [m if m != METRICS else "myservice.nope.MetricsMiddleware" for m in without()]
    assert [m.id for m in middleware_messages(entries)] == ["axiomod.W010"]


def test_every_middleware_check_id_is_documented():
    text = (ROOT / "docs" / "configuration.md").read_text()
    for check_id in sorted(MIDDLEWARE_IDS):
        assert f"`axiomod.{check_id}`" in text, check_id
