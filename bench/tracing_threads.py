"""Probe (not a registered benchmark): where a traced gunicorn's extra CPU goes, by thread.

``python -m bench.tracing_threads [RATIOS] [REQUESTS]`` (default ``off,0,0.1,1`` and
4,000): one gunicorn per ratio (``-c python:axiomod.gunicorn_config``, ``WORKERS``
workers, 2 by default) serving ``/invoices/`` from SQLite as ``bench tracing`` does, each
tracing ratio exporting over OTLP (``PROTO``: ``grpc`` by default, or ``http/protobuf``)
to a receiver of its own in this process. The servers are loaded in turns, 10 bursts
each; on-CPU time of every thread of the master and the workers is read from
``/proc/<pid>/task/*/schedstat`` around the measured bursts and a final wait for the
last export, and printed per request: the request threads (the processes' main threads),
and the others by thread name (the batch export thread shows as ``gunicorn``; gRPC's
C threads as ``event_engine``, ``grpc_global_tim``, ``lifeguard``). Recorded in
``docs/performance.md`` (Tracing, attributed by thread).
"""

from __future__ import annotations

import collections
import http.client
import os
import sys
import tempfile
import time
from pathlib import Path

from axiomod.testing import stop_group
from axiomod.testing.otlp import OtlpReceiver
from bench.support import BENCH_SETTINGS, REPO_ROOT, migrate, seed_invoices, start_gunicorn


def _processes(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [master, *map(int, children)]


def _threads(master: int) -> dict[tuple[int, str], int]:
    found = {}
    for pid in _processes(master):
        for tid in os.listdir(f"/proc/{pid}/task"):
            stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
            name = stat[stat.index("(") + 1 : stat.rindex(")")]
            cpu = Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()[0]
            found[(int(tid), name)] = int(cpu)
    return found


def main(ratios: list[str], requests: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="axiomod-tracing-threads-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(
        DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}",
        DJANGO_SETTINGS_MODULE=BENCH_SETTINGS,
        AXIOMOD_BENCH_METRICS="axiomod",
        OTEL_TRACES_EXPORTER="none",
        PYTHONPATH=str(REPO_ROOT),
        AXIOMOD_DRAIN_SECONDS="0",
    )
    migrate(env)
    seed_invoices(env, 20)
    protocol = os.environ.get("PROTO", "grpc")
    workers = int(os.environ.get("WORKERS", "2"))
    receivers, servers = [], {}
    try:
        for ratio in ratios:
            if ratio == "off":
                server_env = {**env, "AXIOMOD_BENCH_TRACING": "off"}
            else:
                receiver = OtlpReceiver().start()
                receivers.append(receiver)
                endpoint = receiver.grpc_endpoint if protocol == "grpc" else receiver.http_endpoint
                server_env = {
                    **env,
                    "OTEL_TRACES_EXPORTER": "otlp",
                    "OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
                    "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
                    "OTEL_TRACES_SAMPLER_ARG": ratio,
                }
            servers[ratio] = start_gunicorn(server_env, workdir / f"{ratio}.log", workers=workers)
        connections = {r: ("127.0.0.1", port) for r, (_, port) in servers.items()}

        def burst(ratio: str, number: int) -> None:
            for _ in range(number):
                connection = http.client.HTTPConnection(*connections[ratio])
                connection.request("GET", "/invoices/")
                connection.getresponse().read()
                connection.close()

        for ratio in ratios:
            burst(ratio, 300)  # warm-up, then its spans' export
        time.sleep(6)
        before = {r: _threads(p.pid) for r, (p, _) in servers.items()}
        for _ in range(10):
            for ratio in ratios:
                burst(ratio, requests // 10)
        time.sleep(6.5)  # the last export (5 s schedule delay)
        after = {r: _threads(p.pid) for r, (p, _) in servers.items()}
        for ratio, (process, _) in servers.items():
            mains = set(_processes(process.pid))
            request_threads, others = 0, collections.Counter()
            for key, cpu in after[ratio].items():
                spent = cpu - before[ratio].get(key, 0)
                if key[0] in mains:
                    request_threads += spent
                else:
                    others[key[1]] += spent
            per = requests * 1000  # ns -> µs per request
            rest = ", ".join(f"{n} {v / per:.1f}" for n, v in others.most_common() if v)
            print(
                f"{ratio:>4}: request threads {request_threads / per:7.1f} µs/request; "
                f"other threads {sum(others.values()) / per:5.1f} ({rest or 'none'})"
            )
    finally:
        for process, _ in servers.values():
            stop_group(process, timeout=10)
        for receiver in receivers:
            receiver.stop()


if __name__ == "__main__":
    main(
        (sys.argv[1] if len(sys.argv) > 1 else "off,0,0.1,1").split(","),
        int(sys.argv[2]) if len(sys.argv) > 2 else 4000,
    )
