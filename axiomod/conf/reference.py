"""The settings reference in docs/configuration.md, generated from the section classes.

The Go framework's docs drifted from its code (wrong key names); generating the
reference from the schema, and testing that the committed page matches, keeps ours true.

    python -m axiomod.conf.reference --write docs/configuration.md
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .loader import known_sections
from .schema import Section, describe_type, field_default, section_fields
from .sections import CoreSettings

BEGIN = "<!-- BEGIN GENERATED SETTINGS REFERENCE (python -m axiomod.conf.reference --write) -->"
END = "<!-- END GENERATED SETTINGS REFERENCE -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _default(value: object) -> str:
    if isinstance(value, Section):
        return "(section)"
    if value is None:
        return "`None`"
    if value == {}:
        return "`{}`"
    return f"`{value!r}`"


def _rows(cls: type[Section], prefix: str) -> list[tuple[str, str, str, str, str]]:
    """(setting, type, default, environment, description) rows, nested sections inlined."""
    rows = []
    for f, tp in section_fields(cls):
        meta = f.metadata
        key = f'{prefix}["{f.name}"]'
        nested = tp if isinstance(tp, type) and issubclass(tp, Section) else None
        default = "required" if meta["required"] else _default(field_default(f))
        extra = []
        if meta["min"] is not None or meta["max"] is not None:
            low = (
                ""
                if meta["min"] is None
                else f"{meta['min']} {'<' if meta['min_exclusive'] else '≤'} "
            )
            high = "" if meta["max"] is None else f" ≤ {meta['max']}"
            extra.append(f"Range: {low}value{high}.")
        if meta["choices"]:
            extra.append("One of: " + ", ".join(f"`{c}`" for c in meta["choices"]) + ".")
        env = ", ".join(f"`{v}`" for v in meta["env"])
        rows.append((f"`{key}`", describe_type(tp), default, env, " ".join([meta["doc"], *extra])))
        if nested is not None:
            rows.extend(_rows(nested, key))
        mapping_value = _mapping_section(tp)
        if mapping_value is not None:
            rows.extend(_rows(mapping_value, f'{key}["<name>"]'))
    return rows


def _mapping_section(tp: object) -> type[Section] | None:
    from typing import get_args, get_origin

    if get_origin(tp) is dict:
        value = get_args(tp)[1]
        if isinstance(value, type) and issubclass(value, Section):
            return value
    return None


def _table(cls: type[Section], prefix: str) -> str:
    lines = [
        "| Setting | Type | Default | Environment | Description |",
        "|---|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in _rows(cls, prefix)]
    return "\n".join(lines)


def _sections() -> list[tuple[str, type[Section]]]:
    """Every known section, the kernel's first, then the apps' by key: a stable order."""
    sections = known_sections()
    return sorted(sections.items(), key=lambda item: (item[1].app is not None, item[0]))


def go_key_rows() -> list[tuple[str, str]]:
    """(Go framework key, axiomod setting) pairs declared with ``go_key``."""
    pairs = []
    classes = [("", CoreSettings)] + [(f'["{n}"]', cls) for n, cls in _sections()]
    for prefix, cls in classes:
        for f, _ in section_fields(cls):
            if f.metadata["go_key"]:
                pairs.append((f.metadata["go_key"], f'AXIOMOD{prefix}["{f.name}"]'))
    return pairs


def render() -> str:
    parts = [BEGIN, "", "### Top level", "", _table(CoreSettings, "AXIOMOD"), ""]
    for name, cls in _sections():
        owner = cls.app or "axiomod"
        presence = (
            "Optional: leave it out and the feature is off (the accessor returns `None`)."
            if cls.optional
            else "Defaults apply when the section is left out."
        )
        parts += [
            f'### `AXIOMOD["{name}"]` — {cls.title}',
            "",
            f"{(cls.__doc__ or '').strip()} App: `{owner}`. {presence}",
            "",
            _table(cls, f'AXIOMOD["{name}"]'),
            "",
        ]
    parts += [
        "### Go framework keys",
        "",
        "| Go framework key | axiomod setting |",
        "|---|---|",
        *[f"| `{go}` | `{py}` |" for go, py in go_key_rows()],
        "",
        END,
    ]
    return "\n".join(parts)


def splice(document: str) -> str:
    """``document`` with the text between the markers replaced by a fresh rendering."""
    start, end = document.index(BEGIN), document.index(END) + len(END)
    return document[:start] + render() + document[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="update the reference inside this file")
    args = parser.parse_args(argv)
    if args.write is None:
        print(render())
        return 0
    text = args.write.read_text()
    if BEGIN not in text or END not in text:
        print(f"{args.write}: the reference markers are missing", file=sys.stderr)
        return 1
    args.write.write_text(splice(text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
