"""``process_*`` and ``python_gc_*`` metrics of every live worker in multiprocess mode.

prometheus_client exports these from its default registry, i.e. for the one process that
answers the scrape; in multiprocess mode the scrape reads a registry of its own (the
workers' files) and upstream documents that these collectors are simply not available
there. Under gunicorn or Celery prefork that leaves a service with no memory, CPU, file
descriptor or GC figures at all. Here the scrape adds them back, one series per live
process, labelled ``pid`` so that ``sum``/``max`` aggregate them:

* ``process_*`` (CPU seconds, resident and virtual memory, open and max fds, start
  time) are read from ``/proc/<pid>/`` of each live process at scrape time, with
  prometheus_client's own :class:`~prometheus_client.ProcessCollector` (one per pid, its
  ``pid`` argument exists for this); workers write nothing. Its families are unlabelled,
  so they are relabelled with ``pid`` here.
* ``python_gc_*`` can only be known inside each process: a ``gc.callbacks`` hook adds
  up collections, collected and uncollectable objects and the time spent collecting
  (``python_gc_pause_seconds_total``, which prometheus_client has no figure for) per
  generation, and a daemon thread writes them into the process's counter file once a
  second, with a ``pid`` label (no extra file per worker; compaction drops them when the
  process is gone instead of folding them into the archive). The hook never
  writes itself: prometheus_client's multiprocess values share one non-reentrant lock
  (``values.py``), and a collection can start while a thread holds it.

The processes are those whose files are in the directory (every worker that recorded a
metric or started the GC recorder), the scraping process itself, and the gunicorn master
(or the supervisor of uvicorn's workers, :mod:`.workers`) when the scrape runs in it or in
one of its workers. A pid that is gone has no series.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Iterable
from typing import Any

from prometheus_client import Counter, ProcessCollector
from prometheus_client.metrics_core import Metric

from .workers import SUPERVISOR_ENV

__all__ = [
    "FLUSH_INTERVAL",
    "INTERNAL_PREFIX",
    "ProcessMetrics",
    "flush",
    "install_gc_recorder",
    "master_pid",
]

#: Seconds between two writes of a process's GC figures to its multiprocess file.
FLUSH_INTERVAL = 1.0

#: Set by ``axiomod.gunicorn_config`` in the master (and inherited by its workers).
MASTER_ENV = "AXIOMOD_GUNICORN_MASTER"

#: Prefix of the internal counters; :func:`axiomod_metrics.multiprocess.compact` drops
#: them with their process (a per-pid figure must not outlive it in the archive).
INTERNAL_PREFIX = "axiomod_process_"

# Internal counter name -> (exported counter family, help).
_GC_FAMILIES = {
    "axiomod_process_gc_collections": (
        "python_gc_collections",
        "Number of times this generation was collected",
    ),
    "axiomod_process_gc_collected": ("python_gc_objects_collected", "Objects collected during gc"),
    "axiomod_process_gc_uncollectable": (
        "python_gc_objects_uncollectable",
        "Uncollectable objects found during GC",
    ),
    "axiomod_process_gc_seconds": (
        "python_gc_pause_seconds",
        "Time spent in garbage collection, by generation",
    ),
}
_GENERATIONS = 3


class _GcRecorder:
    """Per-process GC totals: added up by the ``gc.callbacks`` hook, written by a thread."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        # [collections, collected, uncollectable, seconds] per generation.
        self.totals = [[0, 0, 0, 0.0] for _ in range(_GENERATIONS)]
        self.written: list[list[float]] | None = None
        self.started = 0.0
        self.lock = threading.Lock()
        self.counters: list[list[Any]] | None = None
        self.thread: threading.Thread | None = None

    def on_gc(self, phase: str, info: dict[str, int]) -> None:
        # Runs inside every collection: plain arithmetic only (no lock, no I/O).
        if phase == "start":
            self.started = time.perf_counter()
            return
        totals = self.totals[info["generation"]]
        totals[0] += 1
        totals[1] += info["collected"]
        totals[2] += info["uncollectable"]
        totals[3] += time.perf_counter() - self.started

    def flush(self) -> None:
        with self.lock:
            snapshot = [list(t) for t in self.totals]
            if snapshot == self.written:
                return
            if self.counters is None:
                pid = str(self.pid)
                self.counters = [
                    [
                        Counter(name, name, ["generation", "pid"], registry=None).labels(
                            str(generation), pid
                        )
                        for name in _GC_FAMILIES
                    ]
                    for generation in range(_GENERATIONS)
                ]
                self.written = [[0, 0, 0, 0.0] for _ in range(_GENERATIONS)]
            assert self.written is not None
            for children, values, before in zip(self.counters, snapshot, self.written, strict=True):
                for child, value, old in zip(children, values, before, strict=True):
                    if value != old:
                        child.inc(value - old)
            self.written = snapshot

    def run(self) -> None:
        while True:
            time.sleep(FLUSH_INTERVAL)
            self.flush()

    def start_thread(self) -> None:
        self.thread = threading.Thread(target=self.run, name="axiomod-gc-metrics", daemon=True)
        self.thread.start()


_recorder: _GcRecorder | None = None


def _on_gc(phase: str, info: dict[str, int]) -> None:
    recorder = _recorder
    if recorder is not None:
        recorder.on_gc(phase, info)


def _before_fork() -> None:
    if _recorder is not None:
        _recorder.lock.acquire()  # no fork in the middle of a write (it holds a lock)


def _after_fork_in_parent() -> None:
    if _recorder is not None:
        _recorder.lock.release()


def _after_fork_in_child() -> None:
    """A fresh recorder per worker (--preload, Celery prefork): its own totals and thread."""
    global _recorder
    if _recorder is not None:
        _recorder = _GcRecorder()
        _recorder.flush()
        _recorder.start_thread()


def install_gc_recorder() -> None:
    """Record this process's (and its forked children's) GC figures; idempotent.

    Only for multiprocess mode: otherwise prometheus_client's own ``GCCollector`` and
    ``ProcessCollector`` in the default registry already export this process's figures.
    """
    global _recorder
    if _recorder is not None and _recorder.pid == os.getpid():
        return
    first = _recorder is None
    _recorder = _GcRecorder()
    if first:
        gc.callbacks.append(_on_gc)
        os.register_at_fork(
            before=_before_fork,
            after_in_parent=_after_fork_in_parent,
            after_in_child=_after_fork_in_child,
        )
    _recorder.flush()  # the series exist from the start, before any collection
    _recorder.start_thread()


def flush() -> None:
    """Write this process's GC figures now (the thread does it every second)."""
    if _recorder is not None and _recorder.pid == os.getpid():
        _recorder.flush()


def master_pid() -> int | None:
    """The gunicorn master's pid, if this process is the master or one of its workers;
    else the supervisor of workers switched by :mod:`.workers` (uvicorn's), likewise."""
    for env in (MASTER_ENV, SUPERVISOR_ENV):
        value = os.environ.get(env, "")
        if value.isdigit() and int(value) in (os.getpid(), os.getppid()):
            return int(value)
    return None


class ProcessMetrics:
    """Builds the per-pid families at scrape time (one ``ProcessCollector`` per pid)."""

    def __init__(self) -> None:
        self._collectors: dict[int, ProcessCollector] = {}

    def _collector(self, pid: int) -> ProcessCollector:
        collector = self._collectors.get(pid)
        if collector is None:
            # Its constructor reads /proc/stat (boot time): once per pid, not per scrape.
            collector = ProcessCollector(pid=lambda pid=pid: pid, registry=None)
            self._collectors[pid] = collector
        return collector

    def export(self, families: Iterable[Metric], pids: set[int]) -> list[Metric]:
        """``families`` with the GC gauges turned into counters, plus ``process_*`` per pid."""
        out: list[Metric] = []
        gc_families: dict[str, Metric] = {}
        for family in families:
            target = _GC_FAMILIES.get(family.name)
            if target is None:
                out.append(family)
                continue
            counter = gc_families.get(family.name)
            if counter is None:
                counter = gc_families[family.name] = Metric(target[0], target[1], "counter")
            for s in family.samples:
                if int(s.labels.get("pid", 0)) in pids:
                    counter.add_sample(target[0] + "_total", s.labels, s.value)
        out.extend(gc_families.values())
        out.extend(self._process_families(pids))
        return out

    def _process_families(self, pids: set[int]) -> list[Metric]:
        for gone in set(self._collectors) - pids:
            del self._collectors[gone]
        merged: dict[str, Metric] = {}
        for pid in sorted(pids):
            label = {"pid": str(pid)}
            # Empty when the process exited since it was listed: no series for it.
            for family in self._collector(pid).collect():
                target = merged.get(family.name)
                if target is None:
                    target = merged[family.name] = Metric(
                        family.name, family.documentation, family.type
                    )
                for s in family.samples:
                    target.add_sample(s.name, label, s.value)
        return list(merged.values())
