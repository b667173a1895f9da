"""The canonical tables, column by column, exactly as the data model names them.

Every importer produces these tables and every metric reads only these tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from deskmetrics.model.enums import (
    AuthorRole,
    CreatedBy,
    EventType,
    Status,
    SurveyKind,
)


class Kind(StrEnum):
    """Logical type of a canonical column."""

    TEXT = "text"
    TIMESTAMP = "timestamp"
    DATE = "date"
    NUMBER = "number"
    BOOLEAN = "boolean"


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind = Kind.TEXT
    required: bool = False
    choices: frozenset[str] | None = None
    default: str | None = None
    #: an open vocabulary (channel, priority): any value is kept, lower-cased, so that a source's
    #: own names (Zendesk `voice`, `whatsapp` …) are never rejected; settings may map them
    vocabulary: bool = False
    #: an instant or date that may be planned ahead (a subscription's end, a cost period): it
    #: may lie up to `[limits] planned_ahead` after now; others at most `recorded_ahead`
    planned: bool = False
    #: a number that cannot be below zero (a duration, a count, a monthly amount)
    nonnegative: bool = False
    #: a duration in seconds: also at most `[limits] max_duration`
    duration: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    key: str | None
    columns: tuple[Column, ...]
    keeps_extra: bool = False
    # (column, parent table): a row whose column names no row of the parent is rejected
    references: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _choices(enum: type[StrEnum]) -> frozenset[str]:
    return frozenset(m.value for m in enum)


T, TS, D, N, B = Kind.TEXT, Kind.TIMESTAMP, Kind.DATE, Kind.NUMBER, Kind.BOOLEAN

TICKETS = Table(
    "tickets",
    key="ticket_id",
    keeps_extra=True,
    columns=(
        Column("ticket_id", T, required=True),
        Column("created_at", TS, required=True),
        Column("requester_id", T, required=True),
        Column("channel", T, vocabulary=True),
        Column("priority", T, vocabulary=True),
        Column("group", T),
        Column("assignee_id", T),
        Column("created_by", T, choices=_choices(CreatedBy), default="customer"),
        Column("schedule_id", T),
        Column("subject", T),
        Column("tags", T),
        Column("converted", B),
        Column("brand", T),
        Column("product", T),
        # the ticket's current status as the source reports it, as of `updated_at`: used only
        # for a ticket whose events carry no status history (its solve time is then unknown)
        Column("status", T, choices=_choices(Status)),
        Column("updated_at", TS),
    ),
)

EVENTS = Table(
    "events",
    key="event_id",
    references=(("ticket_id", "tickets"),),
    columns=(
        Column("event_id", T, required=True),
        Column("ticket_id", T, required=True),
        Column("at", TS, required=True),
        Column("type", T, required=True, choices=_choices(EventType)),
        Column("author_role", T, choices=_choices(AuthorRole)),
        Column("author_id", T),
        Column("public", B, default="true"),
        Column("body", T),
        Column("status", T, choices=_choices(Status)),
        Column("assignee_id", T),
        Column("group", T),
        # for `assignment`: the priority the ticket changed to (SLA policies follow it)
        Column("priority", T, vocabulary=True),
        # for `schedule`: the business-hours schedule in force from this instant
        Column("schedule_id", T),
        Column("agent_id", T),
        Column("talk_seconds", N, nonnegative=True, duration=True),
        Column("hold_seconds", N, nonnegative=True, duration=True),
        Column("wrap_seconds", N, nonnegative=True, duration=True),
        # the source's order of events at the same instant (audit order, file row order); the
        # store also keeps the order of arrival, so ids are never sorted as text
        Column("seq", N),
    ),
)

SURVEYS = Table(
    "surveys",
    key="response_id",
    columns=(
        Column("response_id", T, required=True),
        Column("kind", T, required=True, choices=_choices(SurveyKind)),
        Column("scale", T, required=True),
        Column("score", T, required=True),
        Column("answered_at", TS, required=True),
        Column("customer_id", T),
        Column("ticket_id", T),
        Column("agent_id", T),
        Column("channel", T),
        Column("comment", T),
    ),
)

SURVEY_REQUESTS = Table(
    "survey_requests",
    key="request_id",
    columns=(
        Column("request_id", T, required=True),
        Column("kind", T, choices=_choices(SurveyKind)),
        Column("sent_at", TS, required=True),
        Column("customer_id", T),
        Column("ticket_id", T),
    ),
)

CUSTOMERS = Table(
    "customers",
    key="customer_id",
    keeps_extra=True,
    columns=(
        Column("customer_id", T, required=True),
        Column("created_at", TS),
        Column("churned_at", TS, planned=True),
        Column("tier", T),
        Column("segment", T),
        Column("country", T),
    ),
)

SUBSCRIPTIONS = Table(
    "subscriptions",
    key="subscription_id",
    columns=(
        Column("subscription_id", T, required=True),
        Column("customer_id", T),
        Column("started_at", TS, planned=True),
        Column("ended_at", TS, planned=True),
        Column("mrr", N, nonnegative=True),
        Column("currency", T),
    ),
)

AGENTS = Table(
    "agents",
    key="agent_id",
    keeps_extra=True,
    columns=(
        Column("agent_id", T, required=True),
        Column("name", T),
        Column("team", T),
        Column("active", B, default="true"),
    ),
)

COSTS = Table(
    "costs",
    key=None,
    columns=(
        Column("period_start", D, required=True, planned=True),
        Column("period_end", D, required=True, planned=True),
        Column("amount", N, required=True),
        Column("currency", T),
        Column("category", T),
    ),
)

SOCIAL_POSTS = Table(
    "social_posts",
    key="post_id",
    columns=(
        Column("post_id", T, required=True),
        Column("platform", T),
        Column("posted_at", TS, required=True),
        Column("impressions", N, nonnegative=True),
        Column("followers", N, nonnegative=True),
        Column("likes", N, nonnegative=True),
        Column("shares", N, nonnegative=True),
        Column("comments", N, nonnegative=True),
    ),
)

MENTIONS = Table(
    "mentions",
    key="mention_id",
    columns=(
        Column("mention_id", T, required=True),
        Column("platform", T),
        Column("at", TS, required=True),
        Column("author", T),
        Column("text", T),
    ),
)

#: Every canonical table, in load order (parents before children).
TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        TICKETS,
        EVENTS,
        SURVEYS,
        SURVEY_REQUESTS,
        CUSTOMERS,
        SUBSCRIPTIONS,
        AGENTS,
        COSTS,
        SOCIAL_POSTS,
        MENTIONS,
    )
}
