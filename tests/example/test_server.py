"""The example service as users run it: migrated, under gunicorn, on each database.

``DATABASE_URL`` switches the same code between SQLite (the embedded default),
PostgreSQL and MariaDB; each run talks HTTP to a real multi-worker gunicorn and checks
the rows in the database with that database's own client.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from axiomod.testing import free_port
from tests.servers import ROOT, ServerProcess, gunicorn, manage


def count_rows_sqlite(url: str) -> int:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
        return connection.execute("SELECT COUNT(*) FROM invoices_invoice").fetchone()[0]


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def database(request, tmp_path):
    """(DATABASE_URL, row counter) for a fresh database of each kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'example.sqlite3'}"
        return url, lambda: count_rows_sqlite(url)
    if request.param == "postgresql":
        service = request.getfixturevalue("postgres_service")
        url = request.getfixturevalue("postgres_database_factory").create().url
    else:
        service = request.getfixturevalue("mariadb_service")
        url = request.getfixturevalue("mariadb_database_factory").create().url
    name = url.rsplit("/", 1)[-1]

    def count_rows() -> int:
        with service.connect(name) as connection, connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM invoices_invoice")
            return cursor.fetchone()[0]

    return url, count_rows


@pytest.mark.smoke
@pytest.mark.integration
def test_example_serves_invoices_under_gunicorn(database, tmp_path):
    url, count_rows = database
    env = {"DATABASE_URL": url, "AXIOMOD_VAR_DIR": str(tmp_path)}
    migrated = manage("migrate", "--no-input", env=env)
    assert migrated.returncode == 0, migrated.stderr
    assert "Applying invoices.0001_initial... OK" in migrated.stdout

    server = gunicorn(env, tmp_path / "gunicorn.log", workers=2)
    with server:
        empty = server.request("GET", "/invoices/")
        assert empty.status == 200
        assert empty.headers["Content-Type"] == "application/json"
        assert empty.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}

        def create(i: int):
            return server.request(
                "POST",
                "/invoices/",
                {"customer": f"Customer {i}", "amount": "10.50", "currency": "EUR"},
            )

        # Concurrent creates land in both workers; numbers must stay unique.
        with ThreadPoolExecutor(max_workers=8) as pool:
            created = list(pool.map(create, range(20)))
        assert [r.status for r in created] == [201] * 20
        numbers = {r.json()["number"] for r in created}
        assert len(numbers) == 20

        first = created[0].json()
        assert created[0].headers["Location"].endswith(f"/invoices/{first['id']}/")
        fetched = server.request("GET", f"/invoices/{first['id']}/")
        assert fetched.status == 200
        assert fetched.json() == first
        assert fetched.json()["amount"] == "10.50"

        listing = server.request("GET", "/invoices/?limit=5&offset=5").json()
        assert listing["total"] == 20
        assert len(listing["items"]) == 5

        missing = server.request("GET", "/invoices/999999/")
        assert missing.status == 404
        assert missing.json()["error"] == "not_found"

        bad = server.request(
            "POST", "/invoices/", {"customer": "X", "amount": "-1", "currency": "EUR"}
        )
        assert bad.status == 400
        assert bad.json()["field"] == "amount"

        assert count_rows() == 20, "the API must have written exactly the created rows"
    assert server.process.returncode == 0, server.log()


@pytest.mark.integration
def test_example_test_suite_passes_on_real_databases(request, tmp_path):
    """The example's own tests (concurrency included) against PostgreSQL and MariaDB."""
    for kind in ("postgres", "mariadb"):
        request.getfixturevalue(f"{kind}_service")
        url = request.getfixturevalue(f"{kind}_database_factory").create().url
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "tests/example",
                "-q",
                "-p",
                "no:cacheprovider",
                "-m",
                "not integration",
                "-W",
                "ignore::pytest.PytestUnraisableExceptionWarning",
            ],
            cwd=ROOT,
            env={**__import__("os").environ, "DATABASE_URL": url},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, f"{kind}:\n{result.stdout[-3000:]}"
        assert "skipped" not in result.stdout.splitlines()[-1], result.stdout[-500:]


@pytest.mark.integration
def test_make_run_serves_the_example(tmp_path):
    """The README's first command: migrate the embedded SQLite and serve with gunicorn."""
    make = shutil.which("make")
    assert make, "make is needed for the README's commands"
    port = free_port()
    command = [make, "run", f"PORT={port}", "WORKERS=1", f"PYTHON={sys.executable}"]
    server = ServerProcess(
        command, port, {"AXIOMOD_VAR_DIR": str(tmp_path)}, tmp_path / "make-run.log"
    )
    with server:
        answer = server.request("GET", "/invoices/")
        assert answer.status == 200
        assert answer.json()["items"] == []
    assert Path(tmp_path / "example.sqlite3").exists(), "make run must migrate the SQLite file"


@pytest.mark.integration
def test_under_gunicorn_edges_of_http_are_json_answers(tmp_path):
    """What no view sees (a body over DATA_UPLOAD_MAX_MEMORY_SIZE, an unknown Host, a URL
    no route matches) is answered in JSON by a real server too; the too-large body is one
    WARNING line, not an ERROR with a traceback."""
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'example.sqlite3'}",
        "AXIOMOD_VAR_DIR": str(tmp_path),
    }
    assert manage("migrate", "--no-input", env=env).returncode == 0
    log_path = tmp_path / "gunicorn.log"
    server = gunicorn(env, log_path, workers=1)
    with server:
        too_large = server.request(
            "POST", "/invoices/", {"customer": "x" * 2_700_000, "amount": "1", "currency": "EUR"}
        )
        unknown_host = server.request("GET", "/invoices/", headers={"Host": "evil.example"})
        no_route = server.request("GET", "/invoices/abc/")
    log = log_path.read_text(errors="replace")

    assert too_large.status == 413, too_large.body[:300]
    assert too_large.json()["error"] == "too_large"
    assert "WARNING django.security.RequestDataTooBig" in log
    assert "ERROR django.security.RequestDataTooBig" not in log
    assert "raise RequestDataTooBig" not in log
    assert unknown_host.status == 400
    assert unknown_host.headers["Content-Type"] == "application/json"
    assert unknown_host.json()["error"] == "bad_request"
    assert (no_route.status, no_route.json()["error"]) == (404, "not_found")
