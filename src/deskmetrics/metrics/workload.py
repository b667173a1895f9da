"""Agents and workload metrics (METRICS.md, "Agents and workload")."""

from __future__ import annotations

from deskmetrics.metrics.base import (
    AGENT_DIMENSIONS,
    TIME_DIMENSIONS,
    Aggregation,
    Direction,
    Metric,
    Source,
    Unit,
)

METRICS: list[Metric] = [
    Metric(
        name="tickets_per_agent",
        title="Tickets handled per agent per day",
        description="Distinct tickets an agent replied to or solved on a day, averaged over the "
        "agent's working days (days on which the agent handled at least one ticket).",
        unit=Unit.COUNT,
        direction=Direction.NEUTRAL,
        aggregation=Aggregation.MEAN,
        source=Source.AGENT_DAYS,
        measure="tickets",
        anchor="day_start",
        ticket_dimensions=False,
        dimensions=(*AGENT_DIMENSIONS, "weekday"),
        family="agents and workload",
    ),
    Metric(
        name="concurrency",
        title="Chat concurrency",
        description="Average number of chat sessions an agent has open at the same time while "
        "chatting: total session time / time with at least one session open.",
        unit=Unit.COUNT,
        direction=Direction.NEUTRAL,
        aggregation=Aggregation.CUSTOM,
        source=Source.CHAT_SESSIONS,
        anchor="start_at",
        ticket_dimensions=False,
        dimensions=AGENT_DIMENSIONS,
        family="agents and workload",
    ),
    Metric(
        name="contact_rate",
        title="Customer contact rate",
        description="Tickets created per customer active in the period (customers table: "
        "became a customer before the period ended and not churned before it began).",
        unit=Unit.COUNT,
        direction=Direction.LOWER_IS_BETTER,
        aggregation=Aggregation.CUSTOM,
        source=Source.CONTACTS,
        anchor="created_at",
        ticket_dimensions=False,
        dimensions=(),
        family="agents and workload",
    ),
    Metric(
        name="cost_per_contact",
        title="Cost per contact",
        description="Support cost in the period (costs spread evenly over their days) / tickets "
        "handled in the period (replied to, solved or with a call/chat session).",
        unit=Unit.CURRENCY,
        direction=Direction.LOWER_IS_BETTER,
        aggregation=Aggregation.CUSTOM,
        source=Source.COSTS,
        anchor="day_start",
        ticket_dimensions=False,
        dimensions=(),
        family="agents and workload",
    ),
    Metric(
        name="volume",
        title="Ticket volume",
        description="Tickets created. Group by weekday and hour for the hour-of-week heatmap, "
        "or by channel.",
        unit=Unit.COUNT,
        direction=Direction.NEUTRAL,
        aggregation=Aggregation.COUNT,
        source=Source.TICKETS,
        anchor="created_at",
        dimensions=AGENT_DIMENSIONS + TIME_DIMENSIONS,
        family="agents and workload",
    ),
]
