"""Saved views: a dashboard page with its date range, filters and comparison, kept under a name
in the workspace's app state, listed, shared as a link (`/dashboard/v/NAME`), and e-mailed every
week when someone schedules it (the weekly report for the view's filters, with its link).

A view's page is one of the dashboard's scoped pages (never another address: a shared link
cannot lead off the site), and its query is the page's own parameters without a CSV request."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlencode

from deskmetrics.appstate import state
from deskmetrics.engine.periods import utc_now
from deskmetrics.engine.workspace import Workspace
from deskmetrics.errors import QueryError

#: the pages a view may show (the dashboard's pages that take a range and filters)
VIEW_PAGES = (
    "/dashboard",
    "/dashboard/trends",
    "/dashboard/breakdowns",
    "/dashboard/heatmap",
    "/dashboard/surveys",
    "/dashboard/followups",
)
NAME = re.compile(r"^[\w][\w .\-]{0,79}$")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: a view's page parameters that are filters (the weekly e-mail of a view keeps them)
FILTER_PARAMS = ("channel", "team", "agent", "priority", "tag")


@dataclass(frozen=True)
class SavedView:
    name: str
    path: str
    query: str
    created_by: str | None
    created_at: datetime
    #: its weekly e-mail, when scheduled: recipients, day, hour and zone
    recipients: tuple[str, ...] = ()
    day: str | None = None
    hour: int | None = None
    timezone: str | None = None

    @property
    def link(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path

    def filters(self) -> dict[str, list[str]]:
        """The view's filters (channel, team, agent, priority, tag), as a report reads them."""
        out: dict[str, list[str]] = {}
        for k, v in parse_qsl(self.query):
            if k in FILTER_PARAMS and v:
                out.setdefault(k, []).append(v)
        return out


def _checked_name(name: str) -> str:
    name = name.strip()
    if not NAME.match(name):
        raise QueryError(
            "a view's name: 1 to 80 letters, digits, spaces, dots, dashes or underscores"
        )
    return name


def save_view(ws: Workspace, name: str, path: str, query: str, by: str | None) -> SavedView:
    """Keep the page `path` with `query` under `name` (replacing a view of that name)."""
    name = _checked_name(name)
    if path not in VIEW_PAGES:
        raise QueryError(f"a view shows one of the dashboard's pages ({', '.join(VIEW_PAGES)})")
    params = [(k, v) for k, v in parse_qsl(query.lstrip("?"), keep_blank_values=False)]
    clean = urlencode([(k, v) for k, v in params if k not in ("csv", "offset")])
    st = state(ws)
    at = utc_now()
    st.run("DELETE FROM _saved_views WHERE name = ?", [name])
    st.run("INSERT INTO _saved_views VALUES (?, ?, ?, ?, ?)", [name, path, clean, by, at])
    view = get_view(ws, name)
    assert view is not None
    return view


def list_views(ws: Workspace) -> list[SavedView]:
    """Every saved view, by name, with its weekly e-mail when scheduled."""
    rows = state(ws).records(
        "SELECT v.name, v.path, v.query, v.created_by, v.created_at, r.recipients, r.day, "
        "r.hour, r.timezone FROM _saved_views v LEFT JOIN _view_reports r ON r.view = v.name "
        "ORDER BY v.name"
    )
    return [
        SavedView(
            r["name"],
            r["path"],
            r["query"],
            r["created_by"],
            r["created_at"],
            tuple(r["recipients"].split(",")) if r["recipients"] else (),
            r["day"],
            r["hour"],
            r["timezone"],
        )
        for r in rows
    ]


def get_view(ws: Workspace, name: str) -> SavedView | None:
    return next((v for v in list_views(ws) if v.name == name), None)


def delete_view(ws: Workspace, name: str) -> bool:
    """Forget a view and its weekly e-mail; whether there was one."""
    st = state(ws)
    st.run("DELETE FROM _view_reports WHERE view = ?", [name])
    return st.run("DELETE FROM _saved_views WHERE name = ?", [name]) > 0


def schedule_view(
    ws: Workspace,
    name: str,
    recipients: list[str],
    day: str,
    hour: int,
    timezone: str,
    by: str | None,
) -> None:
    """E-mail the view's weekly report every `day` at `hour` (`timezone`) to `recipients`."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if get_view(ws, name) is None:
        raise QueryError(f"no saved view {name!r}")
    to = [r.strip() for r in recipients if r.strip()]
    if not to or any("@" not in r or "," in r for r in to):
        raise QueryError("recipients: one or more e-mail addresses")
    if day not in DAYS:
        raise QueryError(f"day: one of {', '.join(DAYS)}")
    if not 0 <= hour <= 23:
        raise QueryError("hour: 0 to 23")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise QueryError(f"time zone {timezone!r} is unknown (use an IANA name)") from exc
    st = state(ws)
    st.run("DELETE FROM _view_reports WHERE view = ?", [name])
    st.run(
        "INSERT INTO _view_reports VALUES (?, ?, ?, ?, ?, ?, ?)",
        [name, ",".join(to), day, hour, timezone, by, utc_now()],
    )


def unschedule_view(ws: Workspace, name: str) -> None:
    state(ws).run("DELETE FROM _view_reports WHERE view = ?", [name])


__all__ = [
    "VIEW_PAGES",
    "SavedView",
    "delete_view",
    "get_view",
    "list_views",
    "save_view",
    "schedule_view",
    "unschedule_view",
]
