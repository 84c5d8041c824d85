"""The rules file: the Go framework's format, and a clear exit 2 when it is wrong."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from axiomod.devtools.validator import RulesError, load_rules, parse_rules
from axiomod.devtools.validator.rules import path_matches

GO_RULES = {
    # The shape of the Go framework's architecture-rules.json, keys as it spells them.
    "allowedDependencies": {
        "entity": [],
        "delivery/http": ["usecase", "entity", "middleware"],
        "platform/*": ["config"],
    },
    "exceptions": ["_test.go", "mock_"],
    "patternRules": [
        {"pattern": "internal/*/entity", "allowedToImport": "pkg/*", "explanation": "utils"}
    ],
    "domainRules": {
        "allowCrossDomainDependencies": False,
        "allowedCrossDomainImports": [
            {"source": "internal/example", "target": "internal/platform", "explanation": "x"}
        ],
        "allowedInternalStructure": {"delivery/grpc": ["usecase", "entity"]},
    },
}


def test_go_rules_file_is_read_as_is(tmp_path):
    path = tmp_path / "architecture-rules.json"
    path.write_text(json.dumps(GO_RULES))
    rules = load_rules(path)
    assert rules.source == str(path)
    assert rules.layers["delivery/http"] == ("usecase", "entity", "middleware")
    assert rules.layers["delivery/grpc"] == ("usecase", "entity")
    assert rules.exceptions == ("_test.go", "mock_")
    assert rules.pattern_rules[0].allowed_to_import == "pkg/*"
    assert rules.domain_rules.allowed_cross_domain_imports[0].target == "internal/platform"


def test_project_rules_file_is_found_without_config(tmp_path):
    (tmp_path / "architecture-rules.json").write_text('{"exceptions": ["x"]}')
    assert load_rules(project_dir=tmp_path).exceptions == ("x",)
    assert load_rules(project_dir=tmp_path / "nowhere").source == "built-in defaults"


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("entity", "entity", True),
        ("entity", "entity/invoice", True),
        ("entity", "entityx", False),
        ("delivery/*", "delivery/http/views", True),
        ("shopproj/*/entity", "shopproj/orders/entity/order", True),
        ("shopproj/*/entity", "shopproj/orders/usecase/x", False),
        ("*_test", "a/b_test", True),
    ],
)
def test_wildcards_match_like_the_go_validator(pattern, path, expected):
    assert path_matches(pattern, path) is expected


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON: Expecting property name enclosed in double quotes"),
        ("[]", "the top level must be a JSON object, not a list"),
        ('{"allowedDeps": {}}', "unknown key allowedDeps (valid keys: allowedDependencies"),
        ('{"allowedDependencies": {"entity": "usecase"}}', "allowedDependencies.entity must be"),
        ('{"exceptions": "mock_"}', "exceptions must be a list of strings, not a string"),
        ('{"patternRules": [{"pattern": "a"}]}', "patternRules[0] needs the key 'allowedToImport'"),
        (
            '{"domainRules": {"allowCrossDomainDependencies": "no"}}',
            "domainRules.allowCrossDomainDependencies must be true or false",
        ),
        (
            '{"domainRules": {"allowedCrossDomainImports": [{"source": "a", "to": "b"}]}}',
            "unknown key domainRules.allowedCrossDomainImports[0].to",
        ),
    ],
)
def test_invalid_rules_file_is_a_usage_error_naming_the_problem(tmp_path, content, message):
    path = tmp_path / "rules.json"
    path.write_text(content)
    with pytest.raises(RulesError) as raised:
        load_rules(path)
    assert message in str(raised.value)
    assert str(path) in str(raised.value)

    with pytest.raises(CommandError) as command_error:
        call_command(
            "axiomod_validate", "architecture", "--config", str(path), stdout=io.StringIO()
        )
    assert command_error.value.returncode == 2
    assert message in str(command_error.value)


def test_unreadable_rules_file_is_a_usage_error(tmp_path):
    missing = tmp_path / "missing.json"
    with pytest.raises(CommandError, match=r"cannot read rules file .*missing\.json") as raised:
        call_command("axiomod_validate", "run", "--config", str(missing), stdout=io.StringIO())
    assert raised.value.returncode == 2


def test_unknown_package_is_a_usage_error():
    with pytest.raises(CommandError, match="--package no_such_pkg: no such package") as raised:
        call_command(
            "axiomod_validate", "architecture", "--package", "no_such_pkg", stdout=io.StringIO()
        )
    assert raised.value.returncode == 2


def test_parse_rules_leaves_out_keys_as_empty():
    rules = parse_rules({})
    assert rules.layers == {}
    assert rules.exceptions == ()
    assert rules.domain_rules.allow_cross_domain_dependencies is False


def test_default_rules_are_clean_architecture():
    from axiomod.devtools.validator import DEFAULT_RULES

    assert DEFAULT_RULES.layers["entity"] == ()
    assert set(DEFAULT_RULES.layers) == {
        "entity",
        "repository",
        "usecase",
        "service",
        "delivery",
        "infrastructure",
    }
    assert "container.py" in DEFAULT_RULES.exceptions
