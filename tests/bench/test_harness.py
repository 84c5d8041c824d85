"""Unit tests of the benchmark harness (bench/). They check behaviour, never speed:
no test here asserts how long anything took."""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import bench
from bench import harness
from bench.__main__ import main
from bench.harness import (
    Figure,
    Options,
    Stmt,
    Timing,
    UnknownBenchmarkError,
    Variant,
    benchmark,
    compare,
    cpu_ns_of,
    cpu_time_of,
    environment,
    interleave,
)

REPO_ROOT = Path(bench.__file__).resolve().parent.parent


def _recording(log: list[str], name: str):
    def call() -> None:
        log.append(name)

    return call


def _rounds_of(log: list[str], number: int) -> list[list[str]]:
    """Split a call log into rounds: each round is the sequence of batches' variants."""
    batches = [log[i : i + number] for i in range(0, len(log), number)]
    for batch in batches:
        assert len(set(batch)) == 1, "a variant's calls in one round run back to back"
    variants = len(set(log))
    names = [batch[0] for batch in batches]
    return [names[i : i + variants] for i in range(0, len(names), variants)]


# --------------------------------------------------------------------------- interleave


def test_interleave_runs_every_variant_number_times_rounds_times() -> None:
    log: list[str] = []
    timings = interleave(
        {name: _recording(log, name) for name in "abc"}, number=3, rounds=4, warmup=0
    )
    assert {name: log.count(name) for name in "abc"} == {"a": 12, "b": 12, "c": 12}
    assert set(timings) == {"a", "b", "c"}
    assert all(t.rounds == 4 and t.number == 3 for t in timings.values())


def test_warmup_round_runs_but_is_discarded() -> None:
    log: list[str] = []
    timings = interleave({name: _recording(log, name) for name in "ab"}, number=5, rounds=3)
    assert log.count("a") == log.count("b") == 5 * (3 + 1)
    assert timings["a"].rounds == timings["b"].rounds == 3


def test_rotate_order_gives_every_variant_the_first_turn_equally() -> None:
    log: list[str] = []
    interleave({name: _recording(log, name) for name in "abc"}, number=2, rounds=6, warmup=0)
    rounds = _rounds_of(log, 2)
    assert len(rounds) == 6
    assert all(sorted(turn) == ["a", "b", "c"] for turn in rounds), "each round runs all"
    firsts = [turn[0] for turn in rounds]
    assert {name: firsts.count(name) for name in "abc"} == {"a": 2, "b": 2, "c": 2}
    assert all(x != y for x, y in itertools.pairwise(firsts)), "order changes"


def test_shuffle_order_varies_and_is_repeatable_with_a_seed() -> None:
    def run() -> list[list[str]]:
        log: list[str] = []
        interleave(
            {name: _recording(log, name) for name in "abcd"},
            number=1,
            rounds=20,
            warmup=0,
            order="shuffle",
            seed=7,
        )
        return _rounds_of(log, 1)

    rounds = run()
    assert all(sorted(turn) == list("abcd") for turn in rounds)
    assert len({turn[0] for turn in rounds}) > 1, "not always the same variant first"
    assert run() == rounds


def test_setup_hook_runs_before_each_round_of_its_variant() -> None:
    log: list[str] = []
    interleave(
        {
            "plain": _recording(log, "plain"),
            "hooked": Variant(_recording(log, "hooked"), setup=_recording(log, "setup")),
        },
        number=2,
        rounds=2,
        warmup=1,
    )
    assert log.count("setup") == 3
    for index, entry in enumerate(log):
        if entry == "setup":
            assert log[index + 1 : index + 3] == ["hooked", "hooked"]


def test_stmt_is_compiled_into_the_loop_with_prelude_and_globals() -> None:
    counter = {"runs": 0, "preludes": 0}
    interleave(
        {
            "stmt": Stmt(
                "c['runs'] += 1",
                {"counter": counter},
                prelude="c = counter\nc['preludes'] += 1",
            )
        },
        number=10,
        rounds=3,
        warmup=1,
    )
    assert counter == {"runs": 40, "preludes": 4}


def test_timings_are_seconds_per_call_from_the_nanosecond_timer() -> None:
    clock = iter(range(0, 10**9, 1000))  # every reading 1000 ns after the previous one

    timings = interleave(
        {"a": lambda: None, "b": Stmt("pass")},
        number=4,
        rounds=3,
        timer=lambda: next(clock),
    )
    for timing in timings.values():
        assert timing.per_call == pytest.approx((1000 / 4 / 1e9,) * 3)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"number": 0, "rounds": 1}, ValueError),
        ({"number": 1, "rounds": 0}, ValueError),
        ({"number": 1, "rounds": 1, "order": "random"}, ValueError),
    ],
)
def test_interleave_rejects_bad_arguments(kwargs: dict, error: type[Exception]) -> None:
    with pytest.raises(error):
        interleave({"a": lambda: None}, **kwargs)


def test_interleave_rejects_no_variants_and_non_callables() -> None:
    with pytest.raises(ValueError, match="no variants"):
        interleave({}, number=1, rounds=1)
    with pytest.raises(TypeError, match="'x'"):
        interleave({"x": 42}, number=1, rounds=1)  # type: ignore[dict-item]


def test_timing_statistics() -> None:
    timing = Timing("t", number=1, per_call=(5.0, 1.0, 3.0, 2.0, 4.0))
    assert timing.median == 3.0
    assert timing.best == 1.0
    assert timing.worst == 5.0
    assert timing.p99 == 5.0  # nearest rank: with 5 rounds, the worst
    assert timing.percentile(50) == 3.0
    many = Timing("t", number=1, per_call=tuple(float(i) for i in range(1, 201)))
    assert many.p99 == 198.0


# --------------------------------------------------------------------------- figures


def test_figure_ratio_is_candidate_over_baseline_and_json_is_one_line() -> None:
    figure = Figure("x.hot", 2e-7, 5e-8, unit="s/call", extra={"rounds": 3})
    assert figure.ratio == pytest.approx(0.25)
    line = figure.to_json()
    assert "\n" not in line
    data = json.loads(line)
    assert data == {
        "name": "x.hot",
        "baseline": 2e-7,
        "candidate": 5e-8,
        "ratio": pytest.approx(0.25),
        "unit": "s/call",
        "extra": {"rounds": 3},
    }
    assert list(data)[:5] == ["name", "baseline", "candidate", "ratio", "unit"]


def test_figure_is_frozen_and_names_are_written_when_given() -> None:
    figure = Figure("x", 1, 3, unit="s/request", baseline_name="old", candidate_name="new")
    with pytest.raises(dataclasses.FrozenInstanceError):
        figure.ratio = 1.0  # type: ignore[misc]
    data = json.loads(figure.to_json())
    assert (data["baseline_name"], data["candidate_name"], data["ratio"]) == ("old", "new", 3.0)
    assert "x: 3x" in figure.describe()


def test_figure_with_zero_baseline_writes_null_ratio() -> None:
    figure = Figure("x", 0, 1, unit="s/call")
    assert math.isinf(figure.ratio)
    assert json.loads(figure.to_json())["ratio"] is None


def test_figure_from_timings_uses_the_stat_and_records_the_others() -> None:
    base = Timing("base", number=10, per_call=(4.0, 2.0, 3.0))
    cand = Timing("cand", number=10, per_call=(1.0, 2.0, 9.0))
    figure = Figure.from_timings("x", base, cand, extra={"note": "n"})
    assert (figure.baseline, figure.candidate, figure.ratio) == (3.0, 2.0, pytest.approx(2 / 3))
    assert (figure.baseline_name, figure.candidate_name, figure.unit) == ("base", "cand", "s/call")
    assert figure.extra["baseline_best"] == 2.0
    assert figure.extra["candidate_p99"] == 9.0
    assert figure.extra["ratio_best"] == 0.5
    assert figure.extra["note"] == "n"
    assert Figure.from_timings("x", base, cand, stat="best").ratio == 0.5
    with pytest.raises(ValueError, match="stat"):
        Figure.from_timings("x", base, cand, stat="mean")


def test_compare_runs_baseline_and_candidate_into_one_figure() -> None:
    log: list[str] = []
    figure = compare(
        "x",
        baseline=("old", _recording(log, "old")),
        candidate=("new", _recording(log, "new")),
        number=3,
        rounds=2,
        warmup=0,
    )
    assert log.count("old") == log.count("new") == 6
    assert (figure.baseline_name, figure.candidate_name) == ("old", "new")
    assert figure.ratio == pytest.approx(figure.candidate / figure.baseline)


# --------------------------------------------------------------------------- /proc


def _burn_cpu(seconds: float) -> None:
    start = time.process_time()
    while time.process_time() - start < seconds:
        sum(i * i for i in range(1000))


def test_cpu_time_of_grows_when_the_process_burns_cpu() -> None:
    before = cpu_time_of(os.getpid())
    _burn_cpu(0.3)
    after = cpu_time_of([os.getpid()])
    # CPU time, counted in clock ticks: a bound on accounting, not on speed.
    assert after - before >= 0.2


def test_cpu_time_of_counts_live_children() -> None:
    burner = (
        "import sys, time\n"
        "start = time.process_time()\n"
        "while time.process_time() - start < 0.3: pass\n"
        "print('burnt', flush=True)\n"
        "sys.stdin.read()\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", burner],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "burnt"
        with_children = cpu_time_of(os.getpid())
        alone = cpu_time_of(os.getpid(), children=False)
        assert with_children - alone >= 0.2
        assert cpu_time_of([child.pid]) >= 0.2
        # A process given twice (directly and as a child) is counted once.
        assert cpu_time_of([os.getpid(), child.pid]) == pytest.approx(with_children, abs=0.05)
    finally:
        child.communicate("")


def test_cpu_ns_of_counts_this_process_and_live_children() -> None:
    before = cpu_ns_of(os.getpid())
    _burn_cpu(0.2)
    assert cpu_ns_of(os.getpid()) - before >= 150_000_000
    burner = (
        "import sys, time\n"
        "start = time.process_time()\n"
        "while time.process_time() - start < 0.3: pass\n"
        "print('burnt', flush=True)\n"
        "sys.stdin.read()\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", burner], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "burnt"
        assert cpu_ns_of(os.getpid()) - cpu_ns_of(child.pid) >= 0
        assert cpu_ns_of(child.pid) >= 250_000_000
        assert cpu_ns_of([os.getpid()]) >= cpu_ns_of(child.pid)
    finally:
        child.communicate("")
    with pytest.raises(ProcessLookupError):
        cpu_ns_of(2**22 + 12345)


def test_cpu_time_of_unknown_pid_raises() -> None:
    with pytest.raises(ProcessLookupError):
        cpu_time_of(2**31 - 1)


# --------------------------------------------------------------------------- registry


@pytest.fixture
def empty_registry(monkeypatch: pytest.MonkeyPatch) -> dict:
    registry: dict = {}
    monkeypatch.setattr(harness, "_REGISTRY", registry)
    return registry


def test_benchmark_decorator_registers_and_load_finds_it(
    empty_registry: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    @benchmark("demo")
    def demo(options: Options):
        """Demo benchmark.

        More text."""
        yield Figure("demo", 1, 2, unit="s/call")

    monkeypatch.setitem(bench.BENCHMARKS, "demo", __name__)
    registered = harness.load("demo")
    assert registered.func is demo
    assert registered.summary == "Demo benchmark."
    assert [f.ratio for f in registered.run(Options())] == [2.0]
    assert set(harness.registered()) == {"demo"}


def test_registering_another_function_under_a_taken_name_fails(empty_registry: dict) -> None:
    benchmark("taken")(lambda options: [])
    with pytest.raises(ValueError, match="already registered"):

        @benchmark("taken")
        def other(options: Options):
            return []


def test_load_of_an_unlisted_name_fails(empty_registry: dict) -> None:
    with pytest.raises(UnknownBenchmarkError):
        harness.load("no-such-benchmark")


def test_every_listed_module_is_a_bench_module() -> None:
    assert "settings" in bench.BENCHMARKS
    for module in bench.BENCHMARKS.values():
        assert module.startswith("bench.")
        assert (REPO_ROOT / (module.replace(".", "/") + ".py")).is_file()


def test_options_sizes() -> None:
    sizes = {"number": 1000, "rounds": 20, "quick_number": 10, "quick_rounds": 3}
    assert Options().sizes(**sizes) == (1000, 20)
    assert Options(quick=True).sizes(**sizes) == (10, 3)
    assert Options(quick=True, number=50).sizes(**sizes) == (50, 3)
    assert Options(rounds=7).sizes(**sizes) == (1000, 7)


def test_environment_says_where_it_was_measured() -> None:
    env = environment(benchmark="x")
    assert env["name"] == "environment"
    assert env["benchmark"] == "x"
    assert {"python", "cpu_count", "platform", "date", "git_commit"} <= set(env)
    json.dumps(env)


# --------------------------------------------------------------------------- CLI in-process


def test_main_prints_environment_then_figures(
    empty_registry: dict, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    seen: list[Options] = []

    @benchmark("fake")
    def fake(options: Options):
        seen.append(options)
        yield Figure("fake.one", 1, 2, unit="s/call")
        yield Figure("fake.two", 4, 2, unit="s/call")

    monkeypatch.setitem(bench.BENCHMARKS, "fake", __name__)
    assert main(["fake", "--rounds", "3", "--quick", "--", "--workers", "2"]) == 0
    assert seen == [Options(rounds=3, number=None, quick=True, extra=("--workers", "2"))]
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["name"] for line in lines] == ["environment", "fake.one", "fake.two"]
    assert lines[0]["benchmark"] == "fake"
    assert [line["ratio"] for line in lines[1:]] == [2.0, 0.5]


def test_main_exits_1_when_the_benchmark_raises(
    empty_registry: dict, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    @benchmark("boom")
    def boom(options: Options):
        yield Figure("boom.first", 1, 1, unit="s/call")
        raise RuntimeError("broken benchmark")

    monkeypatch.setitem(bench.BENCHMARKS, "boom", __name__)
    assert main(["boom"]) == 1
    captured = capsys.readouterr()
    assert "RuntimeError: broken benchmark" in captured.err
    assert [json.loads(line)["name"] for line in captured.out.splitlines()] == [
        "environment",
        "boom.first",
    ]


def test_main_exits_1_when_a_benchmark_yields_nothing(
    empty_registry: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    benchmark("empty")(lambda options: [])
    monkeypatch.setitem(bench.BENCHMARKS, "empty", __name__)
    assert main(["empty"]) == 1


def test_main_without_a_name_is_a_usage_error(capsys: pytest.CaptureFixture) -> None:
    assert main([]) == 2
    assert "settings" in capsys.readouterr().err


# --------------------------------------------------------------------------- CLI subprocess


def _bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_list_names_the_benchmarks() -> None:
    result = _bench("--list")
    assert result.returncode == 0, result.stderr
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert "settings" in names


def test_cli_unknown_name_exits_2_with_the_list() -> None:
    result = _bench("no-such-benchmark")
    assert result.returncode == 2
    assert "no-such-benchmark" in result.stderr
    assert "settings" in result.stderr
    assert result.stdout == ""


def test_cli_settings_quick_prints_json_lines() -> None:
    result = _bench("settings", "--quick")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["name"] == "environment"
    assert lines[0]["benchmark"] == "settings"
    figures = lines[1:]
    assert {f["name"] for f in figures} == {
        "settings.hot",
        "settings.hot_vs_dict",
        "settings.cold",
    }
    for figure in figures:
        assert {"name", "baseline", "candidate", "ratio", "unit"} <= set(figure)
        assert figure["baseline"] > 0
        assert figure["candidate"] > 0
        assert figure["ratio"] == pytest.approx(figure["candidate"] / figure["baseline"])
