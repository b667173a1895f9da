"""The registry: every metric by name, checked for consistency when it is built."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from deskmetrics.errors import DefinitionError, QueryError
from deskmetrics.metrics import (
    automation,
    lifecycle,
    revenue,
    sentiment,
    sla,
    social,
    surveys,
    workload,
)
from deskmetrics.metrics.base import Aggregation, Metric


def _check(metrics: Iterable[Metric]) -> dict[str, Metric]:
    out: dict[str, Metric] = {}
    for m in metrics:
        if m.name in out:
            raise DefinitionError(f"metric {m.name!r} is defined twice")
        if m.aggregation is Aggregation.MEAN and not m.measure:
            raise DefinitionError(f"{m.name}: a mean needs a measure")
        if m.aggregation is Aggregation.PROPORTION and not m.numerator:
            raise DefinitionError(f"{m.name}: a proportion needs a numerator")
        if m.aggregation is Aggregation.RATIO and not m.numerator_anchor:
            raise DefinitionError(f"{m.name}: a ratio needs a numerator anchor")
        for c in m.population:
            if not c.left_out:
                raise DefinitionError(
                    f"{m.name}: population condition on {c.column!r} must say what it leaves out"
                )
        out[m.name] = m
    for m in out.values():
        if m.business_of and m.business_of not in out:
            raise DefinitionError(f"{m.name} mirrors unknown metric {m.business_of!r}")
    return out


REGISTRY: dict[str, Metric] = _check(
    [
        *lifecycle.METRICS,
        *workload.METRICS,
        *revenue.METRICS,
        *social.METRICS,
        *surveys.METRICS,
        *sla.METRICS,
        *automation.METRICS,
        *sentiment.METRICS,
    ]
)


def get_metric(name: str) -> Metric:
    """The registry entry `name`, or an error listing near names."""
    try:
        return REGISTRY[name]
    except KeyError:
        near = difflib.get_close_matches(name, list(REGISTRY), n=3, cutoff=0.6)
        hint = f" Did you mean: {', '.join(near)}?" if near else ""
        raise QueryError(
            f"unknown metric {name!r}.{hint} Run `deskmetrics metrics` for the list."
        ) from None
