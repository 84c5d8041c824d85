"""axiomod.testing.ports and .processes: free ports, servers and subprocesses."""

from __future__ import annotations

import socket
import sys
import time

import pytest

from axiomod.testing import (
    ServerProcess,
    free_port,
    log_tail,
    port_open,
    spawn,
    stop_group,
    terminate_all,
    wait_for_port,
)


def test_free_port_can_be_listened_on():
    port = free_port()
    assert 1024 <= port < 65536
    assert not port_open("127.0.0.1", port)
    with socket.socket() as server:
        server.bind(("127.0.0.1", port))
        server.listen()
        assert port_open("127.0.0.1", port)
        assert wait_for_port("127.0.0.1", port, timeout=1)


def test_wait_for_port_gives_up():
    started = time.monotonic()
    assert not wait_for_port("127.0.0.1", free_port(), timeout=0.2)
    assert time.monotonic() - started < 5


def http_server(tmp_path, **kwargs) -> ServerProcess:
    port = free_port()
    (tmp_path / "hello.txt").write_text("hello")
    command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    return ServerProcess(command, port, log_path=tmp_path / "server.log", cwd=tmp_path, **kwargs)


def test_server_process_answers_then_stops(tmp_path):
    with http_server(tmp_path, ready_path="/hello.txt") as server:
        answer = server.request("GET", "/hello.txt")
        assert (answer.status, answer.body) == (200, b"hello")
        assert server.request("GET", "/missing").status == 404  # an answer, not an exception
        assert port_open("127.0.0.1", server.port)
    assert server.process.returncode is not None
    assert not port_open("127.0.0.1", server.port)
    assert "GET /hello.txt" in server.log()


def test_server_process_that_exits_says_so_with_its_log(tmp_path):
    command = [sys.executable, "-c", "import sys; print('no luck'); sys.exit(3)"]
    server = ServerProcess(command, free_port(), log_path=tmp_path / "log")
    with pytest.raises(RuntimeError, match=r"(?s)exited with 3.*no luck"):
        server.start(timeout=30)


def test_spawn_writes_a_log_and_stop_group_ends_it(tmp_path):
    log = tmp_path / "child.log"
    script = "import time; print('started', flush=True); time.sleep(60)"
    process = spawn([sys.executable, "-c", script], {"PATH": ""}, log, cwd=tmp_path)
    deadline = time.monotonic() + 30
    while "started" not in log_tail(log) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "started" in log_tail(log)
    stop_group(process, timeout=10)
    assert process.poll() is not None
    assert log_tail(tmp_path / "absent.log") == "(no log)"
    stop_group(None)  # nothing to stop is fine


def test_terminate_all_signals_every_process(tmp_path):
    command = [sys.executable, "-c", "import time; time.sleep(60)"]
    processes = [spawn(command, {}, tmp_path / f"{n}.log") for n in range(2)]
    terminate_all(processes, timeout=10)
    assert all(process.returncode is not None for process in processes)
