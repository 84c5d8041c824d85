"""Refuse answers that would render a broken project (run by cookiecutter before any file).

``axiomod new`` checks the same before calling cookiecutter, with exit code 2; this hook
covers ``cookiecutter`` run directly and answers typed at the prompts, with the same
rules: cookiecutter runs hooks with its own interpreter, the one axiomod (which ships
this template) is installed in. A non-zero exit makes cookiecutter stop and remove the
half-made directory.
"""

import re
import sys

from axiomod.scaffold import ModuleNames, ScaffoldError
from axiomod.scaffold.project import identifier_problem

SLUG = "{{ cookiecutter.project_slug }}"
FIRST_MODULE = "{{ cookiecutter.first_module }}"
PYTHON_VERSION = "{{ cookiecutter.python_version }}"

errors = [identifier_problem("project_slug", SLUG)]
if FIRST_MODULE:
    try:
        ModuleNames.build(FIRST_MODULE, package=SLUG)
    except ScaffoldError as exc:
        errors.append(f"first_module: {exc}")
    if FIRST_MODULE == SLUG:
        errors.append("first_module must differ from project_slug")
if not re.fullmatch(r"3\.\d{2,}", PYTHON_VERSION):
    errors.append(f"python_version {PYTHON_VERSION!r} is not of the form 3.11")
errors = [error for error in errors if error]
if errors:
    for error in errors:
        print(f"ERROR: {error}", file=sys.stderr)
    sys.exit(1)
