"""Refuse answers that would render a broken project (run by cookiecutter before any file).

``axiomod new`` runs the same ``check_answers`` before calling cookiecutter, with exit
code 2; this hook covers ``cookiecutter`` run directly and answers typed at the prompts.
cookiecutter runs hooks with its own interpreter, the one axiomod (which ships this
template) is installed in. A non-zero exit makes cookiecutter stop and remove the
half-made directory.
"""

import json
import sys

from axiomod.devtools.scaffold.project import UsageError, check_answers

ANSWERS = json.loads(r"""{{ cookiecutter | jsonify }}""")

try:
    check_answers(ANSWERS)
except UsageError as exc:
    print(f"ERROR: {exc}", file=sys.stderr)
    sys.exit(1)
