"""The worker switch (:mod:`axiomod_metrics.workers`) outside a server.

The servers themselves are in ``test_uvicorn.py``; here the parts a server run cannot
show cheaply: the run marker, a worker whose prometheus_client was imported (or used)
before the switch, and the warning of a single-process parent that forks.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from axiomod_metrics import workers
from tests.servers import ROOT, service_env


def test_the_first_worker_of_a_run_empties_the_directory_and_later_ones_keep_it(tmp_path):
    directory = tmp_path / "multiproc"
    directory.mkdir()
    (directory / "counter_12345.db").write_bytes(b"an earlier run")
    (directory / "subdir").mkdir()
    assert workers.start_run(str(directory), "run 2") is True
    assert sorted(p.name for p in directory.iterdir()) == [".axiomod-run", ".axiomod.lock"]
    (directory / "counter_23456.db").write_bytes(b"this run")
    # A sibling starting later, or a worker uvicorn restarted: the same run.
    assert workers.start_run(str(directory), "run 2") is False
    assert (directory / "counter_23456.db").exists()
    assert workers.start_run(str(directory), "run 3") is True
    assert not (directory / "counter_23456.db").exists()


def test_a_run_is_told_apart_by_the_supervisor_s_start_time_not_its_pid_alone():
    key = workers.run_key(os.getpid())
    boot_id, pid, started = key.split()
    assert pid == str(os.getpid()) and started.isdigit() and len(boot_id) == 36
    assert workers.run_key(os.getpid()) == key
    assert workers.run_key(1).split()[2] != started


SPAWNED = """
import multiprocessing, os, sys

def child(queue, create_metric):
    import prometheus_client  # as a settings module or asgi.py might
    if create_metric:
        prometheus_client.Counter("made_too_early", "Created before the switch.")
    from axiomod.asgi import get_asgi_application
    try:
        get_asgi_application()
    except Exception as exc:
        queue.put(f"{type(exc).__name__}: {exc}")
        return
    from prometheus_client import values
    queue.put(
        f"multiprocess={values.ValueClass is not values.MutexValue} "
        f"dir={os.environ['PROMETHEUS_MULTIPROC_DIR']}"
    )

if __name__ == "__main__":
    context = multiprocessing.get_context("spawn")  # as uvicorn and hypercorn start workers
    queue = context.Queue()
    process = context.Process(target=child, args=(queue, sys.argv[1] == "metric"))
    process.start()
    print(queue.get(timeout=60), f"supervisor={os.getpid()}")
    process.join(60)
"""


@pytest.mark.integration
@pytest.mark.parametrize("early", ["import", "metric"])
def test_a_spawned_worker_that_imported_prometheus_client_early(tmp_path, early):
    script = tmp_path / "spawned.py"
    script.write_text(SPAWNED)
    env = service_env(
        {
            "DJANGO_SETTINGS_MODULE": "example.settings",
            "AXIOMOD_VAR_DIR": str(tmp_path),
            "PYTHONPATH": str(ROOT),
        }
    )
    result = subprocess.run(
        [sys.executable, str(script), early],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    if early == "import":
        # Imported but unused: switched all the same, into the supervisor's directory.
        switched, directory, supervisor = result.stdout.split()
        assert switched == "multiprocess=True"
        pid = supervisor.removeprefix("supervisor=")
        expected = Path(tempfile.gettempdir(), f"axiomod-metrics-{os.getuid()}-{pid}")
        assert directory == f"dir={expected}"
    else:
        assert result.stdout.startswith("ImproperlyConfigured: This process is one of several")
        assert "made_too_early" in result.stdout
        assert "PROMETHEUS_MULTIPROC_DIR" in result.stdout


FORKING = """
import os
from example.wsgi import application  # a single process: no supervisor, no switch
pid = os.fork()
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)
"""


@pytest.mark.integration
def test_a_single_process_server_that_forks_warns_in_the_child(tmp_path):
    env = service_env(
        {
            "DJANGO_SETTINGS_MODULE": "example.settings",
            "AXIOMOD_VAR_DIR": str(tmp_path),
        }
    )
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(FORKING)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "which loaded the application with prometheus_client in single-process mode" in output
    assert "-c python:axiomod.gunicorn_config" in output
    assert output.count("was forked from process") == 1


def test_nothing_switches_in_a_single_process(monkeypatch):
    monkeypatch.delenv(workers.GUNICORN_MASTER_ENV, raising=False)
    monkeypatch.delitem(sys.modules, "gunicorn.arbiter", raising=False)
    assert workers.supervisor() is None  # pytest: neither a spawned nor a gunicorn worker
