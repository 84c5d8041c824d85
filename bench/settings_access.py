"""Benchmark ``settings``: reading axiomod's settings against reading Django's.

Middlewares read the ``AXIOMOD`` settings on every request (the metrics path, the
sample ratio), so a read must cost no more than reading a plain Django setting.
Figures, all from the ``example`` service's settings:

``settings.hot``
    baseline ``django.conf.settings.ROOT_URLCONF`` (after its first read Django keeps
    the value in the ``LazySettings`` instance dict), candidate
    ``axiomod.conf.settings.metrics.path`` (a cached section, then a dataclass field).
``settings.hot_vs_dict``
    baseline the hand-written alternative a middleware would otherwise contain,
    ``getattr(settings, "AXIOMOD", {}).get("metrics", {}).get("path", "/metrics")``,
    candidate as above.
``settings.cold``
    candidate ``axiomod.conf.settings.reload()`` followed by the first read: validating
    the whole ``AXIOMOD`` block (every section, environment defaults) and building its
    frozen dataclasses, which happens once per process and on every
    ``override_settings(AXIOMOD=...)``. Baseline: Django building its own settings
    object from the already imported settings module, ``django.conf.Settings(module)``
    plus one read, the same kind of work (read a settings module, check a few values,
    set attributes) that every Django process pays once.

Why the Django read is not free: ``LazySettings`` caches a value in its instance dict
after the first read, but ``LazyObject.__getattribute__`` (a Python method) still runs
on every read and probes the value for ``_mask_wrapped``, an AttributeError raised and
caught inside ``getattr``. Per-request code should read ``django.conf.settings`` once,
not per request; ``axiomod.conf.settings`` is a plain object whose sections are
instance attributes once loaded.

Reads are compiled into the timing loop (:class:`bench.harness.Stmt`) because a
function call per read would cost more than the read; ``extra.loop_overhead`` is what
an empty loop iteration costs in the same run, and ``extra.ratio_net_of_loop`` the ratio
with it subtracted from both sides.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from bench.harness import Figure, Options, Stmt, benchmark, interleave, note

SETTINGS_MODULE = "example.settings"

DJANGO = "django.conf.settings.ROOT_URLCONF"
DICT = 'getattr(settings, "AXIOMOD", {}).get("metrics", {}).get("path", "/metrics")'
AXIOMOD = "axiomod.conf.settings.metrics.path"
EMPTY = "(empty loop)"

DJANGO_COLD = "django.conf.Settings(module).ROOT_URLCONF"
AXIOMOD_COLD = "axiomod.conf.settings.reload(); .metrics.path"


def _net_ratio(baseline: float, candidate: float, overhead: float) -> float | None:
    net_baseline = baseline - overhead
    if net_baseline <= 0:
        return None
    return max(candidate - overhead, 0.0) / net_baseline


@benchmark("settings")
def run(options: Options) -> Iterator[Figure]:
    """axiomod.conf.settings reads (hot and cold) against Django settings reads."""
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    import django

    django.setup()
    from django.conf import Settings
    from django.conf import settings as django_settings

    from axiomod.conf import settings as axiomod_settings

    # The variants must read what they claim to read.
    expected = getattr(django_settings, "AXIOMOD", {}).get("metrics", {}).get("path", "/metrics")
    got = axiomod_settings.metrics.path
    if got != expected:
        raise AssertionError(f"axiomod.conf.settings.metrics.path is {got!r}, not {expected!r}")
    if django_settings.ROOT_URLCONF != Settings(SETTINGS_MODULE).ROOT_URLCONF:
        raise AssertionError("django.conf.Settings(module) does not match django.conf.settings")

    # Many short rounds rather than a few long ones: a burst of a neighbour's load then
    # spoils a few rounds of every variant (the median ignores them), not a whole batch.
    number, rounds = options.sizes(number=100_000, rounds=100, quick_number=20_000, quick_rounds=5)
    note(f"settings.hot: {rounds} rounds of {number} reads per variant")
    hot = interleave(
        {
            EMPTY: Stmt("pass"),
            DJANGO: Stmt("s.ROOT_URLCONF", {"settings": django_settings}, prelude="s = settings"),
            DICT: Stmt(
                'getattr(s, "AXIOMOD", {}).get("metrics", {}).get("path", "/metrics")',
                {"settings": django_settings},
                prelude="s = settings",
            ),
            AXIOMOD: Stmt("s.metrics.path", {"settings": axiomod_settings}, prelude="s = settings"),
        },
        number=number,
        rounds=rounds,
    )
    overhead = hot[EMPTY].median
    for name, baseline in (("settings.hot", DJANGO), ("settings.hot_vs_dict", DICT)):
        yield Figure.from_timings(
            name,
            hot[baseline],
            hot[AXIOMOD],
            extra={
                "loop_overhead": overhead,
                "ratio_net_of_loop": _net_ratio(
                    hot[baseline].median, hot[AXIOMOD].median, overhead
                ),
            },
        )

    # A cold load is ~10^4 times a hot read; scale the batch down accordingly.
    cold_number = max(1, number // 5_000)
    note(f"settings.cold: {rounds} rounds of {cold_number} loads per variant")
    try:
        cold = interleave(
            {
                DJANGO_COLD: Stmt(
                    "Settings(module).ROOT_URLCONF",
                    {"Settings": Settings, "module": SETTINGS_MODULE},
                ),
                AXIOMOD_COLD: Stmt(
                    "s.reload()\ns.metrics.path",
                    {"settings": axiomod_settings},
                    prelude="s = settings",
                ),
            },
            number=cold_number,
            rounds=rounds,
        )
    finally:
        axiomod_settings.reload()
    yield Figure.from_timings("settings.cold", cold[DJANGO_COLD], cold[AXIOMOD_COLD])
