"""Run the test suite as two pytest processes at once: ``make test`` and nox's full session.

Most of the suite's wall time is spent waiting on real servers (Kafka consumers through
rebalances and SIGTERM, uvicorn and gunicorn draining, Prometheus scrapes, generated
projects' own test runs), so on a two-core machine a second pytest process nearly halves
it. The split is fixed: lane "b" gets suites that share no fixed resource with the rest
(each starts its own broker and servers on free ports, or creates databases with random
names), lane "a" everything else, notably every suite that uses Redis (the jobs tests'
fixed databases, the example stack's Celery worker), so no two processes ever share one.

pytest-xdist was considered: it spreads tests over workers by test, file or declared
group, which would need every suite touching a shared Redis database or a fixed port
marked, and a forgotten mark shows up as a rare cross-talk failure; a fixed split by
directory makes the same guarantee by construction. Each lane has its own ``--basetemp``
(pytest's numbered temporary directories are pruned by whichever run starts later).

Usage: ``python tests/lanes.py [pytest arguments...]``; the arguments go to both lanes.
Exit status: the first non-zero of the two.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Lane "b": self-contained suites (no Redis, no fixed ports).
LANE_B = (
    "tests/messaging",
    "tests/asgi",
    "tests/metrics/test_uvicorn.py",
    "tests/metrics/test_workers.py",
    "tests/scaffold",
    "tests/db",
    "tests/cli",
    "tests/validator",
)


def commands(args: list[str], base: Path) -> dict[str, list[str]]:
    """The pytest command of each lane, with its temporary directories under ``base``."""
    pytest = [sys.executable, "-m", "pytest", *args]
    lane_a = [*pytest, f"--basetemp={base / 'a'}"]
    lane_a += [f"--ignore={path}" for path in LANE_B]
    lane_b = [*pytest, f"--basetemp={base / 'b'}", *LANE_B]
    return {"a": lane_a, "b": lane_b}


def main(args: list[str]) -> int:
    base = Path(tempfile.gettempdir()) / f"axiomod-lanes-{os.getpid()}"
    base.mkdir(parents=True, exist_ok=True)  # pytest creates --basetemp, not its parents
    lanes = commands(args, base)
    log = Path(tempfile.gettempdir()) / f"axiomod-lane-b-{os.getpid()}.log"
    statuses: dict[str, int] = {}
    with open(log, "wb") as output:
        lane_b = subprocess.Popen(lanes["b"], cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
        waiter = threading.Thread(target=lambda: statuses.setdefault("b", lane_b.wait()))
        waiter.start()
        try:
            statuses["a"] = subprocess.run(lanes["a"], cwd=ROOT).returncode
        finally:
            waiter.join()
    print(f"\n===== lane b ({' '.join(LANE_B)}) =====", flush=True)
    sys.stdout.buffer.write(log.read_bytes())
    sys.stdout.flush()
    log.unlink()
    shutil.rmtree(base, ignore_errors=True)
    print(f"\n===== lanes: a exited {statuses['a']}, b exited {statuses['b']} =====")
    return next((status for status in statuses.values() if status), 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
