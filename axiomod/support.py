"""The Django and Python releases axiomod supports, written once.

The policy is DRF's and django-debug-toolbar's: the current Django LTS and the two newest
feature releases, each on the Python releases Django itself supports for it that are
still maintained. Everything that states the set reads it from here or is tested against
it: ``pyproject.toml`` (the Django requirement and the classifiers), the test matrix
(``noxfile.py``), ``axiomod new`` (the Django requirement and ``requires-python`` a
rendered project asks for), and the support tables of the README and getting-started.

Pure data and small functions: no Django import, so ``noxfile.py`` and the project
template's hooks can read it before any Django is installed.
"""

from __future__ import annotations

import sys

__all__ = [
    "DJANGO_LTS",
    "DJANGO_PYTHONS",
    "django_requirement",
    "djangos_for",
    "pythons",
    "running_python",
    "support_table",
]

#: Django feature release -> the Python releases axiomod is tested with on it.
#: Django 6.0 and later need Python 3.12 or newer.
DJANGO_PYTHONS: dict[str, tuple[str, ...]] = {
    "5.2": ("3.11", "3.12", "3.13"),
    "6.0": ("3.12", "3.13"),
    "6.1": ("3.12", "3.13"),
}

#: The long-term support release among them.
DJANGO_LTS = "5.2"


def _key(release: str) -> tuple[int, ...]:
    return tuple(int(part) for part in release.split("."))


def pythons() -> list[str]:
    """Every supported Python release, oldest first."""
    return sorted({p for ps in DJANGO_PYTHONS.values() for p in ps}, key=_key)


def djangos_for(python: str) -> list[str]:
    """The supported Django releases that run on ``python``, oldest first."""
    return sorted((d for d, ps in DJANGO_PYTHONS.items() if python in ps), key=_key)


def django_requirement(python: str | None = None) -> str:
    """The version specifier for Django: ``>=5.2,<6.2``; on one ``python``, what it can run.

    The upper bound is the next feature release after the newest supported one: a new
    Django is admitted once the matrix has tested it.
    """
    releases = djangos_for(python) if python else sorted(DJANGO_PYTHONS, key=_key)
    if not releases:
        raise ValueError(f"no supported Django runs on Python {python}")
    major, minor = _key(releases[-1])
    return f">={releases[0]},<{major}.{minor + 1}"


def running_python() -> str:
    """This interpreter's ``major.minor``, or the oldest supported one if it is not supported.

    ``axiomod new`` proposes it as the project's Python: a project rendered on 3.13 is
    made for 3.13.
    """
    current = f"{sys.version_info.major}.{sys.version_info.minor}"
    return current if current in pythons() else pythons()[0]


def support_table() -> str:
    """The Django x Python table the README and getting-started show (tested to match)."""
    header = "| Django | " + " | ".join(f"Python {p}" for p in pythons()) + " |"
    rule = "|---|" + "---|" * len(pythons())
    rows = []
    for django in sorted(DJANGO_PYTHONS, key=_key):
        label = f"{django} LTS" if django == DJANGO_LTS else django
        marks = ["yes" if p in DJANGO_PYTHONS[django] else "—" for p in pythons()]
        rows.append(f"| {label} | " + " | ".join(marks) + " |")
    return "\n".join([header, rule, *rows])
