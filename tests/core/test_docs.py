"""The docs say what the code does: the settings reference is generated and kept in sync."""

from __future__ import annotations

import re
from pathlib import Path

from axiomod.conf.reference import BEGIN, END, go_key_rows, main, render

ROOT = Path(__file__).resolve().parents[2]
CONFIGURATION = ROOT / "docs" / "configuration.md"


def test_configuration_reference_is_up_to_date():
    text = CONFIGURATION.read_text()
    start, end = text.index(BEGIN), text.index(END) + len(END)
    assert text[start:end] == render(), (
        "docs/configuration.md is stale: run "
        "`python -m axiomod.conf.reference --write docs/configuration.md`"
    )


def test_reference_lists_every_setting_of_every_section():
    from axiomod.conf import known_sections
    from axiomod.conf.schema import section_fields

    rendered = render()
    for name, cls in known_sections().items():
        for field, _ in section_fields(cls):
            assert f'`AXIOMOD["{name}"]["{field.name}"]`' in rendered


def test_go_keys_from_the_task_list_are_mapped():
    mapped = dict(go_key_rows())
    assert mapped["observability.tracingExporterType"] == 'AXIOMOD["tracing"]["exporter"]'
    assert mapped["observability.tracingExporterURL"] == 'AXIOMOD["tracing"]["endpoint"]'


def test_write_updates_only_the_generated_block(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(f"intro\n{BEGIN}\nSTALE-CONTENT\n{END}\noutro\n")
    assert main(["--write", str(page)]) == 0
    text = page.read_text()
    assert text.startswith("intro\n") and text.endswith("\noutro\n")
    assert "STALE-CONTENT" not in text and 'AXIOMOD["metrics"]["path"]' in text


def test_write_refuses_a_page_without_markers(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("no markers")
    assert main(["--write", str(page)]) == 1


def test_readme_documents_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run:", makefile, re.M) and re.search(r"^test:", makefile, re.M)


def test_ci_runs_make_test_with_services_required():
    script = (ROOT / ".ci" / "run").read_text()
    assert "AXIOMOD_REQUIRE_SERVICES=1 make test" in script


def test_changelog_has_the_release_section():
    assert "## [1.3.0] - Unreleased" in (ROOT / "CHANGELOG.md").read_text()
