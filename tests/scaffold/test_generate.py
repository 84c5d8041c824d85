"""``axiomod generate`` through the installed console script, in a project of its own.

The generated code is held to what the issue promises: it compiles, passes ruff and
``axiomod validator run``, its migration is what ``makemigrations`` would write, its own
tests pass, its gRPC service is served by ``axiomod_grpc``, and bad requests are refused
with exit 2 before anything is written.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from axiomod.testing import free_port
from tests.scaffold.project import Project, ruff

pytestmark = pytest.mark.integration

LONG = "customer_loyalty_accounts"  # long names are where generated lines overflow

MODULE_FILES = {
    "__init__.py",
    "apps.py",
    "container.py",
    "handlers.py",
    "health.py",
    "jobs.py",
    "models.py",
    "entity/__init__.py",
    "entity/billing.py",
    "entity/errors.py",
    "repository/__init__.py",
    "repository/billing_repository.py",
    "service/__init__.py",
    "service/billing_service.py",
    "usecase/__init__.py",
    "usecase/create_billing.py",
    "usecase/get_billing.py",
    "usecase/list_billing.py",
    "usecase/ports.py",
    "delivery/__init__.py",
    "delivery/http/__init__.py",
    "delivery/http/urls.py",
    "delivery/http/views.py",
    "delivery/grpc/__init__.py",
    "delivery/grpc/billing.proto",
    "delivery/grpc/billing_pb2.py",
    "delivery/grpc/billing_pb2.pyi",
    "delivery/grpc/billing_pb2_grpc.py",
    "delivery/grpc/servicer.py",
    "infrastructure/__init__.py",
    "infrastructure/persistence/__init__.py",
    "infrastructure/persistence/models.py",
    "infrastructure/persistence/django_repository.py",
    "infrastructure/messaging/__init__.py",
    "infrastructure/messaging/billing_events.py",
    "migrations/__init__.py",
    "migrations/0001_initial.py",
    "tests/__init__.py",
    "tests/fakes.py",
    "tests/test_usecases.py",
    "tests/test_http.py",
    "tests/test_grpc.py",
}

HANDLERS = [
    ("service", "pricing_reconciliation_rules", LONG, None),
    ("handler", "quarterly_statement_export", LONG, "http"),
    ("handler", "points_balance_lookup", LONG, "grpc"),
    ("handler", "points_expiry_audit", LONG, "kafka"),
    ("handler", "nightly_close", LONG, "job"),
    ("handler", "settle", "billing", "kafka"),
]


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def add_import(project: Project, path: Path, package: str, name: str) -> None:
    """The next step of a kafka/job handler: import it where autodiscovery looks (sorted
    into the import block, as an editor's import sorter would)."""
    line = f"from {package} import {name}  # noqa: F401  (registers the handler)\n"
    path.write_text(path.read_text().replace("\nlogger = ", f"{line}\nlogger = ", 1))
    sort = project.run(ruff(), "check", "--no-cache", "--select", "I", "--fix", str(path))
    assert sort.returncode == 0, sort.stdout


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Project:
    """Two modules and one of each service/handler kind, wired as the next steps say."""
    project = Project(tmp_path_factory.mktemp("generate") / "proj")
    outputs = {}
    for module in ("billing", LONG):
        result = project.axiomod("generate", "module", "--name", module)
        assert result.returncode == 0, result.stderr
        outputs[module] = result.stdout
        project.install(module)
    for what, name, module, kind in HANDLERS:
        args = [what, f"--name={name}", "-m", module, *(["--kind", kind] if kind else [])]
        result = project.axiomod("generate", *args)
        assert result.returncode == 0, result.stderr
        outputs[name] = result.stdout
    package = project.root / "shop"
    add_import(
        project, package / "billing" / "handlers.py", "shop.billing.delivery.kafka", "settle"
    )
    add_import(project, package / LONG / "jobs.py", f"shop.{LONG}.delivery.jobs", "nightly_close")
    append(
        package / "settings.py",
        'AXIOMOD["grpc"] = {\n    "handlers": [\n'
        '        "shop.billing.delivery.grpc.register",\n'
        f'        "shop.{LONG}.delivery.grpc.points_balance_lookup_servicer.register",\n'
        "    ]\n}\n",
    )
    project.outputs = outputs  # type: ignore[attr-defined]
    return project


def test_a_module_has_every_layer_and_prints_the_next_steps(project):
    module = project.root / "shop" / "billing"
    written = {p.relative_to(module).as_posix() for p in module.rglob("*") if p.is_file()}
    assert written >= MODULE_FILES
    out = project.outputs["billing"]
    assert f"{len(MODULE_FILES)} file(s) written." in out
    assert 'add "shop.billing" to INSTALLED_APPS' in out
    assert 'include("shop.billing.delivery.http.urls")' in out
    assert "python manage.py axiomod_migrate up billing" in out


def test_services_and_handlers_add_their_files_and_say_how_to_wire_them(project):
    module = project.root / "shop" / LONG
    for path in (
        "service/pricing_reconciliation_rules_service.py",
        "tests/test_pricing_reconciliation_rules_service.py",
        "delivery/http/quarterly_statement_export_views.py",
        "delivery/grpc/points_balance_lookup.proto",
        "delivery/grpc/points_balance_lookup_pb2_grpc.py",
        "delivery/grpc/points_balance_lookup_servicer.py",
        "delivery/kafka/points_expiry_audit.py",
        "delivery/jobs/nightly_close.py",
    ):
        assert (module / path).is_file(), path
    assert (
        "axiomod_jobs run customer_loyalty_accounts.nightly_close"
        in project.outputs["nightly_close"]
    )
    assert (
        "delivery.grpc.points_balance_lookup_servicer.register"
        in project.outputs["points_balance_lookup"]
    )


def test_generated_code_passes_ruff_with_the_projects_rules(project):
    lint = project.run(ruff(), "check", "--no-cache", "--output-format", "concise", ".")
    assert lint.returncode == 0, lint.stdout
    fmt = project.run(ruff(), "format", "--check", "--no-cache", ".")
    assert fmt.returncode == 0, fmt.stdout


def test_generated_code_passes_the_validator_and_django_checks(project):
    result = project.axiomod("validator", "run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"architecture: ok \(.*modules: 2, violations: 0\)", result.stdout)
    assert "migrations: ok (apps: billing, customer_loyalty_accounts" in result.stdout
    check = project.manage("check", "--fail-level", "WARNING")
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_shipped_migration_is_what_makemigrations_would_write(project):
    result = project.manage("makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout


def test_the_generated_tests_pass(project):
    result = project.run(sys.executable, "-m", "pytest", "-q")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    passed = int(re.search(r"(\d+) passed", result.stdout).group(1))
    assert passed >= 45  # use cases, HTTP and gRPC of two modules, and each handler's tests
    assert "skipped" not in result.stdout


CLIENT = """
import sys, grpc
from shop.billing.delivery.grpc import billing_pb2 as pb, billing_pb2_grpc as rpc
stub = rpc.BillingServiceStub(grpc.insecure_channel(sys.argv[1]))
created = stub.CreateBilling(pb.CreateBillingRequest(name="first"), timeout=10)
print("created", created.id, created.name)
print("got", stub.GetBilling(pb.GetBillingRequest(id=created.id), timeout=10).name)
for request in (pb.CreateBillingRequest(name=" "), pb.GetBillingRequest(id=999)):
    call = stub.CreateBilling if isinstance(request, pb.CreateBillingRequest) else stub.GetBilling
    try:
        call(request, timeout=10)
    except grpc.RpcError as error:
        print("error", error.code().name, error.details())
"""


def test_the_generated_grpc_service_is_served_by_axiomod_grpc(project):
    migrated = project.manage("migrate", "--no-input")
    assert migrated.returncode == 0, migrated.stderr
    port = free_port()
    log = project.root / "grpc.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "axiomod_grpc", "--port", str(port)],
            cwd=project.root,
            env={**project.env(), "PYTHONUNBUFFERED": "1"},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while "serving gRPC" not in log.read_text(errors="replace"):
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        result = project.run(sys.executable, "-c", CLIENT, f"127.0.0.1:{port}", timeout=60)
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert lines[0].startswith("created ") and lines[0].endswith(" first")
        assert lines[1] == "got first"
        assert lines[2] == "error INVALID_ARGUMENT name: must not be blank"
        assert lines[3] == "error NOT_FOUND billing 999 does not exist"
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0, log.read_text()


# -- refusals: exit 2, and nothing written ---------------------------------------------


@pytest.fixture
def bare(tmp_path) -> Project:
    project = Project(tmp_path / "proj")
    assert project.axiomod("generate", "module", "-n", "billing").returncode == 0
    return project


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["module", "--name", "class"], "'class' is a Python keyword"),
        (["module", "--name", "Billing-Items"], "not a lower_snake_case Python identifier"),
        (["module", "--name", "9lives"], "not a lower_snake_case Python identifier"),
        (["module", "--name", "auth"], "'auth' is the label of an installed app"),
        (["module", "--name", "billing"], "already exists; nothing was written"),
        (["module", "--name", "orders", "--entity", "def"], "'def' is a Python keyword"),
        (["service", "-n", "pricing", "-m", "nowhere"], "no module 'shop.nowhere'"),
        (["service", "-n", "Pricing", "-m", "billing"], "service name 'Pricing' is not"),
        # Past the file system's 255 bytes this was OSError: File name too long, exit 1.
        (["module", "--name", "a" * 300], "module name 'aaaaaaaaaaaaaaaaaaaa...' is 300 char"),
        (["module", "--name", "a" * 32], "is 32 characters long; at most 31"),
        (["handler", "-n", "b" * 300, "-m", "billing", "-k", "http"], "is 300 characters"),
        (["handler", "-n", "export", "-m", "billing", "-k", "soap"], "invalid choice: 'soap'"),
        (
            ["module", "--name", "orders", "--package", "elsewhere"],
            "'elsewhere' cannot be imported",
        ),
    ],
)
def test_bad_requests_exit_2_and_write_nothing(bare, args, message):
    before = bare.files()
    result = bare.axiomod("generate", *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert bare.files() == before


def test_existing_files_are_kept_unless_forced(bare):
    views = bare.root / "shop" / "billing" / "delivery" / "http" / "export_views.py"
    assert (
        bare.axiomod(
            "generate", "handler", "-n", "export", "-m", "billing", "-k", "http"
        ).returncode
        == 0
    )
    views.write_text("# edited by hand\n")
    before = bare.files()
    again = bare.axiomod("generate", "handler", "-n", "export", "-m", "billing", "-k", "http")
    assert again.returncode == 2
    assert "would overwrite" in again.stderr and "export_views.py" in again.stderr
    assert bare.files() == before
    forced = bare.axiomod(
        "generate", "handler", "-n", "export", "-m", "billing", "-k", "http", "--force"
    )
    assert forced.returncode == 0, forced.stderr
    assert "overwrote shop/billing/delivery/http/export_views.py" in forced.stdout
    assert "class ExportView" in views.read_text()


def test_a_project_template_overrides_the_packages(bare):
    override = bare.root / "templates" / "axiomod" / "scaffold" / "service" / "service"
    override.mkdir(parents=True)
    (override / "{{name}}_service.py-tpl").write_text(
        '"""Our convention."""\n\n\nclass {{ name_camel }}Service:\n    team = "payments"\n'
    )
    result = bare.axiomod("generate", "service", "-n", "pricing", "-m", "billing")
    assert result.returncode == 0, result.stderr
    service = bare.root / "shop" / "billing" / "service" / "pricing_service.py"
    assert 'team = "payments"' in service.read_text()
    # The files the project does not override still come from the package.
    assert (bare.root / "shop" / "billing" / "tests" / "test_pricing_service.py").is_file()


def test_a_broken_override_names_the_template_and_writes_nothing(bare):
    override = bare.root / "templates" / "axiomod" / "scaffold" / "service" / "service"
    override.mkdir(parents=True)
    (override / "{{name}}_service.py-tpl").write_text("class {{ nmae_camel }}Service: ...\n")
    before = bare.files()
    result = bare.axiomod("generate", "service", "-n", "pricing", "-m", "billing")
    assert result.returncode == 2
    assert "{{name}}_service.py-tpl" in result.stderr and "nmae_camel" in result.stderr
    assert bare.files() == before


def test_a_missing_templates_dir_setting_is_a_check_error_and_a_refusal(bare):
    append(bare.root / "shop" / "settings.py", 'AXIOMOD["scaffold"] = {"templates_dir": "tmpl"}\n')
    check = bare.manage("check")
    assert check.returncode == 1
    assert "axiomod.E005" in check.stderr
    assert 'AXIOMOD["scaffold"]["templates_dir"]' in check.stderr
    result = bare.axiomod("generate", "service", "-n", "pricing", "-m", "billing")
    assert result.returncode == 2
    assert "is not a directory" in result.stderr


def test_the_package_setting_places_modules(tmp_path):
    project = Project(tmp_path / "proj")
    (project.root / "shop" / "modules").mkdir()
    (project.root / "shop" / "modules" / "__init__.py").write_text("")
    append(
        project.root / "shop" / "settings.py", 'AXIOMOD["scaffold"] = {"package": "shop.modules"}\n'
    )
    result = project.axiomod("generate", "module", "-n", "orders")
    assert result.returncode == 0, result.stderr
    apps = (project.root / "shop" / "modules" / "orders" / "apps.py").read_text()
    assert 'name = "shop.modules.orders"' in apps
    assert 'label = "orders"' in apps


@pytest.mark.parametrize(
    ("name", "message"),
    [("json", "shadow the standard library's json"), ("celery", "shadow the installed module")],
)
def test_a_top_level_module_may_not_shadow_an_importable_one(tmp_path, name, message):
    from axiomod.devtools.scaffold import ScaffoldError, generate_module

    with pytest.raises(ScaffoldError, match=message):
        generate_module(name, package="", root=tmp_path)
    assert not any(tmp_path.iterdir())


def test_force_regenerates_an_installed_module(bare):
    bare.install("billing")  # its own label is not a clash
    views = bare.root / "shop" / "billing" / "delivery" / "http" / "views.py"
    views.write_text("# edited by hand\n")
    result = bare.axiomod("generate", "module", "-n", "billing", "--force")
    assert result.returncode == 0, result.stderr
    assert "overwrote shop/billing/delivery/http/views.py" in result.stdout
    assert "class BillingCollectionView" in views.read_text()


def test_a_proto_that_does_not_compile_refuses_before_writing(bare):
    override = bare.root / "templates" / "axiomod" / "scaffold" / "module" / "delivery" / "grpc"
    override.mkdir(parents=True)
    (override / "{{module}}.proto-tpl").write_text('syntax = "proto3";\nmessage {\n')
    before = bare.files()
    result = bare.axiomod("generate", "module", "-n", "orders")
    assert result.returncode == 2
    assert "protoc failed on shop/orders/delivery/grpc/orders.proto" in result.stderr
    assert bare.files() == before


@pytest.mark.parametrize(
    ("settings_module", "package"),
    [("shop.settings", "shop"), ("shop.settings.production", "shop"), ("conf", "")],
)
def test_the_default_package_is_the_one_holding_the_settings(monkeypatch, settings_module, package):
    from axiomod.management.commands.axiomod_generate import Command

    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", settings_module)
    assert Command._package(None) == package
