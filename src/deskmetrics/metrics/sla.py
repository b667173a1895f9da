"""Service-level metrics (METRICS.md, "Service levels"). The per-target state itself is built
by the engine (engine/sla.py) from the `[[sla.policies]]` in deskmetrics.toml."""

from __future__ import annotations

from deskmetrics.metrics.base import (
    AGENT_DIMENSIONS,
    TIME_DIMENSIONS,
    Aggregation,
    Direction,
    Metric,
    Source,
    Unit,
    when,
)

FAMILY = "service levels"
#: dimensions of SLA metrics besides every ticket column
SLA_DIMENSIONS = (*AGENT_DIMENSIONS, *TIME_DIMENSIONS, "sla_target", "policy")

METRICS: list[Metric] = [
    Metric(
        name="sla_compliance",
        title="SLA compliance",
        description="Achieved SLA targets / (achieved + breached targets) × 100. Targets are "
        "first_reply, next_reply, periodic_update and resolution of each ticket's SLA policy "
        "(the first `[[sla.policies]]` entry that matches); group by `sla_target` for one kind, "
        "ungrouped every kind counts together. A target still running and not yet due is not "
        "counted; one past due is breached even while the ticket is open. Each target falls in "
        "the period of the instant it was achieved or breached. Wilson interval.",
        unit=Unit.PERCENT,
        direction=Direction.HIGHER_IS_BETTER,
        aggregation=Aggregation.PROPORTION,
        source=Source.SLA_TARGETS,
        anchor="settled_at",
        population=(
            when(
                "sla_status",
                "in",
                ("achieved", "breached"),
                left_out="targets still running (not yet due)",
            ),
        ),
        numerator=(when("sla_status", "==", "achieved"),),
        dimensions=SLA_DIMENSIONS,
        family=FAMILY,
        notes="A target is breached when its running time (business time of the policy's or "
        "the ticket's schedule, or calendar time) exceeds the target; time while the ticket is "
        "solved, or in a status the policy pauses that target for (default: pending for "
        "resolution), does not run. With no SLA policies configured there are no targets.",
        examples=[
            "deskmetrics report sla_compliance --by sla_target --grain week",
            "deskmetrics report sla_compliance --by group",
        ],
    ),
]
