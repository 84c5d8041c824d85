"""prometheus_client multiprocess mode, with dead workers' files compacted.

With gunicorn, uvicorn's ``--workers`` (:mod:`.workers`) or Celery prefork, each worker
process writes its samples to ``$PROMETHEUS_MULTIPROC_DIR/<type>_<pid>.db`` and a scrape
merges every file. Upstream,
the files of dead workers stay for ever (``mark_process_dead`` removes only the
``live*`` gauge files), so with ``max_requests`` restarts a directory collects thousands
of files and scrapes slow down to seconds (prometheus/client_python#568 and #443).

Here a scrape first folds the files of processes that no longer exist into one
``*_archive.db`` file per type (counters, histograms and summaries are added up; ``sum``,
``max``, ``min`` and ``mostrecent`` gauges are combined the way the collector would;
``all`` and ``live*`` gauges of dead processes are dropped, as they describe a process
that is gone). Totals do not change, so Prometheus sees no counter reset, and the number
of files stays at about one per live process. Scrapes and compaction take an ``flock``
on the directory (shared and exclusive) so a scrape never sees a half-moved worker.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
from pathlib import Path

from prometheus_client import CollectorRegistry
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

from . import process
from .workers import alive as _alive
from .workers import locked as _locked

__all__ = [
    "ENV",
    "CompactingCollector",
    "compact",
    "directory",
    "is_enabled",
    "live_pids",
    "mark_dead",
    "mark_stopped",
    "prepare_directory",
    "scrape_registry",
]

ENV = "PROMETHEUS_MULTIPROC_DIR"
ARCHIVE = "archive"
# mmap keys are JSON lists that start with the metric name (prometheus_client's mmap_key).
_PER_PROCESS_KEY = '["' + process.INTERNAL_PREFIX


def directory() -> str | None:
    return os.environ.get(ENV) or None


def is_enabled() -> bool:
    return directory() is not None


def _file_pid(name: str) -> int | None:
    stem = name[:-3] if name.endswith(".db") else name
    tail = stem.rsplit("_", 1)[-1]
    return int(tail) if tail.isdigit() else None


def _written(files: list[str]) -> list[str]:
    """The files a reader can parse: a worker creating one leaves it empty for a moment.

    prometheus_client's ``MmapedDict`` opens the file, then grows it to its initial size;
    a scrape (or a compaction) that lists the directory in between finds zero bytes, and
    ``read_all_values_from_file`` fails on them with ``struct.error``. Such a file holds
    no sample yet, so skipping it loses nothing.
    """
    written = []
    for file in files:
        with contextlib.suppress(FileNotFoundError):
            if os.path.getsize(file) >= 8:  # the "used" header mmap_dict reads first
                written.append(file)
    return written


def _dead_files(path: str) -> list[str]:
    dead = []
    for file in glob.glob(os.path.join(path, "*.db")):
        pid = _file_pid(os.path.basename(file))
        if pid is not None and pid != os.getpid() and not _alive(pid):
            dead.append(file)
    return dead


def _combine(typ: str, mode: str | None, old: float, old_ts: float, new: float, new_ts: float):
    if typ != "gauge" or mode == "sum":
        return old + new, max(old_ts, new_ts)
    if mode == "max":
        return max(old, new), max(old_ts, new_ts)
    if mode == "min":
        return min(old, new), max(old_ts, new_ts)
    # mostrecent
    return (new, new_ts) if new_ts >= old_ts else (old, old_ts)


def _archive_name(name: str) -> str | None:
    """``counter_123.db`` -> ``counter_archive.db``; None for files that are dropped."""
    parts = name[:-3].split("_")
    typ = parts[0]
    if typ == "gauge":
        mode = parts[1]
        if mode.startswith("live") or mode == "all":
            return None
        return f"gauge_{mode}_{ARCHIVE}.db"
    return f"{typ}_{ARCHIVE}.db"


def compact(path: str | None = None) -> int:
    """Fold the files of dead processes into the archive files; returns how many went."""
    path = path or directory()
    if not path or not os.path.isdir(path):
        return 0
    with _locked(path, exclusive=True):
        dead = _dead_files(path)
        by_archive: dict[str | None, list[str]] = {}
        for file in dead:
            by_archive.setdefault(_archive_name(os.path.basename(file)), []).append(file)
        for archive_name, files in by_archive.items():
            if archive_name is not None:
                _fold(os.path.join(path, archive_name), files)
            for file in files:
                os.remove(file)
        return len(dead)


def _fold(archive_path: str, files: list[str]) -> None:
    parts = os.path.basename(archive_path)[:-3].split("_")
    typ, mode = parts[0], (parts[1] if parts[0] == "gauge" else None)
    archive = MmapedDict(archive_path)
    try:
        existing = {key: (value, ts) for key, value, ts in archive.read_all_values()}
        for file in _written(files):
            for key, value, ts, _ in MmapedDict.read_all_values_from_file(file):
                if key.startswith(_PER_PROCESS_KEY):
                    continue  # a dead process's own figures (process.py) go with it
                if key in existing:
                    value, ts = _combine(typ, mode, *existing[key], value, ts)
                existing[key] = (value, ts)
                archive.write_value(key, value, ts)
    finally:
        archive.close()


def mark_dead(pid: int, path: str | None = None) -> None:
    """gunicorn ``child_exit``: drop the worker's live gauges and compact its files."""
    path = path or directory()
    if not path:
        return
    mark_process_dead(pid, path)
    compact(path)


def mark_stopped() -> None:
    """This process stops serving (``serving_stopped``): drop its live gauges now.

    Under gunicorn the master does it in ``child_exit``; uvicorn's supervisor runs no code
    of ours, so a worker does it for itself as it stops cleanly. Its other files stay
    until a scrape finds the process gone and folds them into the archive (a killed
    worker's live gauges go the same way, at that scrape). Its in-progress and health
    gauges (``livesum``, ``livemostrecent``) would otherwise count until then.
    """
    path = directory()
    if path and os.path.isdir(path):
        mark_process_dead(os.getpid(), path)


def prepare_directory(path: str | None = None) -> str | None:
    """Create the directory, emptied of an earlier run's files; call before workers start.

    A directory that survives a restart (a Kubernetes ``emptyDir`` outlives container
    restarts) would otherwise add the previous run's counts to the new ones.
    """
    path = path or directory()
    if not path:
        return None
    target = Path(path)
    target.mkdir(parents=True, exist_ok=True)
    for child in target.iterdir():
        if child.is_dir():
            shutil.rmtree(child)
        else:
            child.unlink()
    return path


def live_pids(files: list[str]) -> set[int]:
    """The processes a scrape reports ``process_*`` metrics for (see :mod:`.process`).

    Those with files in the directory (gunicorn and Celery workers alike: no server API
    needed, and what the files say is what the scrape shows), this one, and the gunicorn
    master when this is it or one of its workers.
    """
    pids = {os.getpid()}
    for file in files:
        pid = _file_pid(os.path.basename(file))
        if pid is not None and pid not in pids and _alive(pid):
            pids.add(pid)
    master = process.master_pid()
    if master is not None:
        pids.add(master)
    return pids


class CompactingCollector(MultiProcessCollector):
    """``MultiProcessCollector`` that compacts first and reads under a shared lock.

    With ``process_metrics`` (the default) it also exports ``process_*`` and
    ``python_gc_*`` for every live process, labelled ``pid`` (:mod:`.process`).
    """

    def __init__(
        self, registry: CollectorRegistry | None, path: str | None = None, *,
        process_metrics: bool = True,
    ) -> None:  # fmt: skip
        super().__init__(registry, path=path)
        self._process = process.ProcessMetrics() if process_metrics else None

    def collect(self):  # type: ignore[override]
        if self._process is not None:
            process.flush()  # this process's GC figures, current to the scrape
        compact(self._path)
        with _locked(self._path, exclusive=False):
            files = _written(glob.glob(os.path.join(self._path, "*.db")))
            families = list(self.merge(files, accumulate=True))
        if self._process is None:  # workers may still record their GC figures: not shown
            return [f for f in families if not f.name.startswith(process.INTERNAL_PREFIX)]
        return self._process.export(families, live_pids(files))


_scrape_registry: tuple[str, CollectorRegistry] | None = None


def scrape_registry() -> CollectorRegistry | None:
    """The registry a scrape must read in multiprocess mode (every worker's samples).

    None outside multiprocess mode, where the process's own default registry is right.
    """
    global _scrape_registry
    path = directory()
    if path is None:
        return None
    if _scrape_registry is None or _scrape_registry[0] != path:
        registry = CollectorRegistry()
        CompactingCollector(registry, path=path)
        _scrape_registry = (path, registry)
    return _scrape_registry[1]
