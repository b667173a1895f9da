"""The topics table over HTTP (the CLI's `deskmetrics topics`): each topic with its tickets,
share, change against the period before (with a range), first response time, full
resolution time, FCR, CSAT, sentiment and example tickets. Every number comes from
`query.compute` grouped by topic, as `/api/report?metric=…&by=topic` gives it.

- GET /api/topics (`from`, `to`, `examples`, `format` json or csv, `now`)"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from deskmetrics.api.deps import ServiceDep, Viewer
from deskmetrics.api.routes.metrics import (
    _CSV,
    From,
    NowQ,
    To,
    _answers,
    _day,
    _frame_response,
    as_of,
)
from deskmetrics.api.schemas import problems
from deskmetrics.topic_report import topic_table

router = APIRouter(tags=["metrics"], responses=problems(400, 401, 403, 422, 503))


@router.get(
    "/api/topics",
    summary="Ticket topics beside the numbers (the CLI's `topics`)",
    responses={200: {"content": _CSV}},
)
def topics(
    who: Viewer,
    svc: ServiceDep,
    start: From = None,
    end: To = None,
    examples: Annotated[int, Query(ge=0, le=20, description="Example tickets per topic.")] = 3,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
    now: NowQ = None,
) -> Response:
    """One row per topic, most tickets first (durations in minutes, rates in percent,
    sentiment from −1 to 1)."""
    first, last = _day(start, "from"), _day(end, "to")
    with _answers(), svc.using() as ws:
        df = topic_table(as_of(ws, now), start=first, end=last, examples=examples)
    return _frame_response(df, format, "topics.csv")
