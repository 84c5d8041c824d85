"""Views of ``axiomod_metrics`` (see :mod:`axiomod_metrics.exposition`)."""

from .exposition import metrics_view

__all__ = ["metrics_view"]
