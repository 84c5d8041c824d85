"""Refuse answers that would render a broken project (run by cookiecutter before any file).

``axiomod new`` checks the same before calling cookiecutter, with exit code 2; this hook
covers ``cookiecutter`` run directly and answers typed at the prompts. A non-zero exit
makes cookiecutter stop and remove the half-made directory.
"""

import keyword
import re
import sys

SLUG = "{{ cookiecutter.project_slug }}"
FIRST_MODULE = "{{ cookiecutter.first_module }}"
PYTHON_VERSION = "{{ cookiecutter.python_version }}"


def identifier_error(what: str, name: str) -> str | None:
    if not name.isidentifier() or not name.isascii():
        return f"{what} {name!r} is not a Python identifier"
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return f"{what} {name!r} is a Python keyword"
    if name in sys.stdlib_module_names:
        return f"{what} {name!r} would shadow the standard library module of that name"
    return None


errors = [identifier_error("project_slug", SLUG)]
if FIRST_MODULE:
    errors.append(identifier_error("first_module", FIRST_MODULE))
    if FIRST_MODULE == SLUG:
        errors.append("first_module must differ from project_slug")
if not re.fullmatch(r"3\.\d{2,}", PYTHON_VERSION):
    errors.append(f"python_version {PYTHON_VERSION!r} is not of the form 3.11")
errors = [error for error in errors if error]
if errors:
    for error in errors:
        print(f"ERROR: {error}", file=sys.stderr)
    sys.exit(1)
