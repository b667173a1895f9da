"""Periods and time, in one place: "now" and naive UTC (as instants are stored), local
truncation to a grain, the periods a request covers (labelled by their local wall-clock start,
bounded by exact UTC instants across DST changes), snapshot period ends, the table of periods
sources join to, and filling the periods a result has no rows for."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir
import pandas as pd

from deskmetrics.model import Grain

if TYPE_CHECKING:
    from deskmetrics.engine.compile import MetricRequest
    from deskmetrics.engine.facts import Facts

#: Ibis truncation unit of each grain (local wall-clock time)
TRUNCATE = dict(zip(Grain, ("h", "D", "W", "M", "Q", "Y"), strict=True))

#: (period label: local wall-clock start, start UTC, end UTC), naive datetimes
Period = tuple[datetime, datetime, datetime]


def utc_now() -> datetime:
    """The current instant as a naive UTC datetime, like stored timestamps."""
    return datetime.now(UTC).replace(tzinfo=None)


def naive_utc(at: datetime | None = None) -> datetime:
    """`at` (an aware one is converted; naive means UTC; None: now) as a naive UTC datetime."""
    if at is None:
        return utc_now()
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo is not None else at


def epoch(d: datetime) -> int:
    """Epoch seconds of naive UTC instant `d`."""
    return int(d.replace(tzinfo=UTC).timestamp())


def to_utc(local: datetime, tz: str) -> datetime:
    """Naive local wall-clock time in `tz` as a naive UTC instant."""
    return local.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC).replace(tzinfo=None)


def to_local(d: datetime, tz: str) -> datetime:
    """Naive UTC instant `d` as naive local wall-clock time in `tz`."""
    return d.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).replace(tzinfo=None)


def truncate_local(d: datetime, grain: Grain) -> datetime:
    """Start of the period (naive local wall clock) that contains `d`."""
    if grain is Grain.HOUR:
        return d.replace(minute=0, second=0, microsecond=0)
    day = d.replace(hour=0, minute=0, second=0, microsecond=0)
    if grain is Grain.DAY:
        return day
    if grain is Grain.WEEK:
        return day - timedelta(days=day.weekday())
    if grain is Grain.MONTH:
        return day.replace(day=1)
    if grain is Grain.QUARTER:
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(month=1, day=1)


def next_period(d: datetime, grain: Grain) -> datetime:
    """Start of the period after the one starting (local) at `d`."""
    if grain is Grain.HOUR:
        return d + timedelta(hours=1)
    if grain is Grain.DAY:
        return d + timedelta(days=1)
    if grain is Grain.WEEK:
        return d + timedelta(days=7)
    months = {Grain.MONTH: 1, Grain.QUARTER: 3, Grain.YEAR: 12}[grain]
    m = d.month - 1 + months
    return d.replace(year=d.year + m // 12, month=m % 12 + 1, day=1)


def year_earlier(d: datetime) -> datetime:
    """The same wall-clock moment one year earlier (29 February becomes the 28th)."""
    try:
        return d.replace(year=d.year - 1)
    except ValueError:
        return d.replace(year=d.year - 1, day=28)


#: the date presets a page offers, relative to today (local): label and key
DATE_PRESETS = (
    ("Today", "today"),
    ("Yesterday", "yesterday"),
    ("This week", "this-week"),
    ("Last week", "last-week"),
    ("This month", "this-month"),
    ("Last month", "last-month"),
    ("This quarter", "this-quarter"),
    ("Last quarter", "last-quarter"),
    ("Last 7 days", "7d"),
    ("Last 30 days", "30d"),
    ("Last 90 days", "90d"),
)


def preset_range(key: str, today: date) -> tuple[date, date]:
    """First and last local day (both included) of a date preset: "this" periods run to today
    (partial), "last" ones are the whole period before, "Nd" the N days ending today."""
    if key.endswith("d") and key[:-1].isdigit():
        return today - timedelta(days=int(key[:-1]) - 1), today
    if key == "today":
        return today, today
    if key == "yesterday":
        day = today - timedelta(days=1)
        return day, day
    which, _, grain_name = key.partition("-")
    grain = Grain(grain_name)
    start = truncate_local(datetime.combine(today, time()), grain)
    if which == "this":
        return start.date(), today
    before = truncate_local(start - timedelta(days=1), grain)
    return before.date(), (start - timedelta(days=1)).date()


def periods_between(start: datetime, end: datetime, grain: Grain, tz: str) -> list[Period]:
    """Every period of `grain` in `tz` meeting [start, end) (naive UTC), its bounds clipped to
    the range."""
    out: list[Period] = []
    cur = truncate_local(to_local(start, tz), grain)
    while True:
        nxt = next_period(cur, grain)
        s_utc, e_utc = to_utc(cur, tz), to_utc(nxt, tz)
        if s_utc >= end:
            break
        out.append((cur, max(s_utc, start), min(e_utc, end)))
        cur = nxt
    return out


def earlier_periods(first: datetime, grain: Grain, tz: str, k: int) -> list[Period]:
    """The `k` whole periods before the one starting (local) at `first`, oldest first."""
    out: list[Period] = []
    cur = first
    for _ in range(k):
        prev = truncate_local(cur - timedelta(seconds=1), grain)
        out.append((prev, to_utc(prev, tz), to_utc(cur, tz)))
        cur = prev
    return out[::-1]


def periods_utc(req: MetricRequest, facts: Facts) -> list[Period]:
    """(period label local, start UTC, end UTC) covering the request's range (by default the
    workspace's data range)."""
    lo, hi = facts.data_range(until_now=False)
    start = req.start or lo
    end = req.end or hi + timedelta(seconds=1)
    if req.grain is None:
        return [(start, start, end)]
    return periods_between(start, end, req.grain, req.tz)


def period_ends(req: MetricRequest, facts: Facts) -> list[tuple[datetime, datetime]]:
    """(period start local, period end UTC) for snapshots: each period's end inside the range,
    which ends now (or at the workspace's `as_of`: nothing is known after it)."""
    lo, _ = facts.data_range()
    start = req.start or lo
    now = facts.ws.now()
    end = req.end or now
    if facts.ws.as_of is not None:
        end = min(end, now)
    if req.grain is None:
        return [(start, end)]
    return [(label, e) for label, _, e in periods_between(start, end, req.grain, req.tz)]


def period_starts(facts: Facts, req: MetricRequest, snapshot: bool = False) -> list[datetime]:
    """Local start of every period the request covers (for filling empty periods)."""
    if req.grain is None:
        return []
    if snapshot:
        return [p for p, _ in period_ends(req, facts)]
    return [p for p, _, _ in periods_utc(req, facts)]


def _has_tickets(facts: Facts) -> bool:
    ws = facts.ws
    return any(
        ws.has(name) and int(ws.backend.execute(ws.table(name).count())) > 0
        for name in ("tickets", "events")
    )


def request_periods(
    facts: Facts, req: MetricRequest, lo: datetime | None, hi: datetime | None
) -> list[Period]:
    """The request's periods for a source with its own instants. A range not given is the
    tickets' range, as for every other metric (so that a report's metrics share their periods);
    in a workspace without tickets it is the source's own, from its first instant (`lo`) to
    just after its last (`hi`)."""
    if (req.start is None or req.end is None) and _has_tickets(facts):
        return periods_utc(req, facts)
    start = req.start if req.start is not None else lo
    end = req.end if req.end is not None else (hi + timedelta(seconds=1) if hi else None)
    if start is not None and end is not None and end <= start:
        end = start + timedelta(seconds=1)
    return periods_utc(replace(req, start=start, end=end), facts)


def periods_table(periods: Sequence[Period]) -> ir.Table:
    """`_period` (label), `_ps` and `_pe` (UTC epoch seconds, end exclusive) per period."""
    return ibis.memtable(
        {
            "_period": [p for p, _, _ in periods],
            "_ps": [epoch(s) for _, s, _ in periods],
            "_pe": [epoch(e) for _, _, e in periods],
        },
        schema={"_period": "timestamp", "_ps": "int64", "_pe": "int64"},
    )


def fill_periods(
    df: pd.DataFrame,
    labels: Sequence[datetime],
    keys: Sequence[str],
    zeros: Mapping[str, float],
    groups: bool,
    column: str = "_period",
) -> pd.DataFrame:
    """Every period (local start in `labels`) gets a row, the columns in `zeros` set to their
    zero: always without grouping by `keys`; with grouping only when `groups` (counts and sums,
    where an empty group is 0, unlike a mean) and for the groups the result has."""
    by = list(keys)
    if not labels or (by and (not groups or df.empty)):
        return df
    grid = pd.DataFrame({column: pd.to_datetime(list(labels))})
    if by:
        grid = df[by].drop_duplicates().merge(grid, how="cross")
    df = df.copy()
    df[column] = pd.to_datetime(df[column]).astype(grid[column].dtype)
    out = grid.merge(df, on=[*by, column], how="left")
    for col, zero in zeros.items():
        out[col] = out[col].fillna(zero)
    return out


def labels(periods: Sequence[Period]) -> list[datetime]:
    """The local start (label) of each period."""
    return [p for p, _, _ in periods]
