"""Results of the validator's checks, rendered for people (text) or for CI (JSON).

Every check returns a :class:`CheckResult`, so ``run`` can combine them and the exit code
depends on one thing only: whether every result is ``ok``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

#: Why the architecture and naming checks have nothing to check on a new project.
NO_MODULES = (
    "the project has no modules yet, the installed apps under its directory that these "
    "checks cover; 'axiomod generate module NAME' adds one"
)


@dataclass(frozen=True)
class Finding:
    """One problem: where it is, a one-line message, and its category (or rule code)."""

    path: str
    line: int
    message: str
    category: str
    source: str = ""
    target: str = ""

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.path else self.message


@dataclass
class CheckResult:
    """The outcome of one check; ``error`` is set when the check could not run at all."""

    name: str
    findings: list[Finding] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    output: str = ""
    #: Why a check that passed had nothing to look at (shown instead of zero counts).
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None and not self.findings

    def by_category(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for finding in self.findings:
            counts[finding.category] = counts.get(finding.category, 0) + 1
        return dict(sorted(counts.items()))


def render_text(results: list[CheckResult]) -> str:
    """A summary line per check, then one ``path:line: message`` line per finding."""
    lines = []
    for result in results:
        if result.note and result.ok:
            lines.append(f"{result.name}: nothing to check ({result.note})")
            continue
        facts = [f"{key.replace('_', ' ')}: {value}" for key, value in result.summary.items()]
        if result.error is None:
            facts.append(f"violations: {len(result.findings)}")
        status = "ok" if result.ok else "FAILED"
        lines.append(f"{result.name}: {status}" + (f" ({', '.join(facts)})" if facts else ""))
        if result.findings:
            lines.append(
                "  by category: "
                + ", ".join(f"{name}: {count}" for name, count in result.by_category().items())
            )
        if result.error:
            lines.append(f"  error: {result.error}")
        if result.output and not result.ok:
            lines.extend(f"  {line}" for line in result.output.rstrip().splitlines())
        lines.extend(f"  {finding}" for finding in result.findings)
    return "\n".join(lines)


def render_json(results: list[CheckResult]) -> str:
    """One JSON document: ``ok`` overall and, per check, its summary and findings."""
    return json.dumps(
        {
            "ok": all(result.ok for result in results),
            "checks": [
                {
                    "name": result.name,
                    "ok": result.ok,
                    "error": result.error,
                    "note": result.note,
                    "summary": result.summary,
                    "violations_by_category": result.by_category(),
                    "findings": [asdict(finding) for finding in result.findings],
                    "output": result.output,
                }
                for result in results
            ],
        },
        indent=2,
    )
