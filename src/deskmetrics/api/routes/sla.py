"""Service levels over HTTP and the dashboard's SLA page.

- GET /api/sla (viewer): the live queue — targets of open tickets that are breached or at risk,
  soonest due first (`?at_risk=&breached=&limit=&now=`), with the warning window and `now`
- GET /api/sla/targets (viewer): every SLA target of every ticket, paged, as JSON or CSV
  (`?limit=&offset=&format=&now=`): the CLI's `sla --all`
- GET /dashboard/sla: the queue as a page that refreshes itself every minute: tabs (all,
  breached, at risk), filters (team, agent, priority, policy), its CSV (`?csv=1`: every row)"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import pandas as pd
from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from deskmetrics.api.deps import MaybePrincipal, ServiceDep, Viewer
from deskmetrics.api.routes.metrics import NowQ, as_of
from deskmetrics.api.schemas import SlaTargetsPage, problems, records
from deskmetrics.errors import BackendError, DeskmetricsError
from deskmetrics.query import agent_names
from deskmetrics.reports.safe_cells import frame_csv
from deskmetrics.sla_query import sla_queue, sla_targets

router = APIRouter(responses=problems(400, 401, 403, 422, 503))

#: the page reloads its queue this often (seconds)
REFRESH_SECONDS = 60
#: targets the page lists (the totals count them all; CSV and /api/sla give every one)
PAGE_ROWS = 200


def _queue(
    svc: Any, at_risk: bool, breached: bool, limit: int | None, now: str | None
) -> tuple[datetime, list[dict[str, Any]]]:
    moment, df = _queue_frame(svc, at_risk, breached, limit, now)
    return moment, records(df)


def _queue_frame(
    svc: Any, at_risk: bool, breached: bool, limit: int | None, now: str | None
) -> tuple[datetime, pd.DataFrame]:
    try:
        with svc.using() as ws:
            view = as_of(ws, now)

            def queue() -> tuple[datetime, pd.DataFrame]:
                moment = view.now()
                return moment, sla_queue(
                    view, now=moment, at_risk=at_risk, breached=breached, limit=limit
                )

            # the queue as of its moment, answered again while no data arrives (the page says
            # when it was measured; `[web] result_cache_seconds`)
            moment, df = view.remembered(("sla queue", at_risk, breached, limit), queue)
    except BackendError as exc:
        raise HTTPException(503, str(exc)) from exc
    except DeskmetricsError as exc:
        # as on every query route: the query layer's refusal is a 400 with its message
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    return moment, df


@router.get("/api/sla", tags=["sla"])
def live_queue(
    svc: ServiceDep,
    who: Viewer,
    at_risk: bool = Query(True, description="include targets due within the warning window"),
    breached: bool = Query(True, description="include targets already past due"),
    limit: int = Query(100, ge=1, le=5000),
    now: NowQ = None,
) -> dict[str, Any]:
    """Open tickets' SLA targets that are breached or at risk, soonest due first. Each row:
    ticket_id, sla_target, policy, status, due_at (UTC), time_left_minutes (in the target's
    business or calendar time; negative when overdue), time, target_minutes, elapsed_minutes,
    paused, started_at, subject, priority, group, assignee_id, channel."""
    moment, rows = _queue(svc, at_risk, breached, limit, now)
    sla = svc.settings.sla
    return {
        "now": moment.isoformat(),
        "policies": [p.name for p in sla.policies],
        "warning": {"fraction": sla.warning_fraction, "max_minutes": sla.warning_max_seconds / 60},
        "count": len(rows),
        "items": rows,
    }


@router.get(
    "/api/sla/targets",
    tags=["sla"],
    response_model=SlaTargetsPage,
    summary="Every SLA target of every ticket, paged (the CLI's `sla --all`)",
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def targets(
    svc: ServiceDep,
    who: Viewer,
    limit: Annotated[int, Query(ge=1, le=10_000, description="Targets per page.")] = 100,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
    now: NowQ = None,
) -> Response:
    """One row per target of a ticket, in ticket and target order: ticket_id, policy,
    sla_target (first_reply, next_reply, periodic_update, resolution), status (achieved,
    breached, running, at_risk), time (the target's basis: business or calendar),
    target_minutes (in that basis), elapsed_business_minutes and elapsed_calendar_minutes
    (running time so far, pauses left out), due_at, started_at, stopped_at, settled_at (UTC).
    CSV is the page's rows."""
    try:
        with svc.using() as ws:
            view = as_of(ws, now)
            moment = view.now()
            df, total = sla_targets(view, now=moment, limit=limit, offset=offset)
    except BackendError as exc:
        raise HTTPException(503, str(exc)) from exc
    except DeskmetricsError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    if format == "csv":
        text = frame_csv(pd.DataFrame(records(df), columns=list(df.columns)))
        return Response(
            text,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="sla-targets.csv"'},
        )
    page = SlaTargetsPage(
        now=moment.isoformat(),
        total=total,
        limit=limit,
        offset=offset,
        next_offset=offset + limit if offset + limit < total else None,
        rows=records(df),
    )
    return JSONResponse(page.model_dump())


#: the page's tabs: which targets it lists
SHOW = {"all": "All", "breached": "Breached", "at_risk": "At risk"}
#: the page's filters: query parameter → queue column (and its label)
SLA_FILTERS = {
    "team": ("group", "Team"),
    "agent": ("assignee_id", "Agent"),
    "priority": ("priority", "Priority"),
    "policy": ("policy", "Policy"),
}


@router.get("/dashboard/sla", include_in_schema=False)
def sla_page(request: Request, svc: ServiceDep, who: MaybePrincipal) -> Response:
    if who is None:
        return RedirectResponse("/login?next=/dashboard/sla", status_code=303)
    from deskmetrics.web import render

    q = request.query_params
    show = q.get("show", "all")
    if show not in SHOW:
        raise HTTPException(400, f"show={show!r}: use one of {', '.join(SHOW)}")
    # the whole queue counts in the totals; the page lists its first PAGE_ROWS, soonest due
    moment, queue = _queue_frame(svc, True, True, None, None)
    with svc.using() as ws:
        names = agent_names(ws)
    options = {
        key: sorted({str(v) for v in queue[col].dropna() if str(v)}) if len(queue) else []
        for key, (col, _) in SLA_FILTERS.items()
    }
    chosen = {key: q.get(key, "") for key in SLA_FILTERS}
    for key, value in chosen.items():
        if value:
            queue = queue[queue[SLA_FILTERS[key][0]].astype(str) == value]
    states = queue["status"].value_counts() if len(queue) else pd.Series(dtype="int64")
    listed = queue if show == "all" else queue[queue["status"] == show]
    if len(listed):
        # calendar time to the deadline, beside the target's own (business) time left
        due = pd.to_datetime(listed["due_at"])
        listed = listed.assign(
            calendar_left_minutes=(due - pd.Timestamp(moment)).dt.total_seconds() / 60.0,
            assignee_name=listed["assignee_id"].map(lambda a: names.get(str(a))),
        )
    if "csv" in q:
        return Response(
            frame_csv(pd.DataFrame(records(listed), columns=list(listed.columns))),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="sla-{show}.csv"'},
        )
    rows = records(listed.head(PAGE_ROWS))
    base = [(k, v) for k, v in chosen.items() if v]
    return render(
        request,
        "sla.html",
        active="sla",
        now=moment,
        tz=svc.settings.report_timezone,
        rows=rows,
        total=len(listed),
        breached=int(states.get("breached", 0)),
        at_risk=int(states.get("at_risk", 0)),
        policies=svc.settings.sla.policies,
        refresh=REFRESH_SECONDS,
        show=show,
        tabs=SHOW,
        filters={k: label for k, (_, label) in SLA_FILTERS.items()},
        options=options,
        option_labels={"agent": names},
        chosen=chosen,
        query=urlencode([*base, ("show", show)]),
        filter_query=urlencode(base),
    )
