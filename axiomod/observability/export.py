"""The files a team deploys: two Grafana dashboards and a Prometheus rule file.

:func:`render` is the one function behind ``manage.py axiomod_observability export`` (a
project's ``INSTALLED_APPS`` and ``AXIOMOD`` settings) and ``axiomod new`` (the apps the
generated project installs): both get the same files for the same apps and parameters.
Paths are relative to the output directory (``deploy/`` by convention)::

    grafana/<service>-overview.json
    grafana/<service>-components.json
    prometheus/<service>-rules.yml

Rendering imports grafana-foundation-sdk (:mod:`.grafana`); nothing here is imported by
runtime code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from .discovery import contributions, resolve
from .grafana import dashboards, to_json
from .rules import HEADER, rule_file, to_yaml

__all__ = ["ParameterError", "differences", "file_stem", "paths", "render", "write"]


class ParameterError(ValueError):
    """Overrides that name no declared parameter or hold a value it cannot take."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def file_stem(service_name: str) -> str:
    """The service name as the stem of the files (letters, digits, ``.``, ``_``, ``-``)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", service_name).strip("-.") or "service"


def paths(service_name: str) -> tuple[str, str, str]:
    """The overview's, the components' and the rule file's paths for ``service_name``."""
    stem = file_stem(service_name)
    return (
        f"grafana/{stem}-overview.json",
        f"grafana/{stem}-components.json",
        f"prometheus/{stem}-rules.yml",
    )


def render(
    installed_apps: Iterable[str],
    service_name: str,
    overrides: Mapping[str, object] | None = None,
    runbook_url: str | None = None,
) -> dict[str, str]:
    """Every file's text by relative path, for the contributions of ``installed_apps``.

    ``overrides`` sets parameters over their defaults; a bad one raises
    :class:`ParameterError` with every problem (unknown name and closest match, not a
    number, out of range). ``runbook_url`` is where the alerts' runbook links point
    (``AXIOMOD["observability"]["runbook_url"]``; its default when None).
    """
    if runbook_url is None:
        from axiomod.conf.sections import RUNBOOKS

        runbook_url = RUNBOOKS
    found = contributions(list(installed_apps))
    params, problems = resolve(found, overrides)
    if problems:
        raise ParameterError(problems)
    overview, components, rules = paths(service_name)
    boards = dashboards(found, params, service_name)
    header = HEADER.format(service=service_name)
    if params:
        header += "# Parameters:\n" + "".join(
            f"#   {name} = {params[name]!r}\n" for name in sorted(params)
        )
    return {
        overview: to_json(boards["overview"]),
        components: to_json(boards["components"]),
        rules: to_yaml(rule_file(found, params, runbook_url), header),
    }


def write(files: Mapping[str, str], output: Path) -> list[Path]:
    """Write ``files`` under ``output`` (directories created); return the paths written."""
    written = []
    for relative, text in files.items():
        path = Path(output) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def differences(files: Mapping[str, str], output: Path) -> list[str]:
    """The relative paths whose file under ``output`` is missing or differs from ``files``."""
    stale = []
    for relative, text in files.items():
        path = Path(output) / relative
        try:
            current = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            current = None
        if current != text:
            stale.append(relative)
    return stale
