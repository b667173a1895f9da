"""Business time and local time as Ibis expressions over small calendar tables.

Both avoid engine-specific functions (no ASOF join, no time-zone conversion functions): a UTC
day-number equality join for business time, a CASE over the zone's offset changes for local
time. They give the same numbers on DuckDB, Spark and any SQL engine."""

from __future__ import annotations

from datetime import datetime

import ibis
import ibis.expr.types as ir

from deskmetrics.calendar import BusinessCalendar, utc_offsets

DAY = 86400


def calendar_table(cal: BusinessCalendar) -> ir.Table:
    return ibis.memtable(cal.days)


def schedule_index(cal: BusinessCalendar, schedule_id: ir.StringValue) -> ir.IntegerValue:
    """The calendar's integer key for a ticket's schedule_id; unknown or empty → default."""
    default = cal.schedule_index[cal.default_schedule]
    branches = [(schedule_id == sid, idx) for sid, idx in cal.schedule_index.items()]
    return ibis.cases(*branches, else_=default) if branches else ibis.literal(default)


def with_business_seconds(
    t: ir.Table, cal: BusinessCalendar, cal_t: ir.Table, epoch: str, sched: str, out: str
) -> ir.Table:
    """Add `out` = business seconds elapsed (in schedule `sched`) at instant `epoch`, from the
    calendar's origin. Rows are matched to the calendar by an inner equality join; `epoch` must
    be non-null and inside the calendar (the workspace builds it to cover all data)."""
    day = (t[epoch] // DAY).cast("int64")
    keyed = t.mutate(_cal_day=day)
    j = keyed.join(cal_t, [keyed[sched] == cal_t.sched, keyed._cal_day == cal_t.day])
    at = j[epoch]
    total: ir.IntegerValue = j.b0
    for k in range(1, cal.periods_per_day + 1):
        s, e = j[f"s{k}"], j[f"e{k}"]
        inside = ibis.least(at, e) - s
        part = ibis.cases((inside > 0, inside), else_=0)
        total = total + part
    keep = [c for c in t.columns]
    return j.select(*keep, **{out: total.cast("int64")})


def local_epoch(epoch: ir.IntegerValue, tz: str, start: datetime, end: datetime) -> ir.IntegerValue:
    """Epoch seconds shifted to wall-clock time in `tz` (correct across DST changes)."""
    changes = utc_offsets(tz, start, end)
    if len(changes) == 1:
        return epoch + changes[0][1]
    branches = [(epoch >= at, off) for at, off in reversed(changes[1:])]
    return epoch + ibis.cases(*branches, else_=changes[0][1])


def local_timestamp(
    epoch: ir.IntegerValue, tz: str, start: datetime, end: datetime
) -> ir.TimestampValue:
    """A naive timestamp showing the wall-clock time in `tz` of instant `epoch`."""
    return local_epoch(epoch, tz, start, end).as_timestamp("s").cast("timestamp")
