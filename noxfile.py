"""The Django x Python test matrix: ``nox`` (every combination), ``nox -s "tests(3.13-django6.1)"``.

Why nox rather than tox: the matrix is data in ``axiomod/support.py`` (Django release ->
Python releases), and a noxfile is Python that reads it, so the supported set is stated
once; tox would need the same combinations written again as factors in its own format,
with Django 6's "Python 3.12 or newer" spelled as exclusions.

What runs where (the issue's budget: full runs where they matter, smoke elsewhere):

* ``full``: the whole suite, unit and integration on the real services, on the newest
  Django with the newest Python. The README's default (``python3``, Django 5.2 LTS) gets
  its full run from ``make test`` itself, so it is not repeated here.
* every other combination: the unit suite (``-m "not integration"``, which includes
  ``axiomod new`` rendering a project and running its tests) plus the integration tests
  marked ``smoke`` (a Prometheus scrape, ``/ready``, a Kafka round trip, a Celery job, a
  gRPC call, the example under gunicorn).

Interpreters: ``python3.X`` on the ``PATH`` when it runs, else the newest
``$(pyenv root)/versions/3.X.*``. With ``AXIOMOD_REQUIRE_SERVICES=1`` (CI) a missing
interpreter fails the run instead of being skipped, as a missing service does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nox

sys.path.insert(0, str(Path(__file__).parent))
from axiomod.support import DJANGO_PYTHONS, djangos_for, pythons  # no Django needed

REQUIRED = os.environ.get("AXIOMOD_REQUIRE_SERVICES") == "1"

nox.options.error_on_missing_interpreters = REQUIRED
nox.options.download_python = "never"  # no interpreter downloads: the machine's or none
nox.options.sessions = ["tests"]

#: The combination that gets the whole suite here (the README's default gets it from make test).
FULL = (pythons()[-1], djangos_for(pythons()[-1])[-1])

#: Django's deprecation warnings are errors in every combination (tests/conftest.py).
PYTEST = ("-p", "no:cacheprovider")


def _runs(python: str) -> bool:
    found = shutil.which(f"python{python}")
    if found is None:
        return False
    try:
        return subprocess.run([found, "-c", ""], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _put_interpreters_on_path() -> None:
    """Make ``python3.X`` findable for every supported X that the machine has.

    pyenv's shims answer ``python3.12`` only for the versions pyenv has selected, so an
    installed but unselected 3.12 is invisible to nox; its ``bin`` is added to the PATH.
    """
    root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    extra: list[str] = []
    for python in pythons():
        if _runs(python):
            continue
        candidates = sorted(
            Path(root, "versions").glob(f"{python}.*"),
            key=lambda p: tuple(int(x) for x in p.name.split(".") if x.isdigit()),
        )
        for candidate in reversed(candidates):
            if (candidate / "bin" / f"python{python}").exists():
                extra.append(str(candidate / "bin"))
                break
    if extra:
        os.environ["PATH"] = os.pathsep.join([*extra, os.environ.get("PATH", "")])


_put_interpreters_on_path()

MATRIX = [
    nox.param(python, django, id=f"{python}-django{django}")
    for django, supported in DJANGO_PYTHONS.items()
    for python in supported
]


@nox.session
@nox.parametrize(("python", "django"), MATRIX)
def tests(session: nox.Session, django: str) -> None:
    """The suite on one Python x Django combination (``full`` or unit + smoke)."""
    session.install("-e", ".[all,dev]", f"Django~={django}.0")
    installed = session.run(
        "python", "-c", "import django; print(django.get_version())", silent=True
    )
    session.log(f"Django {installed.strip()} on Python {session.python}")
    if (session.python, django) == FULL:
        session.run("python", "tests/lanes.py", *PYTEST, *session.posargs)
    else:
        session.run(
            "python", "-m", "pytest", *PYTEST, "-m", "not integration or smoke", *session.posargs
        )
