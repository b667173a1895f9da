"""The ticket-lifecycle suite in plain pandas/numpy, as a competent analyst would write it.

This is the *baseline* the DuckDB engine is benchmarked against (benchmarks/bench_lifecycle.py).
It reads the canonical Parquet files directly and computes, by channel × local week, every
registry metric whose family is "ticket lifecycle" (calendar and `_business` variants) plus
`volume`, following DECISIONS.md definition by definition:

* replies are public messages by human agents; the opening message of an agent-created ticket is
  not a reply; ties in time are ordered by event id;
* average reply time pairs every public customer message with the first human reply after it
  (`merge_asof`, direction forward, within the ticket);
* status stretches start at creation in `new`; requester wait = new + open + hold, agent wait =
  pending, on-hold = hold; a reopen is solved/closed → anything else;
* full resolution, waits, reopens, replies, reopen rate, single-reply and FCR need the ticket to
  be solved now and are anchored on the last solve; FCR uses the next ticket of the same
  requester within `fcr.window_days`;
* resolution rate = tickets first solved in the week / tickets created in the week;
* backlog / backlog age are taken at the end of every week (at most `now`);
* business time is B(t₂) − B(t₁), B read from a cumulative open-seconds table per schedule with
  `np.searchsorted` (the open periods come from `deskmetrics.calendar.open_periods`: the
  schedules are configuration, not metric code);
* means, n, p50 and p90 (linear interpolation, numpy's default) per group; proportions are
  successes / n × 100; counts are row counts.

Everything is vectorized. pyarrow reads the files, maps ticket ids to row numbers and breaks
timestamp ties by event id (string work that would otherwise need Python objects); the rest is
numpy and pandas `groupby` / `merge_asof`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from deskmetrics.calendar.business import open_periods
from deskmetrics.config import Settings

DAY = 86_400
FAR_FUTURE = 2**62
STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
NEW, OPEN, PENDING, HOLD, SOLVED_, CLOSED = range(6)
ROLES = ("customer", "agent", "bot")
CUSTOMER, AGENT, BOT = range(3)
TYPES = ("message", "status", "assignment", "interaction")
MESSAGE, STATUS, ASSIGNMENT, INTERACTION = range(4)

#: (metric, measure column of the per-ticket frame, anchor column) — means over solved tickets
#: are restricted to tickets solved now (`last_solved_s` is null otherwise)
TICKET_DURATIONS = (
    ("first_response_time", "first_reply", "created_s"),
    ("first_automated_response_time", "first_auto_reply", "created_s"),
    ("first_resolution_time", "first_resolution", "first_solved_s"),
    ("full_resolution_time", "full_resolution", "last_solved_s"),
    ("requester_wait_time", "requester_wait", "last_solved_s"),
    ("agent_wait_time", "agent_wait", "last_solved_s"),
    ("on_hold_time", "on_hold", "last_solved_s"),
)
#: every metric of the suite, in the registry's order
SUITE = (
    "first_response_time",
    "first_response_time_business",
    "first_automated_response_time",
    "first_automated_response_time_business",
    "average_reply_time",
    "average_reply_time_business",
    "first_resolution_time",
    "first_resolution_time_business",
    "full_resolution_time",
    "full_resolution_time_business",
    "requester_wait_time",
    "requester_wait_time_business",
    "agent_wait_time",
    "agent_wait_time_business",
    "on_hold_time",
    "on_hold_time_business",
    "reopens",
    "reopen_rate",
    "replies",
    "single_reply_resolution_rate",
    "fcr_rate",
    "average_handle_time",
    "resolution_rate",
    "backlog",
    "backlog_age",
    "volume",
)
OUTPUT_COLUMNS = ["metric", "channel", "period", "value", "n", "p50", "p90"]


# --- reading --------------------------------------------------------------------------------


def _epoch_seconds(col: pa.ChunkedArray) -> np.ndarray:
    """UTC epoch seconds (int64) of a timestamp column without nulls."""
    us = pc.cast(pc.cast(col, pa.timestamp("us", tz="UTC")), pa.int64())
    return np.floor_divide(us.to_numpy(), 1_000_000)


def _codes(col: pa.ChunkedArray, categories: tuple[str, ...]) -> np.ndarray:
    """Category codes of a low-cardinality text column; -1 = null or unknown."""
    s = col.to_pandas()
    return pd.Categorical(s, categories=list(categories)).codes.astype(np.int8)


def _columns(path: Path, wanted: list[str]) -> list[str]:
    have = set(pq.read_schema(path).names)
    return [c for c in wanted if c in have]


def _column(t: pa.Table, name: str) -> pa.ChunkedArray:
    if name in t.column_names:
        return t.column(name)
    return pa.chunked_array([pa.nulls(t.num_rows, pa.string())])


def _order_with_ties(keys: list[np.ndarray], tie_break: pa.ChunkedArray) -> np.ndarray:
    """Row order by the integer `keys` (most significant first), rows equal on all of them
    ordered by the text `tie_break`. Sorts integers with numpy; only tied rows are re-sorted
    with their text."""
    order = np.lexsort(keys[::-1])
    sk = [k[order] for k in keys]
    same = np.ones(len(order) - 1, dtype=bool) if len(order) > 1 else np.zeros(0, dtype=bool)
    for k in sk:
        same &= k[1:] == k[:-1]
    if not same.any():
        return order
    tied = np.zeros(len(order), dtype=bool)
    tied[1:] |= same
    tied[:-1] |= same
    pos = np.flatnonzero(tied)
    rows = order[pos]
    sub = pa.table(
        {f"k{i}": pa.array(k[pos]) for i, k in enumerate(sk)}
        | {"tie": tie_break.take(pa.array(rows))}
    )
    sub_order = pc.sort_indices(
        sub, sort_keys=[(f"k{i}", "ascending") for i in range(len(sk))] + [("tie", "ascending")]
    ).to_numpy()
    order[pos] = rows[sub_order]
    return order


@dataclass
class Tickets:
    """One entry per ticket (row number = ticket code)."""

    ids: pa.ChunkedArray
    created_s: np.ndarray
    channel: pd.Categorical
    agent_created: np.ndarray
    sched: np.ndarray
    group_key: np.ndarray  # requester (and fcr.same columns) as one integer; null is a value


def read_tickets(folder: Path, settings: Settings, schedule_index: dict[str, int]) -> Tickets:
    path = folder / "tickets.parquet"
    same = list(settings.fcr.same)
    cols = ["ticket_id", "created_at", "requester_id", "channel", "created_by", "schedule_id"]
    t = pq.read_table(path, columns=_columns(path, cols + same))
    created_by = _column(t, "created_by").to_pandas().fillna("customer")
    schedule_id = _column(t, "schedule_id").to_pandas()
    default = schedule_index[settings.default_schedule.id]
    sched = np.full(t.num_rows, default, dtype=np.int8)
    for sid, idx in schedule_index.items():
        sched[(schedule_id == sid).to_numpy(dtype=bool, na_value=False)] = idx
    key = np.zeros(t.num_rows, dtype=np.int64)
    for c in ["requester_id", *same]:
        codes, uniques = pd.factorize(_column(t, c).to_pandas(), use_na_sentinel=True)
        key = key * (len(uniques) + 1) + (codes + 1)
    return Tickets(
        ids=t.column("ticket_id"),
        created_s=_epoch_seconds(t.column("created_at")),
        channel=pd.Categorical(_column(t, "channel").to_pandas()),
        agent_created=(created_by == "agent").to_numpy(dtype=bool),
        sched=sched,
        group_key=key,
    )


@dataclass
class Events:
    ticket: np.ndarray  # ticket code, -1 = not a known ticket
    at_s: np.ndarray
    type: np.ndarray
    role: np.ndarray
    status: np.ndarray
    public: np.ndarray
    event_id: pa.ChunkedArray
    handle_minutes: np.ndarray  # interactions only (NaN elsewhere)


def read_events(folder: Path, tickets: Tickets) -> Events:
    path = folder / "events.parquet"
    cols = ["event_id", "ticket_id", "at", "type", "author_role", "public", "status"]
    cols += ["talk_seconds", "hold_seconds", "wrap_seconds"]
    dict_cols = ["type", "author_role", "status"]
    e = pq.read_table(path, columns=_columns(path, cols), read_dictionary=dict_cols)
    code = pc.index_in(e.column("ticket_id"), value_set=tickets.ids)
    ticket = pc.fill_null(code, -1).to_numpy().astype(np.int64)
    e = e.drop_columns(["ticket_id"])
    typ = _codes(e.column("type"), TYPES)
    segments = [
        pd.to_numeric(_column(e, c).to_pandas(), errors="coerce").to_numpy(dtype=float)
        for c in ("talk_seconds", "hold_seconds", "wrap_seconds")
    ]
    recorded = ~np.isnan(segments[0]) | ~np.isnan(segments[1]) | ~np.isnan(segments[2])
    total = sum(np.nan_to_num(s) for s in segments)
    handle = np.where((typ == INTERACTION) & recorded, total / 60.0, np.nan)
    public = _column(e, "public").to_pandas().fillna(True).to_numpy(dtype=bool)
    return Events(
        ticket=ticket,
        at_s=_epoch_seconds(e.column("at")),
        type=typ,
        role=_codes(_column(e, "author_role"), ROLES),
        status=_codes(_column(e, "status"), STATUSES),
        public=public,
        event_id=e.column("event_id"),
        handle_minutes=handle,
    )


# --- business time ----------------------------------------------------------------------------


class BusinessClock:
    """B(t): business seconds of a schedule elapsed from a fixed origin until instant t, from
    each schedule's open periods as a cumulative table (searchsorted, i.e. an as-of lookup)."""

    def __init__(self, settings: Settings, lo_s: int, hi_s: int) -> None:
        self.index = {sid: i for i, sid in enumerate(sorted(settings.schedules))}
        first = datetime.fromtimestamp(lo_s, UTC).date() - timedelta(days=2)
        last = datetime.fromtimestamp(hi_s, UTC).date() + timedelta(days=2)
        self.tables: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for sid, sched in settings.schedules.items():
            p = np.array(open_periods(sched, first, last), dtype=np.int64).reshape(-1, 2)
            length = p[:, 1] - p[:, 0]
            before = np.concatenate([[0], np.cumsum(length)[:-1]]).astype(np.int64)
            self.tables[self.index[sid]] = (p[:, 0], length, before)

    def seconds(self, t: np.ndarray, sched: np.ndarray) -> np.ndarray:
        out = np.zeros(len(t), dtype=np.int64)
        for k, (starts, length, before) in self.tables.items():
            m = sched == k
            if not m.any() or len(starts) == 0:
                continue
            tk = t[m]
            i = np.searchsorted(starts, tk, side="right") - 1
            ok = i >= 0
            ic = np.maximum(i, 0)
            b = before[ic] + np.clip(tk - starts[ic], 0, length[ic])
            out[m] = np.where(ok, b, 0)
        return out


# --- local weeks ----------------------------------------------------------------------------


def local_week(s: np.ndarray, tz: str) -> np.ndarray:
    """Local Monday 00:00 (as naive local epoch seconds) of the week holding each UTC instant."""
    if len(s) == 0:
        return np.zeros(0, dtype=np.int64)
    idx = pd.DatetimeIndex(s.astype(np.int64).astype("datetime64[s]")).tz_localize("UTC")
    local = idx.tz_convert(tz).tz_localize(None).as_unit("s").asi8
    day = np.floor_divide(local, DAY)
    return (day - (day + 3) % 7) * DAY


def _week_start_utc(local_s: int, tz: str) -> int:
    d = datetime.fromtimestamp(local_s, UTC).replace(tzinfo=None)
    return int(pd.Timestamp(d).tz_localize(tz, nonexistent="shift_forward").timestamp())


def _weeks(lo_s: int, tz: str, stop_s: float) -> list[tuple[int, int, int]]:
    """(local label, start UTC, end UTC) of consecutive weeks from the one holding `lo_s`
    while the week starts before `stop_s`."""
    out = []
    cur = int(local_week(np.array([lo_s]), tz)[0])
    while True:
        s, e = _week_start_utc(cur, tz), _week_start_utc(cur + 7 * DAY, tz)
        if s >= stop_s:
            return out
        out.append((cur, s, e))
        cur += 7 * DAY


# --- aggregation ------------------------------------------------------------------------------


def _frame(channel: pd.Categorical, period: np.ndarray, value: Any = None) -> pd.DataFrame:
    # group by the channel's integer code (-1 = no channel): a null channel is a group of its
    # own, as in SQL (pandas' quantile drops NaN group keys even with dropna=False)
    df = pd.DataFrame({"channel": np.asarray(channel.codes), "period": period})
    if value is not None:
        df["v"] = value
    return df


def _group(df: pd.DataFrame) -> Any:
    return df.groupby(["channel", "period"], observed=True, dropna=False, sort=True)


def _mean(name: str, channel: pd.Categorical, period: np.ndarray, v: np.ndarray) -> pd.DataFrame:
    g = _group(_frame(channel, period, v))["v"]
    out = g.agg(value="mean", n="count")
    q = g.quantile([0.5, 0.9]).unstack()
    out["p50"], out["p90"] = q[0.5], q[0.9]
    return out.reset_index().assign(metric=name)


def _proportion(
    name: str, channel: pd.Categorical, period: np.ndarray, hit: np.ndarray
) -> pd.DataFrame:
    out = _group(_frame(channel, period, hit.astype(np.int64)))["v"].agg(n="count", s="sum")
    out["value"] = 100.0 * out["s"] / out["n"]
    return out.drop(columns="s").reset_index().assign(metric=name)


def _count(channel: pd.Categorical, period: np.ndarray) -> pd.DataFrame:
    return _group(_frame(channel, period)).size().rename("n").reset_index()


def _fill(df: pd.DataFrame, labels: list[int]) -> pd.DataFrame:
    """Every week of the range for every channel that has rows: n = 0, value = 0 when empty."""
    grid = df[["channel"]].drop_duplicates().merge(pd.DataFrame({"period": labels}), how="cross")
    out = grid.merge(df, on=["channel", "period"], how="left")
    out["n"] = out["n"].fillna(0).astype(np.int64)
    out["value"] = out["n"].astype(float)
    return out


# --- the suite ------------------------------------------------------------------------------


def _first_last(t: np.ndarray, s: np.ndarray, b: np.ndarray, n: int) -> dict[str, np.ndarray]:
    """Per ticket: min and max of s and b over the given rows (NaN where a ticket has none)."""
    g = pd.DataFrame({"t": t, "s": s, "b": b}).groupby("t").agg(["min", "max"])
    out = {}
    for col in ("s", "b"):
        for f in ("min", "max"):
            a = np.full(n, np.nan)
            a[g.index.to_numpy()] = g[(col, f)].to_numpy(dtype=float)
            out[f"{col}_{f}"] = a
    return out


def compute_lifecycle(
    folder: Path | str,
    settings: Settings,
    tz: str | None = None,
    now: datetime | None = None,
    timings: dict[str, float] | None = None,
) -> pd.DataFrame:
    """The suite by channel × local week: metric, channel, period, value, n, p50, p90.

    `now` (naive UTC; default: the current time) ends the last backlog snapshot."""
    import time

    clock_t = time.perf_counter()

    def lap(what: str) -> None:
        nonlocal clock_t
        if timings is not None:
            now_t = time.perf_counter()
            timings[what] = timings.get(what, 0.0) + now_t - clock_t
            clock_t = now_t

    folder = Path(folder)
    tz = tz or settings.report_timezone
    now = now or datetime.now(UTC).replace(tzinfo=None)
    now_s = now.replace(tzinfo=UTC).timestamp()
    schedule_index = {sid: i for i, sid in enumerate(sorted(settings.schedules))}
    tk = read_tickets(folder, settings, schedule_index)
    ev = read_events(folder, tk)
    n_t = len(tk.created_s)
    lap("read")

    lo_s = int(min(tk.created_s.min(), ev.at_s.min()))
    hi_s = int(max(tk.created_s.max(), ev.at_s.max()))
    bclock = BusinessClock(settings, lo_s, hi_s)
    created_b = bclock.seconds(tk.created_s, tk.sched)

    # the timeline: public messages and status changes of known tickets, in order
    keep = (ev.ticket >= 0) & ((ev.type == STATUS) | ((ev.type == MESSAGE) & ev.public))
    rows = np.flatnonzero(keep)
    # events at the same second keep the file's order (the engine's order of arrival; the
    # sample gives no `seq`): lexsort is stable and `rows` ascend in file order
    order = np.lexsort((ev.at_s[rows], ev.ticket[rows]))
    rows = rows[order]
    tl = pd.DataFrame(
        {
            "t": ev.ticket[rows],
            "at_s": ev.at_s[rows],
            "type": ev.type[rows],
            "role": ev.role[rows],
            "status": ev.status[rows],
        }
    )
    tl["at_b"] = bclock.seconds(tl["at_s"].to_numpy(), tk.sched[tl["t"].to_numpy()])
    lap("timeline")

    # messages: replies, first (automated) reply, reply pairs
    m = tl[tl["type"] == MESSAGE].reset_index(drop=True)
    mt = m["t"].to_numpy()
    starts = np.r_[True, mt[1:] != mt[:-1]] if len(mt) else np.zeros(0, dtype=bool)
    role = m["role"].to_numpy()
    opening = starts & tk.agent_created[mt] & (role == AGENT)
    is_reply = (role == AGENT) & ~opening
    replies = np.bincount(mt[is_reply], minlength=n_t)
    fr = _first_last(
        mt[is_reply], m["at_s"].to_numpy()[is_reply], m["at_b"].to_numpy()[is_reply], n_t
    )
    is_bot = role == BOT
    fa = _first_last(mt[is_bot], m["at_s"].to_numpy()[is_bot], m["at_b"].to_numpy()[is_bot], n_t)
    m["pos"] = np.arange(len(m))
    cust = m.loc[role == CUSTOMER, ["pos", "t", "at_s", "at_b"]]
    reps = m.loc[is_reply, ["pos", "t", "at_s", "at_b"]].rename(
        columns={"at_s": "reply_s", "at_b": "reply_b"}
    )
    pairs = pd.merge_asof(cust, reps, on="pos", by="t", direction="forward")
    pairs = pairs[pairs["reply_s"].notna()]
    del m
    lap("messages")

    # status stretches, the first one `new` from creation
    st = tl[tl["type"] == STATUS]
    s_t = np.concatenate([np.arange(n_t), st["t"].to_numpy()])
    s_at = np.concatenate([tk.created_s, st["at_s"].to_numpy()])
    s_b = np.concatenate([created_b, st["at_b"].to_numpy()])
    s_st = np.concatenate([np.full(n_t, NEW, dtype=np.int8), st["status"].to_numpy()])
    o = np.lexsort((s_at, s_t))  # stable: creation before a status change at the same second
    s_t, s_at, s_b, s_st = s_t[o], s_at[o], s_b[o], s_st[o]
    del tl, st
    same_prev = np.r_[False, s_t[1:] == s_t[:-1]]
    same_next = np.r_[s_t[1:] == s_t[:-1], False]
    prev = np.where(same_prev, np.r_[np.int8(-1), s_st[:-1]], -1)
    end_s = np.where(same_next, np.r_[s_at[1:], 0], -1)
    end_b = np.where(same_next, np.r_[s_b[1:], 0], -1)
    solved = np.isin(s_st, [SOLVED_, CLOSED])
    prev_solved = np.isin(prev, [SOLVED_, CLOSED])
    is_reopen = prev_solved & ~solved & (s_st >= 0)
    becomes_solved = solved & ~prev_solved
    reopens = np.bincount(s_t[is_reopen], minlength=n_t)
    so = _first_last(s_t[becomes_solved], s_at[becomes_solved], s_b[becomes_solved], n_t)
    final_status = s_st[~same_next]  # every ticket has its creation row: one per ticket
    is_solved = np.isin(final_status, [SOLVED_, CLOSED])
    dur_s = (end_s - s_at).astype(float)
    dur_b = (end_b - s_b).astype(float)
    ended = same_next
    waits = {}
    for name, statuses in (
        ("requester_wait", [NEW, OPEN, HOLD]),
        ("agent_wait", [PENDING]),
        ("on_hold", [HOLD]),
    ):
        w = ended & np.isin(s_st, statuses)
        waits[name] = (
            np.bincount(s_t[w], weights=dur_s[w], minlength=n_t),
            np.bincount(s_t[w], weights=dur_b[w], minlength=n_t),
        )
    lap("status")

    # interactions and FCR
    inter_rows = np.flatnonzero((ev.type == INTERACTION) & (ev.ticket >= 0))
    interactions = np.bincount(ev.ticket[inter_rows], minlength=n_t)
    agent_interactions = np.where(interactions > 0, interactions, replies)
    fo = _order_with_ties([tk.group_key, tk.created_s], tk.ids)
    nxt = np.full(n_t, np.nan)
    same_group = tk.group_key[fo][1:] == tk.group_key[fo][:-1]
    nxt[fo[:-1][same_group]] = tk.created_s[fo][1:][same_group]
    repeat = (nxt - tk.created_s) <= settings.fcr.window_days * DAY  # NaN compares False
    fcr = is_solved & (agent_interactions == 1) & (reopens == 0) & ~repeat
    lap("fcr")

    # per-ticket facts (minutes) and anchors
    created = tk.created_s.astype(float)
    solved_mask = is_solved & ~np.isnan(so["s_max"])
    last_solved_s = np.where(is_solved, so["s_max"], np.nan)
    cb = created_b.astype(float)
    f: dict[str, np.ndarray] = {
        "created_s": created,
        "first_solved_s": so["s_min"],
        "last_solved_s": last_solved_s,
        "first_reply": (fr["s_min"] - created) / 60.0,
        "first_reply_business": (fr["b_min"] - cb) / 60.0,
        "first_auto_reply": (fa["s_min"] - created) / 60.0,
        "first_auto_reply_business": (fa["b_min"] - cb) / 60.0,
        "first_resolution": (so["s_min"] - created) / 60.0,
        "first_resolution_business": (so["b_min"] - cb) / 60.0,
        "full_resolution": np.where(solved_mask, (so["s_max"] - created) / 60.0, np.nan),
        "full_resolution_business": np.where(solved_mask, (so["b_max"] - cb) / 60.0, np.nan),
    }
    for name, (ws_, wb) in waits.items():
        f[name] = np.where(solved_mask, ws_ / 60.0, np.nan)
        f[f"{name}_business"] = np.where(solved_mask, wb / 60.0, np.nan)
    week = {}
    for anchor in ("created_s", "first_solved_s", "last_solved_s"):
        a = f[anchor]
        ok = ~np.isnan(a)
        w = np.full(n_t, -1, dtype=np.int64)
        w[ok] = local_week(a[ok].astype(np.int64), tz)
        week[anchor] = (ok, w)
    lap("facts")

    frames: list[pd.DataFrame] = []
    for metric, measure, anchor in TICKET_DURATIONS:
        ok, w = week[anchor]
        for suffix in ("", "_business"):
            v = f[measure + suffix]
            sel = ok & ~np.isnan(v)
            if anchor == "last_solved_s":
                sel &= ~np.isnan(so["s_min"])  # first_solved_at not null (always true here)
            frames.append(_mean(metric + suffix, tk.channel[sel], w[sel], v[sel]))

    # average reply time: one row per customer message with a later reply
    ptick = pairs["t"].to_numpy()
    pw = local_week(pairs["at_s"].to_numpy(), tz)
    pch = tk.channel[ptick]
    frames.append(
        _mean("average_reply_time", pch, pw, (pairs["reply_s"] - pairs["at_s"]).to_numpy() / 60.0)
    )
    frames.append(
        _mean(
            "average_reply_time_business",
            pch,
            pw,
            (pairs["reply_b"] - pairs["at_b"]).to_numpy() / 60.0,
        )
    )

    # counts and rates over tickets solved now, anchored on the last solve
    ok, w = week["last_solved_s"]
    pop = ok & is_solved & ~np.isnan(so["s_min"])
    ch, wk = tk.channel[pop], w[pop]
    frames.append(_mean("reopens", ch, wk, reopens[pop].astype(float)))
    frames.append(_mean("replies", ch, wk, replies[pop].astype(float)))
    frames.append(_proportion("reopen_rate", ch, wk, reopens[pop] > 0))
    frames.append(
        _proportion(
            "single_reply_resolution_rate", ch, wk, (replies[pop] == 1) & (reopens[pop] == 0)
        )
    )
    frames.append(_proportion("fcr_rate", ch, wk, fcr[pop]))

    # average handle time: interactions with a recorded segment, by their own time
    hm = ev.handle_minutes
    hrows = np.flatnonzero(~np.isnan(hm))
    h_t = ev.ticket[hrows]
    h_ch = pd.Categorical.from_codes(
        np.where(h_t >= 0, tk.channel.codes[np.maximum(h_t, 0)], -1),
        categories=tk.channel.categories,
    )
    frames.append(_mean("average_handle_time", h_ch, local_week(ev.at_s[hrows], tz), hm[hrows]))
    lap("ticket metrics")

    # resolution rate: first solved in the week / created in the week
    _, w_c = week["created_s"]
    ok_f, w_f = week["first_solved_s"]
    den = _count(tk.channel, w_c)
    num = _count(tk.channel[ok_f], w_f[ok_f]).rename(columns={"n": "s"})
    rr = den.merge(num, on=["channel", "period"], how="outer")
    rr["n"] = rr["n"].fillna(0).astype(np.int64)
    rr["value"] = np.where(rr["n"] > 0, 100.0 * rr["s"].fillna(0) / rr["n"].clip(lower=1), np.nan)
    frames.append(rr.drop(columns="s").assign(metric="resolution_rate"))

    # volume: tickets created, every week of the data for every channel
    labels = [lab for lab, _, _ in _weeks(lo_s, tz, hi_s + 1)]
    frames.append(_fill(_count(tk.channel, w_c), labels).assign(metric="volume"))
    lap("rates")

    # backlog: tickets in an unsolved status at the end of each week (at most now)
    snaps = _weeks(lo_s, tz, now_s)
    p_label = np.array([lab for lab, _, _ in snaps], dtype=np.int64)
    p_s = np.array([int(min(e, now_s)) for _, _, e in snaps], dtype=np.int64)
    open_ = (s_st >= 0) & ~solved
    b_t, b_at = s_t[open_], s_at[open_]
    b_end = np.where(same_next[open_], end_s[open_], FAR_FUTURE)
    i0 = np.searchsorted(p_s, b_at, side="left")
    i1 = np.searchsorted(p_s, b_end, side="left")  # snapshots p with at <= p < end
    k = np.maximum(i1 - i0, 0)
    rep_t = np.repeat(b_t, k)
    first = np.repeat(i0 - np.cumsum(np.r_[0, k[:-1]]), k)
    pidx = first + np.arange(len(rep_t))
    age = (p_s[pidx] - tk.created_s[rep_t]) / 60.0
    bch = tk.channel[rep_t]
    frames.append(_fill(_count(bch, p_label[pidx]), list(p_label)).assign(metric="backlog"))
    frames.append(_mean("backlog_age", bch, p_label[pidx], age))
    lap("backlog")

    out = pd.concat(frames, ignore_index=True)
    names = np.array([*tk.channel.categories, None], dtype=object)
    out["channel"] = names[out["channel"].to_numpy(dtype=np.int64)]  # code -1 → None
    out["period"] = pd.to_datetime(out["period"].astype(np.int64), unit="s")
    out = out.reindex(columns=OUTPUT_COLUMNS)
    out["n"] = out["n"].astype(np.int64)
    order = {name: i for i, name in enumerate(SUITE)}
    out["_o"] = out["metric"].map(order)
    out = out.sort_values(["_o", "channel", "period"], kind="stable").drop(columns="_o")
    lap("output")
    return out.reset_index(drop=True)


# --- helpers shared by the equivalence test and the benchmark ---------------------------------


@contextmanager
def frozen_engine_clock(now: datetime) -> Iterator[None]:
    """Make deskmetrics' "now" (the end of the last backlog snapshot) `now` (naive UTC), so that
    the engine and this module take the last snapshot at the same instant."""
    import deskmetrics.engine.compile as compile_mod
    import deskmetrics.engine.periods as periods_mod
    import deskmetrics.engine.workspace as workspace_mod

    class _Frozen(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:  # type: ignore[override]
            aware = now.replace(tzinfo=UTC)
            return aware.astimezone(tz) if tz is not None else now

    # the engine's one "now" is engine/periods.utc_now; compile and workspace kept for older code
    modules = (compile_mod, periods_mod, workspace_mod)
    saved = [m.datetime for m in modules]
    for m in modules:
        m.datetime = _Frozen  # type: ignore[misc]
    try:
        yield
    finally:
        for m, d in zip(modules, saved, strict=True):
            m.datetime = d  # type: ignore[misc]


def engine_rows(df: pd.DataFrame) -> pd.DataFrame:
    """compute()'s result reduced to this module's columns."""
    out = df.reindex(columns=OUTPUT_COLUMNS).copy()
    out["channel"] = out["channel"].astype(object).where(out["channel"].notna(), None)
    out["period"] = pd.to_datetime(out["period"])
    return out


def compare(ours: pd.DataFrame, engine: pd.DataFrame, tol: float = 1e-6) -> list[str]:
    """Differences between two result frames (empty list = the same numbers): rows present in
    only one, n that differ, floats (value, p50, p90) further apart than `tol` (absolute, or
    relative for large numbers)."""
    a = ours.reindex(columns=OUTPUT_COLUMNS).copy()
    b = engine_rows(engine)
    for d in (a, b):
        d["channel"] = d["channel"].fillna("<null>")
        d["period"] = pd.to_datetime(d["period"]).astype("datetime64[s]")
    keys = ["metric", "channel", "period"]
    j = a.merge(b, on=keys, how="outer", suffixes=("_pd", "_dm"), indicator=True)
    problems: list[str] = []
    for side, label in (("left_only", "pandas only"), ("right_only", "deskmetrics only")):
        extra = j[j["_merge"] == side]
        for _, r in extra.head(20).iterrows():
            problems.append(f"{label}: {r['metric']} {r['channel']} {r['period']}")
        if len(extra) > 20:
            problems.append(f"{label}: … {len(extra) - 20} more")
    both = j[j["_merge"] == "both"]
    bad = both[both["n_pd"].astype(np.int64) != both["n_dm"].astype(np.int64)]
    for _, r in bad.head(20).iterrows():
        problems.append(
            f"n differs: {r['metric']} {r['channel']} {r['period']}: {r['n_pd']} vs {r['n_dm']}"
        )
    for col in ("value", "p50", "p90"):
        x = both[f"{col}_pd"].astype(float).to_numpy()
        y = both[f"{col}_dm"].astype(float).to_numpy()
        nan_x, nan_y = np.isnan(x), np.isnan(y)
        close = np.isclose(x, y, rtol=1e-9, atol=tol) | (nan_x & nan_y)
        for i in np.flatnonzero(~close)[:20]:
            r = both.iloc[i]
            problems.append(
                f"{col} differs: {r['metric']} {r['channel']} {r['period']}: {x[i]!r} vs {y[i]!r}"
            )
    return problems


def summary_line(problems: list[str], rows: int) -> str:
    if not problems:
        return f"equal: {rows} rows, every n equal, every float within 1e-6"
    return f"{len(problems)} differences, e.g. {problems[0]}"


__all__ = [
    "SUITE",
    "BusinessClock",
    "compare",
    "compute_lifecycle",
    "engine_rows",
    "frozen_engine_clock",
    "local_week",
]
