"""The supported Django x Python set is stated once (axiomod/support.py) and held everywhere."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from types import SimpleNamespace

import django
import pytest

from axiomod import support

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_the_django_requirement_spans_the_supported_releases():
    assert support.django_requirement() == ">=5.2,<6.2"
    assert support.django_requirement("3.11") == ">=5.2,<5.3"  # Django 6 needs 3.12
    assert support.django_requirement("3.13") == ">=5.2,<6.2"
    with pytest.raises(ValueError, match=r"no supported Django runs on Python 3\.10"):
        support.django_requirement("3.10")


def test_pyproject_asks_for_the_supported_django():
    assert f"Django{support.django_requirement()}" in PYPROJECT["dependencies"]


def test_classifiers_name_exactly_the_supported_releases():
    classifiers = PYPROJECT["classifiers"]
    djangos = [
        c.rsplit(" :: ", 1)[1] for c in classifiers if c.startswith("Framework :: Django ::")
    ]
    pythons = [
        c.rsplit(" :: ", 1)[1]
        for c in classifiers
        if c.startswith("Programming Language :: Python :: 3.")
    ]
    assert djangos == sorted(support.DJANGO_PYTHONS)
    assert pythons == support.pythons()
    assert PYPROJECT["requires-python"] == f">={support.pythons()[0]}"


def test_this_run_is_on_a_supported_combination():
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    release = ".".join(django.get_version().split(".")[:2])
    assert python in support.DJANGO_PYTHONS[release], (python, release)


@pytest.mark.parametrize("doc", ["README.md", "docs/getting-started.md"])
def test_the_support_table_in_the_docs_is_the_code_s(doc):
    assert support.support_table() in (ROOT / doc).read_text()


def test_running_python_is_proposed_when_supported(monkeypatch):
    monkeypatch.setattr(sys, "version_info", SimpleNamespace(major=3, minor=13))
    assert support.running_python() == "3.13"
    monkeypatch.setattr(sys, "version_info", SimpleNamespace(major=3, minor=14))
    assert support.running_python() == "3.11"
