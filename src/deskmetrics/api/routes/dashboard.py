"""The dashboard: server-rendered pages over the query layer (overview cards, trends,
breakdowns, the volume heatmap, surveys, explanations) with the sign-in page.

Every number comes from `deskmetrics.query.compute` / `explain` with the page's scope (date
range and filters); this module formats and arranges, it computes no metric. Every table can
be downloaded as CSV: the page's URL with `csv=<table name>` returns that table's raw values.
Pages need a signed-in user (or a bearer token); without one they redirect to /login."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import numpy as np
import pandas as pd
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.responses import HTMLResponse

from deskmetrics.api.deps import (
    MaybePrincipal,
    Service,
    ServiceDep,
    SignInLocked,
    check_password,
    end_session,
    start_session,
)
from deskmetrics.engine import Workspace
from deskmetrics.engine.periods import DATE_PRESETS, next_period, preset_range, to_local
from deskmetrics.engine.surveys import followups
from deskmetrics.errors import DeskmetricsError
from deskmetrics.metrics import REGISTRY, Metric, get_metric
from deskmetrics.model import Grain
from deskmetrics.present import (
    METRIC_SETS,
    format_value,
    headline,
    is_missing,
    readable_ink,
    trend,
)
from deskmetrics.query import agent_names as query_agent_names
from deskmetrics.query import (
    compute,
    explain,
    facts_page,
    has_ai_agent,
    parse_day,
    survey_answers_in_scope,
)
from deskmetrics.reports.safe_cells import rows_csv
from deskmetrics.web import STATIC, render

router = APIRouter(include_in_schema=False)

#: filters every panel obeys: URL parameter → the query layer's filter column
FILTERS: dict[str, str] = {
    "channel": "Channel",
    "team": "Team",
    "agent": "Agent",
    "priority": "Priority",
    "tag": "Tag",
    "topic": "Topic",
    "handled_by": "Handled by",
}
TRENDS = list(METRIC_SETS["trends"])
BREAKDOWN_DIMS = {
    "channel": "Channel",
    "team": "Team",
    "agent": "Agent",
    "priority": "Priority",
    "handled_by": "Handled by",
}
BREAKDOWN = list(METRIC_SETS["breakdown"])
HEATMAP_METRICS = list(METRIC_SETS["heatmap"])
SURVEY_CARDS = list(METRIC_SETS["surveys"])
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
GRAINS = ["day", "week", "month"]
#: the default range: the last 7 days up to today; when the data ends before that week, the
#: last 14 days with data (an old export still opens on its latest activity)
DEFAULT_PRESET = "7d"
DEFAULT_DAYS = 14
STATIC_FILES = {
    "app.css": "text/css",
    "dashboard.js": "text/javascript",
    "alerts.js": "text/javascript",
}
OPTIONS_TTL = 60.0


# ---------------------------------------------------------------------------------------------
# scope: the date range and filters of a page, read from and written to the URL


@dataclass(frozen=True)
class Scope:
    """What every panel of a page shows: tickets in [start, end] (local dates, both included)
    matching the filters (several values of one filter: any of them)."""

    start: date
    end: date
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    first: date | None = None  # first and last day with tickets (for the presets)
    last: date | None = None
    today: date | None = None  # the local date now (presets are relative to it)
    #: the cards' comparison: the period before (`previous`) or the same dates a year earlier
    compare: str = "previous"

    def params(self) -> list[tuple[str, str]]:
        out = [("from", self.start.isoformat()), ("to", self.end.isoformat())]
        for k in [*FILTERS, *(k for k in self.filters if k not in FILTERS)]:
            out += [(k, v) for v in self.filters.get(k, ())]
        if self.compare != "previous":
            out.append(("compare", self.compare))
        return out

    def query(self, **extra: str | int | None) -> str:
        """The URL query of this scope plus `extra` parameters."""
        items = self.params() + [(k, str(v)) for k, v in extra.items() if v not in (None, "")]
        return urlencode(items)

    def narrowed(self, **values: str) -> Scope:
        """This scope with one filter value per named column (a drill into a group)."""
        f = dict(self.filters)
        for k, v in values.items():
            f[k] = (str(v),)
        return replace(self, filters=f)

    def between(self, start: date, end: date) -> Scope:
        return replace(self, start=start, end=end)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def query_kwargs(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "filters": dict(self.filters)}

    def preset(self, key: str) -> Scope | None:
        """The scope of a date preset (`engine.periods.DATE_PRESETS`), relative to today."""
        if self.today is None:
            return None
        start, end = preset_range(key, self.today)
        return replace(self, start=start, end=end)

    @property
    def partial(self) -> bool:
        """The range runs into today, which is not over: its last period is partial."""
        return self.today is not None and self.end >= self.today

    @property
    def comparison(self) -> str:
        """What the cards' change is measured against, in words."""
        if self.compare == "year":
            return "the same dates a year earlier"
        return f"the previous {self.days} days"

    def everything(self) -> Scope | None:
        if self.first is None or self.last is None:
            return None
        return replace(self, start=self.first, end=self.last)


def _parse_date(value: str | None, name: str) -> date | None:
    """A page's `from`/`to`: a date within the query layer's plausible years, else a 400."""
    if not value:
        return None
    try:
        parsed = parse_day(value, name)
    except DeskmetricsError as exc:
        raise HTTPException(400, str(exc)) from exc
    return parsed.date() if isinstance(parsed, datetime) else parsed


_CACHE: dict[tuple[int, str], tuple[float, Any]] = {}


def _cached(svc: Service, key: str, make: Callable[[], Any]) -> Any:
    """Filter options and the data's date span, kept for a minute (they change slowly)."""
    now = time.monotonic()
    hit = _CACHE.get((id(svc), key))
    if hit is not None and now - hit[0] < OPTIONS_TTL:
        return hit[1]
    value = make()
    _CACHE[(id(svc), key)] = (now, value)
    return value


def data_span(svc: Service, ws: Workspace) -> tuple[date, date] | None:
    """First and last local day with a ticket (volume by day)."""

    def make() -> tuple[date, date] | None:
        df = compute(ws, "volume", grain="day")
        days = df[df["value"] > 0]
        if days.empty:
            return None
        return (
            pd.Timestamp(days["period"].min()).date(),
            pd.Timestamp(days["period"].max()).date(),
        )

    span: tuple[date, date] | None = _cached(svc, "span", make)
    return span


def filter_options(svc: Service, ws: Workspace) -> dict[str, list[str]]:
    """The values each filter offers: the channels, teams, agents, priorities and tags seen."""

    def make() -> dict[str, list[str]]:
        # one query: every ticket is in one group of all the dimensions together, so each
        # dimension's values there are those it has by itself (one query instead of six: the
        # first page after a start computes them)
        dims = ["channel", "team", "agent", "priority", "topic", "handled_by"]
        df = compute(ws, "volume", by=dims)
        out = {dim: sorted(str(v) for v in df[dim].dropna().unique() if str(v)) for dim in dims}
        df = compute(ws, "volume", by=["tags"])
        tags = {t.strip() for v in df["tags"].dropna() for t in str(v).split(";") if t.strip()}
        out["tag"] = sorted(tags)
        return out

    options: dict[str, list[str]] = _cached(svc, "options", make)
    return options


def agent_names(svc: Service, ws: Workspace) -> dict[str, str]:
    """Agent id → name from the agents table (pages show names; ids stay the keys)."""

    names: dict[str, str] = _cached(svc, "agent_names", lambda: query_agent_names(ws))
    return names


def read_scope(request: Request, svc: Service, ws: Workspace) -> Scope:
    """The page's scope from its URL; without dates, the last 14 days with data."""
    q = request.query_params
    span = data_span(svc, ws)
    today = to_local(ws.now(), svc.settings.report_timezone).date()
    week = preset_range(DEFAULT_PRESET, today)
    if span is None or span[1] >= week[0]:
        start, end = week
    else:
        start, end = span[1] - timedelta(days=DEFAULT_DAYS - 1), span[1]
    given_end = _parse_date(q.get("to"), "to")
    given_start = _parse_date(q.get("from"), "from")
    if given_end is not None or given_start is not None:
        end = given_end or end
        start = given_start or end - timedelta(days=DEFAULT_DAYS - 1)
    if end < start:
        raise HTTPException(
            400,
            f"the range ends ({end}) before it starts ({start}): choose a 'to' date on or "
            "after the 'from' date, or one of the presets under Dates",
        )
    compare = q.get("compare") or "previous"
    if compare not in ("previous", "year"):
        raise HTTPException(400, "compare: 'previous' (the period before) or 'year'")
    filters = {k: tuple(v for v in q.getlist(k) if v) for k in FILTERS}
    filters = {k: v for k, v in filters.items() if v}
    return Scope(
        start,
        end,
        filters,
        span[0] if span else None,
        span[1] if span else None,
        today=today,
        compare=compare,
    )


# ---------------------------------------------------------------------------------------------
# tables: what a page shows and what its CSV holds


@dataclass
class Column:
    key: str
    label: str
    #: text, count, percent, minutes, score, date (a local period), instant (a UTC instant:
    #: shown in the page's time zone, raw UTC in CSV), ticket (an id, linked to the help desk)
    unit: str = "text"
    group: str = ""


@dataclass
class Table:
    """A table on a page: columns, rows of raw values, optional links per cell."""

    name: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, str]] = field(default_factory=list)
    note: str = ""

    def csv(self) -> str:
        """The table's raw values as CSV, formula-like text neutralised (safe_cells)."""
        return rows_csv(
            [c.key for c in self.columns],
            ([_csv_value(r.get(c.key)) for c in self.columns] for r in self.rows),
        )

    def groups(self) -> list[tuple[str, int]]:
        """Header groups (label, column span) for a two-row header."""
        out: list[tuple[str, int]] = []
        for c in self.columns:
            if out and out[-1][0] == c.group:
                out[-1] = (c.group, out[-1][1] + 1)
            else:
                out.append((c.group, 1))
        return out


def _csv_value(v: Any) -> Any:
    """A cell of a page's CSV: numbers stay numbers (a negative change is not text that looks
    like a formula: `safe_cells` only neutralises text), instants ISO text, the rest text."""
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    if isinstance(v, pd.Timestamp | datetime):
        return pd.Timestamp(v).isoformat()
    if isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool):
        return v
    return str(v)


def _clean(v: Any) -> Any:
    """A result cell as a plain Python value (None for missing)."""
    if is_missing(v):
        return None
    return v.item() if hasattr(v, "item") else v


def _csv_response(table: Table, page: str) -> Response:
    return Response(
        table.csv(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="deskmetrics-{page}-{table.name}.csv"'
        },
    )


def _wants_csv(request: Request, tables: Sequence[Table], page: str) -> Response | None:
    name = request.query_params.get("csv")
    if not name:
        return None
    for t in tables:
        if t.name == name:
            return _csv_response(t, page)
    raise HTTPException(404, f"no table {name!r} on this page")


# ---------------------------------------------------------------------------------------------
# computing with the query layer


def compute_each(
    ws: Workspace, metrics: Sequence[str], **kw: Any
) -> tuple[pd.DataFrame, dict[str, str]]:
    """compute(metrics, **kw); a metric that cannot take the request (e.g. a filter it has no
    column for) is left out with the reason instead of failing the whole page."""
    try:
        return compute(ws, list(metrics), **kw), {}
    except DeskmetricsError:
        pass
    frames, errors = [], {}
    for m in metrics:
        try:
            frames.append(compute(ws, m, **kw))
        except DeskmetricsError as exc:
            errors[m] = str(exc)
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["metric"])
    return df, errors


def explain_link(metric: str, scope: Scope) -> str:
    return "/dashboard/explain?" + scope.query(metric=metric)


@dataclass
class Card:
    """One headline number with everything a support lead reads beside it."""

    metric: Metric
    row: dict[str, Any] | None
    link: str
    error: str = ""

    @property
    def unit(self) -> str:
        return self.metric.unit.value

    def get(self, key: str) -> Any:
        return None if self.row is None else _clean(self.row.get(key))

    @property
    def trend(self) -> str:
        """better / worse / noise / neutral: the change's colour."""
        return trend(self.get("change"), self.metric.direction, self.get("significant") is True)


def cards(ws: Workspace, names: Sequence[str], scope: Scope) -> list[Card]:
    df, errors = compute_each(ws, names, compare=scope.compare, **scope.query_kwargs())
    out = []
    for name in names:
        rows = df[df["metric"] == name] if len(df) else df
        row = {str(k): v for k, v in rows.iloc[0].items()} if len(rows) else None
        out.append(Card(get_metric(name), row, explain_link(name, scope), errors.get(name, "")))
    return out


def _page_ctx(request: Request, svc: Service, ws: Workspace, scope: Scope) -> dict[str, Any]:
    presets = []
    for label, key in DATE_PRESETS:
        p = scope.preset(key)
        if p is not None:
            presets.append((label, p.query(), p.start == scope.start and p.end == scope.end))
    every = scope.everything()
    if every is not None:
        presets.append(
            ("All", every.query(), every.start == scope.start and every.end == scope.end)
        )
    # two presets may cover the same days (on the 7th, this month is the last 7 days): the
    # range is named once, the default's name first
    default = dict((k, label) for label, k in DATE_PRESETS)[DEFAULT_PRESET]
    named = [label for label, _, on in presets if on]
    chosen = default if default in named else (named[0] if named else None)
    presets = [(label, q, label == chosen) for label, q, _ in presets]
    # the page's own parameters (a breakdown's dimension and metrics, …), every value kept
    keep = [
        (k, v)
        for k, v in request.query_params.multi_items()
        if k not in (*FILTERS, "from", "to", "csv", "compare")
    ]
    return {
        "scope": scope,
        "query": scope.query(),
        "options": filter_options(svc, ws),
        "option_labels": {"agent": agent_names(svc, ws)},
        "tz": svc.settings.report_timezone,
        "filter_labels": FILTERS,
        "presets": presets,
        "keep": keep,
        "path": request.url.path,
    }


# ---------------------------------------------------------------------------------------------
# sign-in


def _login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no host, no `//`) is followed after sign-in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/dashboard"
    return target


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> Response:
    return render(
        request,
        "dashboard/login.html",
        bare=True,
        body_class="login-page",
        next=_safe_next(next),
        error="",
    )


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    svc: ServiceDep,
    name: str = Form(""),
    password: str = Form(""),
    next: str = Form("/dashboard"),
) -> Response:
    try:
        who = check_password(request, svc, name.strip(), password) if name.strip() else None
    except SignInLocked as exc:
        page = render(
            request,
            "dashboard/login.html",
            status_code=429,
            bare=True,
            body_class="login-page",
            next=_safe_next(next),
            error=f"Too many failed sign-ins: try again in {exc.retry_after} seconds.",
            name=name,
        )
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    if who is None:
        return render(
            request,
            "dashboard/login.html",
            status_code=401,
            bare=True,
            body_class="login-page",
            next=_safe_next(next),
            error="Unknown name or wrong password.",
            name=name,
        )
    start_session(request, who, svc.settings.web.session_hours)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request) -> RedirectResponse:
    end_session(request)
    return RedirectResponse("/login", status_code=303)


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/dashboard", status_code=303)


@router.get("/dashboard/static/{name}")
def static(name: str) -> Response:
    """The dashboard's CSS and scripts; Plotly's bundle from the installed plotly package."""
    if name == "plotly.min.js":
        import plotly

        path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
        return FileResponse(
            path, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"}
        )
    if name not in STATIC_FILES:
        raise HTTPException(404, f"no static file {name!r}")
    return FileResponse(
        STATIC / name, media_type=STATIC_FILES[name], headers={"Cache-Control": "max-age=300"}
    )


# ---------------------------------------------------------------------------------------------
# pages


T = TypeVar("T")


@dataclass
class PageContext:
    """Common page state after the sign-in check."""

    svc: Service
    ws: Workspace
    scope: Scope
    ctx: dict[str, Any]


def _page(request: Request, svc: Service, ws: Workspace, active: str) -> PageContext:
    scope = read_scope(request, svc, ws)
    ctx = _page_ctx(request, svc, ws, scope)
    ctx["active"] = active
    return PageContext(svc, ws, scope, ctx)


def _computed(
    request: Request, svc: Service, active: str, make: Callable[[Workspace, PageContext], T]
) -> tuple[Scope, dict[str, Any], T]:
    """The page's scope and context, and what `make` computes for it with the workspace — or,
    under `[web] results_may_lag_seconds`, what it computed for the same page and parameters
    a moment ago (`Service.answer`: a page does not wait behind live deliveries)."""

    def build(ws: Workspace) -> tuple[Scope, dict[str, Any], T]:
        p = _page(request, svc, ws, active)
        return p.scope, p.ctx, make(ws, p)

    fresh = "no-cache" in request.headers.get("cache-control", "").lower()
    key = ("page", active, request.url.path, str(request.url.query))
    (scope, ctx, value), age = svc.answer(key, build, fresh=fresh)
    # the page says how old its figures are when they were made for an earlier request
    lag = svc.settings.web.results_may_lag_seconds
    return (
        scope,
        {**ctx, "answer_age": None if age is None else int(age), "lag_seconds": lag},
        value,
    )


def _finish(
    request: Request, page: str, template: str, tables: list[Table], **ctx: Any
) -> Response:
    found = _wants_csv(request, tables, page)
    if found is None:
        found = render(request, template, tables={t.name: t for t in tables}, **ctx)
    if ctx.get("answer_age") is not None:  # as /api/report says it (RFC 9111's Age)
        found.headers["Age"] = str(ctx["answer_age"])
    return found


@router.get("/dashboard", response_class=HTMLResponse)
def overview(request: Request, svc: ServiceDep, who: MaybePrincipal) -> Response:
    if who is None:
        return _login_redirect(request)
    _, ctx, cs = _computed(
        request, svc, "overview", lambda ws, p: cards(ws, headline(has_ai_agent(ws)), p.scope)
    )
    table = Table(
        "headline",
        "Headline numbers",
        [
            Column("metric", "Metric"),
            Column("value", "Value", "value"),
            Column("unit", "Unit"),
            Column("n", "n", "count"),
            Column("p50", "Median", "value"),
            Column("p90", "p90", "value"),
            Column("ci_low", "CI low", "value"),
            Column("ci_high", "CI high", "value"),
            Column("previous", "Previous", "value"),
            Column("change", "Change", "value"),
            Column("p_value", "p-value", "score"),
            Column("target", "Target", "value"),
            Column("benchmark", "Benchmark", "value"),
        ],
    )
    for c in cs:
        row = {k: c.get(k) for k in (col.key for col in table.columns)}
        row["metric"], row["unit"] = c.metric.name, c.unit
        table.rows.append(row)
    return _finish(request, "overview", "dashboard/overview.html", [table], cards=cs, **ctx)


def _grain(request: Request, scope: Scope) -> str:
    g = request.query_params.get("grain") or ("day" if scope.days <= 31 else "week")
    if g not in GRAINS:
        raise HTTPException(400, f"grain={g!r}: use one of {', '.join(GRAINS)}")
    return g


def _period_range(start: pd.Timestamp, grain: str) -> tuple[date, date]:
    d = start.to_pydatetime()
    return d.date(), (next_period(d, Grain(grain)) - timedelta(days=1)).date()


def _series_table(
    name: str, metric: Metric, df: pd.DataFrame, scope: Scope, grain: str
) -> tuple[Table, dict[str, Any]]:
    """A metric over time: its table (period, value, n, median, p90 or interval) and chart."""
    unit = metric.unit.value
    cols = [Column("period", "Period", "date"), Column("value", metric.title, unit)]
    cols.append(Column("n", "n", "count"))
    has_q = df["p50"].notna().any() if len(df) else False
    has_ci = df["ci_low"].notna().any() if len(df) else False
    if has_q:
        cols += [Column("p50", "Median", unit), Column("p90", "p90", unit)]
    if has_ci:
        cols += [Column("ci_low", "95% low", unit), Column("ci_high", "95% high", unit)]
    t = Table(name, metric.title, cols)
    chart: dict[str, Any] = {"id": name, "title": metric.title, "unit": unit}
    chart.update({k: [] for k in ("x", "y", "n", "p50", "p90", "lo", "hi", "links")})
    for _, r in df.iterrows():
        period = pd.Timestamp(r["period"])
        row = {c.key: _clean(r.get(c.key)) for c in cols}
        row["period"] = period.date().isoformat()
        t.rows.append(row)
        a, b = _period_range(period, grain)
        link = explain_link(metric.name, scope.between(a, b))
        t.links.append({"value": link})
        chart["x"].append(row["period"])
        for key, src in (("y", "value"), ("n", "n"), ("p50", "p50"), ("p90", "p90")):
            chart[key].append(_clean(r.get(src)))
        chart["lo"].append(_clean(r.get("ci_low")))
        chart["hi"].append(_clean(r.get("ci_high")))
        chart["links"].append(link)
    return t, chart


def series_panels(
    ws: Workspace, names: Sequence[str], scope: Scope, grain: str
) -> tuple[list[Table], list[dict[str, Any]]]:
    """Each metric per period: its table and its chart (the Trends page, the AI agent's)."""
    df, errors = compute_each(ws, names, grain=grain, **scope.query_kwargs())
    tables, charts = [], []
    for name in names:
        part = df[df["metric"] == name] if len(df) else df
        t, chart = _series_table(name, get_metric(name), part, scope, grain)
        t.note = errors.get(name, "")
        tables.append(t)
        charts.append(chart)
    return tables, charts


@router.get("/dashboard/trends", response_class=HTMLResponse)
def trends(request: Request, svc: ServiceDep, who: MaybePrincipal) -> Response:
    if who is None:
        return _login_redirect(request)

    def make(ws: Workspace, p: PageContext) -> tuple[str, list[Table], list[dict[str, Any]]]:
        grain = _grain(request, p.scope)
        return (grain, *series_panels(ws, TRENDS, p.scope, grain))

    _, ctx, (grain, tables, charts) = _computed(request, svc, "trends", make)
    return _finish(
        request,
        "trends",
        "dashboard/trends.html",
        tables,
        charts=charts,
        grain=grain,
        grains=GRAINS,
        **ctx,
    )


#: what a breakdown shows unless the page chooses: the breakdown set, then shrunk and raw CSAT
BREAKDOWN_DEFAULT = [*BREAKDOWN, "csat_shrunk", "csat"]


def breakdown_choices(dim: str) -> list[Metric]:
    """The registry metrics a breakdown by `dim` can show (business-hours variants too)."""
    ticket_column = dim in ("channel", "priority", "handled_by")
    return [
        m
        for m in REGISTRY.values()
        if (ticket_column and m.ticket_dimensions) or dim in m.dimensions
    ]


def breakdown_table(
    ws: Workspace,
    dim: str,
    scope: Scope,
    names: Mapping[str, str] | None = None,
    metrics: Sequence[str] | None = None,
) -> Table:
    """Metrics by `dim`, each with n, median and p90 (durations), the 95% interval and a
    small-sample mark (proportions), and the change against the scope's comparison with its
    noise mark; by agent, `names` (agent id → name) adds a name column."""
    chosen = list(metrics or BREAKDOWN_DEFAULT)
    df, errors = compute_each(ws, chosen, by=[dim], compare=scope.compare, **scope.query_kwargs())
    named = dim == "agent" and names is not None
    cols = [Column(dim, BREAKDOWN_DIMS[dim]), *([Column("agent_name", "Name")] if named else [])]
    groups: dict[str, dict[str, Any]] = {}
    shown: dict[str, set[str]] = {m: set() for m in chosen}
    for _, r in df.iterrows():
        key = _clean(r.get(dim))
        label = "(none)" if key is None else str(key)
        row = groups.setdefault(label, {dim: label})
        if named and names is not None:
            row["agent_name"] = names.get(label)
        m = str(r["metric"])
        metric = get_metric(m)
        unit = str(r["unit"])
        row[m] = _clean(r["value"])
        row[f"{m}_n"] = _clean(r["n"])
        row[f"{m}_n_small"] = bool(r.get("small_sample"))
        for q in ("p50", "p90"):
            if _clean(r.get(q)) is not None:
                row[f"{m}_{q}"] = _clean(r[q])
                shown[m].add(q)
        if _clean(r.get("ci_low")) is not None:
            row[f"{m}_ci"] = f"{format_value(r['ci_low'], unit)}–{format_value(r['ci_high'], unit)}"
            shown[m].add("ci")
        if "change" in r and _clean(r["change"]) is not None:
            row[f"{m}_change"] = _clean(r["change"])
            row[f"{m}_change_unit"] = unit
            row[f"{m}_change_trend"] = trend(
                r["change"], metric.direction, r.get("significant") is not False
            )
        shown[m].add("change")
    for m in chosen:
        if m in errors:
            continue
        metric = get_metric(m)
        unit, title = metric.unit.value, metric.title
        cols.append(Column(m, "Value", unit, title))
        cols.append(Column(f"{m}_n", "n", "n", title))
        if "p50" in shown[m]:
            cols += [
                Column(f"{m}_p50", "Median", unit, title),
                Column(f"{m}_p90", "p90", unit, title),
            ]
        if "ci" in shown[m]:
            cols.append(Column(f"{m}_ci", "95% interval", "text", title))
        cols.append(Column(f"{m}_change", "Change", "change", title))
    t = Table(f"by_{dim}", f"By {BREAKDOWN_DIMS[dim].lower()}", cols)
    t.note = " ".join(errors.values())

    # agents and teams rank by shrunk CSAT (two answers are no verdict: they sit near the
    # overall rate), the raw rate beside it; other breakdowns by volume
    def rank(r: dict[str, Any]) -> tuple[float, float]:
        if dim in ("agent", "team") and r.get("csat_shrunk") is not None:
            return (-float(r["csat_shrunk"]), -float(r.get("volume") or 0))
        return (math.inf if dim in ("agent", "team") else 0.0, -float(r.get("volume") or 0))

    order = sorted(groups.values(), key=rank)
    for row in order:
        t.rows.append(row)
        value = row[dim]
        narrowed = scope if value == "(none)" else scope.narrowed(**{dim: value})
        links = {}
        for c in cols:
            metric_name = next((m for m in chosen if c.key == m or c.key.startswith(m + "_")), None)
            if metric_name is not None and c.unit not in ("text", "change"):
                links[c.key] = explain_link(metric_name, narrowed)
        t.links.append(links)
    return t


@router.get("/dashboard/breakdowns", response_class=HTMLResponse)
def breakdowns(request: Request, svc: ServiceDep, who: MaybePrincipal) -> Response:
    if who is None:
        return _login_redirect(request)
    dim = request.query_params.get("dim", "channel")
    if dim not in BREAKDOWN_DIMS:
        raise HTTPException(400, f"dim={dim!r}: use one of {', '.join(BREAKDOWN_DIMS)}")
    choices = breakdown_choices(dim)
    allowed = {m.name for m in choices}
    asked = [m for m in request.query_params.getlist("m") if m]
    unknown = [m for m in asked if m not in allowed]
    if unknown:
        raise HTTPException(400, f"m={unknown[0]!r}: not a metric a breakdown by {dim} can show")
    _, ctx, table = _computed(
        request,
        svc,
        "breakdowns",
        lambda ws, p: breakdown_table(ws, dim, p.scope, agent_names(svc, ws), asked or None),
    )
    chosen = asked or BREAKDOWN_DEFAULT
    return _finish(
        request,
        "breakdowns",
        "dashboard/breakdowns.html",
        [table],
        table=table,
        dim=dim,
        dims=BREAKDOWN_DIMS,
        choices=choices,
        chosen=chosen,
        metric_query="&".join(f"m={m}" for m in asked),
        **ctx,
    )


def _heat_colour(value: float | None, lo: float, hi: float) -> tuple[str, str]:
    """Background and text colour of a heatmap cell: white → the accent blue, the text dark or
    white, whichever reads better on it (WCAG contrast)."""
    if value is None:
        return "#f3f4f6", "#646e7d"
    share = 0.0 if hi <= lo else (value - lo) / (hi - lo)
    r0, g0, b0, r1, g1, b1 = 239, 243, 255, 47, 91, 234
    r, g, b = (round(a + (c - a) * share) for a, c in ((r0, r1), (g0, g1), (b0, b1)))
    bg = f"rgb({r},{g},{b})"
    return bg, readable_ink(bg)


@router.get("/dashboard/heatmap", response_class=HTMLResponse)
def heatmap(request: Request, svc: ServiceDep, who: MaybePrincipal) -> Response:
    if who is None:
        return _login_redirect(request)
    name = request.query_params.get("metric", "volume")
    if name not in HEATMAP_METRICS:
        raise HTTPException(400, f"metric={name!r}: use one of {', '.join(HEATMAP_METRICS)}")
    m = get_metric(name)
    scope, ctx, (df, errors) = _computed(
        request,
        svc,
        "heatmap",
        lambda ws, p: compute_each(ws, [name], by=["weekday", "hour"], **p.scope.query_kwargs()),
    )
    unit = m.unit.value
    table = Table(
        "heatmap",
        f"{m.title} by weekday and hour",
        [
            Column("weekday", "Weekday", "count"),
            Column("day", "Day"),
            Column("hour", "Hour", "count"),
            Column("value", m.title, unit),
            Column("n", "n", "count"),
        ],
        note=" ".join(errors.values()),
    )
    cells: dict[tuple[int, int], dict[str, Any]] = {}
    for _, r in df.iterrows():
        wd, hr = int(r["weekday"]), int(r["hour"])
        row = {
            "weekday": wd,
            "day": WEEKDAYS[wd - 1],
            "hour": hr,
            "value": _clean(r["value"]),
            "n": _clean(r["n"]),
        }
        cells[(wd, hr)] = row
        table.rows.append(row)
    values = [c["value"] for c in cells.values() if c["value"] is not None]
    lo, hi = (min(values), max(values)) if values else (0.0, 0.0)
    if name == "volume":
        lo = 0.0  # hours without tickets are empty cells, 0
    grid = []
    for wd in range(1, 8):
        line = []
        for hr in range(24):
            cell = cells.get((wd, hr))
            v = None if cell is None else cell["value"]
            if cell is None and name == "volume":
                v = 0.0
            bg, ink = _heat_colour(v, lo, hi)
            line.append(
                {
                    "value": v,
                    "n": 0 if cell is None else cell["n"],
                    "bg": bg,
                    "ink": ink,
                    "link": explain_link(name, scope.narrowed(weekday=str(wd), hour=str(hr))),
                }
            )
        grid.append((WEEKDAYS[wd - 1], line))
    return _finish(
        request,
        "heatmap",
        "dashboard/heatmap.html",
        [table],
        table=table,
        grid=grid,
        metric=m,
        unit=unit,
        choices=[(c, get_metric(c).title) for c in HEATMAP_METRICS],
        lo=lo,
        hi=hi,
        **ctx,
    )


@router.get("/dashboard/surveys", response_class=HTMLResponse)
def surveys(request: Request, svc: ServiceDep, who: MaybePrincipal) -> Response:
    if who is None:
        return _login_redirect(request)
    with svc.using() as ws:
        p = _page(request, svc, ws, "surveys")
        grain = _grain(request, p.scope)
        cs = cards(ws, SURVEY_CARDS, p.scope)
        csat_df, csat_err = compute_each(ws, ["csat"], grain=grain, **p.scope.query_kwargs())
        kw = p.scope.query_kwargs()
        nps_answers = survey_answers_in_scope(ws, ["nps"], **kw)
        comments = survey_answers_in_scope(ws, with_comment=True, limit=25, **kw)
        unhappy_scope = set(survey_answers_in_scope(ws, ["csat", "nps"], **kw)["response_id"])
        queue = followups(ws)
        names = agent_names(svc, ws)
    queue = queue[queue["response_id"].isin(unhappy_scope)]

    # NPS distribution: answers per score 0-10 (a count of answers, the NPS itself is above)
    scores = pd.to_numeric(nps_answers["score"], errors="coerce").dropna().astype(int)
    counts = scores.value_counts()
    total = int(counts.sum())
    nps_table = Table(
        "nps_distribution",
        "NPS answers by score",
        [
            Column("score", "Score", "count"),
            Column("group", "Group"),
            Column("answers", "Answers", "count"),
            Column("share", "Share", "percent"),
        ],
    )
    for s in range(11):
        n = int(counts.get(s, 0))
        group = "promoter" if s >= 9 else ("passive" if s >= 7 else "detractor")
        nps_table.rows.append(
            {
                "score": s,
                "group": group,
                "answers": n,
                "share": 100.0 * n / total if total else None,
            }
        )
    csat_table, csat_chart = _series_table(
        "csat_trend", get_metric("csat"), csat_df, p.scope, grain
    )
    csat_table.note = " ".join(csat_err.values())
    comment_table = Table(
        "comments",
        "Recent comments",
        [
            Column("answered_at", f"Answered ({p.ctx['tz']})", "instant"),
            Column("kind", "Survey"),
            Column("score", "Score"),
            Column("comment", "Comment"),
            Column("ticket_id", "Ticket", "ticket"),
            Column("agent", "Agent"),
            Column("agent_name", "Agent name"),
            Column("channel", "Channel"),
        ],
    )
    for _, r in comments.iterrows():
        row = {c.key: _clean(r.get(c.key)) for c in comment_table.columns}
        row["agent_name"] = names.get(str(row["agent"])) if row["agent"] is not None else None
        comment_table.rows.append(row)
    queue_table = Table(
        "followups",
        "Follow-up queue",
        [
            Column("answered_at", f"Answered ({p.ctx['tz']})", "instant"),
            Column("age_days", "Age (days)", "score"),
            Column("kind", "Survey"),
            Column("score", "Score"),
            Column("comment", "Comment"),
            Column("customer_id", "Customer"),
            Column("ticket_id", "Ticket", "ticket"),
            Column("agent_id", "Agent"),
            Column("agent_name", "Agent name"),
            Column("response_id", "Answer"),
        ],
        note="Detractors (NPS 0-6) and dissatisfied CSAT answers not yet marked done, oldest "
        "first (`deskmetrics followups done ID` closes one).",
    )
    for _, r in queue.iterrows():
        row = {c.key: _clean(r.get(c.key)) for c in queue_table.columns}
        who = row["agent_id"]
        row["agent_name"] = names.get(str(who)) if who is not None else None
        queue_table.rows.append(row)
    nps_chart = {
        "x": [r["score"] for r in nps_table.rows],
        "y": [r["answers"] for r in nps_table.rows],
        "group": [r["group"] for r in nps_table.rows],
    }
    return _finish(
        request,
        "surveys",
        "dashboard/surveys.html",
        [nps_table, csat_table, comment_table, queue_table],
        cards=cs,
        charts_json=json.dumps({"nps": nps_chart, "csat": csat_chart}),
        grain=grain,
        grains=GRAINS,
        **p.ctx,
    )


@router.get("/dashboard/explain", response_class=HTMLResponse)
def explanation(request: Request, svc: ServiceDep, who: MaybePrincipal) -> Response:
    if who is None:
        return _login_redirect(request)
    name = request.query_params.get("metric", "")
    try:
        metric = get_metric(name)
    except DeskmetricsError as exc:
        raise HTTPException(404, str(exc)) from exc
    try:
        offset = max(0, int(request.query_params.get("offset", "0")))
    except ValueError as exc:
        raise HTTPException(400, "offset must be a whole number") from exc
    # the page shows 50 ids at a time; its CSV downloads hold every row
    wants_csv = "csv" in request.query_params
    limit: int | None = None if wants_csv else 50
    if wants_csv:
        offset = 0
    extra = {
        k: (request.query_params[k],) for k in ("weekday", "hour") if k in request.query_params
    }

    def make(ws: Workspace, p: PageContext) -> tuple[Any, ...]:
        scope = replace(p.scope, filters={**p.scope.filters, **extra})
        error = ""
        try:
            df = compute(ws, name, **scope.query_kwargs())
            _, ex = explain(ws, name, limit=limit, offset=offset, **scope.query_kwargs())
        except DeskmetricsError as exc:
            error, df, ex = str(exc), pd.DataFrame(), None
        tickets = pd.DataFrame()
        answers = pd.DataFrame()
        if ex is not None and ex.ids and ex.id_column == "ticket_id":
            tickets, _ = facts_page(ws, ex.ids, limit=len(ex.ids))
        elif ex is not None and ex.ids and ex.id_column == "response_id":
            answers = survey_answers_in_scope(ws, ids=ex.ids, **scope.query_kwargs())
        return error, df, ex, tickets, answers, agent_names(svc, ws)

    page_scope, ctx, made = _computed(request, svc, "", make)
    error, df, ex, tickets, answers, names = made
    # (kept results are shared: the page's own additions go on copies)
    tickets, answers = tickets.copy(), answers.copy()
    row = df.iloc[0].to_dict() if len(df) else None
    measure = metric.measure
    cols = [
        Column("ticket_id", "Ticket", "ticket"),
        Column("created_at", f"Created ({ctx['tz']})", "instant"),
        Column("channel", "Channel"),
        Column("priority", "Priority"),
        Column("group", "Group"),
        Column("assignee_name", "Agent"),
        Column("assignee_id", "Agent id"),
        Column("subject", "Subject"),
        # what the customer wrote about, and how it felt at the start and at the end
        Column("topic_label", "Topic"),
        Column("sentiment_first", "Sentiment first", "score"),
        Column("sentiment_last", "Sentiment last", "score"),
    ]
    if measure and measure in tickets.columns:
        cols.append(Column(measure, metric.title, metric.unit.value))
    if len(tickets) and "assignee_id" in tickets.columns:
        tickets["assignee_name"] = [names.get(str(a)) for a in tickets["assignee_id"]]
    ticket_table = Table(
        "tickets",
        "Tickets counted",
        [c for c in cols if c.key in tickets.columns or not len(tickets)],
    )
    for _, r in tickets.iterrows():
        ticket_table.rows.append({c.key: _clean(r.get(c.key)) for c in ticket_table.columns})
    # a survey metric drills to its answers: score and comment, with the ticket and agent
    answer_table = Table(
        "answers",
        "Answers counted",
        [
            Column("response_id", "Answer"),
            Column("answered_at", f"Answered ({ctx['tz']})", "instant"),
            Column("kind", "Survey"),
            Column("score", "Score", "score"),
            Column("comment", "Comment"),
            Column("ticket_id", "Ticket", "ticket"),
            Column("agent_name", "Agent"),
            Column("agent", "Agent id"),
            Column("channel", "Channel"),
        ],
    )
    if len(answers):
        order = {rid: i for i, rid in enumerate(ex.ids if ex is not None else [])}
        answers = answers.assign(_o=answers["response_id"].map(order)).sort_values("_o")
        answers["agent_name"] = [names.get(str(a)) for a in answers["agent"]]
        for _, r in answers.iterrows():
            answer_table.rows.append({c.key: _clean(r.get(c.key)) for c in answer_table.columns})
    left = Table(
        "left_out",
        "Left out",
        [
            Column("reason", "Reason"),
            Column("rows", "Rows", "count"),
            Column("examples", "Examples"),
        ],
    )
    if ex is not None:
        for reason, n in ex.left_out:
            left.rows.append(
                {"reason": reason, "rows": n, "examples": " ".join(ex.left_out_ids.get(reason, []))}
            )
    id_column = ex.id_column if ex is not None else "id"
    counted = Table("counted", "Counted", [Column(id_column, id_column)])
    counted.rows = [{id_column: i} for i in (ex.ids if ex is not None else [])]
    extra_q = {k: v[0] for k, v in extra.items()}
    page_query = page_scope.query(metric=name, **extra_q)
    return _finish(
        request,
        "explain",
        "dashboard/explain.html",
        [ticket_table, answer_table, left, counted],
        metric=metric,
        row=row,
        ex=ex,
        error=error,
        offset=offset,
        limit=limit or 50,
        page_base="/dashboard/explain?" + page_query,
        page_query=page_query,
        extra=extra_q,
        ticket_table=ticket_table,
        answer_table=answer_table,
        left=left,
        **ctx,
    )


__all__ = ["FILTERS", "Scope", "compute_each", "filter_options", "read_scope", "router"]
