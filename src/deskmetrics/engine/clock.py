"""Business time and local time as Ibis expressions over small calendar tables.

Both avoid engine-specific functions (no ASOF join, no time-zone conversion functions): a UTC
day-number equality join for business time, a CASE over the zone's offset changes for local
time. They give the same numbers on DuckDB, Spark and any SQL engine.

A ticket whose schedule changes while it is open (schedule events) has its own business clock,
made of segments, each measured on the schedule then in force: C(t) = offset + B_sched(t) on the
segment holding t, the offsets chosen so that C never jumps. Durations stay differences of two
instants' clock values; instants find their segment by a left join on the ticket (the few
tickets with segments make it a small hash table) with range conditions."""

from __future__ import annotations

import weakref
from datetime import datetime

import ibis
import ibis.expr.types as ir

from deskmetrics.calendar import BusinessCalendar, utc_offsets

DAY = 86400
#: beyond every instant: the open bounds of a ticket's first and last clock segment
INF = 2**62
EPOCH = datetime(1970, 1, 1)


#: the in-memory table of each calendar in use, by the calendar's id (with a weak reference
#: telling a reused id from the calendar it was made for)
_CALENDAR_TABLES: dict[int, tuple[weakref.ref[BusinessCalendar], ir.Table]] = {}


def calendar_table(cal: BusinessCalendar) -> ir.Table:
    """The calendar as an in-memory table: one per calendar, so that queries built over the
    same calendar are the same expression (engine/compiled.py keeps their SQL)."""
    kept = _CALENDAR_TABLES.get(id(cal))
    if kept is not None and kept[0]() is cal:
        return kept[1]
    t = ibis.memtable(cal.days)
    key = id(cal)
    _CALENDAR_TABLES[key] = (weakref.ref(cal, lambda _: _CALENDAR_TABLES.pop(key, None)), t)
    return t


def schedule_index(cal: BusinessCalendar, schedule_id: ir.StringValue) -> ir.IntegerValue:
    """The calendar's integer key for a ticket's schedule_id; unknown or empty → default."""
    default = cal.schedule_index[cal.default_schedule]
    branches = [(schedule_id == sid, idx) for sid, idx in cal.schedule_index.items()]
    return ibis.cases(*branches, else_=default) if branches else ibis.literal(default)


def with_business_seconds(
    t: ir.Table,
    cal: BusinessCalendar,
    cal_t: ir.Table,
    epoch: str,
    sched: str,
    out: str,
    *,
    left: bool = False,
) -> ir.Table:
    """Add `out` = business seconds elapsed (in schedule `sched`) at instant `epoch`, from the
    calendar's origin. Rows are matched to the calendar by an equality join; `epoch` must be
    non-null and inside the calendar (the workspace builds it to cover all data). `left`: by a
    left join — the same seconds, but DuckDB then knows the rows are as many as before the
    join; after an inner join with the in-memory calendar (estimated at one row) it expects
    none, and a next join hashes every row rather than the calendar (the SLA state's clocks)."""
    day = (t[epoch] // DAY).cast("int64")
    keyed = t.mutate(_cal_day=day)
    on = [keyed[sched] == cal_t.sched, keyed._cal_day == cal_t.day]
    j = keyed.left_join(cal_t, on) if left else keyed.join(cal_t, on)
    at = j[epoch]
    total: ir.IntegerValue = j.b0
    for k in range(1, cal.periods_per_day + 1):
        s, e = j[f"s{k}"], j[f"e{k}"]
        inside = ibis.least(at, e) - s
        total = total + ibis.cases((inside > 0, inside), else_=0)
    return j.select(*t.columns, **{out: total.cast("int64")})


def with_clock_seconds(
    t: ir.Table,
    cal: BusinessCalendar,
    cal_t: ir.Table,
    epoch: str,
    sched: str,
    out: str,
    segments: ir.Table,
    key: str,
    follow: str | None = None,
) -> ir.Table:
    """Add `out` = the ticket's business clock at instant `epoch`: on the segment of
    `segments` holding the instant (columns `_z_key` matching `key`, `_z_from`, `_z_to`,
    `_z_sched`, `_z_offset`), that schedule's seconds plus the segment's offset; for tickets
    without segments (nearly all), business seconds of `sched`. One left join on the ticket
    with range conditions against the few segments (every backend has it; no ASOF join), then
    the calendar's equality join. `follow`: a boolean column; rows where it is false keep
    `sched` (an SLA policy naming its own schedule)."""
    z = segments.select("_z_key", "_z_from", "_z_to", "_z_sched", "_z_offset").view()
    t = t.view()
    on = [t[key] == z._z_key, z._z_from <= t[epoch], z._z_to > t[epoch]]
    if follow is not None:
        on.append(t[follow])
    j = t.left_join(z, on)
    j = j.mutate(_z_s=j._z_sched.fill_null(j[sched]))
    j = with_business_seconds(j, cal, cal_t, epoch, "_z_s", "_z_b")
    return j.select(*t.columns, **{out: (j._z_b + j._z_offset.fill_null(0)).cast("int64")})


def local_epoch(epoch: ir.IntegerValue, tz: str, start: datetime, end: datetime) -> ir.IntegerValue:
    """Epoch seconds shifted to wall-clock time in `tz` (correct across DST changes)."""
    changes = utc_offsets(tz, start, end)
    if len(changes) == 1:
        return epoch + changes[0][1]
    branches = [(epoch >= at, off) for at, off in reversed(changes[1:])]
    return epoch + ibis.cases(*branches, else_=changes[0][1])


def epoch_timestamp(epoch: ir.IntegerValue) -> ir.TimestampValue:
    """The naive timestamp of epoch seconds `epoch`: the epoch plus an interval, never through
    a time-zone-aware timestamp (whose conversion back to naive costs a time-zone lookup per
    row: a fifth of a second per million rows in DuckDB)."""
    return ibis.timestamp(EPOCH) + epoch.as_interval("s")


def local_timestamp(
    epoch: ir.IntegerValue, tz: str, start: datetime, end: datetime
) -> ir.TimestampValue:
    """A naive timestamp showing the wall-clock time in `tz` of instant `epoch`."""
    return epoch_timestamp(local_epoch(epoch, tz, start, end))
