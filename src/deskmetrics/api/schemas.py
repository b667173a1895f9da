"""Response and request models of the HTTP API (they make the OpenAPI spec say what comes
back), and the conversion of result frames to JSON-ready rows: numbers stay numbers, NaN
becomes null, timestamps become ISO 8601 text. Durations are in minutes, as everywhere."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from deskmetrics.present import jsonable, records


class MetricInfo(BaseModel):
    """One registry entry, as the API lists it."""

    name: str = Field(examples=["first_response_time"])
    title: str
    definition: str = Field(description="What the number is, in plain words (the registry's).")
    unit: str = Field(description="minutes, percent, score, count or currency")
    direction: str = Field(description="higher or lower is better, or neutral")
    aggregation: str
    family: str
    business_of: str | None = Field(
        None, description="The calendar-time metric this business-hours variant mirrors."
    )
    dimensions: list[str] = Field(
        description="What `by` and `where` may name for this metric (ticket columns included)."
    )
    notes: str = ""


class ResultRow(BaseModel):
    """One result row of a report. Group keys asked for with `by` appear as further fields
    (e.g. `channel`), as do columns a metric adds (e.g. `spike`)."""

    model_config = ConfigDict(extra="allow")
    metric: str
    period: str | None = Field(
        None, description="Local start of the period, when a grain is asked."
    )
    value: float | None = Field(None, description="Durations in minutes; null when undefined.")
    unit: str
    n: int
    p50: float | None = None
    p90: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    small_sample: bool = False
    target: float | None = None
    meets_target: bool | None = None
    benchmark: float | None = None
    benchmark_name: str | None = None
    previous: float | None = None
    change: float | None = None
    p_value: float | None = None
    significant: bool | None = None


class LeftOut(BaseModel):
    reason: str = Field(description="The first condition of the definition these rows fail.")
    count: int
    ids: list[str] = Field(description="A page of their ticket ids (same limit/offset).")


class Explanation(BaseModel):
    """Why a number is what it is."""

    metric: str
    title: str
    definition: str
    unit: str
    counted: int = Field(description="Rows behind the number (all pages).")
    left_out: list[LeftOut]
    id_column: str = Field(
        description="What the ids name: ticket_id, response_id (survey answers), request_id "
        "(survey requests), target_id (SLA targets: ticket:target@start) or customer_id."
    )
    ids: list[str] = Field(description="A page of the ids behind the number, in id order.")
    limit: int
    offset: int
    next_offset: int | None = Field(None, description="Offset of the next page of `ids`, if any.")


class FactsPage(BaseModel):
    """A page of per-ticket facts (one object per ticket)."""

    total: int = Field(description="Tickets in all pages.")
    limit: int
    offset: int
    next_offset: int | None = None
    rows: list[dict[str, Any]]


class SlaTargetsPage(BaseModel):
    """A page of SLA targets, one object per target of a ticket (the CLI's `sla --all`)."""

    now: str = Field(description="The instant the targets are measured at (UTC).")
    total: int = Field(description="Targets in all pages.")
    limit: int
    offset: int
    next_offset: int | None = None
    rows: list[dict[str, Any]]


class RowProblem(BaseModel):
    """Why one posted row cannot be stored."""

    loc: list[str | int] = Field(description='["body", row index, field]')
    msg: str
    type: str = "value_error"
    row: int = Field(description="Index of the row in the posted array (0 = first).")
    field: str
    input: str | None = None


class Rejected(BaseModel):
    """Nothing was stored: these rows are wrong (a list of row problems), or the delivery as a
    whole is (one message naming the field and the reason: Zendesk webhooks)."""

    detail: list[RowProblem] | str


class Problem(BaseModel):
    """Why a request was refused and what to do about it."""

    detail: str = Field(examples=["unknown metric 'csatt'. Run `deskmetrics metrics` for the list"])


class Unprocessable(BaseModel):
    """A request the service cannot take: the fields that fail validation (FastAPI's list of
    `{loc, msg, type}`), or one message saying what to fix."""

    detail: list[dict[str, Any]] | str


#: what each refusal means, for the OpenAPI document
PROBLEMS: dict[int, str] = {
    400: "Bad request: the message says what to fix (unknown metric, dimension, zone, date)",
    401: "Not signed in: sign in (POST /api/session) or send 'Authorization: Bearer <token>'",
    403: "Signed in without the role this needs, or a cross-site request",
    404: "Not found",
    409: "Conflict with the stored state (the message says which)",
    410: "Gone (expired)",
    413: "The body is too large",
    422: "Unprocessable: the message or field list says what to fix",
    429: "Too many attempts: wait before trying again",
    503: "The data backend failed; try again",
}


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries documenting these refusals (all answer `{"detail": ...}`)."""
    return {
        c: {"model": Unprocessable if c == 422 else Problem, "description": PROBLEMS[c]}
        for c in codes
    }


class Ingested(BaseModel):
    """What one ingest call stored (all of it: an ingest call is all-or-nothing)."""

    source: str
    table: str
    received: int
    inserted: int
    updated: int = Field(description="Tickets whose current state changed (re-posted with news).")
    unchanged: int = Field(description="Rows already stored exactly so (idempotent re-posts).")
    duplicate: int = Field(
        default=0, description="Identical copies of a row in the same post, stored once."
    )
    import_id: str | None = None


class WebhookResult(BaseModel):
    """What a Zendesk webhook delivery became."""

    event_type: str
    ticket_id: str | None
    stored: list[Ingested] = Field(default_factory=list)
    ignored: str | None = Field(None, description="Why nothing was stored, when nothing was.")


__all__ = [
    "PROBLEMS",
    "Explanation",
    "FactsPage",
    "Ingested",
    "LeftOut",
    "MetricInfo",
    "Problem",
    "Rejected",
    "ResultRow",
    "RowProblem",
    "Unprocessable",
    "WebhookResult",
    "jsonable",
    "problems",
    "records",
]
