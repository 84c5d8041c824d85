"""Render the installed apps' Grafana dashboards and Prometheus rules into ``deploy/``.

Run by cookiecutter in the new project's directory once its files are written, so that
``axiomod new`` and ``cookiecutter`` run directly (or with ``--replay-file``) both give
the same project. The files are the kernel's renderer's
(:func:`axiomod.devtools.scaffold.project.render_observability`), what
``manage.py axiomod_observability export`` writes in the project. A non-zero exit makes
cookiecutter remove the half-made directory.
"""

import sys
from pathlib import Path

from axiomod.devtools.scaffold.project import ProjectError, render_observability

try:
    render_observability(Path.cwd(), "{{ cookiecutter.project_slug }}")
except ProjectError as exc:
    print(f"ERROR: {exc}", file=sys.stderr)
    sys.exit(1)
