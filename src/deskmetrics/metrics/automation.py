"""AI agents beside people (METRICS.md, "AI agents and automation").

Definitions only. A ticket is AI-engaged when a conversational AI agent (`author_role`
`ai_agent`) posted a public message in it; `bot` auto-acknowledgements do not engage it. The
engine derives per ticket `ai_engaged`, `handed_off` (a human agent's public message after the
first AI message), `automated_resolution` and `handled_by` (`ai_only`, `human_only`,
`ai_then_human`, `none`: a ticket column, so every ticket metric and CSAT/CES group by it)."""

from __future__ import annotations

from deskmetrics.metrics.base import Aggregation, Direction, Metric, Source, Unit, when
from deskmetrics.metrics.lifecycle import duration_pair

FAMILY = "AI agents"
AI_ENGAGED = when(
    "ai_engaged", "is_true", left_out="tickets in which no AI agent posted a public message"
)

METRICS: list[Metric] = [
    Metric(
        name="automated_resolution_rate",
        title="Automated resolution rate",
        description="AI-engaged tickets solved with no public message from a human agent, never "
        "reopened, and with no other ticket from the same requester within the repeat-contact "
        "window / AI-engaged tickets × 100, by the tickets' creation.",
        unit=Unit.PERCENT,
        direction=Direction.HIGHER_IS_BETTER,
        aggregation=Aggregation.PROPORTION,
        source=Source.TICKETS,
        anchor="created_at",
        population=(AI_ENGAGED,),
        numerator=(when("automated_resolution", "is_true"),),
        family=FAMILY,
        notes="A ticket still open counts in the denominator and not as resolved. An AI answer "
        "that brings the customer back within the FCR window (`[fcr] window_days`) is not a "
        "resolution; neither is an AI solve that was reopened.",
    ),
    Metric(
        name="ai_handoff_rate",
        title="AI handoff rate",
        description="AI-engaged tickets in which a human agent posted a public message after the "
        "first AI message / AI-engaged tickets × 100, by the tickets' creation.",
        unit=Unit.PERCENT,
        direction=Direction.LOWER_IS_BETTER,
        aggregation=Aggregation.PROPORTION,
        source=Source.TICKETS,
        anchor="created_at",
        population=(AI_ENGAGED,),
        numerator=(when("handed_off", "is_true"),),
        family=FAMILY,
    ),
    *(
        m.model_copy(update={"family": FAMILY})
        for m in duration_pair(
            "ai_handoff_wait_time",
            "Wait after AI handoff",
            "For handed-off tickets: the first public AI message → the first public message of "
            "a human agent after it: how long a customer the AI agent could not help waited "
            "for a person.",
            "ai_handoff_wait",
            "created_at",
            when(
                "handoff_at",
                "not_null",
                left_out="tickets no human agent took over from an AI agent",
            ),
        )
    ),
]
