"""Metric definitions only: the Metric type, one module per family, and the registry."""

from deskmetrics.metrics.base import (
    Aggregation,
    Condition,
    Direction,
    Metric,
    Op,
    Source,
    Unit,
)
from deskmetrics.metrics.registry import REGISTRY, get_metric

__all__ = [
    "REGISTRY",
    "Aggregation",
    "Condition",
    "Direction",
    "Metric",
    "Op",
    "Source",
    "Unit",
    "get_metric",
]
