"""Multiprocess metrics for servers that start workers without axiomod's gunicorn hooks.

``uvicorn --workers N`` (and hypercorn's ``--workers``) start each worker with
``multiprocessing``'s "spawn": the supervisor never imports the application, so nothing
runs there that could set ``PROMETHEUS_MULTIPROC_DIR`` and prepare the directory, as
``axiomod.gunicorn_config`` does in gunicorn's master. Without it each worker counts
alone and a scrape shows whichever worker answers it (issue #24: two requests sent, one
counted). gunicorn run *without* ``-c python:axiomod.gunicorn_config`` (say with
``-k uvicorn_worker.UvicornWorker``) has the same problem.

So each worker switches itself, in :func:`enable_for_this_worker`, which the composition
root (``axiomod.asgi``/``axiomod.wsgi``) calls before ``django.setup()`` imports
prometheus_client (its value class, in-memory or one file per process, is chosen when
it is imported):

* **Which processes.** One started by a ``multiprocessing`` parent (uvicorn, hypercorn:
  the supervisor is that parent; uvicorn's ``--reload`` worker excepted, a single process
  by design), or a gunicorn process without axiomod's config (the supervisor is the
  master: the worker's parent, or the process itself when it loads the application with
  ``--preload``). Any other process is a single server process and stays as it is.
* **Which directory.** ``PROMETHEUS_MULTIPROC_DIR`` when set (an ``emptyDir`` in
  Kubernetes), else ``$TMPDIR/axiomod-metrics-<uid>-<supervisor pid>``: the same for
  every worker of one server, different for the next server.
* **Fresh for this run.** The first worker of a run empties the directory of an earlier
  run's files: under an exclusive ``flock``, it compares a run marker (the supervisor's
  pid and start time, and the boot id) with the one in the directory. Workers that
  uvicorn restarts later see the same marker and keep everything, so the counts of a
  worker that died stay (compaction folds them into the archive, :mod:`.multiprocess`).
  A pid alone is not enough: in a container uvicorn is pid 1 on every start.
* **Imported early.** If prometheus_client was imported before the switch (a settings
  module or ``asgi.py`` that imports it), its value class is switched too, as long as no
  metric was created yet; if one was, the worker refuses to start with a message saying
  what to do, rather than undercount silently.

The module imports only the standard library (importing prometheus_client here would
defeat its purpose). Looked at first: prometheus_client has no helper for choosing or
preparing the directory (its docs tell the user to wipe it between runs, by hand);
uvicorn and hypercorn have no hook that runs in the supervisor.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import multiprocessing
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "ENV",
    "LOCK_FILE",
    "PORT_LOCK_FILE",
    "SUPERVISOR_ENV",
    "alive",
    "enable_for_this_worker",
    "locked",
    "run_key",
    "start_run",
    "supervisor",
    "warn_if_forked_while_single_process",
]

logger = logging.getLogger("axiomod.metrics")

ENV = "PROMETHEUS_MULTIPROC_DIR"
#: The pid of the process whose workers share the directory (set by the switch, read by
#: :func:`axiomod_metrics.process.master_pid` so the scrape shows its process figures).
SUPERVISOR_ENV = "AXIOMOD_METRICS_SUPERVISOR"
#: Set by ``axiomod.gunicorn_config`` in gunicorn's master: there the hooks do it all.
GUNICORN_MASTER_ENV = "AXIOMOD_GUNICORN_MASTER"
#: Taken shared by scrapes, exclusive by compaction and by the start of a run.
LOCK_FILE = ".axiomod.lock"
#: Held by the process serving ``AXIOMOD["metrics"]["port"]`` (:mod:`.exposition`).
PORT_LOCK_FILE = ".axiomod-port.lock"
RUN_FILE = ".axiomod-run"
DEFAULT_PREFIX = "axiomod-metrics-"


@contextlib.contextmanager
def locked(path: str, exclusive: bool) -> Iterator[None]:
    """An ``flock`` on the directory's lock file, for as long as the block runs."""
    with open(os.path.join(path, LOCK_FILE), "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (another user's process counts: it exists)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _on_stack(module: str, qualname: str) -> bool:
    """Whether ``module.qualname`` (a function) is running further up this stack."""
    target: Any = sys.modules.get(module)
    for part in qualname.split("."):
        target = getattr(target, part, None)
    code = getattr(target, "__code__", None)
    if code is None:
        return False
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code is code:
            return True
        frame = frame.f_back
    return False


def _gunicorn_master() -> int | None:
    """gunicorn's master pid when this is gunicorn run without axiomod's config module.

    The application loads either in a worker (forked by the master: its parent) or, with
    ``--preload``, in the master itself, from ``Arbiter.setup``; which one is read from
    the stack, as gunicorn sets nothing a worker could tell the two apart by (its
    ``SERVER_SOFTWARE`` is set in both, ``GUNICORN_PID`` only on re-exec).
    """
    if "gunicorn.arbiter" not in sys.modules or os.environ.get(GUNICORN_MASTER_ENV):
        return None
    if _gunicorn_workers() == 1:
        # One worker serves alone: single-process mode is exact and keeps exemplars, which
        # multiprocess mode drops (the observability guide's advice for exemplars).
        return None
    return os.getpid() if _on_stack("gunicorn.arbiter", "Arbiter.setup") else os.getppid()


def _gunicorn_workers() -> int | None:
    """``--workers`` of the gunicorn loading the application, read from its config.

    The worker's ``init_process`` (or, with ``--preload``, the arbiter's ``setup``) is on
    this stack with gunicorn's ``cfg`` on ``self``; None when it cannot be read (then the
    process is treated as one of several, which is always safe).
    """
    package = getattr(sys.modules.get("gunicorn"), "__file__", None)
    if package is None:
        return None
    directory = os.path.dirname(package) + os.sep
    frame = sys._getframe(1)
    while frame is not None:
        cfg = getattr(frame.f_locals.get("self"), "cfg", None)
        if frame.f_code.co_filename.startswith(directory) and cfg is not None:
            workers = getattr(cfg, "workers", None)
            return workers if isinstance(workers, int) else None
        frame = frame.f_back
    return None


def supervisor() -> tuple[int, str] | None:
    """(pid, server) of the process whose workers must share one directory, or None.

    None for a single server process, and under gunicorn with axiomod's config (its
    master prepares everything).
    """
    if os.environ.get(GUNICORN_MASTER_ENV):
        return None
    master = _gunicorn_master()
    if master is not None:
        return master, "gunicorn without axiomod.gunicorn_config"
    if _on_stack("hypercorn.run", "run"):
        # hypercorn's supervisor loads the application itself with --reload (to watch its
        # files): it switches too, so its serving_started elects it for the metrics port,
        # which it then serves with every worker's numbers.
        return os.getpid(), "hypercorn --workers"
    parent = multiprocessing.parent_process()
    if parent is None or parent.pid is None:
        return None
    # uvicorn passes its Config to the worker (Process kwargs, private but stable since
    # 0.x): its --reload runs one worker at a time, a single process by design. Should the
    # attribute go away, the worker is simply treated as one of several, which is safe.
    config = (getattr(multiprocessing.current_process(), "_kwargs", None) or {}).get("config")
    if getattr(config, "should_reload", False):
        return None
    if "uvicorn" in sys.modules:
        return parent.pid, "uvicorn --workers"
    if "hypercorn" in sys.modules:
        return parent.pid, "hypercorn --workers"
    return parent.pid, "multiprocessing workers"


def run_key(pid: int) -> str:
    """What tells one run of a supervisor from another: boot id, pid, start time."""
    parts = [str(pid)]
    with contextlib.suppress(OSError):
        parts.insert(0, Path("/proc/sys/kernel/random/boot_id").read_text().strip())
    with contextlib.suppress(OSError, IndexError):
        # Field 22 of /proc/<pid>/stat (clock ticks since boot); after the ")" of the
        # command name, which may itself hold spaces.
        stat = Path(f"/proc/{pid}/stat").read_text()
        parts.append(stat.rsplit(")", 1)[1].split()[19])
    return " ".join(parts)


def _check_private(path: Path) -> None:
    """A directory under the shared temp dir must be ours: not a symlink, not another's."""
    info = path.lstat()
    if path.is_symlink() or info.st_uid != os.getuid():
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            f"{path} belongs to another user or is a symlink; axiomod will not write the "
            f"workers' metrics there. Set {ENV} to a directory of this service's own."
        )


def start_run(path: str, key: str) -> bool:
    """Make ``path`` this run's directory; True when it emptied an earlier run's files.

    Every worker calls it; the first one of a run (the marker differs) empties the
    directory, under the exclusive lock that scrapes and compactions also take.
    """
    Path(path).mkdir(mode=0o700, parents=True, exist_ok=True)
    with locked(path, exclusive=True):
        marker = Path(path, RUN_FILE)
        with contextlib.suppress(OSError):
            if marker.read_text() == key:
                return False
        for child in Path(path).iterdir():
            if child.name == LOCK_FILE:
                continue  # held right now
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
        marker.write_text(key)
        return True


def _remove_dead_default_dirs(keep: Path) -> None:
    """Default directories of supervisors that are gone: nothing stops them otherwise."""
    prefix = f"{DEFAULT_PREFIX}{os.getuid()}-"
    for candidate in keep.parent.glob(prefix + "*"):
        pid = candidate.name[len(prefix) :]
        if candidate == keep or not pid.isdigit() or alive(int(pid)):
            continue
        with contextlib.suppress(OSError):
            _check_private(candidate)
            shutil.rmtree(candidate)


def _metrics_installed() -> bool:
    """Whether ``axiomod_metrics`` is in ``INSTALLED_APPS`` (read before the apps load)."""
    from django.conf import settings

    try:
        names = list(settings.INSTALLED_APPS)
    except Exception:  # no settings: django.setup() reports it, right after
        return False
    return any(name == "axiomod_metrics" or name.startswith("axiomod_metrics.") for name in names)


def _prometheus_single_process() -> bool:
    """Whether prometheus_client was imported already, with in-memory values."""
    values = sys.modules.get("prometheus_client.values")
    return values is not None and values.ValueClass is values.MutexValue


#: What prometheus_client's default registry holds before any metric is created.
_OWN_FAMILIES = ("process_", "python_gc_", "python_info")


def _switch_imported_prometheus(pid: int, server: str) -> None:
    """prometheus_client is imported already (a settings module, the top of ``asgi.py``):
    switch its value class now, if no metric holds an in-memory value yet.

    A metric reads ``prometheus_client.values.ValueClass`` when it is created (0.26,
    ``metrics.py``), and ``values.get_value_class()`` is what its import ran: calling it
    again with the variable set is that import, a little later. Metrics already created
    would stay in memory, invisible to the scrape: then refuse to start, naming them.
    """
    from prometheus_client import REGISTRY, values

    created = sorted(
        family.name for family in REGISTRY.collect() if not family.name.startswith(_OWN_FAMILIES)
    )
    if created:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            f"This process is one of several workers ({server}, supervisor pid {pid}), "
            "but metrics were created before axiomod could switch prometheus_client to "
            f"multiprocess mode ({', '.join(created[:5])}): they would count in this "
            "worker alone. Set "
            f"{ENV} to an empty directory in the server's environment, or create metrics "
            "only once the application is loaded (axiomod_metrics.counter() etc. in your "
            "modules are fine: they are created lazily)."
        )
    values.ValueClass = values.get_value_class()


def enable_for_this_worker() -> str | None:
    """Switch this worker to multiprocess mode in its server's directory; the directory.

    Call before ``django.setup()``. Does nothing (None) in a single server process,
    under gunicorn with axiomod's config, or once the apps are loaded (a second load in
    one process changes nothing). Raises ``ImproperlyConfigured`` when metrics were
    created, in memory, before this worker could switch.
    """
    from django.apps import apps

    found = supervisor()
    if found is None or apps.ready or not _metrics_installed():
        return None
    pid, server = found
    path = os.environ.get(ENV)
    default = not path
    if default:
        path = os.path.join(tempfile.gettempdir(), f"{DEFAULT_PREFIX}{os.getuid()}-{pid}")
        os.environ[ENV] = path
    os.environ[SUPERVISOR_ENV] = str(pid)
    if default and Path(path).exists():
        _check_private(Path(path))
    if start_run(path, run_key(pid)):
        logger.info("metrics: %s, multiprocess mode in %s (emptied for this run)", server, path)
        if default:
            _remove_dead_default_dirs(Path(path))
    if _prometheus_single_process():
        _switch_imported_prometheus(pid, server)
    return path


_fork_warning = False


def _forked_in_single_process_mode() -> None:
    if os.environ.get(ENV):
        return
    logger.warning(
        "metrics: process %s was forked from process %s, which loaded the application "
        "with prometheus_client in single-process mode. If the forked processes serve "
        "requests, each counts alone and a scrape shows one of them: run gunicorn with "
        "-c python:axiomod.gunicorn_config, or set %s to an empty directory before the "
        "server starts.",
        os.getpid(),
        os.getppid(),
        ENV,
    )


def warn_if_forked_while_single_process() -> None:
    """Warn in each child this serving process forks while not in multiprocess mode.

    A pre-fork server that loads the application before forking (uWSGI without
    ``lazy-apps``, a hand-made one) would otherwise undercount silently.
    """
    global _fork_warning
    if _fork_warning or os.environ.get(ENV):
        return
    _fork_warning = True
    os.register_at_fork(after_in_child=_forked_in_single_process_mode)
