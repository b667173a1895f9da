"""Server-rendered pages of the web service: the Jinja2 templates and static files (CSS, the
dashboard's small scripts) shipped inside the package — nothing is fetched from a CDN.

Route modules render pages with `render(request, "dir/page.html", **context)`. Pages extend
`base.html`, which draws the navigation bar (`NAV`) and offers these blocks:

- `title` — the page title (after "deskmetrics · ")
- `head` — extra tags for <head> (e.g. a page script)
- `filters` — the filter bar (the dashboard's pages include `dashboard/_filters.html`)
- `content` — the page body
- `scripts` — scripts at the end of <body> (base.html loads dashboard.js after them on every
  page: the phone menu, sortable tables, charts; a page does not load it again)

Pass `active="sla"` (a `NAV` key) to highlight the page's navigation entry. `current_user`
is taken from the session when the context does not give it; a page with `bare=True` (login,
public survey pages) gets no navigation bar."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd
from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import HTMLResponse

from deskmetrics.present import format_change, format_time_left, format_value, is_missing

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"


class Page(NamedTuple):
    """A page in the navigation bar: `key` (the `active=` of its render), its label and path;
    `scoped` pages take the dashboard's date range and filters along in their link."""

    key: str
    label: str
    path: str
    scoped: bool = False


#: the navigation bar. A new page: its route (api/routes), its template, and one entry here.
NAV: list[Page] = [
    Page("overview", "Overview", "/dashboard", scoped=True),
    Page("trends", "Trends", "/dashboard/trends", scoped=True),
    Page("breakdowns", "Breakdowns", "/dashboard/breakdowns", scoped=True),
    Page("heatmap", "Heatmap", "/dashboard/heatmap", scoped=True),
    Page("surveys", "Surveys", "/dashboard/surveys", scoped=True),
    Page("topics", "Topics", "/dashboard/topics", scoped=True),
    Page("ai", "AI agent", "/dashboard/ai", scoped=True),
    Page("sla", "SLA", "/dashboard/sla"),
    Page("staffing", "Staffing", "/dashboard/staffing"),
    Page("alerts", "Alerts", "/dashboard/alerts"),
]


def fmt_local(value: Any, tz: str) -> str:
    """A UTC instant (naive or aware datetime, or ISO text) as wall-clock time in `tz`, to the
    minute: pages show times where the team works (the report time zone of the settings)."""
    if is_missing(value):
        return "–"
    ts = pd.Timestamp(value)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts
    return ts.tz_convert(tz).strftime("%Y-%m-%d %H:%M")


templates = Jinja2Templates(directory=str(TEMPLATES))
templates.env.filters["metric_value"] = format_value
templates.env.filters["change"] = format_change
templates.env.filters["int"] = partial(format_value, unit="count")
templates.env.filters["minutes"] = partial(format_value, unit="minutes")
templates.env.filters["local"] = fmt_local
templates.env.filters["time_left"] = format_time_left
templates.env.tests["missing"] = is_missing
templates.env.globals["NAV"] = NAV


def render(request: Request, name: str, /, status_code: int = 200, **ctx: Any) -> HTMLResponse:
    """The page `name` (a path under templates/) rendered with `ctx`."""
    if "current_user" not in ctx:
        session = request.scope.get("session") or {}
        ctx["current_user"] = session.get("user")
    ctx.setdefault("active", "")
    if "ticket_link" not in ctx:  # ticket ids link to the help desk when `[helpdesk]` says how
        service = getattr(request.app.state, "service", None)
        settings = getattr(service, "settings", None)
        ctx["ticket_link"] = settings.helpdesk.ticket_link if settings is not None else _no_link
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)


def _no_link(ticket_id: object) -> None:
    return None


__all__ = [
    "NAV",
    "STATIC",
    "TEMPLATES",
    "Page",
    "fmt_local",
    "render",
    "templates",
]
