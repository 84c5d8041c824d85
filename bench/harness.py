"""The pieces every axiomod benchmark is built from.

Measuring rules (see ``bench/README.md``): variants of one comparison take turns in the
same run (:func:`interleave`), results are reported as ratios to a baseline measured in
that run (:class:`Figure`), and no timing is ever asserted in a test. Server-side cost of
a load test is read from ``/proc`` (:func:`cpu_time_of`), not inferred from requests per
second, because the load generator shares the machine's two cores.

A benchmark is a function registered with :func:`benchmark` that takes the run's
:class:`Options` and yields :class:`Figure` objects; its module is listed in
``bench.BENCHMARKS`` so that ``python -m bench NAME`` imports only what it needs.
"""

from __future__ import annotations

import gc
import importlib
import importlib.metadata
import itertools
import json
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from axiomod.testing.samples import percentile

__all__ = [
    "Figure",
    "Options",
    "Registered",
    "Stmt",
    "Timing",
    "UnknownBenchmarkError",
    "Variant",
    "benchmark",
    "compare",
    "cpu_ns_of",
    "cpu_time_of",
    "environment",
    "format_seconds",
    "interleave",
    "load",
    "note",
    "registered",
]

REPO_ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- figures


def _finite_or_none(value: object) -> object:
    """JSON has no inf/nan: write them as null (recursively through dicts and lists)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _finite_or_none(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite_or_none(v) for v in value]
    return value


def _ratio(candidate: float, baseline: float) -> float:
    if baseline == 0:
        return math.nan if candidate == 0 else math.copysign(math.inf, candidate)
    return candidate / baseline


@dataclass(frozen=True)
class Figure:
    """One result: a candidate measured against a baseline in the same run.

    ``ratio`` is derived: ``candidate / baseline`` (above 1 means the candidate costs
    more). ``unit`` says what ``baseline`` and ``candidate`` are, e.g. ``"s/call"``
    (seconds per call) or ``"s/request"`` (server CPU seconds per request).
    """

    name: str
    baseline: float
    candidate: float
    ratio: float = field(init=False)
    unit: str
    baseline_name: str | None = None
    candidate_name: str | None = None
    extra: dict[str, object] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "baseline", float(self.baseline))
        object.__setattr__(self, "candidate", float(self.candidate))
        object.__setattr__(self, "ratio", _ratio(self.candidate, self.baseline))

    @classmethod
    def from_timings(
        cls,
        name: str,
        baseline: Timing,
        candidate: Timing,
        *,
        stat: str = "median",
        extra: Mapping[str, object] | None = None,
    ) -> Figure:
        """A figure comparing two :class:`Timing` results by ``stat`` (median, best, p99).

        ``extra`` gets the other statistics of both sides too, so a reader can tell a
        steady result from a noisy one.
        """
        if stat not in Timing.STATS:
            raise ValueError(f"stat must be one of {Timing.STATS}, not {stat!r}")
        details: dict[str, object] = {
            "stat": stat,
            "number": candidate.number,
            "rounds": candidate.rounds,
        }
        for side, timing in (("baseline", baseline), ("candidate", candidate)):
            for other in Timing.STATS:
                if other != stat:
                    details[f"{side}_{other}"] = getattr(timing, other)
        details["ratio_best"] = _ratio(candidate.best, baseline.best)
        details.update(extra or {})
        return cls(
            name=name,
            baseline=getattr(baseline, stat),
            candidate=getattr(candidate, stat),
            unit="s/call",
            baseline_name=baseline.name,
            candidate_name=candidate.name,
            extra=details,
        )

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "name": self.name,
            "baseline": self.baseline,
            "candidate": self.candidate,
            "ratio": self.ratio,
            "unit": self.unit,
        }
        if self.baseline_name is not None:
            data["baseline_name"] = self.baseline_name
        if self.candidate_name is not None:
            data["candidate_name"] = self.candidate_name
        if self.extra:
            data["extra"] = dict(self.extra)
        return data

    def to_json(self) -> str:
        """One JSON object on one line; non-finite numbers are written as ``null``."""
        return json.dumps(_finite_or_none(self.as_dict()), allow_nan=False, default=str)

    def describe(self) -> str:
        """A line for humans (stderr)."""

        def value(v: float) -> str:
            return format_seconds(v) if self.unit.startswith("s") else f"{v:.4g}"

        unit = self.unit.partition("/")[2]
        per = f" per {unit}" if unit else ""
        ratio = f"{self.ratio:.3g}x" if math.isfinite(self.ratio) else "n/a"
        left = self.baseline_name or "baseline"
        right = self.candidate_name or "candidate"
        return (
            f"{self.name}: {ratio}  ({right}: {value(self.candidate)}{per}"
            f" vs {left}: {value(self.baseline)}{per})"
        )


def format_seconds(seconds: float) -> str:
    """``1.23e-07`` -> ``"123 ns"``; picks ns, µs, ms or s."""
    if not math.isfinite(seconds):
        return str(seconds)
    magnitude = abs(seconds)
    for scale, suffix in ((1e-6, "ns"), (1e-3, "µs"), (1.0, "ms")):
        if magnitude < scale:
            return f"{seconds / scale * 1e3:.3g} {suffix}"
    return f"{seconds:.3g} s"


# --------------------------------------------------------------------------- timing


@dataclass(frozen=True)
class Timing:
    """What :func:`interleave` measured for one variant.

    ``per_call`` holds one figure per measured round, in round order: the round's
    elapsed time divided by ``number`` (seconds per call). The statistics are taken
    across rounds.
    """

    STATS = ("median", "best", "p99")

    name: str
    number: int
    per_call: tuple[float, ...]

    @property
    def rounds(self) -> int:
        return len(self.per_call)

    @property
    def median(self) -> float:
        return statistics.median(self.per_call)

    @property
    def best(self) -> float:
        return min(self.per_call)

    @property
    def worst(self) -> float:
        return max(self.per_call)

    @property
    def p99(self) -> float:
        """99th percentile across rounds (nearest rank: the worst round below 100 rounds)."""
        return self.percentile(99)

    def percentile(self, percent: float) -> float:
        return percentile(self.per_call, percent)


@dataclass(frozen=True)
class Variant:
    """A callable to time plus an untimed ``setup`` hook run before each of its rounds."""

    func: Callable[[], object]
    setup: Callable[[], object] | None = None


@dataclass(frozen=True)
class Stmt:
    """A statement compiled into the timing loop, like :mod:`timeit` does.

    For operations of a few nanoseconds (an attribute read) the cost of calling a
    function per iteration would dominate; a compiled statement costs only the loop.
    ``prelude`` runs inside the compiled function before the clock starts (bind names
    to locals there: ``prelude="s = settings"``); ``globals`` are the names ``code`` and
    ``prelude`` see; ``setup`` is an untimed hook run before each round, as in
    :class:`Variant`.
    """

    code: str
    globals: Mapping[str, object] = field(default_factory=dict)
    prelude: str = ""
    setup: Callable[[], object] | None = None


Runner = Callable[[int], int]  # number of calls -> elapsed nanoseconds
Timer = Callable[[], int]


def _callable_runner(func: Callable[[], object], timer: Timer) -> Runner:
    def run(number: int) -> int:
        calls = itertools.repeat(None, number)
        start = timer()
        for _ in calls:
            func()
        return timer() - start

    return run


def _stmt_runner(name: str, stmt: Stmt, timer: Timer) -> Runner:
    code = textwrap.dedent(stmt.code).strip() or "pass"
    prelude = textwrap.dedent(stmt.prelude).strip() or "pass"
    source = (
        "def _bench_inner(_bench_calls, _bench_timer):\n"
        f"{textwrap.indent(prelude, '    ')}\n"
        "    _bench_start = _bench_timer()\n"
        "    for _bench_i in _bench_calls:\n"
        f"{textwrap.indent(code, '        ')}\n"
        "    return _bench_timer() - _bench_start\n"
    )
    namespace = dict(stmt.globals)
    exec(compile(source, f"<bench variant {name!r}>", "exec"), namespace)
    inner = namespace["_bench_inner"]

    def run(number: int) -> int:
        return inner(itertools.repeat(None, number), timer)

    return run


def _runner(name: str, variant: object, timer: Timer) -> tuple[Runner, Callable | None]:
    if isinstance(variant, Stmt):
        return _stmt_runner(name, variant, timer), variant.setup
    if isinstance(variant, Variant):
        return _callable_runner(variant.func, timer), variant.setup
    if callable(variant):
        return _callable_runner(variant, timer), None
    raise TypeError(f"variant {name!r} must be a callable, Variant or Stmt, not {variant!r}")


def interleave(
    variants: Mapping[str, Callable[[], object] | Variant | Stmt],
    *,
    number: int,
    rounds: int,
    warmup: int = 1,
    order: str = "rotate",
    seed: int | None = None,
    disable_gc: bool = False,
    timer: Timer = time.perf_counter_ns,
) -> dict[str, Timing]:
    """Time the variants taking turns: each round runs every variant ``number`` times.

    Rounds go one after another, so every variant sees the same machine conditions
    (frequency steps, a neighbour's load) in the same proportion. The order within a
    round changes every round: ``"rotate"`` (default) shifts it by one, so with ``k``
    variants and a multiple of ``k`` rounds each variant is first equally often;
    ``"shuffle"`` draws it at random (``seed`` makes that repeatable). The first
    ``warmup`` rounds run the same way and are discarded.

    A variant is a callable (called ``number`` times), a :class:`Variant` (a callable
    with an untimed per-round ``setup`` hook) or a :class:`Stmt` (a statement compiled
    into the loop, for operations too small to afford a call). The garbage collector
    stays enabled unless ``disable_gc`` (a variant that makes garbage honestly pays for
    it); ``timer`` is :func:`time.perf_counter_ns`.
    """
    if not variants:
        raise ValueError("no variants to time")
    if number < 1 or rounds < 1 or warmup < 0:
        raise ValueError("number and rounds must be >= 1 and warmup >= 0")
    if order not in ("rotate", "shuffle"):
        raise ValueError(f"order must be 'rotate' or 'shuffle', not {order!r}")

    names = list(variants)
    prepared = {name: _runner(name, variants[name], timer) for name in names}
    results: dict[str, list[float]] = {name: [] for name in names}
    rng = random.Random(seed)

    for round_index in range(warmup + rounds):
        if order == "rotate":
            shift = (round_index - warmup) % len(names)
            turn = names[shift:] + names[:shift]
        else:
            turn = names[:]
            rng.shuffle(turn)
        for name in turn:
            run, setup = prepared[name]
            if setup is not None:
                setup()
            gc_was_enabled = gc.isenabled()
            if disable_gc:
                gc.disable()
            try:
                elapsed_ns = run(number)
            finally:
                if disable_gc and gc_was_enabled:
                    gc.enable()
            if round_index >= warmup:
                results[name].append(elapsed_ns / number / 1e9)

    return {name: Timing(name, number, tuple(results[name])) for name in names}


def compare(
    name: str,
    *,
    baseline: tuple[str, Callable[[], object] | Variant | Stmt],
    candidate: tuple[str, Callable[[], object] | Variant | Stmt],
    number: int,
    rounds: int,
    stat: str = "median",
    **interleave_options: object,
) -> Figure:
    """Interleave one baseline and one candidate (``(label, variant)`` pairs): a Figure."""
    (base_label, base), (cand_label, cand) = baseline, candidate
    if base_label == cand_label:
        raise ValueError("baseline and candidate need different labels")
    timings = interleave(
        {base_label: base, cand_label: cand},
        number=number,
        rounds=rounds,
        **interleave_options,  # type: ignore[arg-type]
    )
    return Figure.from_timings(name, timings[base_label], timings[cand_label], stat=stat)


# --------------------------------------------------------------------------- /proc


def _read_stat(pid: int) -> tuple[int, float]:
    """(ppid, utime+stime+cutime+cstime in clock ticks) of one process from /proc."""
    with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
        content = stat.read()
    # Field 2 (comm) is in parentheses and may itself contain spaces or ")".
    fields = content[content.rindex(")") + 2 :].split()
    # fields[0] is field 3 (state); field n of proc(5) is fields[n - 3].
    ppid = int(fields[1])
    utime, stime, cutime, cstime = (int(fields[i]) for i in (11, 12, 13, 14))
    return ppid, utime + stime + cutime + cstime


def _children_map() -> dict[int, list[int]]:
    """ppid -> live child pids, from one pass over /proc.

    ``/proc/<pid>/task/<tid>/children`` would be cheaper but exists only on kernels
    built with CONFIG_PROC_CHILDREN (not these machines).
    """
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            ppid, _ = _read_stat(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile, or not readable
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def cpu_time_of(pids: int | Iterable[int], *, children: bool = True) -> float:
    """CPU seconds (user + system) used so far by ``pids``, from ``/proc/<pid>/stat``.

    Each process counts its own time plus that of its children it has already waited
    for (``cutime``/``cstime``); with ``children=True`` its live descendants are added
    too (a gunicorn master's workers, a Celery parent's pool), each process once. Take
    a reading before and after a load run and divide the difference by the requests
    served: server CPU per request, unaffected by the load generator's share of the
    cores. Resolution is one clock tick (10 ms), so measure over whole seconds.

    A pid given that does not exist raises :class:`ProcessLookupError`; a descendant
    that exits during the reading is skipped.
    """
    roots = [pids] if isinstance(pids, int) else list(pids)
    tick = os.sysconf("SC_CLK_TCK")
    seen: set[int] = set()
    total_ticks = 0.0
    for pid in roots:
        if pid in seen:
            continue
        try:
            _, ticks = _read_stat(pid)
        except FileNotFoundError:
            raise ProcessLookupError(f"no process {pid}") from None
        seen.add(pid)
        total_ticks += ticks
    if children:
        tree = _children_map()
        pending = [child for pid in roots for child in tree.get(pid, ())]
        while pending:
            pid = pending.pop()
            if pid in seen:
                continue
            seen.add(pid)
            try:
                _, ticks = _read_stat(pid)
            except (OSError, ValueError, IndexError):
                continue
            total_ticks += ticks
            pending.extend(tree.get(pid, ()))
    return total_ticks / tick


def _task_ns(pid: int) -> int:
    """On-CPU nanoseconds of every thread of ``pid`` (``/proc/<pid>/task/*/schedstat``)."""
    total = 0
    for task in os.scandir(f"/proc/{pid}/task"):
        try:
            with open(f"{task.path}/schedstat", encoding="ascii") as schedstat:
                total += int(schedstat.read().split()[0])
        except (OSError, ValueError, IndexError):
            continue  # the thread ended meanwhile
    return total


def cpu_ns_of(pids: int | Iterable[int]) -> int:
    """On-CPU nanoseconds of ``pids`` and their live descendants, from schedstat.

    Unlike :func:`cpu_time_of` (clock ticks of 10 ms) this resolves nanoseconds, so a
    few hundred requests suffice to compare servers whose cost differs by 1 %. It does
    not include children already reaped: use it for long-lived workers.
    """
    roots = [pids] if isinstance(pids, int) else list(pids)
    for pid in roots:
        if not os.path.exists(f"/proc/{pid}"):
            raise ProcessLookupError(f"no process {pid}")
    tree = _children_map()
    seen: set[int] = set()
    pending = list(roots)
    total = 0
    while pending:
        pid = pending.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            total += _task_ns(pid)
        except OSError:
            continue
        pending.extend(tree.get(pid, ()))
    return total


# --------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class Options:
    """What the command line asked for; a benchmark picks its sizes with :meth:`sizes`.

    ``extra`` holds arguments given after ``--`` (``python -m bench NAME -- --workers 4``),
    for a benchmark that parses options of its own.
    """

    rounds: int | None = None
    number: int | None = None
    quick: bool = False
    extra: tuple[str, ...] = ()

    def sizes(
        self, *, number: int, rounds: int, quick_number: int, quick_rounds: int
    ) -> tuple[int, int]:
        """(number, rounds): the benchmark's defaults, its ``--quick`` ones, or the CLI's."""
        default_number, default_rounds = (
            (quick_number, quick_rounds) if self.quick else (number, rounds)
        )
        return self.number or default_number, self.rounds or default_rounds


BenchmarkFunc = Callable[[Options], Iterable[Figure]]


@dataclass(frozen=True)
class Registered:
    name: str
    func: BenchmarkFunc
    summary: str

    def run(self, options: Options) -> Iterator[Figure]:
        for figure in self.func(options):
            if not isinstance(figure, Figure):
                raise TypeError(f"benchmark {self.name!r} yielded {figure!r}, not a Figure")
            yield figure


_REGISTRY: dict[str, Registered] = {}


class UnknownBenchmarkError(LookupError):
    pass


def benchmark(name: str, *, summary: str | None = None) -> Callable[[BenchmarkFunc], BenchmarkFunc]:
    """Register ``func(options) -> Iterable[Figure]`` as benchmark ``name``.

    Also list the module in ``bench.BENCHMARKS`` so ``python -m bench NAME`` finds it.
    """

    def register(func: BenchmarkFunc) -> BenchmarkFunc:
        existing = _REGISTRY.get(name)
        if existing is not None and (
            existing.func.__module__,
            existing.func.__qualname__,
        ) != (func.__module__, func.__qualname__):
            raise ValueError(f"benchmark {name!r} is already registered by {existing.func!r}")
        doc = (func.__doc__ or "").strip().splitlines()
        _REGISTRY[name] = Registered(name, func, summary or (doc[0] if doc else ""))
        return func

    return register


def registered() -> dict[str, Registered]:
    """The benchmarks registered so far (only those whose modules were imported)."""
    return dict(_REGISTRY)


def load(name: str) -> Registered:
    """Import the module ``bench.BENCHMARKS`` lists for ``name`` and return its benchmark."""
    from bench import BENCHMARKS

    if name in _REGISTRY:
        return _REGISTRY[name]
    try:
        module = BENCHMARKS[name]
    except KeyError:
        raise UnknownBenchmarkError(name) from None
    importlib.import_module(module)
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownBenchmarkError(
            f"{module} is listed for {name!r} but registers no benchmark of that name"
        ) from None


# --------------------------------------------------------------------------- environment


def _git_commit() -> str | None:
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or None


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def environment(**extra: object) -> dict[str, object]:
    """Where and when a run was measured: the first JSON line of every run."""
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = None
    try:
        loadavg: list[float] | None = [round(v, 2) for v in os.getloadavg()]
    except OSError:
        loadavg = None
    env: dict[str, object] = {
        "name": "environment",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "loadavg": loadavg,
        "django": _version("django"),
        "axiomod": _version("axiomod"),
        "git_commit": _git_commit(),
    }
    env.update(extra)
    return env


def note(message: str) -> None:
    """A line for humans: stderr, so stdout stays JSON lines."""
    print(message, file=sys.stderr, flush=True)
