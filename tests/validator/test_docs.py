"""docs/validator-guide.md says what the code does: its rules files parse, its defaults are ours."""

from __future__ import annotations

import json
import re
from pathlib import Path

from axiomod.devtools.validator import DEFAULT_RULES, parse_rules
from axiomod.devtools.validator.runner import CHECKS

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "validator-guide.md"


def json_blocks() -> list[str]:
    return re.findall(r"```json\n(.*?)```", GUIDE.read_text(), re.S)


def test_documented_defaults_are_the_builtin_defaults():
    text = GUIDE.read_text()
    block = re.search(r"<!-- validator-defaults -->\n```json\n(.*?)```", text, re.S)
    assert block, "the defaults block is missing from docs/validator-guide.md"
    documented = parse_rules(json.loads(block.group(1)))
    assert documented.layers == DEFAULT_RULES.layers
    assert documented.exceptions == DEFAULT_RULES.exceptions
    assert documented.pattern_rules == DEFAULT_RULES.pattern_rules
    assert documented.domain_rules == DEFAULT_RULES.domain_rules


def test_every_rules_file_in_the_guide_is_valid():
    rules_files = [json.loads(block) for block in json_blocks() if "allowedDependencies" in block]
    assert len(rules_files) == 2
    for data in rules_files:
        parse_rules(data)


def test_guide_names_every_check():
    text = GUIDE.read_text()
    for check in CHECKS:
        assert f"`{check}`" in text
