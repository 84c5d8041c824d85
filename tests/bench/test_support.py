"""Tests of the load helpers in bench/support.py (what they send and how they account).

No timing is asserted: the CPU clock given to ``load_in_turns`` here is a fake one the
bursts advance, so the accounting can be checked exactly.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.support import cpu_figure, keepalive_load, load_in_turns


class _CountingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.connections = 0
        self.lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive

            def setup(self) -> None:
                super().setup()
                with server.lock:
                    server.connections += 1

            def do_GET(self) -> None:
                with server.lock:
                    server.requests.append(self.path)
                status, body = (200, b"pong") if self.path == "/ping" else (404, b"no")
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        server = self
        super().__init__(("127.0.0.1", 0), Handler)


@pytest.fixture(scope="module")
def http_server() -> Iterator[_CountingServer]:
    server = _CountingServer()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_keepalive_load_sends_exactly_n_requests_over_k_connections(
    http_server: _CountingServer,
) -> None:
    before_requests, before_connections = len(http_server.requests), http_server.connections

    elapsed = keepalive_load(http_server.server_port, "/ping", requests=25, in_flight=3)

    assert elapsed > 0
    assert http_server.requests[before_requests:] == ["/ping"] * 25
    assert http_server.connections - before_connections == 3


def test_keepalive_load_fails_on_an_answer_other_than_200(http_server: _CountingServer) -> None:
    with pytest.raises(RuntimeError, match="404"):
        keepalive_load(http_server.server_port, "/missing", requests=2, in_flight=1)


def test_load_in_turns_rotates_the_order_and_leaves_the_warm_up_out() -> None:
    clock = {1: 0.0, 2: 0.0}  # CPU seconds of two fake servers
    calls: list[str] = []

    def burst(name: str) -> int:
        calls.append(name)
        clock[pids[name]] += 0.5  # 100 requests at 5 ms
        return 100

    pids = {"base": 1, "ours": 2}
    turns = load_in_turns(pids, burst, rounds=2, cpu=clock.__getitem__)

    # Round 0 (warm-up) base first, round 1 ours first, round 2 base first again.
    assert calls == ["base", "ours", "ours", "base", "base", "ours"]
    for name in pids:
        assert turns[name].requests == 200  # the warm-up is not counted
        assert turns[name].burst_cpu == [pytest.approx(0.005)] * 2
        assert turns[name].per_request == pytest.approx(0.005)


def test_cpu_figure_compares_the_totals_per_request() -> None:
    clock = {1: 0.0, 2: 0.0}
    pids = {"base": 1, "ours": 2}

    def burst(name: str) -> int:
        clock[pids[name]] += 0.5 if name == "base" else 0.6
        return 100

    turns = load_in_turns(pids, burst, rounds=2, cpu=clock.__getitem__)
    assert turns["ours"].burst_cpu == [pytest.approx(0.006)] * 2
    figure = cpu_figure(
        "t", turns["base"], turns["ours"], baseline_name="base", candidate_name="ours"
    )
    assert figure.ratio == pytest.approx(1.2)
    assert figure.extra["ratio_burst_only_paired_median"] == pytest.approx(1.2)
    assert figure.extra["rounds"] == 2
