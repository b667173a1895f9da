"""The metric reference (docs/metrics.md), rendered from the registry so it cannot drift."""

from __future__ import annotations

from deskmetrics.metrics.base import Aggregation, Metric
from deskmetrics.metrics.registry import REGISTRY

_AGG = {
    Aggregation.MEAN: "mean with n, median (p50) and 90th percentile (p90)",
    Aggregation.PROPORTION: "share in percent with n and a 95% Wilson interval",
    Aggregation.COUNT: "count",
    Aggregation.RATIO: "ratio of two counts in percent",
    Aggregation.SNAPSHOT: "value at the end of each period",
    Aggregation.CUSTOM: "see definition",
}


def _dims(m: Metric) -> str:
    dims = list(m.dimensions)
    if m.ticket_dimensions:
        dims = [
            "any ticket column (channel, priority, group, tags, extra columns, ticket_id, "
            "and per-ticket facts such as touches or status)",
            *dims,
        ]
    return ", ".join(dims) if dims else "time grain only"


def render_reference() -> str:
    lines = [
        "# Metric reference",
        "",
        "Generated from the registry (`deskmetrics metrics` prints the same). Durations are in",
        "minutes; a name ending in `_business` counts business hours of the ticket's schedule.",
        "Why each definition is what it is: see DECISIONS.md.",
        "",
    ]
    family = None
    for m in REGISTRY.values():
        if m.family != family:
            family = m.family
            lines += [f"## {family.capitalize()}", ""]
        lines += [
            f"### `{m.name}`",
            "",
            f"**{m.title}.** {m.description}",
            "",
            f"- unit: {m.unit.value}; better: {m.direction.value}; "
            f"aggregation: {_AGG[m.aggregation]}",
            f"- period decided by: `{m.anchor}`",
            f"- group by: {_dims(m)}",
        ]
        for c in m.population:
            lines.append(f"- left out (and reported by `explain`): {c.left_out}")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render_reference(), end="")
