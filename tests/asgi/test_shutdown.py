"""SIGTERM under real ASGI servers: the drain holds (``/ready`` 503 while requests are still
served), then the lifespan shutdown sends ``serving_stopped`` and flushes the spans a batch
still holds, in every worker; the control shows what is lost without the lifespan protocol.

Spans are batched with a 60 s delay (``OTEL_BSP_SCHEDULE_DELAY``), so a span reaches the
receiver only through the flush at shutdown. uvicorn ends a process by re-raising the
SIGTERM it caught with the default action, so no ``atexit`` handler (the SDK's own flush)
runs, and gunicorn's ``worker_exit`` hook does not run for its uvicorn workers either.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.asgi.apps import STOPPED_LINE
from tests.asgi.servers import (
    gunicorn_uvicorn,
    status,
    terminate,
    tracing_env,
    uvicorn,
    wait,
    wait_for_log,
)
from tests.servers import ServerProcess

pytestmark = pytest.mark.integration

SERVER = 2  # SpanKind SERVER, as the receiver reports it

#: name -> (server factory, worker processes)
SERVERS: dict[str, tuple[Callable[[dict, Path], ServerProcess], int]] = {
    "uvicorn": (lambda env, log: uvicorn(env, log), 1),
    "uvicorn --workers 2": (lambda env, log: uvicorn(env, log, "--workers", "2"), 2),
    "gunicorn -k uvicorn_worker.UvicornWorker -w 2": (
        lambda env, log: gunicorn_uvicorn(env, log, workers=2),
        2,
    ),
}


def watch_until_gone(server: ServerProcess) -> list[tuple[int, int]]:
    """(``/ready``, ``/invoices/``) statuses every 0.2 s until neither answers (30 s at most)."""
    seen: list[tuple[int, int]] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        seen.append((status(server, "/ready"), status(server, "/invoices/?limit=1")))
        if seen[-1] == (0, 0):
            break
        time.sleep(0.2)
    return seen


@pytest.mark.parametrize("name", SERVERS)
def test_sigterm_drains_then_the_lifespan_shutdown_flushes_the_spans(
    name, asgi_var_dir, otlp_receiver, tmp_path
):
    make, workers = SERVERS[name]
    env = {
        "AXIOMOD_VAR_DIR": str(asgi_var_dir),
        "AXIOMOD_DRAIN_SECONDS": "2",
        **tracing_env(otlp_receiver, schedule_delay_ms=60_000),
    }
    server = make(env, tmp_path / "server.log").start()
    try:
        # Every worker, not only the first to answer: one still loading the application
        # when SIGTERM comes has no drain handler yet and stops at once.
        wait_for_log(server, "Application startup complete.", workers)
        assert server.request("GET", "/asgi/awaits/7/").status == 200
        path_7 = lambda s: s.kind == SERVER and s.attributes.get("url.path") == "/asgi/awaits/7/"  # noqa: E731
        assert not otlp_receiver.wait_for(path_7, 0)  # still in the batch
        terminate(server)
        seen = watch_until_gone(server)
        code = wait(server)
    finally:
        server.stop(timeout=5)
    log = server.log_path.read_text(errors="replace")

    # Served, /ready 200 then 503, until the listeners closed (then nothing answers).
    serving = [s for s in seen if s[1] == 200 and s[0] in (200, 503)]
    assert seen[: len(serving)] == serving and all(0 in s for s in seen[len(serving) :]), seen
    assert (503, 200) in serving, seen
    assert seen[-1] == (0, 0), seen
    # uvicorn re-raises the SIGTERM it caught: a single process ends killed by it.
    assert code in (0, -signal.SIGTERM), log
    assert log.count("SIGTERM: draining") == workers, log
    assert log.count("Application shutdown complete.") == workers, log
    assert log.count(f"{STOPPED_LINE}: sender=asgi") == workers, log
    assert otlp_receiver.wait_for(path_7, 5), log


def test_without_the_lifespan_protocol_the_buffered_spans_are_lost(
    asgi_var_dir, otlp_receiver, tmp_path
):
    """The control: Django's own handler under uvicorn; the SDK's atexit flush never runs."""
    env = {
        "AXIOMOD_VAR_DIR": str(asgi_var_dir),
        **tracing_env(otlp_receiver, schedule_delay_ms=60_000),
    }
    server = uvicorn(env, tmp_path / "server.log", app="tests.asgi.stock_asgi:application")
    server.start()
    try:
        assert server.request("GET", "/asgi/awaits/8/").status == 200
        terminate(server)
        code = wait(server)
    finally:
        server.stop(timeout=5)
    log = server.log_path.read_text(errors="replace")
    assert "ASGI 'lifespan' protocol appears unsupported." in log, log
    assert code == -signal.SIGTERM, log
    # The process is gone: whatever it exported has been received already.
    path_8 = "/asgi/awaits/8/"
    assert not otlp_receiver.wait_for(lambda s: s.attributes.get("url.path") == path_8, 0)
