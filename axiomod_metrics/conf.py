"""``AXIOMOD["metrics"]``: the scrape endpoint and the HTTP/gRPC request metrics."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable

from axiomod.conf import Section, setting

#: prometheus_client's default histogram buckets (seconds), shared with the Go framework.
DEFAULT_BUCKETS: tuple[float, ...] = (
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
)  # fmt: skip


def _buckets(values: tuple[float, ...]) -> str | None:
    if not values:
        return "needs at least one bucket"
    if any(v <= 0 for v in values):
        return "bucket bounds must be positive"
    if any(b <= a for a, b in itertools.pairwise(values)):
        return "bucket bounds must be strictly increasing"
    return None


def _path(value: str) -> str | None:
    return None if value.startswith("/") else f"{value!r} must start with '/'"


@dataclasses.dataclass(frozen=True)
class MetricsSettings(Section):
    """Prometheus metrics served by ``axiomod_metrics``."""

    title = "Metrics"
    app = "axiomod_metrics"
    key = "metrics"

    path: str = setting(
        "/metrics", doc="URL path of the scrape endpoint.", check=_path, go_key="metrics.path"
    )
    port: int | None = setting(
        None,
        doc="Also serve the scrape endpoint on this port (keeps it off the public ingress).",
        min=1,
        max=65535,
        go_key="metrics.port",
    )
    address: str = setting("0.0.0.0", doc="Address the dedicated metrics port binds.")
    main_port: bool = setting(
        True,
        doc=(
            "Also serve the scrape path on the application's own port; set it False with "
            "``port`` so an ingress that forwards every path cannot expose the metrics."
        ),
    )
    buckets: tuple[float, ...] = setting(
        DEFAULT_BUCKETS,
        doc="Bounds (seconds) of the request duration histograms.",
        check=_buckets,
        go_key="metrics.buckets",
    )
    grpc: bool = setting(True, doc="Record gRPC request metrics in the gRPC server.")
    max_label_sets: int = setting(
        1000,
        doc="Distinct label sets per metric before new values fold into one overflow value.",
        min=1,
    )
    excluded_paths: tuple[str, ...] = setting(
        (),
        doc="URL paths whose requests are not counted (the scrape path never is).",
        check=lambda paths: next((_path(p) for p in paths if _path(p)), None),
    )

    def validate(self) -> Iterable[tuple[str, str]]:
        if not self.main_port and self.port is None:
            yield ("main_port", "False without a port: the metrics would be served nowhere")


#: The sections this app adds to ``AXIOMOD`` (found by :mod:`axiomod.conf.registry`).
AXIOMOD_SECTIONS = (MetricsSettings,)
