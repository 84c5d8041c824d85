"""Job metrics scraped from a prefork worker's port, and traces continued into jobs."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
import urllib.request

import pytest
from celery import Celery

from axiomod.testing import free_port
from tests.jobs.workers import project_env, wait_for_entries
from tests.servers import ROOT

pytestmark = pytest.mark.integration


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        return answer.read().decode()


def sample(text: str, name: str, **labels: str) -> float | None:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        found = re.match(r"^(\w+)\{(.*)\} (\S+)$", line)
        if found and found.group(1) == name:
            have = ",".join(sorted(found.group(2).split(",")))
            if have == wanted:
                return float(found.group(3))
    return None


def test_prefork_worker_serves_job_metrics_of_all_children(jobs_redis, celery_process, tmp_path):
    port = free_port()
    multiproc = tmp_path / "multiproc"
    multiproc.mkdir()
    worker = celery_process(
        "worker",
        "--pool",
        "prefork",
        "--concurrency",
        "2",
        AXIOMOD_TEST_METRICS_PORT=str(port),
        PROMETHEUS_MULTIPROC_DIR=str(multiproc),
    )
    worker.wait_for_log("ready.")
    app = Celery("sender", broker=jobs_redis.broker, set_as_current=False)
    app.conf.task_default_queue = "default"
    for i in range(3):
        app.send_task("tests.record", args=["ok", str(i)])
    app.send_task("tests.fail")
    app.send_task("tests.flaky", args=["flaky", 1])  # fails once, retried, then succeeds
    wait_for_entries(jobs_redis.client, "ok", 3)
    wait_for_entries(jobs_redis.client, "flaky", 1)

    expected = {
        ("jobs_processed_total", "tests.record", "success"): 3,
        ("jobs_processed_total", "tests.fail", "failure"): 1,
        ("jobs_processed_total", "tests.flaky", "retry"): 1,
        ("jobs_processed_total", "tests.flaky", "success"): 1,
    }
    deadline = time.monotonic() + 30
    while True:
        text = scrape(port)
        found = {key: sample(text, key[0], job=key[1], status=key[2]) for key in expected}
        if found == expected or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert found == expected, text
    assert sample(text, "job_duration_seconds_count", job="tests.record") == 3
    assert sample(text, "job_duration_seconds_count", job="tests.flaky") == 2  # both tries
    assert sample(text, "jobs_in_progress", job="tests.record") == 0
    assert "PROMETHEUS_MULTIPROC_DIR is not set" not in worker.log()


def test_worker_without_multiproc_dir_warns_that_children_are_not_scraped(celery_process):
    port = str(free_port())
    worker = celery_process(
        "worker", "--pool", "prefork", "--concurrency", "1", AXIOMOD_TEST_METRICS_PORT=port
    )
    worker.wait_for_log("PROMETHEUS_MULTIPROC_DIR is not set")


def test_the_enqueuing_trace_is_continued_in_the_prefork_child(
    jobs_redis, celery_process, otlp_receiver
):
    otel = {
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_receiver.http_endpoint,
        "OTEL_TRACES_SAMPLER_ARG": "1.0",
    }
    worker = celery_process("worker", "--pool", "prefork", "--concurrency", "1", **otel)
    worker.wait_for_log("ready.")
    enqueue = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup()\n"
            "from axiomod import tracing\n"
            "from tests.jobs.project.jobs import record\n"
            "tracing.configure()\n"
            "with tracing.tracer().start_as_current_span('checkout') as span:\n"
            "    record.delay('traced', 'x')\n"
            "    print(format(span.get_span_context().trace_id, '032x'))\n"
            "tracing.shutdown()\n",
        ],
        cwd=ROOT,
        env=project_env(jobs_redis.broker, jobs_redis.record, otel),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert enqueue.returncode == 0, enqueue.stderr[-3000:]
    trace_id = enqueue.stdout.strip().splitlines()[-1]
    ((_, child, _),) = wait_for_entries(jobs_redis.client, "traced", 1)
    assert child != worker.pid
    worker.signal(signal.SIGTERM)  # children flush their spans when they stop
    assert worker.wait(60) == 0
    spans = otlp_receiver.wait_for(lambda s: s.trace_id == trace_id and s.name.startswith("run/"))
    assert [s.name for s in spans] == ["run/tests.record"], otlp_receiver.spans
    publish = otlp_receiver.wait_for(lambda s: s.name == "apply_async/tests.record")
    assert publish and publish[0].trace_id == trace_id
    assert spans[0].parent_span_id == publish[0].span_id
