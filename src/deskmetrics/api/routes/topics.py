"""The topics table over HTTP (the CLI's `deskmetrics topics`): each topic with its tickets,
share, change against the period before (with a range), first response time, full
resolution time, FCR, CSAT, sentiment and example tickets. Every number comes from
`query.compute` grouped by topic, as `/api/report?metric=…&by=topic` gives it.

- GET /api/topics (`from`, `to`, `examples`, `format` json or csv, `now`)"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.responses import HTMLResponse

from deskmetrics.api.deps import MaybePrincipal, ServiceDep, Viewer
from deskmetrics.api.routes.dashboard import (
    Column,
    Table,
    _clean,
    _finish,
    _login_redirect,
    _page,
    explain_link,
)
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


# --- the dashboard page ----------------------------------------------------------------------

#: the table's columns: (key, label, unit); the metrics' units come from topic_report.UNITS
PAGE_COLUMNS = (
    ("topic_label", "Topic", "text"),
    ("tickets", "Tickets", "count"),
    ("share", "Share", "percent"),
    ("change", "Change", "change"),
    ("first_response_time", "First response", "minutes"),
    ("full_resolution_time", "Resolution", "minutes"),
    ("fcr_rate", "FCR", "percent"),
    ("csat", "CSAT", "percent"),
    ("sentiment", "Sentiment", "score"),
    ("examples", "Example tickets", "text"),
)


@router.get("/dashboard/topics", response_class=HTMLResponse, include_in_schema=False)
def topics_page(request: Request, svc: ServiceDep, who: MaybePrincipal) -> Response:
    """What customers write about: each topic with its volume, change, speed, FCR, CSAT and
    sentiment; a topic (or a number) drills into its tickets."""
    if who is None:
        return _login_redirect(request)
    with svc.using() as ws:
        p = _page(request, svc, ws, "topics")
        df = topic_table(ws, start=p.scope.start, end=p.scope.end)
    table = Table("topics", "Topics", [Column(k, label, unit) for k, label, unit in PAGE_COLUMNS])
    metric_of = {"tickets": "volume", "share": "volume", "topic_label": "volume"}
    chart: dict[str, Any] = {"id": "topics", "title": "Tickets per topic", "unit": "count",
                             "x": [], "y": [], "n": [], "p50": [], "p90": [], "lo": [],
                             "hi": [], "links": []}  # fmt: skip
    emerging = []
    for _, r in df.iterrows():
        row = {k: _clean(r.get(k)) for k, _, _ in PAGE_COLUMNS}
        row["change_unit"] = "count"
        row["change_trend"] = "neutral"
        if bool(r.get("emerging", False)):
            row["topic_label"] = f"{row['topic_label']} (emerging)"
            emerging.append(str(r["topic_label"]))
        table.rows.append(row)
        narrowed = p.scope.narrowed(topic=str(r["topic"]))
        table.links.append(
            {
                k: explain_link(metric_of.get(k, k), narrowed)
                for k, _, unit in PAGE_COLUMNS
                if k in metric_of or unit in ("minutes", "percent", "score")
            }
        )
        chart["x"].append(str(r["topic_label"]))
        chart["y"].append(_clean(r["tickets"]))
        chart["n"].append(_clean(r["tickets"]))
        for key in ("p50", "p90", "lo", "hi"):
            chart[key].append(None)
        chart["links"].append(explain_link("volume", narrowed))
    return _finish(
        request,
        "topics",
        "dashboard/topics.html",
        [table],
        table=table,
        charts=[chart],
        emerging=emerging,
        fitted=len(df) > 1 or (len(df) == 1 and str(df.iloc[0]["topic"]) != "other"),
        **p.ctx,
    )
