"""Ticket lifecycle metrics (METRICS.md, "Ticket lifecycle")."""

from __future__ import annotations

from deskmetrics.metrics.base import (
    Aggregation,
    Direction,
    Metric,
    Source,
    Unit,
    when,
)

#: a ticket whose source gives only its current status (no history) is solved at an unknown
#: instant: it counts as solved (resolution rate, backlog) and is left out of what needs the instant
SOLVE_KNOWN = when(
    "solve_time_known",
    "is_true",
    left_out="solved at an instant the source does not give (status from the ticket, no history)",
)
SOLVED = when("first_solved_at", "not_null", left_out="tickets not solved (yet)")
SOLVED_NOW = when("is_solved", "is_true", left_out="tickets reopened and not solved again")


def duration_pair(
    name: str,
    title: str,
    description: str,
    measure: str,
    anchor: str,
    *conditions: object,
    source: Source = Source.TICKETS,
    notes: str = "",
) -> list[Metric]:
    """A duration metric in calendar time and its `_business` twin."""
    pop = tuple(c for c in conditions)  # type: ignore[misc]
    cal = Metric(
        name=name,
        title=title,
        description=description,
        unit=Unit.MINUTES,
        direction=Direction.LOWER_IS_BETTER,
        aggregation=Aggregation.MEAN,
        source=source,
        measure=f"{measure}_minutes",
        anchor=anchor,
        population=pop,  # type: ignore[arg-type]
        notes=notes,
    )
    bus = cal.model_copy(
        update={
            "name": f"{name}_business",
            "title": f"{title} (business hours)",
            "description": description + " Counted in business hours of the ticket's schedule.",
            "measure": f"{measure}_business_minutes",
            "business_of": name,
        }
    )
    return [cal, bus]


METRICS: list[Metric] = [
    *duration_pair(
        "first_response_time",
        "First response time",
        "Ticket creation → first public reply by a human agent. Bot replies, automatic "
        "acknowledgements and internal notes do not count; on an agent-created ticket the "
        "agent's opening message is not a reply.",
        "first_reply",
        "created_at",
        when("first_reply_at", "not_null", left_out="unanswered tickets have no first response"),
    ),
    *duration_pair(
        "first_automated_response_time",
        "First automated response time",
        "Ticket creation → first public bot message (auto-acknowledgement, bot reply).",
        "first_auto_reply",
        "created_at",
        when("first_auto_reply_at", "not_null", left_out="tickets without an automated response"),
    ),
    *duration_pair(
        "average_reply_time",
        "Average reply time",
        "For every public customer message, the time until the next public reply by a human "
        "agent, averaged over all such pairs (not just the first).",
        "reply",
        "customer_message_at",
        when("reply_at", "not_null", left_out="customer messages not (yet) answered"),
        source=Source.REPLIES,
    ),
    *duration_pair(
        "first_resolution_time",
        "First resolution time",
        "Creation → the first time the ticket became solved (or closed without being solved).",
        "first_resolution",
        "first_solved_at",
        SOLVE_KNOWN,
        when("first_solved_at", "not_null", left_out="tickets never solved"),
    ),
    *duration_pair(
        "full_resolution_time",
        "Full resolution time",
        "Creation → the last time the ticket became solved, after any reopen (average "
        "resolution time).",
        "full_resolution",
        "last_solved_at",
        SOLVE_KNOWN,
        SOLVED,
        SOLVED_NOW,
    ),
    *duration_pair(
        "requester_wait_time",
        "Requester wait time",
        "Total time the solved ticket spent in new, open and on-hold: the customer was "
        "waiting on us.",
        "requester_wait",
        "last_solved_at",
        SOLVE_KNOWN,
        SOLVED,
        SOLVED_NOW,
    ),
    *duration_pair(
        "agent_wait_time",
        "Agent wait time",
        "Total time the solved ticket spent in pending: we were waiting on the customer.",
        "agent_wait",
        "last_solved_at",
        SOLVE_KNOWN,
        SOLVED,
        SOLVED_NOW,
    ),
    *duration_pair(
        "on_hold_time",
        "On-hold time",
        "Total time the solved ticket spent on hold.",
        "on_hold",
        "last_solved_at",
        SOLVE_KNOWN,
        SOLVED,
        SOLVED_NOW,
    ),
    Metric(
        name="reopens",
        title="Reopens",
        description="Solved → unsolved transitions of solved tickets (mean per ticket; n tickets).",
        unit=Unit.COUNT,
        direction=Direction.LOWER_IS_BETTER,
        aggregation=Aggregation.MEAN,
        source=Source.TICKETS,
        measure="reopens",
        anchor="last_solved_at",
        population=(SOLVE_KNOWN, SOLVED, SOLVED_NOW),
    ),
    Metric(
        name="reopen_rate",
        title="Reopen rate",
        description="Solved tickets reopened at least once / solved tickets.",
        unit=Unit.PERCENT,
        direction=Direction.LOWER_IS_BETTER,
        aggregation=Aggregation.PROPORTION,
        source=Source.TICKETS,
        anchor="last_solved_at",
        population=(SOLVE_KNOWN, SOLVED, SOLVED_NOW),
        numerator=(when("reopens", ">", 0),),
    ),
    Metric(
        name="replies",
        title="Replies per solved ticket",
        description="Public replies by human agents per solved ticket (the opening message of an "
        "agent-created ticket is not a reply). Group by `touches` for one-, two- and "
        "multi-touch tickets.",
        unit=Unit.COUNT,
        direction=Direction.LOWER_IS_BETTER,
        aggregation=Aggregation.MEAN,
        source=Source.TICKETS,
        measure="replies",
        anchor="last_solved_at",
        population=(SOLVE_KNOWN, SOLVED, SOLVED_NOW),
    ),
    Metric(
        name="single_reply_resolution_rate",
        title="Single-reply resolution rate",
        description="Solved tickets with exactly one agent reply and never reopened / solved "
        "tickets.",
        unit=Unit.PERCENT,
        direction=Direction.HIGHER_IS_BETTER,
        aggregation=Aggregation.PROPORTION,
        source=Source.TICKETS,
        anchor="last_solved_at",
        population=(SOLVE_KNOWN, SOLVED, SOLVED_NOW),
        numerator=(when("replies", "==", 1), when("reopens", "==", 0)),
    ),
    Metric(
        name="fcr_rate",
        title="First contact resolution rate",
        description="Solved tickets with exactly one agent interaction (one reply, call or chat "
        "session; an AI agent's part of the conversation is one), never reopened, and no other "
        "ticket from the same customer within the repeat-contact window after creation / solved "
        "tickets.",
        unit=Unit.PERCENT,
        direction=Direction.HIGHER_IS_BETTER,
        aggregation=Aggregation.PROPORTION,
        source=Source.TICKETS,
        anchor="last_solved_at",
        population=(SOLVE_KNOWN, SOLVED, SOLVED_NOW),
        numerator=(when("fcr", "is_true"),),
    ),
    Metric(
        name="average_handle_time",
        title="Average handle time",
        description="(talk + hold + after-contact wrap-up) / handled interactions, for calls "
        "and chats that record those segments.",
        unit=Unit.MINUTES,
        direction=Direction.LOWER_IS_BETTER,
        aggregation=Aggregation.MEAN,
        source=Source.INTERACTIONS,
        measure="handle_minutes",
        anchor="at",
        population=(
            when(
                "handle_minutes",
                "not_null",
                left_out="interactions without talk, hold or wrap time",
            ),
        ),
    ),
    Metric(
        name="resolution_rate",
        title="Resolution rate",
        description="Tickets first solved in the period / tickets created in the period. "
        "The two counts are of different tickets, so the rate can exceed 100%. A ticket whose "
        "source gives only its current status counts as solved when the source last saw it.",
        unit=Unit.PERCENT,
        direction=Direction.HIGHER_IS_BETTER,
        aggregation=Aggregation.RATIO,
        source=Source.TICKETS,
        anchor="created_at",
        numerator=(when("first_seen_solved_at", "not_null"),),
        numerator_anchor="first_seen_solved_at",
    ),
    Metric(
        name="backlog",
        title="Backlog",
        description="Tickets unsolved at the end of each period (or at the end of the range).",
        unit=Unit.COUNT,
        direction=Direction.LOWER_IS_BETTER,
        aggregation=Aggregation.SNAPSHOT,
        source=Source.STATUS,
        anchor="start_at",
        dimensions=("agent", "team"),
    ),
    Metric(
        name="backlog_age",
        title="Backlog age",
        description="Age (since creation) of the tickets unsolved at the end of each period, "
        "with median and 90th percentile: the age distribution of the backlog.",
        unit=Unit.MINUTES,
        direction=Direction.LOWER_IS_BETTER,
        aggregation=Aggregation.SNAPSHOT,
        source=Source.STATUS,
        measure="age_minutes",
        anchor="start_at",
        dimensions=("agent", "team"),
    ),
]
