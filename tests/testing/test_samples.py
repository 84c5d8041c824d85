"""axiomod.testing.samples: one side's measured rounds and their statistics."""

from __future__ import annotations

import statistics

import pytest

from axiomod.testing import Samples, percentile


@pytest.mark.parametrize(
    ("percent", "expected"),
    [(0, 1), (1, 1), (10, 1), (11, 2), (50, 5), (90, 9), (99, 10), (100, 10)],
)
def test_percentile_is_the_nearest_rank(percent, expected):
    assert percentile([10, 9, 8, 7, 6, 5, 4, 3, 2, 1], percent) == expected


def test_percentile_of_nothing_is_an_error():
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)


def test_series_keep_their_rounds_and_flatten_in_order():
    samples = Samples()
    samples.add("latency", [0.3, 0.1])
    samples.add("latency", (0.2,))
    samples.add("cpu", 0.5)
    assert samples.names == ["latency", "cpu"]
    assert samples.rounds("latency") == [(0.3, 0.1), (0.2,)]
    assert samples.values("latency") == [0.3, 0.1, 0.2]
    assert samples.last("latency") == 0.2
    assert "cpu" in samples and "missing" not in samples
    assert samples.values("missing") == [] and samples.rounds("missing") == []


def test_statistics_are_over_every_value():
    samples = Samples()
    for one in ([4.0, 1.0], [3.0], [2.0, 5.0]):
        samples.add("x", one)
    assert samples.median("x") == 3.0
    assert samples.mean("x") == 3.0
    assert samples.best("x") == 1.0
    assert samples.worst("x") == 5.0
    assert samples.percentile("x", 99) == 5.0
    assert samples.percentile("x", 40) == 2.0


def test_per_round_applies_a_statistic_or_a_percentile_to_each_round():
    samples = Samples()
    samples.add("x", [1.0, 2.0, 9.0])
    samples.add("x", [4.0, 6.0])
    assert samples.per_round("x") == [2.0, 5.0]
    assert samples.per_round("x", max) == [9.0, 6.0]
    assert samples.per_round("x", 50) == [2.0, 4.0]


def test_statistics_of_an_empty_series_name_it():
    with pytest.raises(ValueError, match="no samples of 'x'"):
        Samples().median("x")


def test_rates_divide_the_items_of_a_round():
    samples = Samples(items=1000)
    for seconds in (2.0, 1.0, 4.0):
        samples.add("seconds", seconds)
    samples.add("cpu", 0.5)
    samples.add("cpu", 1.5)
    assert samples.rate("seconds") == 500.0  # 1000 / median 2 s
    assert samples.rate("seconds", "best") == 1000.0
    assert samples.rate("seconds", "last") == 250.0
    assert samples.per_item("cpu") == statistics.median([0.5, 1.5]) / 1000
    assert samples.per_item("broker_cpu") is None


def test_rates_need_the_items():
    samples = Samples()
    samples.add("seconds", 1.0)
    with pytest.raises(ValueError, match="items"):
        samples.rate("seconds")


def test_counters_are_apart_from_the_series():
    samples = Samples()
    samples.count("calls", 10)
    samples.count("calls")
    assert samples.counts["calls"] == 11
    assert samples.counts["other"] == 0
    assert samples.names == []
