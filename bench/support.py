"""Helpers the Django benchmarks share: WSGI call loops, gunicorn servers, a seeded database.

* In-process: :func:`setup_django` (the benchmark project, ``bench.metrics_project``),
  :func:`wsgi_handler` (a ``WSGIHandler`` built with a given ``MIDDLEWARE``) and
  :func:`wsgi_caller` (a no-argument callable serving one request on a prepared environ,
  checked once to answer 200), for :func:`bench.harness.interleave`.
* Servers: :func:`start_gunicorn` (the benchmark project under gunicorn with
  ``-c python:axiomod.gunicorn_config``, waited for until it answers) and :func:`http_get`
  (one request on a fresh connection, 200 expected).
* Database: :func:`migrate` and :func:`seed_invoices` (the example's invoices, created
  through its use case as a user would).
* :func:`uncommitted`: whether the code measured is the commit the run names.

Ports, process spawning and teardown (``free_port``, ``spawn``, ``stop_group``,
``terminate_all``, ``log_tail``) and sample statistics (``Samples``) are the test kit's,
:mod:`axiomod.testing`, shared with tests/; bench never imports tests/.

Nothing here measures anything: the benchmarks time and read ``/proc`` themselves.
"""

from __future__ import annotations

import http.client
import io
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from axiomod.testing import free_port
from bench.harness import REPO_ROOT

__all__ = [
    "BENCH_SETTINGS",
    "BENCH_WSGI_APP",
    "counting_exporter",
    "http_get",
    "migrate",
    "seed_invoices",
    "setup_django",
    "start_gunicorn",
    "uncommitted",
    "wsgi_caller",
    "wsgi_environ",
    "wsgi_handler",
]

BENCH_SETTINGS = "bench.metrics_project"
BENCH_WSGI_APP = "bench.metrics_project_wsgi:application"


# --------------------------------------------------------------------------- in-process


def setup_django(**environ: str) -> None:
    """``django.setup()`` on the benchmark project; ``environ`` is set first (its knobs)."""
    os.environ["DJANGO_SETTINGS_MODULE"] = BENCH_SETTINGS
    os.environ.update(environ)
    import django

    django.setup()


def wsgi_handler(middleware: list[str]):
    """A ``WSGIHandler`` whose middleware chain is ``middleware`` (built once, kept)."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import override_settings

    with override_settings(MIDDLEWARE=middleware):
        return WSGIHandler()


def wsgi_environ(path: str) -> dict:
    """The WSGI environ of a plain ``GET path`` over HTTP/1.1 from loopback."""
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def wsgi_caller(handler, path: str, **environ: str) -> Callable[[], None]:
    """A no-argument callable serving one request; checks once that it answers 200.

    ``environ`` adds keys to the request's environ (``HTTP_TRACEPARENT=...``).
    """
    base = {**wsgi_environ(path), **environ}
    statuses: list[str] = []

    def checking_start_response(status, headers, exc_info=None):
        statuses.append(status)

    def start_response(status, headers, exc_info=None):
        return None

    def serve(respond) -> None:
        environ = dict(base)
        body = handler(environ, respond)
        for _ in body:
            pass
        body.close()

    serve(checking_start_response)
    if statuses != ["200 OK"]:
        raise RuntimeError(f"GET {path} answered {statuses} in the benchmark's call loop")
    return lambda: serve(start_response)


def counting_exporter() -> Any:
    """A span exporter that counts the spans it is handed and drops them (stands in for
    the network, so variants pay the SDK's cost and not a receiver's)."""
    from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

    class CountingExporter(SpanExporter):
        def __init__(self) -> None:
            self.count = 0
            self.names: set[str] = set()

        def export(self, spans):
            self.count += len(spans)
            self.names.update(span.name for span in spans)
            return SpanExportResult.SUCCESS

        def shutdown(self) -> None:
            pass

    return CountingExporter()


# --------------------------------------------------------------------------- servers


def http_get(port: int, path: str, *, timeout: float = 10) -> None:
    """``GET path`` on a fresh loopback connection; anything but 200 raises RuntimeError."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path} on :{port} answered {response.status}")
    finally:
        connection.close()


def start_gunicorn(
    env: Mapping[str, str],
    log_path: Path,
    *,
    workers: int = 2,
    ready_path: str = "/ping",
    app: str = BENCH_WSGI_APP,
    timeout: float = 60,
) -> tuple[subprocess.Popen, int]:
    """``gunicorn -c python:axiomod.gunicorn_config app`` on a free loopback port.

    ``env`` is the server's whole environment. Returns once ``ready_path`` answers 200;
    if the server exits or does not answer within ``timeout`` s, raises RuntimeError with
    the end of its log (stdout and stderr go to ``log_path``).
    """
    port = free_port()
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "-c",
            "python:axiomod.gunicorn_config",
            app,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
        ],
        cwd=REPO_ROOT,
        env=dict(env),
        stdout=open(log_path, "wb"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    while True:
        try:
            http_get(port, ready_path)
            return process, port
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                if process.poll() is None:
                    process.terminate()
                raise RuntimeError(log_path.read_text()[-3000:]) from None
            time.sleep(0.2)


def uncommitted(*paths: str) -> list[str] | None:
    """Files under ``paths`` that differ from the commit (``git status``; None without git).

    The environment line names the commit; this says whether the code measured was it.
    """
    try:
        result = subprocess.run(
            ["git", "status", "--porcelain", "--", *paths],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return [line[3:] for line in result.stdout.splitlines()]


# --------------------------------------------------------------------------- database


def migrate(env: Mapping[str, str]) -> None:
    """``manage.py migrate`` with ``env`` as the whole environment."""
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input"],
        cwd=REPO_ROOT,
        env=dict(env),
        check=True,
        capture_output=True,
    )


def seed_invoices(env: Mapping[str, str], count: int = 20) -> None:
    """Create ``count`` invoices through the example's use case (``env``: the database)."""
    seed = (
        "from example.invoices.container import use_cases\n"
        f"for i in range({count}): use_cases().create.execute(f'Customer {{i}}', '12.50', 'EUR')\n"
    )
    subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + seed],
        cwd=REPO_ROOT,
        env=dict(env),
        check=True,
        capture_output=True,
    )
