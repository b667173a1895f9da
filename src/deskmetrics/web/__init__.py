"""Server-rendered pages of the web service: the Jinja2 templates and static files (CSS, the
dashboard's small scripts) shipped inside the package — nothing is fetched from a CDN.

Route modules render pages with `render(request, "dir/page.html", **context)`. Pages extend
`base.html`, which draws the navigation bar (`NAV`) and offers these blocks:

- `title` — the page title (after "deskmetrics · ")
- `head` — extra tags for <head> (e.g. a page script)
- `filters` — the filter bar (the dashboard's pages include `dashboard/_filters.html`)
- `content` — the page body
- `scripts` — scripts at the end of <body>

Pass `active="sla"` (a `NAV` key) to highlight the page's navigation entry. `current_user`
is taken from the session when the context does not give it; a page with `bare=True` (login,
public survey pages) gets no navigation bar."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import HTMLResponse

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"

#: the navigation bar: (key, label, path). SLA and alert pages live at these paths.
NAV: list[tuple[str, str, str]] = [
    ("overview", "Overview", "/dashboard"),
    ("trends", "Trends", "/dashboard/trends"),
    ("breakdowns", "Breakdowns", "/dashboard/breakdowns"),
    ("heatmap", "Heatmap", "/dashboard/heatmap"),
    ("surveys", "Surveys", "/dashboard/surveys"),
    ("sla", "SLA", "/dashboard/sla"),
    ("alerts", "Alerts", "/dashboard/alerts"),
]


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(math.isnan(float(value)))
    except (TypeError, ValueError):
        return False


def fmt_minutes(value: Any) -> str:
    """A duration in minutes, readable at a glance: 42 min, 5.2 h, 3.1 d."""
    if _missing(value):
        return "–"
    m = float(value)
    if abs(m) < 60:
        return f"{m:.0f} min" if abs(m) >= 10 else f"{m:.1f} min"
    if abs(m) < 48 * 60:
        return f"{m / 60:.1f} h"
    return f"{m / 1440:.1f} d"


def fmt_value(value: Any, unit: str = "count") -> str:
    """A metric value in its unit: minutes as durations, percent with one decimal, counts with
    thousands separators, scores with up to two decimals."""
    if _missing(value):
        return "–"
    v = float(value)
    if unit == "minutes":
        return fmt_minutes(v)
    if unit == "percent":
        return f"{v:.1f}%"
    if unit == "count":
        return f"{v:,.0f}" if v == round(v) or abs(v) >= 100 else f"{v:,.1f}"
    if unit == "currency":
        return f"{v:,.2f}"
    return f"{v:,.2f}" if abs(v) < 10 else f"{v:,.1f}"


def fmt_change(value: Any, unit: str = "count") -> str:
    """A change between two values: percentage points for percents, signed."""
    if _missing(value):
        return "–"
    v = float(value)
    sign = "+" if v > 0 else ("−" if v < 0 else "±")
    if unit == "percent":
        return f"{sign}{abs(v):.1f} pts"
    return sign + fmt_value(abs(v), unit)


def fmt_local(value: Any, tz: str) -> str:
    """A UTC instant (naive or aware datetime, or ISO text) as wall-clock time in `tz`, to the
    minute: pages show times where the team works (the report time zone of the settings)."""
    if _missing(value):
        return "–"
    ts = pd.Timestamp(value)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts
    return ts.tz_convert(tz).strftime("%Y-%m-%d %H:%M")


def fmt_int(value: Any) -> str:
    return "–" if _missing(value) else f"{int(value):,}"


templates = Jinja2Templates(directory=str(TEMPLATES))
templates.env.filters["minutes"] = fmt_minutes
templates.env.filters["metric_value"] = fmt_value
templates.env.filters["change"] = fmt_change
templates.env.filters["int"] = fmt_int
templates.env.filters["local"] = fmt_local
templates.env.tests["missing"] = _missing
templates.env.globals["NAV"] = NAV


def render(request: Request, name: str, /, status_code: int = 200, **ctx: Any) -> HTMLResponse:
    """The page `name` (a path under templates/) rendered with `ctx`."""
    if "current_user" not in ctx:
        session = request.scope.get("session") or {}
        ctx["current_user"] = session.get("user")
    ctx.setdefault("active", "")
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)


__all__ = [
    "NAV",
    "STATIC",
    "TEMPLATES",
    "fmt_change",
    "fmt_local",
    "fmt_minutes",
    "fmt_value",
    "render",
    "templates",
]
