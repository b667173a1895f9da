"""Business time as data: per schedule and UTC day, the business seconds elapsed before the
day began and the day's open periods (clipped to the day).

Business seconds between two instants are B(t2) − B(t1), where B(t) is the day's opening
balance plus the open time before t on that day. The engine evaluates B with an equality join
on (schedule, UTC day) — no ASOF join, no per-ticket Python — so it runs on every Ibis backend
and a changed schedule changes past numbers at the next query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays as holidays_lib
import pandas as pd

from deskmetrics.config import Schedule, Settings
from deskmetrics.errors import ConfigError

DAY = 86400


@dataclass(frozen=True)
class BusinessCalendar:
    """The business-day table for every schedule over a day range."""

    #: schedule_id → small integer used as the join key
    schedule_index: dict[str, int]
    default_schedule: str
    #: columns: sched, day (UTC day number), b0 (business seconds before the day), then
    #: s1, e1, …, sK, eK (epoch seconds of open periods inside the day; 0, 0 where absent)
    days: pd.DataFrame
    periods_per_day: int
    first_day: int
    last_day: int


def holiday_dates(schedule: Schedule, years: range) -> set[date]:
    """Public holidays of the schedule's country (and subdivision) plus its listed dates."""
    out = set(schedule.holidays.dates)
    if schedule.holidays.country:
        try:
            hol = holidays_lib.country_holidays(
                schedule.holidays.country, subdiv=schedule.holidays.subdivision, years=years
            )
        except (NotImplementedError, KeyError) as exc:
            raise ConfigError(
                f"schedule {schedule.id!r}: no public holidays known for country "
                f"{schedule.holidays.country!r} / subdivision {schedule.holidays.subdivision!r}"
            ) from exc
        out.update(hol.keys())
    return out


def open_periods(schedule: Schedule, first: date, last: date) -> list[tuple[int, int]]:
    """Open periods as (start, end) epoch seconds for local dates first..last, holidays removed.
    Local wall-clock bounds are converted one by one, so a DST change moves them correctly."""
    tz = ZoneInfo(schedule.timezone)
    closed = holiday_dates(schedule, range(first.year - 1, last.year + 2))
    out: list[tuple[int, int]] = []
    d = first
    while d <= last:
        if d not in closed:
            for start, end in schedule.spans(d.weekday()):
                s = datetime.combine(d, start, tzinfo=tz).astimezone(UTC)
                if end is None:
                    e = datetime.combine(d + timedelta(days=1), datetime.min.time(), tzinfo=tz)
                else:
                    e = datetime.combine(d, end, tzinfo=tz)
                e = e.astimezone(UTC)
                if e > s:
                    out.append((int(s.timestamp()), int(e.timestamp())))
        d += timedelta(days=1)
    # merge periods that touch (e.g. 00:00-24:00 on consecutive days)
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(out):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged


def first_calendar_day(start: datetime) -> int:
    """The day number (days since 1970-01-01 UTC) a calendar built from `start` begins on."""
    return int(start.replace(tzinfo=UTC).timestamp() // DAY) - 2


def build_business_calendar(settings: Settings, start: datetime, end: datetime) -> BusinessCalendar:
    """The business-day table for all configured schedules from `start` to `end` (UTC)."""
    first_day = first_calendar_day(start)
    last_day = int(end.replace(tzinfo=UTC).timestamp() // DAY) + 2
    index = {sid: i for i, sid in enumerate(sorted(settings.schedules))}
    frames: list[pd.DataFrame] = []
    k_max = 1
    for sid, sched in settings.schedules.items():
        d0 = datetime.fromtimestamp(first_day * DAY, UTC).date() - timedelta(days=1)
        d1 = datetime.fromtimestamp(last_day * DAY, UTC).date() + timedelta(days=1)
        pieces: dict[int, list[tuple[int, int]]] = {}
        for s, e in open_periods(sched, d0, d1):
            day = s // DAY
            while s < e:  # split at UTC midnights
                cut = min(e, (day + 1) * DAY)
                if first_day <= day <= last_day:
                    pieces.setdefault(day, []).append((s, cut))
                s, day = cut, day + 1
        k_max = max(k_max, *(len(v) for v in pieces.values())) if pieces else k_max
        rows = []
        balance = 0
        for day in range(first_day, last_day + 1):
            ps = pieces.get(day, [])
            rows.append((index[sid], day, balance, ps))
            balance += sum(e - s for s, e in ps)
        frames.append(pd.DataFrame(rows, columns=["sched", "day", "b0", "periods"]))
    table = pd.concat(frames, ignore_index=True)
    for k in range(k_max):
        # an absent period is (0, 0): it adds nothing to any instant, and no column is null
        table[f"s{k + 1}"] = table["periods"].map(lambda ps, k=k: ps[k][0] if k < len(ps) else 0)
        table[f"e{k + 1}"] = table["periods"].map(lambda ps, k=k: ps[k][1] if k < len(ps) else 0)
    table = table.drop(columns=["periods"]).astype("int64")
    return BusinessCalendar(
        schedule_index=index,
        default_schedule=settings.default_schedule.id,
        days=table,
        periods_per_day=k_max,
        first_day=first_day,
        last_day=last_day,
    )
