"""Tickets created per interval (15, 30 or 60 minutes of local wall-clock time) and channel:
the history a staffing forecast starts from. The one place the engine counts by sub-hour
interval; registry metrics stop at the hour grain."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd

from deskmetrics.calendar.business import holiday_dates
from deskmetrics.config import Settings
from deskmetrics.engine.clock import local_epoch
from deskmetrics.engine.periods import epoch
from deskmetrics.engine.workspace import Workspace


def interval_volumes(
    ws: Workspace,
    interval_minutes: int,
    tz: str,
    channel: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> pd.DataFrame:
    """Tickets created in each interval with at least one: columns channel, interval_start
    (naive local wall-clock start in `tz`), volume. Creation instants in [start, end) (naive
    UTC; the whole data range by default); only `channel` when given (channel names as
    reports show them, mapped by the settings)."""
    t = ws.table("tickets")
    if channel is not None:
        t = t.filter(t.channel == channel)
    at = t.created_at.epoch_seconds().cast("int64")
    t = t.mutate(_at_s=at)
    if start is not None:
        t = t.filter(t._at_s >= epoch(start))
    if end is not None:
        t = t.filter(t._at_s < epoch(end))
    lo, hi = ws.data_range(until_now=False)
    step = interval_minutes * 60
    local = local_epoch(t._at_s, tz, lo - timedelta(days=2), hi + timedelta(days=2))
    t = t.mutate(_slot=(local // step) * step, channel=t.channel.fill_null("(none)"))
    g = t.group_by(["channel", "_slot"]).aggregate(volume=t.count())
    df = ws.backend.execute(g.order_by(["channel", "_slot"]))
    df["interval_start"] = pd.to_datetime(df["_slot"], unit="s")
    df["volume"] = df["volume"].astype("float64")
    return df[["channel", "interval_start", "volume"]].reset_index(drop=True)


def schedule_holidays(settings: Settings, first: date, last: date) -> set[date]:
    """Holiday dates from first to last of every schedule in the settings (their countries'
    public holidays and listed dates): days a forecast treats apart."""
    years = range(first.year, last.year + 1)
    out: set[date] = set()
    for schedule in settings.schedules.values():
        out |= {d for d in holiday_dates(schedule, years) if first <= d <= last}
    return out
