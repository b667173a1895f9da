"""SLA state as data: every target clock of every ticket, its policy, due time and status.

A *clock* is one measured target on one ticket: `first_reply` (creation → first public human
agent reply), `next_reply` (the oldest unanswered customer message after a reply → the next
reply), `periodic_update` (a reply → the next reply) and `resolution` (creation → solved).
Reply clocks also stop when the ticket is solved. A clock runs only while the ticket is in a
status that does not pause it (solved and closed always do; the policy's `pause` per target,
by default `pending` for resolution, as Zendesk's requester wait time).

The policy of a clock is the first policy matching the ticket with the priority in force when
the clock stopped (or now, while it runs): a ticket keeps its policy unless its priority
changes, and the new policy's target then applies to the clocks still running.

Everything is one Ibis query (no Python per ticket): the clock's running time is the sum over
its status stretches of business (or calendar) seconds — the calendar's equality join of
engine/clock.py — and its due time is found where the cumulative running time reaches the
target: a window sum over the stretches (of the clocks that reached it or still run only),
then an equality join on (schedule, business-hour bucket) that inverts business time on the
calendar's open periods. A ticket whose schedule changes (schedule events) is measured on its
own business clock (facts' `schedule_segments`), and its due instant is found on the segment
where that clock reaches the target, unless the policy names its own schedule. Range and
equality joins only (no ASOF join), so it runs on Spark.

How it stays fast (2M clocks of 1M tickets): one pass over the clocks' stretches, keyed by the
facts' integer ticket key `_tk` (the text id joins at the end); each clock's columns ride along
to its aggregation rather than being joined back; joins whose conditions compare the two sides
only (DuckDB turns a left join with a condition on one side alone into a nested loop).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from deskmetrics.calendar import BusinessCalendar
from deskmetrics.config import SLA_TARGETS, SlaPolicy, SlaSettings
from deskmetrics.engine.clock import (
    INF,
    epoch_timestamp,
    with_business_seconds,
    with_clock_seconds,
)
from deskmetrics.engine.compile import (
    Facts,
    MetricRequest,
    RowSource,
    execute_rows,
    with_team,
    with_ticket,
)
from deskmetrics.engine.facts import SOLVED
from deskmetrics.engine.periods import epoch, naive_utc
from deskmetrics.engine.portable import as_int
from deskmetrics.errors import ConfigError, QueryError
from deskmetrics.metrics.base import Source

STATES = ("achieved", "breached", "running", "at_risk")
#: `when` keys that are not ticket columns
WHEN_ALIASES = {"team": "group"}

STATE_COLUMNS = [
    "ticket_id",
    "sla_target",
    "policy",
    "status",
    "due_at",
    "time_left_minutes",
    "time",
    "target_minutes",
    "elapsed_minutes",
    "paused",
    "started_at",
    "stopped_at",
    "settled_at",
]
#: the state with the running time in both bases (the per-target export)
TARGET_COLUMNS = [*STATE_COLUMNS, "elapsed_business_minutes", "elapsed_calendar_minutes"]


def _nullable_least(a: ir.IntegerValue, b: ir.IntegerValue) -> ir.IntegerValue:
    """The earlier of two instants where null means 'never'."""
    x = ibis.least(a.fill_null(INF), b.fill_null(INF))
    return ibis.cases((x >= INF, ibis.null("int64")), else_=x)


def _text_values(v: Any) -> list[str]:
    vals = v if isinstance(v, list | tuple) else [v]
    return [str(x).lower() if isinstance(x, bool) else str(x) for x in vals]


def _policy_expr(t: ir.Table, policies: list[SlaPolicy], columns: list[str]) -> ir.IntegerValue:
    """Index of the policy of row `t` (null: none): the policy its help desk applied when the
    ticket's `sla_policy` names one (`source_policy`; only `priority` is matched then), else
    the first policy whose `when` matches."""
    branches = []
    named = "sla_policy" in columns and any(p.source_policy for p in policies)
    if named:
        for i, p in enumerate(policies):
            if p.source_policy:
                cond = t.sla_policy.cast("string").isin(p.source_policy).fill_null(False)
                if "priority" in p.when:
                    cond = cond & t.priority.cast("string").isin(_text_values(p.when["priority"]))
                branches.append((cond.fill_null(False), i))
        # a ticket naming a policy none stands for (or none for its priority) is matched by
        # `when`; one naming a known policy without targets for its priority gets none
        known = [n for p in policies for n in p.source_policy]
        unmatched = t.sla_policy.cast("string").isin(known).fill_null(False)
        branches.append((unmatched, ibis.null("int64")))
    for i, p in enumerate(policies):
        cond = ibis.literal(True)
        for key, value in p.when.items():
            col = WHEN_ALIASES.get(key, key)
            if col not in columns:
                raise ConfigError(
                    f"SLA policy {p.name!r}: `when` names {key!r}, which tickets do not have; "
                    f"use priority, channel, group (or team), tags, tier or a ticket column "
                    f"such as {', '.join(c for c in columns if not c.startswith('_'))[:200]}"
                )
            vals = _text_values(value)
            if col == "tags":
                norm = ";" + t.tags.re_replace(r"\s*;\s*", ";").strip() + ";"
                hit: ir.BooleanValue = ibis.literal(False)
                for v in vals:
                    hit = hit | norm.contains(f";{v.strip()};")
                cond = cond & hit.fill_null(False)
            else:
                cond = cond & t[col].cast("string").isin(vals).fill_null(False)
        branches.append((cond, i))
    if not branches:
        return ibis.null("int64")
    return ibis.cases(*branches, else_=ibis.null("int64"))


#: the integer code of each target inside the query (`_kc`: integer keys partition, group
#: and compare faster than text); `sla_target` is named at the end
KIND_CODE = {k: i for i, k in enumerate(SLA_TARGETS)}


def _by_policy(
    pol: ir.IntegerValue, kc: ir.IntegerValue, values: dict[tuple[int, str], Any], null: str
) -> ir.Value:
    """A per-(policy, target) constant chosen by CASE (`kc`: the target's KIND_CODE)."""
    branches = [((pol == i) & (kc == KIND_CODE[k]), v) for (i, k), v in values.items()]
    if not branches:
        return ibis.null(null)
    return ibis.cases(*branches, else_=ibis.null(null))


#: business seconds per bucket of the inverse calendar (see `_inverse_calendar`)
INVERSE_BUCKET = 3600


def _inverse_calendar(cal: BusinessCalendar) -> ir.Table:
    """Per schedule and day: b0, total open seconds, open periods and their running totals,
    once per bucket of INVERSE_BUCKET business seconds that the day's balances (b0, b0 +
    total] reach (`_i_bucket`): the day holding a balance is then found by an equality join on
    (schedule, bucket) and a range check among the few days of that bucket, instead of a range
    join over every day of the schedule (a nested loop per clock)."""
    d = cal.days.copy()
    k = cal.periods_per_day
    run = pd.Series(0, index=d.index, dtype="int64")
    for i in range(1, k + 1):
        run = run + (d[f"e{i}"] - d[f"s{i}"])
        d[f"c{i}"] = run
    d["total"] = run
    d = d[d["total"] > 0]
    cols = ["sched", "b0", "total"] + [f"{x}{i}" for i in range(1, k + 1) for x in "sc"]
    d = d[cols].reset_index(drop=True)
    lo = (d["b0"] + 1) // INVERSE_BUCKET
    hi = (d["b0"] + d["total"]) // INVERSE_BUCKET
    n = (hi - lo + 1).to_numpy()
    first = np.repeat(np.cumsum(n) - n, n)  # each day's first row once repeated
    d = d.loc[d.index.repeat(n)].reset_index(drop=True)
    d["bucket"] = np.repeat(lo.to_numpy(), n) + (np.arange(len(d)) - first)
    return ibis.memtable(d.rename(columns={c: f"_i_{c}" for c in d.columns}))


@dataclass
class SlaState:
    """Builds the per-clock SLA state of one workspace at instant `now`."""

    facts: Facts
    now: datetime | None = None
    #: only tickets open at `now` (not solved or closed): the live queue needs no more
    open_only: bool = False
    #: also measure every clock's running time in both bases (`elapsed_business_minutes`,
    #: `elapsed_calendar_minutes`), for the per-target export (both are at hand: every row's
    #: business seconds are looked up, whatever the target's basis)
    both_times: bool = False

    @property
    def settings(self) -> SlaSettings:
        return self.facts.ws.settings.sla

    @cached_property
    def _now_s(self) -> int:
        """`now` in epoch seconds, taken once (every part of the state sees the same instant)."""
        return epoch(naive_utc(self.now if self.now is not None else self.facts.ws.now()))

    def _only_open(self, t: ir.Table) -> ir.Table:
        """With `open_only`, the rows of tickets open at `now` (their status then is neither
        solved nor closed): clocks are per ticket, so narrowing their inputs first spares the
        live queue every closed ticket's windows and joins."""
        if not self.open_only:
            return t
        s = self._stretches(self._now_s)
        s = s.filter(s._end.isnull() & ~s.status.isin(SOLVED))
        ids = s.select(_q_ticket="ticket_id")
        return t.semi_join(ids, t.ticket_id == ids._q_ticket)

    def _tickets_with_tier(self) -> ir.Table:
        ws = self.facts.ws
        tk = ws.table("tickets")
        if ws.has("customers"):
            c = ws.table("customers")
            c = c.select(_c_id=c.customer_id, tier=c.tier)
            tk = tk.left_join(c, tk.requester_id == c._c_id).drop("_c_id")
            if "tier_right" in tk.columns:
                tk = tk.drop("tier_right")
        else:
            tk = tk.mutate(tier=ibis.null("string"))
        return tk

    def _policy_columns(self) -> tuple[ir.Table, list[str]]:
        """The tickets with the columns policies read, and the columns `when` may name (the
        customer's `tier` among them; the customers are joined only when a policy reads it)."""
        ws = self.facts.ws
        policies = self.settings.policies
        reads_tier = any(WHEN_ALIASES.get(k, k) == "tier" for p in policies for k in p.when)
        tk = ws.table("tickets")
        if reads_tier:
            tk = self._tickets_with_tier()
        columns = list(tk.columns)
        if "tier" not in columns:
            columns.append("tier")
        return tk, columns

    @cached_property
    def _ticket_rows(self) -> ir.Table:
        """Per ticket (with `open_only`, per open ticket): its integer key `_tk` (the facts'),
        ticket_id, created_s, the schedule key `_sched` and `_pol0`, the policy of the ticket
        with the priority it has (null: none). Every later join and grouping is on `_tk`."""
        tk, columns = self._policy_columns()
        keys = self.facts._ticket_keys.select(
            _k_id="ticket_id", _tk="_tk", _k_created="created_s", _k_sched="_sched"
        )
        j = self._only_open(tk).join(keys, tk.ticket_id == keys._k_id)
        return j.select(
            "_tk",
            "ticket_id",
            created_s=j._k_created,
            _sched=j._k_sched,
            _pol0=_policy_expr(j, self.settings.policies, columns),
        )

    def _priority_segments(self) -> ir.Table | None:
        """For tickets whose priority changes (assignment events with a priority, up to
        `now`): stretches [_g_from, _g_to) of constant priority with the policy then
        (`_g_policy`, null: none), keyed by `_g_tk`. None when events carry no priority.
        Every other ticket has one policy throughout: its `_pol0`."""
        ev = self.facts.ws.table("events")
        if "priority" not in ev.columns:
            return None
        tk, columns = self._policy_columns()
        ch = ev.filter((ev.type == "assignment") & ev.priority.notnull())
        ch = ch.filter(ch.at.epoch_seconds().cast("int64") <= self._now_s)
        changes = ch.select(
            _c_id=ch.ticket_id,
            _from_s=ch.at.epoch_seconds().cast("int64"),
            _prio=ch.priority,
            _o=ibis.literal(1),
            _eid=ch.event_id,
        )
        # the few tickets with changes first, then their keys
        attrs = self._only_open(tk)
        attrs = attrs.semi_join(changes, attrs.ticket_id == changes._c_id)
        keys = self.facts._ticket_keys.select(_k_id="ticket_id", _k_tk="_tk")
        attrs = attrs.join(keys, attrs.ticket_id == keys._k_id).drop("_k_id")
        initial = attrs.select(
            _c_id="ticket_id",
            _from_s=ibis.literal(-INF, "int64"),
            _prio=attrs.priority,
            _o=ibis.literal(0),
            _eid=ibis.literal(""),
        )
        segs = initial.union(changes)
        w = ibis.window(group_by="_c_id", order_by=["_from_s", "_o", "_eid"])
        segs = segs.mutate(_to_s=segs._from_s.lead().over(w).fill_null(INF))
        # policy conditions read the ticket's columns, with the priority in force
        attrs = attrs.drop("priority")
        j = segs.join(attrs, segs._c_id == attrs.ticket_id)
        j = j.mutate(priority=j._prio)
        return j.select(
            _g_tk=j._k_tk,
            _g_from=j._from_s,
            _g_to=j._to_s,
            _g_policy=_policy_expr(j, self.settings.policies, columns),
        )

    @cached_property
    def _no_segments(self) -> bool:
        """No ticket's schedule changes, known when the facts keep their segments (kept in
        the workspace, or materialized): every clock is then its schedule's business seconds,
        with no join on the segments (whose empty table also misleads DuckDB's join order
        into hashing every row against the small calendar). Unknown: assumed not."""
        f = self.facts
        if f.kept and f.sink is None:
            return int(f.ws.backend.execute(f.schedule_segments.count())) == 0
        return f._no_schedule_changes

    @cached_property
    def _kinds(self) -> set[str]:
        """The targets some policy sets: clocks of the others would all be dropped (no
        target), so they are not built (the reply windows cost a sort of every message)."""
        return {
            k
            for p in self.settings.policies
            for k in SLA_TARGETS
            if p.target_seconds(k) is not None
        }

    def _clocks(self, now_s: int) -> ir.Table:
        """_tk, ticket_id, _sched, _pol0, _kc (the target), _n, _start_s, _stop_s (the stopping
        event up to now, or null): one row per clock."""
        f = self.facts
        null_i = ibis.null("int64")
        tr = self._ticket_rows
        m = self._only_open(f.messages)
        first = m.filter(m.is_reply).group_by("_tk").aggregate(_r=m.at_s.min())
        first = first.rename(_f_tk="_tk")
        s = self._only_open(self._stretches(now_s))
        # the last solve, and the status of the stretch still open at `now` (one per ticket):
        # solved now stops the resolution clock there
        st = s.group_by("_tk").aggregate(
            _last_solve=ibis.cases((s.becomes_solved, s.at_s), else_=null_i).max(),
            _o_status=ibis.cases((s._end.isnull(), s.status), else_=ibis.null("string")).min(),
        )
        st = st.rename(_r_tk="_tk")
        # the first solve at or after creation (reply clocks also stop at the first solve at
        # or after their start)
        created = f._ticket_keys.select(_c_tk="_tk", _c_created="created_s")
        sv = s.filter(s.becomes_solved)
        sv = sv.join(created, [sv._tk == created._c_tk, sv.at_s >= created._c_created])
        sv = sv.group_by("_tk").aggregate(_fs=sv.at_s.min()).rename(_v_tk="_tk")
        t = tr.left_join(first, tr._tk == first._f_tk)
        t = t.left_join(st, t._tk == st._r_tk)
        t = t.left_join(sv, t._tk == sv._v_tk).drop("_f_tk", "_r_tk", "_v_tk")
        t = t.filter(t.created_s <= now_s)
        payload = ["_tk", "ticket_id", "_sched", "_pol0"]
        # first reply and resolution: one row of `t` gives both (a union of two selections of
        # it would build it twice)
        codes = [KIND_CODE[k] for k in ("first_reply", "resolution") if k in self._kinds]
        if not self._kinds:  # no policy sets a target: rows to drop, of the right shape
            codes = [KIND_CODE["resolution"]]
        per_ticket = None
        if codes:
            x = t.cross_join(ibis.memtable({"_kc": codes}, schema={"_kc": "int64"}))
            solved_now = x._o_status.isin(SOLVED).fill_null(False)
            per_ticket = x.select(
                *payload,
                "_kc",
                _n=ibis.literal(0, "int64"),
                _start_s=x.created_s,
                _event_s=ibis.cases(
                    (x._kc == KIND_CODE["first_reply"], _nullable_least(x._r, x._fs)),
                    (solved_now, x._last_solve),
                    else_=null_i,
                ),
            )
        reply_clocks = []
        if self._kinds & {"next_reply", "periodic_update"}:
            before = ibis.window(group_by="_tk", order_by="seq", rows=(None, -1))
            after = ibis.window(group_by="_tk", order_by="seq", rows=(1, None))
            m = m.mutate(
                _last_reply=ibis.cases((m.is_reply, m.seq), else_=null_i).max().over(before),
                _last_cust=ibis.cases((m.author_role == "customer", m.seq), else_=null_i)
                .max()
                .over(before),
                _next_reply_s=ibis.cases((m.is_reply, m.at_s), else_=null_i).min().over(after),
            )
            kinds = []
            if "next_reply" in self._kinds:
                opens_wait = (
                    (m.author_role == "customer")
                    & m._last_reply.notnull()
                    & (m._last_cust.isnull() | (m._last_cust < m._last_reply))
                )
                kinds.append(("next_reply", opens_wait))
            if "periodic_update" in self._kinds:
                kinds.append(("periodic_update", m.is_reply))
            info = tr.select(_i_tk="_tk", _i_sched="_sched", _i_pol0="_pol0")
            for kind, cond in kinds:
                x = m.filter(cond)
                x = x.join(info, x._tk == info._i_tk)
                reply_clocks.append(
                    x.select(
                        "_tk",
                        "ticket_id",
                        _sched=x._i_sched,
                        _pol0=x._i_pol0,
                        _kc=ibis.literal(KIND_CODE[kind], "int64"),
                        _n=x.seq.cast("int64"),
                        _start_s=x.at_s,
                        _event_s=x._next_reply_s,
                    )
                )
        if not reply_clocks:
            out = per_ticket
        else:
            replies = reply_clocks[0]
            for more in reply_clocks[1:]:
                replies = replies.union(more)
            replies = replies.filter(replies._start_s <= now_s)
            solves = s.filter(s.becomes_solved).select(_v_tk="_tk", _v_s="at_s")
            j = replies.left_join(
                solves, [replies._tk == solves._v_tk, solves._v_s >= replies._start_s]
            )
            keys = [*payload, "_kc", "_n", "_start_s", "_event_s"]
            replies = j.group_by(keys).aggregate(_solve_s=j._v_s.min())
            replies = replies.mutate(_event_s=_nullable_least(replies._event_s, replies._solve_s))
            replies = replies.drop("_solve_s")
            out = replies if per_ticket is None else per_ticket.union(replies)
        assert out is not None  # (some kind of clock is built: see `codes`)
        # as of `now`: a stop after now has not happened yet
        return out.mutate(
            _stop_s=ibis.cases(
                (out._event_s.notnull() & (out._event_s <= now_s), out._event_s),
                else_=null_i,
            )
        ).drop("_event_s")

    def _stretches(self, now_s: int) -> ir.Table:
        """Status stretches as known at `now` (a stretch ending after now is still open)."""
        s = self.facts.status_stretches
        s = s.filter(s.at_s <= now_s)
        return s.select(
            "_tk",
            "ticket_id",
            "at_s",
            "status",
            "becomes_solved",
            _end=ibis.cases(
                (s.end_s.notnull() & (s.end_s <= now_s), s.end_s), else_=ibis.null("int64")
            ),
        )

    def table(self) -> ir.Table:
        """One row per clock: ticket_id, sla_target, policy, status, due/started/stopped/settled
        epochs (`_due_s`, `_start_s`, `_stop_s`, `_settled_s`), minutes and flags."""
        policies = self.settings.policies
        f = self.facts
        cal = f.calendar
        now_s = self._now_s
        lo_cal = cal.first_day * 86400
        hi_cal = (cal.last_day + 1) * 86400
        if not lo_cal <= now_s < hi_cal:
            raise QueryError(
                "`now` lies outside the business calendar of this workspace "
                f"({datetime.fromtimestamp(lo_cal, UTC):%Y-%m-%d} to "
                f"{datetime.fromtimestamp(hi_cal, UTC):%Y-%m-%d}); pick an instant near the data"
            )
        for p in policies:
            if p.schedule is not None and p.schedule not in cal.schedule_index:
                raise ConfigError(
                    f"SLA policy {p.name!r} names schedule {p.schedule!r}, which is not "
                    f"configured; schedules: {', '.join(sorted(cal.schedule_index))}"
                )
        clocks = self._clocks(now_s)  # of open tickets only, with `open_only`
        # the policy in force when the clock stopped (or now): the ticket's own (`_pol0`)
        # unless its priority changed (the few priority segments)
        seg = self._priority_segments()
        if seg is None:
            c = clocks.mutate(_policy=clocks._pol0)
        else:
            c = clocks.mutate(_decide=clocks._stop_s.fill_null(now_s))
            seg = seg.mutate(_g_hit=ibis.literal(True))
            c = c.left_join(
                seg, [c._tk == seg._g_tk, seg._g_from <= c._decide, seg._g_to > c._decide]
            )
            c = c.mutate(_policy=ibis.cases((c._g_hit.notnull(), c._g_policy), else_=c._pol0)).drop(
                "_g_tk", "_g_from", "_g_to", "_g_policy", "_g_hit", "_decide"
            )
        c = c.drop("_pol0").filter(lambda x: x._policy.notnull())
        targets = {
            (i, k): p.target_seconds(k)
            for i, p in enumerate(policies)
            for k in SLA_TARGETS
            if p.target_seconds(k) is not None
        }
        calendar_time = {
            (i, k): p.in_calendar_time(k) for i, p in enumerate(policies) for k in SLA_TARGETS
        }
        # a ticket whose schedule changes runs on its own clock (facts' schedule segments),
        # unless the policy names its schedule
        segs = f.clock_segments
        # as known at `now`: a change after it has not happened yet (the segment in force at
        # `now` runs on; later offsets never change earlier segments)
        segs = segs.filter(segs._z_from <= now_s)
        later = segs._z_to > now_s
        segs = segs.mutate(
            _z_to=ibis.cases((later, INF), else_=segs._z_to),
            _z_cto=ibis.cases((later, INF), else_=segs._z_cto),
        )

        def per_target(c: ir.Table) -> dict[str, ir.Value]:
            """What the policy and target give a clock (`_sched`: the ticket's schedule key)."""
            sched_of = [
                (c._policy == i, cal.schedule_index[p.schedule])
                for i, p in enumerate(policies)
                if p.schedule is not None
            ]
            own = [
                (c._policy == i, False) for i, p in enumerate(policies) if p.schedule is not None
            ]
            kind = c._kc
            return {
                "_target": _by_policy(c._policy, kind, targets, "int64"),
                "_calendar": _by_policy(c._policy, kind, calendar_time, "boolean").fill_null(False),
                "_csched": ibis.cases(*sched_of, else_=c._sched) if sched_of else c._sched,
                "_follow": ibis.cases(*own, else_=True) if own else ibis.literal(True),
            }

        c = c.mutate(**per_target(c))
        c = c.filter(c._target.notnull())

        # running stretches of each clock: a left join, so that a clock without any keeps a
        # row (`_has` false: `_lo` = `_to` = now, nothing elapsed), and the clock's columns
        # ride along to the aggregation instead of being joined back (which built the clocks
        # twice). Only comparisons of the two sides join (with a condition on one side alone,
        # or the pause's OR of both, DuckDB loops over every pair); a stretch that overlaps the
        # clock but does not run it (paused, or the clock has no length) is a row with `_has`
        # false.
        s = self._stretches(now_s)
        s = s.filter(s._end.isnull() | (s._end > s.at_s))  # no stretch of no length
        s = s.select(_s_tk="_tk", _s_at="at_s", _s_end="_end", _s_status="status")
        stop = c._stop_s.fill_null(INF)
        j = c.left_join(s, [c._tk == s._s_tk, s._s_at < stop, s._s_end.fill_null(INF) > c._start_s])
        paused_sets = {(i, k): p.paused_by(k) for i, p in enumerate(policies) for k in SLA_TARGETS}
        paused: ir.BooleanValue = j._s_status.isin(SOLVED)
        for (i, k), sts in paused_sets.items():
            if sts:
                paused = paused | (
                    (j._policy == i) & (j._kc == KIND_CODE[k]) & j._s_status.isin(list(sts))
                )
        has = j._s_tk.notnull() & ~paused.fill_null(False) & (j._stop_s.fill_null(INF) > j._start_s)
        hi = _nullable_least(j._stop_s, j._s_end)
        j = j.mutate(
            _has=has,
            _lo=ibis.cases((has, ibis.greatest(j._start_s, j._s_at)), else_=now_s),
            _hi=ibis.cases((has, hi), else_=ibis.null("int64")),
            # an open stretch runs until now (so far)
            _to=ibis.cases((has, hi.fill_null(now_s)), else_=now_s),
        ).drop("_s_tk", "_s_at", "_s_end", "_s_status")
        keyc = ["_tk", "_kc", "_n"]
        # the clock's seconds at both ends of every row (two calendar joins), in business time
        # where the target is: one pass over the rows (a union of business and calendar rows
        # built everything before it twice), and both bases at hand for `both_times`
        for at, out in (("_lo", "_lo_b"), ("_to", "_to_b")):
            if self._no_segments:
                j = with_business_seconds(j, cal, f._cal_t, at, "_csched", out, left=True)
            else:
                j = with_clock_seconds(
                    j, cal, f._cal_t, at, "_csched", out, segs, "ticket_id", "_follow"
                )
        bus = ~j._calendar
        j = j.mutate(
            _lo_x=ibis.cases((bus, j._lo_b), else_=j._lo),
            _to_x=ibis.cases((bus, j._to_b), else_=j._to),
        )
        j = j.mutate(_len=j._to_x - j._lo_x)
        if self.both_times:
            j = j.mutate(_len_b=j._to_b - j._lo_b, _len_c=j._to - j._lo)
        # the text id leaves the rows here (sorting and grouping them is cheaper without it)
        # and joins the clocks again after the aggregation
        j = j.drop("ticket_id")
        running = j._has & j._hi.isnull()
        j = j.mutate(_run=as_int(running))
        c = j.group_by([*keyc, "_sched", "_policy", "_start_s", "_stop_s", "_target"]).aggregate(
            _elapsed=j._len.sum(),
            _running_now=j._run.max() > 0,
            **(
                {"_elapsed_b": j._len_b.sum(), "_elapsed_c": j._len_c.sum()}
                if self.both_times
                else {}
            ),
        )
        # the due key, where the running time reaches the target: only a clock that reached
        # it or still runs has one, and only their rows are ordered to find it (a tenth of
        # them: the window sorting every row was the costliest step)
        need = c.filter((c._elapsed >= c._target) | c._running_now)
        need = need.select(_d_tk="_tk", _d_kc="_kc", _d_n="_n")
        jn = j.semi_join(need, [j._tk == need._d_tk, j._kc == need._d_kc, j._n == need._d_n])
        w = ibis.window(group_by=keyc, order_by="_lo", rows=(None, -1))
        jn = jn.mutate(_cum=jn._len.sum().over(w).fill_null(0))
        reaches = (
            jn._has
            & (jn._cum < jn._target)
            & ((jn._has & jn._hi.isnull()) | (jn._cum + jn._len >= jn._target))
        )
        jn = jn.mutate(
            _due_key=ibis.cases(
                (reaches, jn._lo_x + (jn._target - jn._cum)), else_=ibis.null("int64")
            )
        )
        due = jn.group_by(keyc).aggregate(_due_key=jn._due_key.max())
        due = due.rename(_e_tk="_tk", _e_kc="_kc", _e_n="_n")
        c = c.left_join(due, [c._tk == due._e_tk, c._kc == due._e_kc, c._n == due._e_n]).drop(
            "_e_tk", "_e_kc", "_e_n", "_target"
        )
        ids = f._ticket_keys.select(_i_tk="_tk", ticket_id="ticket_id")
        c = c.join(ids, c._tk == ids._i_tk).drop("_i_tk")
        c = c.mutate(**per_target(c))
        c = c.mutate(_sched=c._csched).drop("_csched")
        warn_max = self.settings.warning_max_seconds
        c = c.mutate(
            _warn=ibis.least(c._target.cast("float64") * self.settings.warning_fraction, warn_max)
        )
        # on a ticket's own clock: the segment where the clock reaches the key, whose schedule
        # reaches key − offset there
        # (conditions on the clock alone make its key null rather than join conditions: a left
        # join with a condition on its left side alone is a nested loop in DuckDB)
        if self._no_segments:
            c = c.mutate(
                _inv_sched=c._sched,
                _inv_key=ibis.cases((~c._calendar, c._due_key), else_=ibis.null("int64")),
            )
        else:
            zs = segs.select("_z_key", "_z_sched", "_z_offset", "_z_cfrom", "_z_cto")
            c = c.mutate(
                _own_key=ibis.cases(
                    (c._follow & ~c._calendar, c._due_key), else_=ibis.null("int64")
                )
            )
            c = c.left_join(
                zs,
                [
                    c.ticket_id == zs._z_key,
                    zs._z_cfrom < c._own_key,
                    zs._z_cto >= c._own_key,
                ],
            )
            c = c.mutate(
                _inv_sched=c._z_sched.fill_null(c._sched),
                _inv_key=ibis.cases(
                    (~c._calendar, c._due_key - c._z_offset.fill_null(0)),
                    else_=ibis.null("int64"),
                ),
            ).drop(*zs.columns, "_own_key")
        # invert business time: the open period where the schedule's balance reaches the key
        inv = _inverse_calendar(cal)
        cb = c.left_join(
            inv,
            [
                c._inv_sched == inv._i_sched,
                (c._inv_key // INVERSE_BUCKET) == inv._i_bucket,
                inv._i_b0 < c._inv_key,
                inv._i_b0 + inv._i_total >= c._inv_key,
            ],
        )
        r = cb._inv_key - cb._i_b0
        k = cal.periods_per_day
        branches = []
        prev: ir.IntegerValue = ibis.literal(0, "int64")
        for i in range(1, k + 1):
            branches.append((r <= cb[f"_i_c{i}"], cb[f"_i_s{i}"] + (r - prev)))
            prev = cb[f"_i_c{i}"]
        bus_due = ibis.cases(*branches, else_=ibis.null("int64"))
        due = ibis.cases((cb._calendar, cb._due_key), else_=bus_due)
        c = cb.mutate(_due_s=due).drop(
            "_inv_sched", "_inv_key", *[x for x in cb.columns if x.startswith("_i_")]
        )

        stopped = c._stop_s.notnull()
        left = (c._target - c._elapsed).cast("float64")
        status = ibis.cases(
            (stopped & (c._elapsed <= c._target), "achieved"),
            (stopped, "breached"),
            (c._elapsed >= c._target, "breached"),
            (c._running_now & (left <= c._warn), "at_risk"),
            else_="running",
        )
        names = {i: p.name for i, p in enumerate(policies)}
        policy = ibis.cases(*[(c._policy == i, n) for i, n in names.items()], else_="")
        kind = ibis.cases(*[(c._kc == i, k) for k, i in KIND_CODE.items()], else_="")
        c = c.mutate(status=status, policy=policy, sla_target=kind)
        return c.mutate(
            time=ibis.cases((c._calendar, "calendar"), else_="business"),
            target_minutes=c._target.cast("float64") / 60.0,
            elapsed_minutes=c._elapsed.cast("float64") / 60.0,
            time_left_minutes=ibis.cases((stopped, ibis.null("float64")), else_=left / 60.0),
            paused=~stopped & ~c._running_now,
            _settled_s=ibis.cases(
                (c.status == "achieved", c._stop_s),
                (c.status == "breached", c._due_s.fill_null(c._stop_s)),
                else_=ibis.null("int64"),
            ),
        )

    def frame(self) -> ir.Table:
        """The public columns (STATE_COLUMNS; with `both_times`, TARGET_COLUMNS) with
        instants as UTC timestamps."""
        t = self.table()

        def ts(col: ir.IntegerValue) -> ir.TimestampValue:
            return epoch_timestamp(col)

        return t.select(
            "ticket_id",
            "sla_target",
            "policy",
            "status",
            due_at=ts(t._due_s),
            time_left_minutes=t.time_left_minutes,
            time=t.time,
            target_minutes=t.target_minutes,
            elapsed_minutes=t.elapsed_minutes,
            paused=t.paused,
            started_at=ts(t._start_s),
            stopped_at=ts(t._stop_s),
            settled_at=ts(t._settled_s),
            **(
                {
                    "elapsed_business_minutes": t._elapsed_b.cast("float64") / 60.0,
                    "elapsed_calendar_minutes": t._elapsed_c.cast("float64") / 60.0,
                }
                if self.both_times
                else {}
            ),
        )


def sla_state_frame(
    facts: Facts, now: datetime | None = None, both_times: bool = False
) -> pd.DataFrame:
    """Every clock's state as a DataFrame (STATE_COLUMNS; with `both_times`, also the
    running time in business and in calendar minutes: TARGET_COLUMNS)."""
    cols = TARGET_COLUMNS if both_times else STATE_COLUMNS
    if not facts.ws.settings.sla.policies:
        return pd.DataFrame({c: [] for c in cols})
    return execute_rows(facts, SlaState(facts, now, both_times=both_times).frame())


#: the columns of the SLA targets source besides the ticket's
_TARGET_SCHEMA = {
    "ticket_id": "string",
    "sla_target": "string",
    "policy": "string",
    "sla_status": "string",
    "started_at": "timestamp",
    "settled_at": "timestamp",
}


def sla_targets(facts: Facts, req: MetricRequest) -> ir.Table:
    """One row per SLA target clock: `target_id` (ticket, target and the instant its clock
    started), `sla_status`, `started_at`, `settled_at` (when it was achieved or breached; null
    while running), the policy, the ticket's columns (its per-ticket facts when the request
    names one), `agent` (the assignee) and `team`. No SLA policies: no rows."""
    if facts.ws.settings.sla.policies:
        s = SlaState(facts).table()
        t = s.select(
            "ticket_id",
            "sla_target",
            "policy",
            sla_status=s.status,
            started_at=epoch_timestamp(s._start_s),
            settled_at=epoch_timestamp(s._settled_s),
        )
    else:
        t = ibis.memtable({c: [] for c in _TARGET_SCHEMA}, schema=_TARGET_SCHEMA)
    # casts, not strftime: the same text on every backend (2026-03-02T09:00:00, UTC)
    started = t.started_at.cast("string").substr(0, 19).replace(" ", "T").fill_null("")
    t = t.mutate(target_id=t.ticket_id.concat(":", t.sla_target, "@", started))
    t = with_ticket(facts, t, [*req.by, *req.filters])
    return with_team(t.mutate(agent=t.assignee_id), facts)


#: compliance is the engine's proportion over these rows (metrics/sla.py)
SLA_TARGET_ROWS = RowSource(Source.SLA_TARGETS, "target_id", sla_targets)


QUEUE_TICKET_COLUMNS = ["subject", "priority", "group", "assignee_id", "channel"]


def sla_queue_frame(
    facts: Facts,
    now: datetime | None = None,
    statuses: tuple[str, ...] = ("breached", "at_risk"),
    limit: int | None = None,
) -> pd.DataFrame:
    """Targets still running at `now` (the ticket is waiting on us) whose status is one of
    `statuses`, soonest due first, with the ticket's subject, priority, group and assignee."""
    cols = [*STATE_COLUMNS, *QUEUE_TICKET_COLUMNS]
    if not facts.ws.settings.sla.policies:
        return pd.DataFrame({c: [] for c in cols})
    t = SlaState(facts, now, open_only=True).frame()
    t = t.filter(t.stopped_at.isnull() & t.status.isin(list(statuses)))
    tk = facts.ws.table("tickets")
    tk = tk.select(_t_id=tk.ticket_id, **{c: tk[c] for c in QUEUE_TICKET_COLUMNS})
    t = t.left_join(tk, t.ticket_id == tk._t_id).drop("_t_id")
    t = t.order_by([t.due_at.asc(nulls_first=False), "ticket_id", "sla_target"])
    if limit is not None:
        t = t.limit(limit)
    return execute_rows(facts, t.select(*cols))
