"""The adoption test: axiomod as a newcomer gets it, from a wheel built from this repository.

Issue 21, "How we know it holds". ``python -m build`` makes the sdist and the wheel (both
must hold the LICENSE); the wheel, not an editable install, goes into a fresh virtualenv
with the extras a generated project needs. Then:

1. a ``django-admin startproject`` service adopts axiomod (apps, middleware, ``AXIOMOD``,
   ``axiomod.urls``) and, under gunicorn, answers ``/metrics`` with its own view's request
   counted;
2. ``axiomod new`` renders a project whose ``Makefile`` installs axiomod from that wheel
   (pip's ``direct_url.json`` names it), and ``make test`` passes in it: its own ``.venv``,
   ruff, ``axiomod validator run``, pytest;
3. ``axiomod generate module``, wiring the module in as the command says, a model change
   and ``axiomod migrate create``, and ``make test`` passes again.

Every ``pip`` (the build's isolated environment, the fresh virtualenv, the project's
``make``) runs with ``--no-index`` on a wheelhouse kept between runs
(``~/.cache/axiomod/adoption-wheels``, or ``AXIOMOD_WHEELHOUSE``): the first run fills it
from the package index once, later runs need no index at all. The two times the issue asks
for are printed (``pytest -s``): from ``pip install`` of the wheel to the ``startproject``
service counting its request on ``/metrics``, and from ``axiomod new`` to a passing
``make test``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from .serving import serving

pytestmark = [pytest.mark.integration, pytest.mark.timeout(1800)]

REPOSITORY = Path(__file__).resolve().parents[2]
WHEELHOUSE = Path(
    os.environ.get("AXIOMOD_WHEELHOUSE") or Path.home() / ".cache" / "axiomod" / "adoption-wheels"
)
#: The extras of a project made with ``axiomod new``'s defaults, and scaffold for ``new``.
EXTRAS = "metrics,tracing,health,jobs,grpc,scaffold"
#: The build's backend and what a generated project's ``make`` installs besides axiomod.
TOOLS = ("pip", "setuptools>=77")
#: Environment variables of this run that would change what the children do.
_FOREIGN_ENV = re.compile(
    r"^(DJANGO_|OTEL_|KAFKA_|OIDC_|CELERY_|PROMETHEUS_|AXIOMOD_|GUNICORN_|PIP_|VIRTUAL_ENV)|"
    r"^(DATABASE_URL|METRICS_PORT|GRPC_PORT|PYTHONPATH|MAKEFLAGS|MFLAGS|MAKELEVEL)$"
)
STEP_TIMEOUT = 900


def offline_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This environment without Django/axiomod/pip settings; pip sees the wheelhouse only."""
    env = {key: value for key, value in os.environ.items() if not _FOREIGN_ENV.match(key)}
    env.update(
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(WHEELHOUSE),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        AXIOMOD_DRAIN_SECONDS="0",
    )
    env.update(extra or {})
    return env


def run(
    args: Sequence[str | Path],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        env=offline_env(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
        check=False,
    )
    if check and result.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, args))} exited {result.returncode} in {cwd}:\n"
            f"{result.stdout[-6000:]}\n{result.stderr[-4000:]}"
        )
    return result


def ensure_wheelhouse(requirements: Sequence[str]) -> None:
    """Make ``requirements`` installable from the wheelhouse alone (fill it the first time)."""
    WHEELHOUSE.mkdir(parents=True, exist_ok=True)
    pip = [sys.executable, "-m", "pip"]
    probe = [*pip, "install", "--dry-run", "--ignore-installed", "--quiet", *requirements]
    if run(probe, cwd=WHEELHOUSE, check=False).returncode == 0:
        return
    env = {key: value for key, value in os.environ.items() if not _FOREIGN_ENV.match(key)}
    filled = subprocess.run(
        [*pip, "wheel", "--quiet", "-w", WHEELHOUSE, "--find-links", WHEELHOUSE, *requirements],
        cwd=WHEELHOUSE,
        env=env,
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
        check=False,
    )
    assert filled.returncode == 0, filled.stdout[-4000:] + filled.stderr[-4000:]
    # The wheel under test is installed by its path, never from the wheelhouse.
    for stale in WHEELHOUSE.glob("axiomod-*"):
        stale.unlink()
    run(probe, cwd=WHEELHOUSE)


def get(url: str, timeout: float = 5) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


# --------------------------------------------------------------------------------------
# The startproject service of the README's tour, reduced to what /metrics needs
# --------------------------------------------------------------------------------------

ADOPTED_SETTINGS = """
INSTALLED_APPS += ["axiomod", "axiomod_metrics", "axiomod_health"]
MIDDLEWARE = [
    "axiomod_health.middleware.HealthProbeMiddleware",
    "axiomod_metrics.middleware.MetricsMiddleware",
    *MIDDLEWARE,
]
AXIOMOD = {"service_name": "adopted"}
"""

ADOPTED_URLS = """
from django.http import HttpResponse
from django.urls import include


def hello(request):
    return HttpResponse("hello")


urlpatterns += [path("hello/", hello), path("", include("axiomod.urls"))]
"""


def startproject_counts_its_request(venv: Path, root: Path) -> None:
    run([venv / "bin" / "django-admin", "startproject", "adopted"], cwd=root)
    project = root / "adopted"
    with open(project / "adopted" / "settings.py", "a") as settings:
        settings.write(ADOPTED_SETTINGS)
    with open(project / "adopted" / "urls.py", "a") as urls:
        urls.write(ADOPTED_URLS)

    def command(port: int) -> list[str | Path]:
        gunicorn = [venv / "bin" / "gunicorn", "-c", "python:axiomod.gunicorn_config"]
        return [*gunicorn, "adopted.wsgi:application", "--bind", f"127.0.0.1:{port}", "-w", "1"]

    env = offline_env({"DJANGO_SETTINGS_MODULE": "adopted.settings"})
    log = project / "server.log"
    with serving(command, cwd=project, env=env, log=log, ready_path="/metrics") as base:
        assert get(f"{base}/hello/") == (200, "hello")
        status, metrics = get(f"{base}/metrics")
    assert status == 200
    counted = [
        line
        for line in metrics.splitlines()
        if line.startswith("http_requests_total{") and "hello" in line
    ]
    assert counted and counted[0].endswith(" 1.0"), metrics[:3000]


# --------------------------------------------------------------------------------------
# The generated project
# --------------------------------------------------------------------------------------


def replace_once(path: Path, old: str, new: str) -> None:
    source = path.read_text()
    assert source.count(old) == 1, f"{old!r} not found once in {path}"
    path.write_text(source.replace(old, new))


def insert_after(path: Path, anchor: str, text: str) -> None:
    replace_once(path, anchor, anchor + text)


def wire_module(project: Path, package: str, module: str) -> None:
    """The generator's next steps 1-3: INSTALLED_APPS, the urls, the gRPC handlers."""
    settings = project / package / "settings.py"
    insert_after(settings, "INSTALLED_APPS = [\n", f'    "{package}.{module}",\n')
    replace_once(
        settings,
        '"handlers": [],',
        f'"handlers": ["{package}.{module}.delivery.grpc.register"],',
    )
    insert_after(
        project / package / "urls.py",
        "urlpatterns = [\n",
        f'    path("{module}/", include("{package}.{module}.delivery.http.urls")),\n',
    )


def make_test(project: Path) -> str:
    result = run(["make", "test"], cwd=project)
    assert re.search(r"\b\d+ passed\b", result.stdout), result.stdout[-3000:]
    return result.stdout


def dist_files(dist: Path) -> tuple[Path, Path]:
    wheels, sdists = list(dist.glob("axiomod-*.whl")), list(dist.glob("axiomod-*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, list(dist.iterdir())
    return wheels[0], sdists[0]


def test_a_newcomer_adopts_axiomod_from_the_wheel(tmp_path):
    assert shutil.which("make"), "make is needed: the generated project's commands are make's"
    started = time.monotonic()
    timings: dict[str, float] = {}

    # -- the sdist and the wheel, each with the LICENSE ------------------------------
    ensure_wheelhouse(TOOLS)
    dist = tmp_path / "dist"
    built = run([sys.executable, "-m", "build", "--outdir", dist, REPOSITORY], cwd=tmp_path)
    assert (
        "license"
        not in "\n".join(
            line
            for line in built.stdout.splitlines() + built.stderr.splitlines()
            if "warn" in line.lower() or "deprecat" in line.lower()
        ).lower()
    ), "python -m build warned about the license"
    wheel, sdist = dist_files(dist)
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        license_name = next(name for name in names if name.endswith("licenses/LICENSE"))
        assert b"Apache License" in archive.read(license_name)
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA")))
    assert b"License-Expression: Apache-2.0" in metadata
    assert not [name for name in names if "__pycache__" in name]
    with tarfile.open(sdist) as archive:
        assert f"{sdist.name.removesuffix('.tar.gz')}/LICENSE" in archive.getnames()
    timings["build"] = time.monotonic() - started

    # -- the wheel in a fresh virtualenv, then a startproject service on /metrics ------
    ensure_wheelhouse([f"{wheel}[{EXTRAS}]", *TOOLS, *dev_tools()])
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv], cwd=tmp_path)
    t0 = time.monotonic()
    run(
        [venv / "bin" / "python", "-m", "pip", "install", "--quiet", f"{wheel}[{EXTRAS}]"],
        cwd=tmp_path,
    )
    timings["pip install of the wheel"] = time.monotonic() - t0
    startproject_counts_its_request(venv, tmp_path)
    timings["pip install -> startproject service counting its request on /metrics"] = (
        time.monotonic() - t0
    )

    # -- axiomod new, then make test in the project ----------------------------------
    t1 = time.monotonic()
    created = run([venv / "bin" / "axiomod", "new", "Shop", "--no-input"], cwd=tmp_path)
    project = tmp_path / "shop"
    assert f"axiomod: installed from {wheel}" in created.stdout
    assert f"AXIOMOD_SOURCE ?= {wheel}\n" in (project / "Makefile").read_text()
    assert not list(project.rglob("__pycache__")), "template bytecode in the new project"
    first = make_test(project)
    timings["axiomod new -> passing make test"] = time.monotonic() - t1
    assert "naming: nothing to check" in first
    installed = run(
        [project / ".venv" / "bin" / "python", "-m", "pip", "show", "axiomod"], cwd=project
    )
    assert "Version: 1.3" in installed.stdout or "Version:" in installed.stdout
    direct = run(
        [
            project / ".venv" / "bin" / "python",
            "-c",
            "from importlib.metadata import distribution as d;"
            "print(d('axiomod').read_text('direct_url.json'))",
        ],
        cwd=project,
    )
    assert wheel.as_uri() in direct.stdout, "the project's axiomod is not the wheel"

    # -- a module, a model change and its migration; make test again -----------------
    axiomod = project / ".venv" / "bin" / "axiomod"
    run([axiomod, "generate", "module", "--name", "orders"], cwd=project)
    wire_module(project, "shop", "orders")
    insert_after(
        project / "shop" / "orders" / "infrastructure" / "persistence" / "models.py",
        "    name = models.CharField(max_length=200)\n",
        '    note = models.CharField(max_length=200, blank=True, default="")\n',
    )
    created = run([axiomod, "migrate", "create", "orders", "add_note"], cwd=project, check=False)
    if created.returncode == 2 and "unrecognized arguments" in created.stderr:
        print("\nadoption: `migrate create orders add_note` refused; used `-n add_note`")
        created = run([axiomod, "migrate", "create", "orders", "-n", "add_note"], cwd=project)
    assert created.returncode == 0, created.stdout + created.stderr
    assert (project / "shop" / "orders" / "migrations" / "0002_add_note.py").is_file()
    second = make_test(project)
    assert "migrations: ok (apps: orders" in second
    timings["whole test"] = time.monotonic() - started

    print("\nadoption timings on this machine (seconds):")
    for what, seconds in timings.items():
        print(f"  {what}: {seconds:.1f}")


def dev_tools() -> list[str]:
    """What a generated project's dev extra installs besides axiomod (from the template)."""
    template = (
        REPOSITORY
        / "axiomod"
        / "devtools"
        / "scaffold"
        / "project_template"
        / "{{cookiecutter.project_slug}}"
        / "pyproject.toml"
    )
    found = re.findall(
        r'^\s+"([A-Za-z][\w.-]*(?:\[[\w,]+\])?[<>=!~][^"]*)",', template.read_text(), re.MULTILINE
    )
    return [
        requirement for requirement in found if not requirement.startswith(("axiomod", "Django"))
    ]


def test_dev_tools_are_read_from_the_template():
    assert {"pytest>=8.3", "pytest-django>=4.9", "ruff>=0.8"} <= set(dev_tools())
