"""The Metric type: a declarative registry entry. Definitions only — no engine code here."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Unit(StrEnum):
    MINUTES = "minutes"
    PERCENT = "percent"
    SCORE = "score"
    COUNT = "count"
    CURRENCY = "currency"


class Direction(StrEnum):
    HIGHER_IS_BETTER = "higher"
    LOWER_IS_BETTER = "lower"
    NEUTRAL = "neutral"


class Aggregation(StrEnum):
    """How a metric turns source rows into one number per group and period."""

    #: mean of `measure` over the population, with n, p50 and p90
    MEAN = "mean"
    #: share of the population meeting `numerator`, in percent, with a Wilson interval
    PROPORTION = "proportion"
    #: number of population rows
    COUNT = "count"
    #: rows meeting `numerator` (anchored on `numerator_anchor`) per population row (anchored on
    #: `anchor`), in percent; the two counts come from different periods' rows, so no interval
    RATIO = "ratio"
    #: population rows open at the end of each period (a stock, not a flow)
    SNAPSHOT = "snapshot"
    #: per-metric aggregation the engine implements once (named by the metric's `source`)
    CUSTOM = "custom"


class Source(StrEnum):
    """The fact table a metric reads. Each is computed once per query by the engine."""

    TICKETS = "tickets"  # one row per ticket
    REPLIES = "replies"  # one row per public customer message and the agent reply after it
    INTERACTIONS = "interactions"  # one row per handled call / chat session
    STATUS = "status"  # one row per stretch of time a ticket spent in one status
    AGENT_DAYS = "agent_days"  # one row per agent and local day with handled tickets
    CHAT_SESSIONS = "chat_sessions"  # chat sessions per agent, for concurrency
    CONTACTS = "contacts"  # tickets created per active customer
    COSTS = "costs"  # support cost per handled ticket
    SURVEYS = "surveys"  # one row per survey answer
    SURVEY_REQUESTS = "survey_requests"  # surveys sent, for response rates
    CUSTOMERS = "customers"  # customers joining and leaving
    SUBSCRIPTIONS = "subscriptions"  # recurring revenue
    SOCIAL_POSTS = "social_posts"  # posts and their engagement
    MENTIONS = "mentions"  # brand mentions
    SLA_TARGETS = "sla_targets"  # one row per SLA target clock of a ticket (engine/sla.py)


class Op(StrEnum):
    IS_TRUE = "is_true"
    IS_FALSE = "is_false"
    NOT_NULL = "not_null"
    IS_NULL = "is_null"
    EQ = "=="
    NE = "!="
    GT = ">"
    GE = ">="
    LT = "<"
    LE = "<="
    IN = "in"


class Condition(BaseModel):
    """A declarative row condition; `left_out` says in plain words what a failing row is."""

    model_config = ConfigDict(frozen=True)
    column: str
    op: Op
    value: Any = None
    left_out: str = ""


def when(column: str, op: Op | str, value: Any = None, left_out: str = "") -> Condition:
    return Condition(column=column, op=Op(op), value=value, left_out=left_out)


#: dimensions every ticket-based metric accepts besides any ticket column
AGENT_DIMENSIONS = ("agent", "team")
TIME_DIMENSIONS = ("weekday", "hour")


class Metric(BaseModel):
    """One metric, defined once. The CLI, API, dashboard and alerts all read these entries."""

    model_config = ConfigDict(frozen=True)
    name: str
    title: str
    description: str
    unit: Unit
    direction: Direction
    aggregation: Aggregation
    source: Source
    #: fact column averaged (MEAN) — in minutes for durations
    measure: str | None = None
    #: timestamp column that decides which period (and date range) a row falls in
    anchor: str
    #: rows that enter the metric; each failing condition is reported with its `left_out` text
    population: tuple[Condition, ...] = ()
    #: rows counted as successes (PROPORTION) or the numerator rows (RATIO)
    numerator: tuple[Condition, ...] = ()
    numerator_anchor: str | None = None
    #: True when the metric accepts every ticket column as a dimension
    ticket_dimensions: bool = True
    #: further dimensions allowed (agent, team, weekday, hour, sla_target, …)
    dimensions: tuple[str, ...] = AGENT_DIMENSIONS + TIME_DIMENSIONS
    #: the calendar-time metric this business-time metric mirrors (None: not a business variant)
    business_of: str | None = None
    family: str = "ticket lifecycle"
    #: flag results computed from fewer answers than `small_sample` in the settings (always on
    #: for proportions)
    small_sample_flag: bool = False
    #: further definition parameters the engine reads (e.g. which survey kind), as data
    params: dict[str, Any] = Field(default_factory=dict)
    #: extra notes for the reference docs (what is counted, edge cases)
    notes: str = ""
    examples: list[str] = Field(default_factory=list)
