"""The weekly report e-mail.

Period: the 7 local days before the day the report is sent (sent Monday 08:00 → the previous
Monday–Sunday), in the schedule's zone; compared with the 7 days before that
(`compute(..., compare="previous")`). Values, changes and the chart all come from
`deskmetrics.query.compute`; nothing here computes a metric.

Schedule (`[[reports.weekly]]`): a report is due at its `day` and `hour` in its `timezone`;
the service sends each due instant once (table `_report_runs`), and only within a day after
it (a service started on Thursday does not send Monday's report late)."""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pandas as pd

from deskmetrics.appstate import state
from deskmetrics.config import WEEKDAYS, ReportSchedule, Settings
from deskmetrics.engine.periods import naive_utc, to_local
from deskmetrics.engine.workspace import Workspace
from deskmetrics.metrics import get_metric
from deskmetrics.notify.delivery import enqueue_email
from deskmetrics.notify.email import send_email
from deskmetrics.present import HEADLINE, format_change, format_value, headline, trend
from deskmetrics.query import compute, has_ai_agent
from deskmetrics.saved_views import SavedView, list_views

DEFAULT_METRICS: list[str] = list(HEADLINE)
CHART_CID = "weekly-chart"


@dataclass
class WeeklyReport:
    """A built report: the numbers (one row per metric) and the message parts."""

    team: str | None
    start: date
    end: date  # inclusive
    rows: pd.DataFrame
    subject: str
    text: str
    html: str
    images: dict[str, bytes] = field(default_factory=dict)


def _change(row: pd.Series) -> tuple[str, str]:
    """The change as text ("+3.0 pts", "−12.0%" …) and whether it is good, bad or flat."""
    change = row.get("change")
    text = format_change(change, str(row["unit"]), row.get("previous"))
    mood = trend(change, get_metric(str(row["metric"])).direction)
    return text, {"better": "good", "worse": "bad"}.get(mood, "flat")


def _chart(daily: pd.DataFrame, start: date, title: str) -> bytes:
    """Tickets per day, this week against the week before, as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    daily = daily.copy()
    daily["day"] = pd.to_datetime(daily["period"]).dt.date
    this = [
        float(daily.loc[daily["day"] == start + timedelta(days=i), "value"].sum()) for i in range(7)
    ]
    prev = [
        float(daily.loc[daily["day"] == start - timedelta(days=7 - i), "value"].sum())
        for i in range(7)
    ]
    labels = [(start + timedelta(days=i)).strftime("%a %d") for i in range(7)]
    fig, ax = plt.subplots(figsize=(6.4, 2.6), dpi=100)
    xs = range(7)
    ax.bar([x - 0.2 for x in xs], prev, width=0.4, color="#c8ccd4", label="week before")
    ax.bar([x + 0.2 for x in xs], this, width=0.4, color="#3461c1", label="this week")
    ax.set_xticks(list(xs), labels, fontsize=8)
    ax.set_title(title, fontsize=10, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def build_report(
    ws: Workspace,
    team: str | None,
    start: date,
    metrics: Sequence[str] | None = None,
    tz: str | None = None,
    view: SavedView | None = None,
    link: str | None = None,
) -> WeeklyReport:
    """The report for the 7 days from `start` (local dates in `tz`), for `team` or everyone;
    for a saved `view`, with its filters, named after it and linking to it (`link`); `metrics`
    by default the headline (with the AI agent's rates when one answers tickets)."""
    zone = tz or ws.settings.report_timezone
    metrics = metrics or headline(has_ai_agent(ws))
    end = start + timedelta(days=6)
    filters: dict[str, Any] | None = {"team": team} if team else None
    if view is not None:
        filters = {**view.filters(), **(filters or {})} or None
    rows = compute(
        ws, list(metrics), tz=zone, start=start, end=end, filters=filters, compare="previous"
    )
    daily = compute(
        ws,
        "volume",
        grain="day",
        tz=zone,
        start=start - timedelta(days=7),
        end=end,
        filters=filters,
    )
    who = f"view {view.name}" if view is not None else f"team {team}" if team else "all teams"
    period = f"{start:%a %d %b} – {end:%a %d %b %Y}"
    subject = f"Weekly support report · {who} · {period}"
    png = _chart(daily, start, "Tickets per day")

    lines = [subject, "", f"{'Metric':<40}{'This week':>14}{'Week before':>14}{'Change':>12}"]
    cells = []
    for _, r in rows.iterrows():
        unit = str(r["unit"])
        label = get_metric(str(r["metric"])).title
        change, mood = _change(r)
        now_txt, prev_txt = format_value(r["value"], unit), format_value(r.get("previous"), unit)
        small = " (small sample)" if bool(r.get("small_sample")) else ""
        lines.append(f"{label:<40}{now_txt:>14}{prev_txt:>14}{change:>12}{small}")
        colour = {"good": "#1a7f37", "bad": "#c62828", "flat": "#555"}[mood]
        cells.append(
            f"<tr><td style='padding:4px 12px 4px 0'>{html.escape(label)}</td>"
            f"<td style='padding:4px 12px;text-align:right;font-weight:600'>{now_txt}</td>"
            f"<td style='padding:4px 12px;text-align:right;color:#555'>{prev_txt}</td>"
            f"<td style='padding:4px 0 4px 12px;text-align:right;color:{colour}'>"
            f"{html.escape(change)}{html.escape(small)}</td></tr>"
        )
    lines += ["", "Tickets per day are in the chart of the HTML version."]
    body = (
        "<!doctype html><html><body style='font-family:Segoe UI,Helvetica,Arial,sans-serif;"
        "color:#1f2328'>"
        f"<h2 style='font-size:18px;margin:0 0 4px'>Weekly support report · {html.escape(who)}</h2>"
        f"<p style='margin:0 0 16px;color:#555'>{html.escape(period)}, compared with the 7 days "
        "before</p>"
        "<table style='border-collapse:collapse;font-size:14px'><thead><tr>"
        "<th style='text-align:left'>Metric</th><th style='text-align:right'>This week</th>"
        "<th style='text-align:right'>Week before</th><th style='text-align:right'>Change</th>"
        "</tr></thead><tbody>" + "".join(cells) + "</tbody></table>"
        f"<p><img src='cid:{CHART_CID}' alt='Tickets per day, this week and the week before' "
        "width='640' height='260'></p>"
        + (f"<p><a href='{html.escape(link)}'>Open the view</a></p>" if link else "")
        + "</body></html>"
    )
    if link:
        lines.append(f"The view: {link}")
    return WeeklyReport(
        team, start, end, rows, subject, "\n".join(lines) + "\n", body, {CHART_CID: png}
    )


def last_week_start(now: datetime, tz: str) -> date:
    """The first day of the 7 local days before `now`'s local date."""
    return to_local(naive_utc(now), tz).date() - timedelta(days=7)


def send_report(
    ws: Workspace,
    settings: Settings,
    to: Sequence[str],
    team: str | None = None,
    start: date | None = None,
    metrics: Sequence[str] | None = None,
    tz: str | None = None,
) -> WeeklyReport:
    """Build and send a report now (the last 7 days before today by default)."""
    zone = tz or settings.report_timezone
    first = start or last_week_start(ws.now(), zone)
    report = build_report(ws, team, first, metrics, zone)
    send_email(settings, list(to), report.subject, report.text, report.html, report.images)
    return report


def due_instant(schedule: ReportSchedule, now: datetime) -> datetime:
    """The latest instant ≤ now at which `schedule` is due (UTC, naive)."""
    zone = ZoneInfo(schedule.timezone)
    local = (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(zone)
    back = (local.weekday() - WEEKDAYS.index(schedule.day)) % 7
    day = local.date() - timedelta(days=back)
    at = datetime(day.year, day.month, day.day, schedule.hour, tzinfo=zone)
    if at > local:
        at -= timedelta(days=7)
        at = datetime(at.year, at.month, at.day, schedule.hour, tzinfo=zone)
    return at.astimezone(UTC).replace(tzinfo=None)


def run_due_reports(ws: Workspace, settings: Settings, now: datetime | None = None) -> list[str]:
    """Queue every scheduled report due at `now` and not yet queued; returns message ids."""
    at = now or datetime.now(UTC)
    at_naive = at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at
    st = state(ws)
    ids = []
    for sch in settings.reports.weekly:
        due = due_instant(sch, at)
        if at_naive - due > timedelta(days=1):
            continue
        if st.count(
            "SELECT count(*) FROM _report_runs WHERE report = ? AND due_at = ?", [sch.name, due]
        ):
            continue
        local_day = due.replace(tzinfo=UTC).astimezone(ZoneInfo(sch.timezone)).date()
        rep = build_report(
            ws,
            sch.team,
            local_day - timedelta(days=7),
            sch.metrics or None,
            sch.timezone,
        )
        mid = enqueue_email(
            ws,
            sch.to,
            rep.subject,
            rep.text,
            rep.html,
            rep.images,
            source=f"report:{sch.name}",
            now=at_naive,
        )
        st.run("INSERT INTO _report_runs VALUES (?, ?, ?, ?)", [sch.name, due, at_naive, mid])
        ids.append(mid)
    for view in list_views(ws):
        if not view.recipients or view.day is None or view.hour is None:
            continue
        sch = ReportSchedule(
            name=f"view:{view.name}",
            to=list(view.recipients),
            day=view.day,  # type: ignore[arg-type]  # checked when scheduled
            hour=view.hour,
            timezone=view.timezone or "UTC",
        )
        due = due_instant(sch, at)
        if at_naive - due > timedelta(days=1) or st.count(
            "SELECT count(*) FROM _report_runs WHERE report = ? AND due_at = ?", [sch.name, due]
        ):
            continue
        local_day = due.replace(tzinfo=UTC).astimezone(ZoneInfo(sch.timezone)).date()
        link = f"{settings.web.public_url.rstrip('/')}/dashboard/v/{quote(view.name)}"
        rep = build_report(ws, None, local_day - timedelta(days=7), None, sch.timezone, view, link)
        mid = enqueue_email(
            ws, sch.to, rep.subject, rep.text, rep.html, rep.images, source=f"report:{sch.name}",
            now=at_naive,
        )  # fmt: skip
        st.run("INSERT INTO _report_runs VALUES (?, ?, ?, ?)", [sch.name, due, at_naive, mid])
        ids.append(mid)
    return ids


__all__ = [
    "WeeklyReport",
    "build_report",
    "due_instant",
    "last_week_start",
    "run_due_reports",
    "send_report",
]
