"""Staffing over HTTP and the dashboard's Staffing page.

- GET /api/erlang (viewer): agents for one interval (Erlang C, or Erlang A with `patience`)
- GET /api/forecast (viewer): volume forecast per channel and interval, with a backtest when
  `backtest_days` is given (the CLI's `forecast --format json`)
- GET /api/staffing (viewer): the plan of a channel — forecast × measured handle time → agents
  per interval (the CLI's `staffing --format json`); `format=csv` gives the rows
- GET /dashboard/staffing: the plan as a page: forecast against history, agents needed per
  interval as a heatmap, the inputs in a form (and so in the URL)"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse

from deskmetrics.api.deps import MaybePrincipal, ServiceDep, Viewer
from deskmetrics.api.routes.dashboard import (
    Column,
    Table,
    _heat_colour,
    _login_redirect,
    filter_options,
)
from deskmetrics.api.schemas import problems
from deskmetrics.errors import BackendError, DeskmetricsError
from deskmetrics.present import jsonable
from deskmetrics.reports.safe_cells import frame_csv
from deskmetrics.staffing import Target, plan_interval
from deskmetrics.staffing.forecast import check_interval
from deskmetrics.staffing.plan import Plan, make_forecast, make_plan, parse_days

router = APIRouter(responses=problems(400, 401, 403, 422, 503))

Interval = Annotated[
    int, Query(ge=15, le=60, description="Interval length in minutes: 15, 30 or 60.")
]
Horizon = Annotated[
    str, Query(max_length=8, description="Days to forecast after the history: 7d, 14d, 2w.")
]
TargetQ = Annotated[
    str,
    Query(
        max_length=32,
        description="PERCENT/SECONDS (80/20: 80% answered within 20 s) or asa:SECONDS.",
    ),
]
Shrinkage = Annotated[float, Query(ge=0, lt=100, description="Percent of paid time not available.")]
Occupancy = Annotated[float, Query(gt=0, le=100, description="Most percent of time busy.")]
Patience = Annotated[
    float | None,
    Query(ge=1, le=86_400, description="Mean seconds a caller waits: plans with Erlang A."),
]
Backtest = Annotated[
    int | None, Query(ge=1, le=366, description="Backtest on the most recent N days (WAPE).")
]
ChannelQ = Annotated[str, Query(min_length=1, max_length=64, description="The channel.")]


def _refuse(exc: Exception) -> HTTPException:
    if isinstance(exc, BackendError):
        return HTTPException(503, str(exc))
    return HTTPException(400, str(exc))


@router.get("/api/erlang", tags=["staffing"])
def erlang(
    who: Viewer,
    volume: Annotated[float, Query(ge=0, le=1_000_000, description="Contacts in the interval.")],
    aht: Annotated[float, Query(ge=1, le=86_400, description="Handle time in seconds.")],
    interval: Interval = 30,
    target: TargetQ = "80/20",
    shrinkage: Shrinkage = 0.0,
    max_occupancy: Occupancy = 100.0,
    concurrency: Annotated[int, Query(ge=1, le=20)] = 1,
    patience: Patience = None,
) -> dict[str, Any]:
    """Agents for one interval: agents, scheduled_agents (after shrinkage), service_level,
    asa_seconds, occupancy (percent), traffic (erlangs); abandonment with `patience`."""
    try:
        check_interval(interval)
        t = Target.parse(target)
        s = plan_interval(volume, interval, aht, t, shrinkage, max_occupancy, concurrency, patience)
    except DeskmetricsError as exc:
        raise _refuse(exc) from exc
    out: dict[str, Any] = {
        "agents": s.agents,
        "scheduled_agents": s.scheduled_agents,
        "service_level": s.service_level,
        "asa_seconds": s.asa_seconds,
        "occupancy": s.occupancy,
        "traffic": s.traffic,
        "model": "erlang_c" if patience is None else "erlang_a",
        "target": t.label(),
    }
    if patience is not None:
        out["abandonment"] = s.abandonment
    return {k: jsonable(v) for k, v in out.items()}


@router.get("/api/forecast", tags=["staffing"])
def forecast(
    svc: ServiceDep,
    who: Viewer,
    channel: Annotated[str | None, Query(max_length=64)] = None,
    interval: Interval = 30,
    horizon: Horizon = "7d",
    backtest_days: Backtest = None,
) -> dict[str, Any]:
    """Forecast contacts per channel and interval after the workspace's history: model,
    wape and seasonal_naive_wape (percent, with `backtest_days`), intervals, forecast rows
    (channel, interval_start in the report time zone, forecast)."""
    try:
        with svc.using() as ws:
            fc = make_forecast(
                ws, interval, parse_days(horizon), channel or None, None, backtest_days
            )
    except (DeskmetricsError, BackendError) as exc:
        raise _refuse(exc) from exc
    return fc.summary()


def _plan(
    svc: Any,
    channel: str,
    target: str,
    shrinkage: float,
    max_occupancy: float,
    interval: int,
    horizon: str,
    aht: float | None,
    concurrency: int | None,
    patience: float | None,
    backtest_days: int | None,
    clip_backtest: bool = False,
) -> Plan:
    goal, days = Target.parse(target), parse_days(horizon)
    request = ("staffing plan", channel, target, shrinkage, max_occupancy, interval, horizon,
               aht, concurrency, patience, backtest_days, clip_backtest)  # fmt: skip
    with svc.using() as ws:
        # the same plan while the data is unchanged (the service's result cache)
        return ws.remembered(
            request,
            lambda: make_plan(
                ws,
                channel,
                goal,
                shrinkage,
                max_occupancy,
                interval,
                days,
                aht,
                concurrency,
                patience,
                None,
                backtest_days,
                clip_backtest=clip_backtest,
            ),
        )


@router.get(
    "/api/staffing",
    tags=["staffing"],
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def staffing(
    svc: ServiceDep,
    who: Viewer,
    channel: ChannelQ = "phone",
    target: TargetQ = "80/20",
    shrinkage: Shrinkage = 0.0,
    max_occupancy: Occupancy = 100.0,
    interval: Interval = 30,
    horizon: Horizon = "7d",
    aht: Annotated[float | None, Query(ge=1, le=86_400)] = None,
    concurrency: Annotated[int | None, Query(ge=1, le=20)] = None,
    patience: Patience = None,
    backtest_days: Backtest = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Response:
    """The plan: `inputs` (what it was made from), `summary` (peak agents, agent hours,
    volume-weighted service level), `rows` per interval: channel, interval_start (report time
    zone), weekday, volume (forecast), aht_seconds, traffic, agents, scheduled_agents,
    service_level, asa_seconds, occupancy (percent), abandonment (with `patience`)."""
    try:
        plan = _plan(
            svc,
            channel,
            target,
            shrinkage,
            max_occupancy,
            interval,
            horizon,
            aht,
            concurrency,
            patience,
            backtest_days,
        )
    except (DeskmetricsError, BackendError) as exc:
        raise _refuse(exc) from exc
    if format == "csv":
        return Response(
            frame_csv(plan.rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="staffing-{channel}.csv"'},
        )
    return JSONResponse(plan.as_json())


# ---------------------------------------------------------------------------------------------
# the page


@dataclass(frozen=True)
class PageInputs:
    """The page's inputs as read from its URL (text kept as typed, for the form)."""

    channel: str = "phone"
    target: str = "80/20"
    shrinkage: str = "30"
    max_occupancy: str = "85"
    interval: str = "30"
    horizon: str = "7d"
    aht: str = ""
    concurrency: str = ""
    patience: str = ""
    backtest_days: str = "14"


def _number(text: str, name: str, whole: bool = False) -> float | None:
    if text.strip() == "":
        return None
    try:
        v = float(text)
    except ValueError as exc:
        raise DeskmetricsError(f"{name} {text!r} is not a number") from exc
    if not math.isfinite(v) or (whole and v != int(v)):
        raise DeskmetricsError(f"{name} {text!r}: use a whole number")
    return v


def _heat(plan: Plan) -> tuple[list[str], list[tuple[str, list[dict[str, Any]]]], int]:
    """Agents needed per interval as a grid: one row per day, one cell per interval."""
    rows = plan.rows
    starts = pd.to_datetime(rows["interval_start"])
    hi = int(rows["agents"].max()) if len(rows) else 0
    step = plan.inputs.interval_minutes
    labels = [f"{i * step // 60:02d}:{i * step % 60:02d}" for i in range(1440 // step)]
    grid: list[tuple[str, list[dict[str, Any]]]] = []
    for day, part in rows.groupby(starts.dt.date, sort=True):
        line = []
        for r in part.itertuples():
            agents = int(r.agents)  # type: ignore[arg-type]
            bg, ink = _heat_colour(float(agents), 0.0, float(hi))
            line.append(
                {
                    "agents": agents,
                    "scheduled": int(r.scheduled_agents),  # type: ignore[arg-type]
                    "volume": float(r.volume),  # type: ignore[arg-type]
                    "start": pd.Timestamp(r.interval_start).strftime("%H:%M"),  # type: ignore[arg-type]
                    "bg": bg,
                    "ink": ink,
                }
            )
        grid.append((pd.Timestamp(day).strftime("%a %-d %b"), line))  # type: ignore[arg-type]
    return labels, grid, hi


def _chart(plan: Plan) -> dict[str, Any]:
    """History (the last four weeks) and forecast of the planned channel, for Plotly."""
    hist = plan.forecast.history_rows(4)
    hist = hist[hist["channel"] == plan.inputs.channel]
    fut = plan.rows
    return {
        "staffing": {
            "history_x": [pd.Timestamp(t).isoformat() for t in hist["interval_start"]],
            "history_y": [float(v) for v in hist["volume"]],
            "forecast_x": [pd.Timestamp(t).isoformat() for t in fut["interval_start"]],
            "forecast_y": [round(float(v), 3) for v in fut["volume"]],
            "agents": [int(v) for v in fut["agents"]],
        }
    }


PLAN_TABLE = [
    Column("interval_start", "Interval", "date"),
    Column("weekday", "Day"),
    Column("volume", "Forecast", "count"),
    Column("aht_seconds", "AHT (s)", "count"),
    Column("traffic", "Erlangs", "score"),
    Column("agents", "Agents", "count"),
    Column("scheduled_agents", "Scheduled", "count"),
    Column("service_level", "Service level", "percent"),
    Column("asa_seconds", "ASA (s)", "count"),
    Column("occupancy", "Occupancy", "percent"),
]


@router.get("/dashboard/staffing", include_in_schema=False)
def staffing_page(request: Request, svc: ServiceDep, who: MaybePrincipal) -> Response:
    if who is None:
        return _login_redirect(request)
    from deskmetrics.web import render

    q = request.query_params
    inputs = PageInputs(
        **{k: q.get(k, getattr(PageInputs(), k))[:32] for k in PageInputs.__dataclass_fields__}
    )
    error, plan = "", None
    try:
        interval = int(_number(inputs.interval, "interval", whole=True) or 30)
        if interval not in (15, 30, 60):
            raise DeskmetricsError("interval: use 15, 30 or 60 minutes")
        conc = _number(inputs.concurrency, "concurrency", whole=True)
        back = _number(inputs.backtest_days, "backtest days", whole=True)
        plan = _plan(
            svc,
            inputs.channel,
            inputs.target,
            _number(inputs.shrinkage, "shrinkage") or 0.0,
            _number(inputs.max_occupancy, "max occupancy") or 100.0,
            interval,
            inputs.horizon,
            _number(inputs.aht, "handle time"),
            None if conc is None else int(conc),
            _number(inputs.patience, "patience"),
            None if not back else int(back),
            clip_backtest=True,
        )
    except (DeskmetricsError, BackendError) as exc:
        error = str(exc)
    with svc.using() as ws:
        channels = filter_options(svc, ws).get("channel", [])
    table = Table("plan", "Agents per interval", list(PLAN_TABLE))
    if plan is not None:
        if "abandonment" in plan.rows:
            table.columns.append(Column("abandonment", "Abandonment", "percent"))
        for rec in plan.rows.to_dict("records"):
            table.rows.append({str(k): jsonable(v) for k, v in rec.items()})
    if q.get("csv") == "plan":
        return Response(
            table.csv(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="deskmetrics-staffing-plan.csv"'},
        )
    labels, grid, hi = _heat(plan) if plan is not None else ([], [], 0)
    return render(
        request,
        "dashboard/staffing.html",
        status_code=400 if error else 200,
        active="staffing",
        inputs=inputs,
        channels=sorted({*channels, inputs.channel}),
        plan=plan,
        summary=plan.summary() if plan is not None else {},
        error=error,
        table=table,
        labels=labels,
        grid=grid,
        hi=hi,
        tz=svc.settings.report_timezone,
        query=request.url.query,
        charts_json=json.dumps(_chart(plan)) if plan is not None else "{}",
    )
