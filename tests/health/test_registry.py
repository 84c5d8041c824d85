"""``@health_check`` and dotted-path checks."""

from __future__ import annotations

import dataclasses

from health_check.base import HealthCheck

from axiomod_health import health_check
from axiomod_health.registry import CheckSpec, registered, spec_for


def test_decorator_registers_with_options_and_keeps_the_function():
    @health_check(name="payments", critical=False, timeout=0.5)
    def payments():
        return "called"

    assert payments() == "called"
    spec = {s.name: s for s in registered()}["payments"]
    assert (spec.critical, spec.timeout) == (False, 0.5)


def test_bare_decorator_uses_the_function_name():
    @health_check
    def search_index():
        pass

    assert "search_index" in {s.name for s in registered()}


def test_example_health_module_is_autodiscovered():
    assert "invoices-table" in {s.name for s in registered()}


def test_spec_for_accepts_functions_check_classes_and_instances():
    def plain():
        pass

    @dataclasses.dataclass
    class Custom(HealthCheck):
        def run(self):
            pass

    assert spec_for(plain).name == "plain"
    assert isinstance(spec_for(Custom), CheckSpec)
    assert spec_for(Custom()).name == "Custom"
