"""``axiomod.conf.settings``: cached, reloaded by override_settings, refuses invalid sections."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from axiomod.conf import settings


def test_reads_the_example_service_block():
    assert settings.service_name == "invoices"
    assert settings.metrics.path == "/metrics"
    assert settings.oidc is None


def test_override_settings_is_seen_and_undone():
    with override_settings(AXIOMOD={"metrics": {"path": "/prometheus"}}):
        assert settings.metrics.path == "/prometheus"
    assert settings.metrics.path == "/metrics"


def test_values_are_cached_until_reload():
    first = settings.tracing
    assert settings.tracing is first
    settings.reload()
    assert settings.tracing is not first
    assert settings.tracing == first


def test_invalid_section_raises_naming_the_setting():
    with override_settings(AXIOMOD={"tracing": {"sample_ratio": 7}}):
        with pytest.raises(ImproperlyConfigured, match=r'AXIOMOD\["tracing"\]\["sample_ratio"\]'):
            _ = settings.tracing
        # another, valid section stays usable
        assert settings.metrics.path == "/metrics"


def test_ensure_valid_lists_every_error():
    with (
        override_settings(AXIOMOD={"tracing": {"sample_ratio": 7}, "metricz": {}}),
        pytest.raises(ImproperlyConfigured) as info,
    ):
        settings.ensure_valid()
    text = str(info.value)
    assert 'AXIOMOD["metricz"]' in text and 'AXIOMOD["tracing"]["sample_ratio"]' in text


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no setting 'metricz'"):
        _ = settings.metricz


def test_configured_optional_section_is_returned():
    with override_settings(AXIOMOD={"kafka": {"bootstrap_servers": "127.0.0.1:9092"}}):
        assert settings.kafka.bootstrap_servers == "127.0.0.1:9092"
        assert settings.kafka.retry.max_attempts == 3
        assert settings.is_configured("kafka")
    assert not settings.is_configured("kafka")
