"""Measurements of one side of a comparison, round by round, and their statistics.

A benchmark that takes turns between a baseline and a candidate keeps one
:class:`Samples` per side: named series (seconds per round, CPU per call, every call's
latency) and counters (calls sent). Percentiles are nearest-rank (:func:`percentile`): a
value that was actually measured, no interpolation.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

__all__ = ["Samples", "percentile"]


def percentile(values: Iterable[float], percent: float) -> float:
    """Nearest-rank percentile of ``values`` (no interpolation); ValueError when empty."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


class Samples:
    """One side's measured rounds: named series of numbers, and counters.

    ``add(name, value)`` records one round of series ``name``: a number, or a sequence of
    numbers (every call's latency in that round). :meth:`values` is a series flattened in
    the order measured, :meth:`rounds` keeps the rounds apart. The statistics
    (:meth:`median`, :meth:`mean`, :meth:`best`, :meth:`worst`, :meth:`percentile`) are
    over the flattened values; :meth:`per_round` applies one to each round.

    ``items`` is how many items (messages, calls) one round handles, when that is fixed:
    :meth:`rate` and :meth:`per_item` divide by it. ``count(name, n)`` adds to a counter
    (``counts[name]``), for what is not a measurement (every call sent, warm-up included).
    """

    def __init__(self, items: int | None = None) -> None:
        self.items = items
        self._rounds: dict[str, list[tuple[float, ...]]] = {}
        self.counts: Counter[str] = Counter()

    def __repr__(self) -> str:
        sizes = ", ".join(f"{name}: {len(rounds)}" for name, rounds in self._rounds.items())
        return f"<Samples items={self.items} rounds {{{sizes}}} counts {dict(self.counts)}>"

    # -- recording ----------------------------------------------------------------------

    def add(self, name: str, value: float | Sequence[float]) -> None:
        """Record one round of ``name``: one number, or every number measured in it."""
        one = tuple(value) if isinstance(value, Sequence) else (value,)
        self._rounds.setdefault(name, []).append(one)

    def count(self, name: str, n: int = 1) -> None:
        self.counts[name] += n

    # -- reading ------------------------------------------------------------------------

    @property
    def names(self) -> list[str]:
        """The series recorded so far, in the order first recorded."""
        return list(self._rounds)

    def __contains__(self, name: object) -> bool:
        return name in self._rounds

    def rounds(self, name: str) -> list[tuple[float, ...]]:
        """Each round's values of ``name`` (empty if never recorded)."""
        return list(self._rounds.get(name, ()))

    def values(self, name: str) -> list[float]:
        """Every value of ``name``, in the order measured (empty if never recorded)."""
        return [value for one in self._rounds.get(name, ()) for value in one]

    def last(self, name: str) -> float:
        """The last value recorded for ``name``."""
        return self._rounds[name][-1][-1]

    def median(self, name: str) -> float:
        return statistics.median(self._nonempty(name))

    def mean(self, name: str) -> float:
        return statistics.fmean(self._nonempty(name))

    def best(self, name: str) -> float:
        """The smallest value (the best time)."""
        return min(self._nonempty(name))

    def worst(self, name: str) -> float:
        return max(self._nonempty(name))

    def percentile(self, name: str, percent: float) -> float:
        """Nearest-rank percentile of every value of ``name``."""
        return percentile(self._nonempty(name), percent)

    def per_round(
        self, name: str, stat: Callable[[Sequence[float]], float] | float = statistics.median
    ) -> list[float]:
        """``stat`` of each round of ``name``; a number as ``stat`` is a percentile."""
        if not callable(stat):
            percent = stat
            return [percentile(one, percent) for one in self._rounds.get(name, ())]
        return [stat(one) for one in self._rounds.get(name, ())]

    # -- per item -----------------------------------------------------------------------

    def rate(self, name: str = "seconds", stat: str = "median") -> float:
        """``items`` per unit of series ``name`` (items per second), at ``stat`` of it."""
        return self._items() / getattr(self, stat)(name)

    def per_item(self, name: str) -> float | None:
        """The median of ``name`` divided by ``items`` (CPU per message); None if empty."""
        values = self.values(name)
        return statistics.median(values) / self._items() if values else None

    def _items(self) -> int:
        if not self.items:
            raise ValueError("Samples(items=...) is needed for rates and per-item values")
        return self.items

    def _nonempty(self, name: str) -> list[float]:
        values = self.values(name)
        if not values:
            raise ValueError(f"no samples of {name!r}")
        return values
