"""Helpers the Django benchmarks share: WSGI call loops, gunicorn servers, a seeded database.

* In-process: :func:`setup_django` (the benchmark project, ``bench.metrics_project``),
  :func:`wsgi_handler` (a ``WSGIHandler`` built with a given ``MIDDLEWARE``) and
  :func:`wsgi_caller` (a no-argument callable serving one request on a prepared environ,
  checked once to answer 200), for :func:`bench.harness.interleave`.
* Servers: :func:`start_gunicorn` (the benchmark project under gunicorn with
  ``-c python:axiomod.gunicorn_config``, waited for until it answers), :func:`start_server`
  (any HTTP server command, the same way) and :func:`http_get` (one request on a fresh
  connection, 200 expected).
* Load: :func:`keepalive_load` (a batch of requests over a few keep-alive connections)
  and :func:`load_in_turns` (servers loaded in interleaved bursts, their CPU read from
  ``/proc`` at each turn, deferred work charged to the server that does it).
* Database: :func:`migrate` and :func:`seed_invoices` (the example's invoices, created
  through its use case as a user would).
* :func:`uncommitted`: whether the code measured is the commit the run names.

Ports, process spawning and teardown (``free_port``, ``spawn``, ``stop_group``,
``terminate_all``, ``log_tail``) and sample statistics (``Samples``) are the test kit's,
:mod:`axiomod.testing`, shared with tests/; bench never imports tests/.

Apart from :func:`load_in_turns`, nothing here measures: the benchmarks time and read
``/proc`` themselves.
"""

from __future__ import annotations

import asyncio
import http.client
import io
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from axiomod.testing import free_port
from bench.harness import REPO_ROOT, Figure, cpu_ns_of

__all__ = [
    "BENCH_SETTINGS",
    "BENCH_WSGI_APP",
    "Turns",
    "counting_exporter",
    "cpu_figure",
    "http_get",
    "keepalive_load",
    "load_in_turns",
    "migrate",
    "seed_invoices",
    "setup_django",
    "start_gunicorn",
    "start_server",
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
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        *("-c", "python:axiomod.gunicorn_config", app),
        *("--bind", f"127.0.0.1:{port}", "--workers", str(workers)),
    ]
    return start_server(command, port, env, log_path, ready_path=ready_path, timeout=timeout)


def start_server(
    command: list[str],
    port: int,
    env: Mapping[str, str],
    log_path: Path,
    *,
    ready_path: str = "/ping",
    timeout: float = 60,
) -> tuple[subprocess.Popen, int]:
    """Run ``command`` (an HTTP server that will listen on ``port``) from the repository.

    ``env`` is its whole environment; stdout and stderr go to ``log_path``; it runs in a
    session of its own. Returns once ``ready_path`` answers 200; if the server exits or
    does not answer within ``timeout`` s, raises RuntimeError with the end of its log.
    """
    process = subprocess.Popen(
        command,
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


# --------------------------------------------------------------------------- load


def keepalive_load(
    port: int, path: str, *, requests: int, in_flight: int = 4, timeout: float = 120
) -> float:
    """``GET path`` ``requests`` times over ``in_flight`` keep-alive connections.

    Each connection sends its next request when the previous answer has been read, so
    ``in_flight`` requests are outstanding at any time, as a few clients behind a proxy
    would keep them. Every answer must be 200 with a ``Content-Length`` (Django's
    ``CommonMiddleware`` sets it); anything else raises RuntimeError. Returns the wall
    seconds the batch took.

    A dozen lines of asyncio rather than a client library: httpx and aiohttp are not
    installed, and h11 (uvicorn's dependency) parses in pure Python, which would take
    more of the two cores the server under test shares with the client.
    """
    head = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    left = [requests]

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while left[0] > 0:
                left[0] -= 1
                writer.write(head)
                answer = await reader.readuntil(b"\r\n\r\n")
                start = answer.lower().find(b"\r\ncontent-length:")
                if not answer.startswith(b"HTTP/1.1 200 ") or start < 0:
                    raise RuntimeError(f"GET {path} on :{port} answered {answer[:200]!r}")
                end = answer.index(b"\r\n", start + 2)
                await reader.readexactly(int(answer[start + 17 : end]))
        finally:
            writer.close()

    async def batch() -> float:
        started = time.perf_counter()
        clients = (connection() for _ in range(min(in_flight, requests)))
        await asyncio.wait_for(asyncio.gather(*clients), timeout)
        return time.perf_counter() - started

    return asyncio.run(batch())


@dataclass
class Turns:
    """What :func:`load_in_turns` measured for one server.

    ``cpu_seconds`` is the server's on-CPU time from the start of its first measured
    burst to the final reading: work it defers (a batch span export) is in it, and so
    is whatever it spends idle while the other servers take their turns (``idle``
    gives that rate, seconds of CPU per second, from the final wait).
    """

    requests: int = 0
    cpu_seconds: float = 0.0
    burst_cpu: list[float] = field(default_factory=list)  # s/request, burst alone
    burst_rate: list[float] = field(default_factory=list)  # requests/s of each burst
    idle: float = 0.0

    @property
    def per_request(self) -> float:
        """CPU seconds per request over the measured cycles (a mean: export is bursty)."""
        return self.cpu_seconds / self.requests


def load_in_turns(
    pids: Mapping[str, int],
    burst: Callable[[str], int],
    *,
    rounds: int,
    settle: float = 0.0,
    cpu: Callable[[int], float] | None = None,
) -> dict[str, Turns]:
    """Load servers in interleaved bursts and read their CPU from ``/proc``.

    ``pids`` names the servers; ``burst(name)`` loads one and returns how many requests
    it served. Round 0 warms up and is not counted; then ``rounds`` rounds give every
    server one burst each, the order rotated every round, so many short turns share
    the machine's speed steps and neighbours' bursts alike. A server's CPU is read at
    the start of each of its measured bursts and once more ``settle`` seconds after the
    last round (and the warm-up is followed by the same wait), so what it exports or
    flushes later is charged to it, not lost between readings.

    ``cpu(pid)`` reads a server's CPU seconds: by default :func:`bench.harness.cpu_ns_of`
    (nanoseconds from schedstat, live threads and processes only); a server whose
    threads come and go (Django under ASGI runs each request's sync code in a thread of
    its own) needs :func:`bench.harness.cpu_time_of`, which counts ended threads too.
    """
    read = cpu or (lambda pid: cpu_ns_of(pid) / 1e9)
    names = list(pids)
    turns = {name: Turns() for name in names}
    first: dict[str, float] = {}
    for round_index in range(rounds + 1):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            before = read(pids[name])
            started = time.perf_counter()
            served = burst(name)
            elapsed = time.perf_counter() - started
            spent = read(pids[name]) - before
            if round_index:
                first.setdefault(name, before)
                turns[name].requests += served
                turns[name].burst_cpu.append(spent / served)
                turns[name].burst_rate.append(served / elapsed)
        if round_index == 0:
            time.sleep(settle)
    idle_from = {name: read(pid) for name, pid in pids.items()}
    waited = time.monotonic()
    time.sleep(settle)
    waited = time.monotonic() - waited
    for name, pid in pids.items():
        end = read(pid)
        turns[name].cpu_seconds = end - first[name]
        turns[name].idle = (end - idle_from[name]) / waited if settle else 0.0
    return turns


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


def cpu_figure(
    name: str,
    baseline: Turns,
    candidate: Turns,
    *,
    baseline_name: str,
    candidate_name: str,
    extra: Mapping[str, object] | None = None,
) -> Figure:
    """Server CPU per request of two servers :func:`load_in_turns` loaded, as a Figure.

    ``extra`` gets the burst-only medians and their paired ratio (what the figure would
    be if deferred work were not charged), the burst request rates and the idle CPU.
    """
    paired = zip(candidate.burst_cpu, baseline.burst_cpu, strict=True)
    return Figure(
        name,
        baseline.per_request,
        candidate.per_request,
        "s/request",
        baseline_name=baseline_name,
        candidate_name=candidate_name,
        extra={
            "stat": "total over measured cycles / requests",
            "rounds": len(candidate.burst_cpu),
            "baseline_burst_only_median": statistics.median(baseline.burst_cpu),
            "candidate_burst_only_median": statistics.median(candidate.burst_cpu),
            "ratio_burst_only_paired_median": statistics.median(c / b for c, b in paired),
            "baseline_requests_per_second": statistics.median(baseline.burst_rate),
            "candidate_requests_per_second": statistics.median(candidate.burst_rate),
            "baseline_idle_cpu_per_second": baseline.idle,
            "candidate_idle_cpu_per_second": candidate.idle,
            **(extra or {}),
        },
    )


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
