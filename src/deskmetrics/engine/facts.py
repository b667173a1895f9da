"""Per-ticket (and per-reply, per-interaction, per-status-stretch) facts, derived once from the
events and then aggregated by every metric. Every duration is a difference of two instants in
calendar seconds and in business seconds of the ticket's business clock (its schedule, or the
schedules in force one after another when schedule events change it: `schedule_segments`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

import ibis
import ibis.expr.types as ir

from deskmetrics.engine.clock import (
    INF,
    calendar_table,
    schedule_index,
    with_business_seconds,
    with_clock_seconds,
)
from deskmetrics.engine.portable import as_int
from deskmetrics.engine.text_columns import with_text_columns
from deskmetrics.engine.workspace import Workspace
from deskmetrics.errors import QueryError
from deskmetrics.model import SOLVED_STATUSES

SOLVED = sorted(SOLVED_STATUSES)
REQUESTER_WAITING = ["new", "open", "hold"]


#: the order of events at the same instant: the source's `seq`, then the order of arrival
ORDER = ("_seq", "_arrival")
_LAST = 2.0**62  # an event without a source `seq` follows those with one


def _source_order(e: ir.Table) -> dict[str, ir.Value]:
    """`_seq` and `_arrival` of events (the tie-break of events at the same instant; never the
    text of ids, where "s999" sorts after "s1000"). Tables that do not come from the store (a
    warehouse's views) may lack `_arrival`: their ties fall to the ids."""
    arrival = e["_arrival"].cast("float64") if "_arrival" in e.columns else ibis.literal(0.0)
    return {"_seq": e.seq.cast("float64").fill_null(_LAST), "_arrival": arrival.fill_null(_LAST)}


def _min_where(value: ir.Value, cond: ir.BooleanValue) -> ir.Value:
    return ibis.cases((cond, value), else_=ibis.null(value.type())).min()


def _minutes(later: ir.Value, earlier: ir.Value) -> ir.FloatingValue:
    return (later - earlier).cast("float64") / 60.0


def kept_table(ws: Workspace, name: str) -> ir.Table:
    """The fact table `name` as kept in the workspace file (see engine/kept.py)."""
    return ws.backend.table(f"_facts_{name}")


def _fact(name: str) -> Callable[[Callable[[Facts], ir.Table]], cached_property[ir.Table]]:
    """A fact table the workspace can keep under `name` (see `Facts._keep`)."""

    def wrap(build: Callable[[Facts], ir.Table]) -> cached_property[ir.Table]:
        def get(self: Facts) -> ir.Table:
            return self._keep(name, build)

        get.__doc__ = build.__doc__
        return cached_property(get)

    return wrap


@dataclass
class Facts:
    """The fact tables of one workspace, built lazily as Ibis expressions."""

    ws: Workspace
    #: keep each fact table once computed (a temporary table on DuckDB, a cached DataFrame on
    #: Spark): worth it when several metrics read the same facts in one request
    materialize: bool = False
    #: canonical tables to read instead of the workspace's (e.g. only the tickets an import
    #: touched and their events: how kept facts are brought up to date)
    sources: dict[str, ir.Table] = field(default_factory=dict)
    #: ticket id → `_tk`, kept in the workspace (numbers stay put as tickets arrive); None:
    #: tickets are numbered inside the query
    ids: ir.Table | None = None
    #: where each fact table goes instead of being kept or derived (set while kept facts are
    #: made: the table is written, and what was written is read back)
    sink: Callable[[str, ir.Table], ir.Table] | None = None
    #: read the fact tables kept in the workspace file instead of deriving them; set only by
    #: `kept.current_facts`, after `kept.refresh` found them current (reading never writes)
    kept: bool = False
    _ranges: dict[bool, tuple[datetime, datetime]] = field(default_factory=dict)
    #: the workspace's `stored_range` once known (scanned once per request, or given by the
    #: kept facts' state when no data arrived since they were made); empty while unknown
    _stored: list[tuple[datetime, datetime] | None] = field(default_factory=list)

    def data_range(self, until_now: bool = True) -> tuple[datetime, datetime]:
        """The workspace's data range, scanned once per request (it is asked for often)."""
        if until_now not in self._ranges:
            self._ranges[until_now] = self.ws.range_from(self.stored_range(), until_now)
        return self._ranges[until_now]

    def stored_range(self) -> tuple[datetime, datetime] | None:
        if not self._stored:
            self._stored.append(self.ws.stored_range())
        return self._stored[0]

    def source(self, name: str) -> ir.Table:
        """A canonical table the facts read (tickets, events)."""
        if name in self.sources:
            return self.ws.reading(name, self.sources[name])
        return self.ws.table(name)

    def _keep(self, name: str, build: Callable[[Facts], ir.Table]) -> ir.Table:
        """The fact table `name`: read from the workspace when kept there (its derivation is
        not even built: that is most of a small request's time), else derived by `build`
        and written, materialized or left in the query."""
        if self.sink is None and self.kept:
            return kept_table(self.ws, name)
        t = build(self)
        if self.sink is not None:
            return self.sink(name, t)
        if not self.materialize:
            return t
        # ibis 12's PySpark cache() compiles without registering in-memory tables (our
        # calendar) first; registering them here is harmless on every other backend
        hooks = getattr(self.ws.backend, "_run_pre_execute_hooks", None)
        if hooks is not None:
            hooks(t)
        return t.cache()

    @cached_property
    def calendar(self):  # type: ignore[no-untyped-def]
        return self.ws.calendar(*self.data_range())

    @cached_property
    def _cal_t(self) -> ir.Table:
        return calendar_table(self.calendar)

    @cached_property
    def tickets_base(self) -> ir.Table:
        """Tickets with their integer key `_tk`, schedule key and creation instant in
        calendar/business seconds (on the ticket's own schedule: the first segment of its
        clock, see `schedule_segments`). `_tk` is an integer key (integer keys sort and join
        several times faster than text ids): the ticket's rank by id when derived in the query
        (the same in every query), or its number kept in the workspace (`ids`, stable as
        tickets arrive) for kept facts."""
        t = self.source("tickets")
        if self.ids is not None:
            t = t.join(self.ids.select("ticket_id", "_tk"), "ticket_id")
        else:
            t = t.mutate(_tk=ibis.row_number().over(order_by="ticket_id"))
        t = t.mutate(
            _sched=schedule_index(self.calendar, t.schedule_id),
            created_s=t.created_at.epoch_seconds().cast("int64"),
        )
        return with_business_seconds(
            t, self.calendar, self._cal_t, "created_s", "_sched", "created_b"
        )

    @_fact("schedule_segments")
    def schedule_segments(self) -> ir.Table:
        """The business clock of each ticket whose schedule changes (schedule events): segments
        [from_s, to_s) measured on schedule `sched`, the clock being offset + business seconds
        of `sched` there. Offsets make the clock continuous, so every duration stays a
        difference of two instants' clock values (Zendesk's rule: each stretch of business time
        on the schedule in force then). The first segment (from −INF) is the ticket's own
        schedule with offset 0: creation is measured as for any ticket. A change at or before
        creation applies from creation; of changes at one instant the last in source order
        wins; an unknown schedule id means the default schedule (as on tickets). `c_from`,
        `c_to`: the clock at the bounds (±INF when open), to find where it reaches a value."""
        cal, cal_t = self.calendar, self._cal_t
        # keyed by ticket id, not `_tk`: numbering every ticket is not needed for the few here
        t = self.source("tickets")
        k = t.select(
            "ticket_id",
            _sched=schedule_index(cal, t.schedule_id),
            created_s=t.created_at.epoch_seconds().cast("int64"),
        )
        e = self.source("events")
        e = e.filter(e.type == "schedule")
        e = e.select("ticket_id", "event_id", "at", "schedule_id", **_source_order(e))
        ch = e.join(k, "ticket_id")
        at_s = ch.at.epoch_seconds().cast("int64")
        ch = ch.select(
            "ticket_id",
            from_s=ibis.greatest(at_s, ch.created_s),
            sched=schedule_index(cal, ch.schedule_id),
            _at=at_s,
            _seq=ch._seq,
            _arrival=ch._arrival,
            _eid=ch.event_id,
        )
        neg = ibis.literal(-INF, "int64")
        first = k.semi_join(ch, "ticket_id").select(
            "ticket_id",
            from_s=neg,
            sched=k._sched,
            _at=neg,
            _seq=ibis.literal(0.0),
            _arrival=ibis.literal(0.0),
            _eid=ibis.literal(""),
        )
        u = first.union(ch)
        # of changes at one instant, the last in source order
        w = ibis.window(group_by="ticket_id", order_by=["from_s", "_at", *ORDER, "_eid"])
        u = u.mutate(_next=u.from_s.lead().over(w))
        u = u.filter(u._next.isnull() | (u._next != u.from_s))
        w = ibis.window(group_by="ticket_id", order_by="from_s")
        u = u.select(
            "ticket_id",
            "from_s",
            "sched",
            to_s=u.from_s.lead().over(w).fill_null(INF),
            _prev=u.sched.lag().over(w),
        )
        # at each change: the clock so far (previous schedule) and the new schedule's seconds
        b = u.filter(u._prev.notnull())
        b = with_business_seconds(b, cal, cal_t, "from_s", "_prev", "_bp")
        b = with_business_seconds(b, cal, cal_t, "from_s", "sched", "_bn")
        zero = ibis.literal(0, "int64")
        u = u.filter(u._prev.isnull()).mutate(_bp=zero, _bn=zero).union(b)
        upto = ibis.window(group_by="ticket_id", order_by="from_s", rows=(None, 0))
        u = u.mutate(offset=(u._bp - u._bn).sum().over(upto).cast("int64"))
        u = u.mutate(c_from=ibis.cases((u._prev.isnull(), neg), else_=u.offset + u._bn))
        u = u.mutate(c_to=u.c_from.lead().over(w).fill_null(INF))
        return u.select("ticket_id", "from_s", "to_s", "sched", "offset", "c_from", "c_to")

    @property
    def clock_segments(self) -> ir.Table:
        """`schedule_segments` as `with_clock_seconds` reads them (keyed by ticket id)."""
        z = self.schedule_segments
        return z.select(
            _z_key=z.ticket_id,
            _z_from=z.from_s,
            _z_to=z.to_s,
            _z_sched=z.sched,
            _z_offset=z.offset,
            _z_cfrom=z.c_from,
            _z_cto=z.c_to,
        )

    def _clock(self, t: ir.Table, epoch: str, out: str) -> ir.Table:
        """Add `out` = the ticket's business clock at `epoch` (`t` has `ticket_id`, `_sched`)."""
        if self._no_schedule_changes:
            return with_business_seconds(t, self.calendar, self._cal_t, epoch, "_sched", out)
        return with_clock_seconds(
            t, self.calendar, self._cal_t, epoch, "_sched", out, self.clock_segments, "ticket_id"
        )

    @cached_property
    def _no_schedule_changes(self) -> bool:
        """No ticket's schedule changes: every clock is its schedule's business seconds, and
        the segments' join (seconds per million events) is left out. Known only when the
        segments are a stored table (being kept, or materialized); otherwise assumed not."""
        if self.sink is None and not self.materialize:
            return False
        return int(self.ws.backend.execute(self.schedule_segments.count())) == 0

    @_fact("ticket_keys")
    def _ticket_keys(self) -> ir.Table:
        """What the timeline needs of each ticket, kept once (read by every later fact)."""
        tb = self.tickets_base
        return tb.select(
            "ticket_id", "_tk", "_sched", "created_by", "created_at", "created_s", "created_b"
        )

    @cached_property
    def timeline(self) -> ir.Table:
        """Public messages and status changes with their instant in calendar/business seconds
        and their ticket's key."""
        e = self.source("events")
        e = e.filter((e.type == "status") | ((e.type == "message") & (e.public.fill_null(True))))
        e = e.select(
            "event_id", "ticket_id", "at", "type", "author_role", "author_id", "status",
            **_source_order(e),
        )  # fmt: skip
        tk = self._ticket_keys.select("ticket_id", "_tk", "_sched", "created_by")
        e = e.join(tk, "ticket_id").mutate(at_s=e.at.epoch_seconds().cast("int64"))
        # not kept: deriving it again is cheaper than writing it, even to a temporary table
        # (read by messages and status; benchmarks/profile_facts.py --stage-timeline)
        return self._clock(e, "at_s", "at_b")

    @_fact("messages")
    def messages(self) -> ir.Table:
        """Public messages in order; `is_reply` marks replies by a human agent;
        `next_reply_seq` is the position of the first reply at or after each message."""
        m = self.timeline.filter(lambda x: x.type == "message")
        w = ibis.window(group_by="_tk", order_by=["at_s", *ORDER, "event_id"])
        m = m.mutate(seq=ibis.row_number().over(w))
        opening = (m.seq == 0) & (m.created_by == "agent") & (m.author_role == "agent")
        m = m.mutate(is_opening=opening, is_reply=(m.author_role == "agent") & ~opening)
        following = ibis.window(group_by="_tk", order_by=["seq"], rows=(0, None))
        earlier = ibis.window(group_by="_tk", order_by=["seq"], rows=(None, -1))
        m = m.mutate(
            next_reply_seq=ibis.cases((m.is_reply, m.seq), else_=ibis.null("int64"))
            .min()
            .over(following),
            # an AI agent's message came before this one (a person writing now takes over)
            after_ai=as_int(m.author_role == "ai_agent").max().over(earlier).fill_null(0) > 0,
        )
        # (not `event_id`, only the order's tie-break: writing a million ids costs seconds)
        return m.select(
            "_tk",
            "ticket_id",
            "at",
            "at_s",
            "at_b",
            "author_role",
            "author_id",
            "seq",
            "is_opening",
            "is_reply",
            "next_reply_seq",
            "after_ai",
        )

    @_fact("replies")
    def replies(self) -> ir.Table:
        """One row per public customer message, with the next human agent reply after it."""
        m = self.messages
        cust = m.filter(m.author_role == "customer")
        rep = m.filter(m.is_reply).select(
            r_tk=m._tk,
            r_seq=m.seq,
            reply_at=m.at,
            reply_s=m.at_s,
            reply_b=m.at_b,
            agent=m.author_id,
        )
        j = cust.left_join(rep, [cust._tk == rep.r_tk, cust.next_reply_seq == rep.r_seq])
        return j.select(
            "_tk",
            "ticket_id",
            customer_message_at=j.at,
            reply_at=j.reply_at,
            agent=j.agent,
            reply_minutes=_minutes(j.reply_s, j.at_s),
            reply_business_minutes=_minutes(j.reply_b, j.at_b),
        )

    @_fact("status_stretches")
    def status_stretches(self) -> ir.Table:
        """Each stretch of time a ticket spent in one status (the first, `new`, starts at
        creation); the last stretch of an unsolved ticket is still running (end null).

        A ticket whose events carry no status history takes its current status from the ticket
        itself (`status` as of `updated_at`, as an export gives it): that stretch is `inferred`,
        so a solve found there counts as solved but has no known instant."""
        tl = self.timeline
        s = tl.filter(tl.type == "status").select(
            "_tk",
            "ticket_id",
            "at",
            "at_s",
            "at_b",
            "status",
            "author_id",
            *ORDER,
            _ord=ibis.literal(1),
            _eid="event_id",
            inferred=ibis.literal(False),
        )
        tb = self._ticket_keys
        first = tb.select(
            "_tk",
            "ticket_id",
            at=tb.created_at,
            at_s=tb.created_s,
            at_b=tb.created_b,
            status=ibis.literal("new"),
            author_id=ibis.null("string"),
            **{c: ibis.literal(0.0) for c in ORDER},
            _ord=ibis.literal(0),
            _eid=ibis.literal(""),
            inferred=ibis.literal(False),
        )
        u = first.union(s).union(self._current_status(s))
        w = ibis.window(group_by="_tk", order_by=["at_s", "_ord", *ORDER, "_eid"])
        u = u.mutate(
            prev_status=u.status.lag().over(w),
            end_at=u.at.lead().over(w),
            end_s=u.at_s.lead().over(w),
            end_b=u.at_b.lead().over(w),
        )
        # the order's tie-breaks (`_ord`, `_seq`, `_arrival`, `_eid`) are not kept: nothing reads
        # them, and writing a million event ids to the workspace file costs seconds
        return u.drop("_ord", *ORDER, "_eid").mutate(
            is_reopen=u.prev_status.isin(SOLVED) & ~u.status.isin(SOLVED),
            becomes_solved=u.status.isin(SOLVED) & ~u.prev_status.fill_null("new").isin(SOLVED),
        )

    def _current_status(self, changes: ir.Table) -> ir.Table:
        """The `inferred` stretch of tickets with a source status and no status events: from
        `updated_at` (never before creation, never after the present) in that status."""
        raw = self.source("tickets")
        raw = raw.filter(raw.status.notnull()).select(
            _r_id="ticket_id", _r_status="status", _r_at="updated_at"
        )
        tb = self._ticket_keys
        c = tb.join(raw, tb.ticket_id == raw._r_id).anti_join(changes, "_tk")
        # never before creation, never after the workspace's present (a far-future
        # `updated_at` would fall outside the business calendar and lose the stretch)
        _, present = self.data_range()
        at = ibis.least(
            ibis.greatest(c._r_at.fill_null(c.created_at), c.created_at),
            ibis.greatest(ibis.literal(present, "timestamp"), c.created_at),
        )
        c = c.select(
            "_tk",
            "ticket_id",
            "_sched",
            at=at,
            at_s=at.epoch_seconds().cast("int64"),
            status=c._r_status,
            author_id=ibis.null("string"),
            **{o: ibis.literal(0.0) for o in ORDER},
            _ord=ibis.literal(2),
            _eid=ibis.literal(""),
            inferred=ibis.literal(True),
        )
        c = self._clock(c, "at_s", "at_b")
        return c.select(
            "_tk", "ticket_id", "at", "at_s", "at_b", "status", "author_id", *ORDER, "_ord",
            "_eid", "inferred",
        )  # fmt: skip

    @_fact("interactions")
    def interactions(self) -> ir.Table:
        """Handled calls and chat sessions with their handle time (talk + hold + wrap)."""
        e = self.source("events")
        e = e.filter(e.type == "interaction")
        any_segment = e.talk_seconds.notnull() | e.hold_seconds.notnull() | e.wrap_seconds.notnull()
        total = (
            e.talk_seconds.fill_null(0) + e.hold_seconds.fill_null(0) + e.wrap_seconds.fill_null(0)
        )
        return e.select(
            "event_id",
            "ticket_id",
            "at",
            "talk_seconds",
            "hold_seconds",
            agent=e.agent_id,
            handle_minutes=ibis.cases((any_segment, total / 60.0), else_=ibis.null("float64")),
        )

    @_fact("tickets")
    def tickets_keyed(self) -> ir.Table:
        """The per-ticket facts with the ticket's key `_tk` and `created_s` (for joins)."""
        settings = self.ws.settings
        m = self.messages
        msg = (
            m.group_by("_tk")
            .aggregate(
                first_reply_at=_min_where(m.at, m.is_reply),
                first_reply_s=_min_where(m.at_s, m.is_reply),
                first_reply_b=_min_where(m.at_b, m.is_reply),
                first_auto_reply_at=_min_where(m.at, m.author_role == "bot"),
                first_auto_reply_s=_min_where(m.at_s, m.author_role == "bot"),
                first_auto_reply_b=_min_where(m.at_b, m.author_role == "bot"),
                replies=as_int(m.is_reply).sum(),
                customer_messages=as_int(m.author_role == "customer").sum(),
                ai_messages=as_int(m.author_role == "ai_agent").sum(),
                human_messages=as_int(m.author_role == "agent").sum(),
                first_ai_at=_min_where(m.at, m.author_role == "ai_agent"),
                first_ai_s=_min_where(m.at_s, m.author_role == "ai_agent"),
                first_ai_b=_min_where(m.at_b, m.author_role == "ai_agent"),
                handoff_at=_min_where(m.at, (m.author_role == "agent") & m.after_ai),
                handoff_s=_min_where(m.at_s, (m.author_role == "agent") & m.after_ai),
                handoff_b=_min_where(m.at_b, (m.author_role == "agent") & m.after_ai),
            )
            .rename(m_tk="_tk")
        )
        s = self.status_stretches
        known = s.becomes_solved & ~s.inferred
        dur_s = (s.end_s - s.at_s).cast("float64")
        dur_b = (s.end_b - s.at_b).cast("float64")
        zero = ibis.literal(0.0)
        st = (
            s.group_by("_tk")
            .aggregate(
                reopens=as_int(s.is_reopen).sum(),
                first_solved_at=_min_where(s.at, known),
                first_solved_s=_min_where(s.at_s, known),
                first_solved_b=_min_where(s.at_b, known),
                first_seen_solved_at=_min_where(s.at, s.becomes_solved),
                _solve_unknown=(s.becomes_solved & s.inferred).any(),
                last_solved_at_any=ibis.cases((known, s.at), else_=ibis.null("timestamp")).max(),
                last_solved_s=ibis.cases((known, s.at_s), else_=ibis.null("int64")).max(),
                last_solved_b=ibis.cases((known, s.at_b), else_=ibis.null("int64")).max(),
                # the last stretch (no next change) holds the current status
                status=_min_where(s.status, s.end_s.isnull()),
                solved_by=_min_where(s.author_id, known),
                # time in each waiting status (stretches that ended), calendar and business
                **{
                    f"{wait}_{clock}": ibis.cases(
                        (waiting & s.end_s.notnull(), dur), else_=zero
                    ).sum()
                    for wait, waiting in (
                        ("requester_wait", s.status.isin(REQUESTER_WAITING)),
                        ("agent_wait", s.status == "pending"),
                        ("on_hold", s.status == "hold"),
                    )
                    for clock, dur in (("s", dur_s), ("b", dur_b))
                },
            )
            .rename(s_tk="_tk")
        )
        i = self.interactions
        inter = (
            i.group_by("ticket_id")
            .aggregate(
                interactions=i.event_id.count(),
            )
            .rename(i_ticket="ticket_id")
        )

        # the source's own status feeds the inferred stretch; the fact `status` replaces it
        raw = self.source("tickets").rename(_src_status="status")
        keys = self._ticket_keys.drop("created_by", "created_at").rename(_k_id="ticket_id")
        t = raw.join(keys, raw.ticket_id == keys._k_id).drop("_k_id")
        unknown = [c for c in settings.fcr.same if c not in t.columns]
        if unknown:
            raise QueryError(
                f"fcr.same names {', '.join(unknown)}, which tickets do not have; "
                f"use ticket columns such as {', '.join(t.columns[:8])}"
            )
        same = list(settings.fcr.same)
        # the requester's next contact, ordered on narrow rows (the window sorts what it carries)
        # (ties broken by ticket id: `_tk` numbers kept tickets in order of arrival)
        contacts = t.select("_tk", "ticket_id", "requester_id", *same, "created_s")
        nxt = contacts.created_s.lead().over(
            group_by=["requester_id", *same], order_by=["created_s", "ticket_id"]
        )
        contacts = contacts.select(n_tk=contacts._tk, next_contact_s=nxt)
        j = t.left_join(contacts, t._tk == contacts.n_tk)
        j = j.left_join(msg, j._tk == msg.m_tk)
        j = j.left_join(st, j._tk == st.s_tk)
        j = j.left_join(inter, j.ticket_id == inter.i_ticket)
        j = j.drop("n_tk", "m_tk", "s_tk", "i_ticket")

        is_solved = j.status.fill_null("new").isin(SOLVED)
        replies = j.replies.fill_null(0)
        reopens = j.reopens.fill_null(0)
        interactions = j.interactions.fill_null(0)
        # the AI agent's part of a conversation is one interaction, as a chat session is one:
        # an AI answer that solved it alone can be a first-contact resolution, a handoff not
        ai_part = as_int(j.ai_messages.fill_null(0) > 0)
        agent_interactions = ibis.cases((interactions > 0, interactions), else_=replies) + ai_part
        window_s = settings.fcr.window_days * 86400
        repeat = j.next_contact_s.notnull() & ((j.next_contact_s - j.created_s) <= window_s)
        last_solved_at = ibis.cases((is_solved, j.last_solved_at_any), else_=ibis.null("timestamp"))
        ai = j.ai_messages.fill_null(0) > 0
        # a person answered: a public message, or a handled call or chat session
        human = (j.human_messages.fill_null(0) > 0) | (j.interactions.fill_null(0) > 0)
        solved_mask = is_solved & j.last_solved_s.notnull()

        def solved_only(minutes: ir.Value) -> ir.Value:
            return ibis.cases((solved_mask, minutes), else_=ibis.null("float64"))

        out = j.mutate(
            status=j.status.fill_null("new"),
            is_solved=is_solved,
            # false for a ticket solved at an instant the source does not give (its status
            # comes from the ticket, not from a history): left out of solve-time metrics
            solve_time_known=~(is_solved & j._solve_unknown.fill_null(False)),
            replies=replies,
            reopens=reopens,
            interactions=interactions,
            agent_interactions=agent_interactions,
            repeat_contact=repeat,
            fcr=is_solved & (agent_interactions == 1) & (reopens == 0) & ~repeat,
            ai_messages=j.ai_messages.fill_null(0),
            human_messages=j.human_messages.fill_null(0),
            ai_engaged=ai,
            handed_off=ai & j.handoff_at.notnull(),
            # who answered: a person taking part at all makes it `ai_then_human` (DECISIONS.md)
            handled_by=ibis.cases(
                (ai & human, "ai_then_human"),
                (ai, "ai_only"),
                (human, "human_only"),
                else_="none",
            ),
            automated_resolution=ai & is_solved & ~human & (reopens == 0) & ~repeat,
            ai_handoff_wait_minutes=_minutes(j.handoff_s, j.first_ai_s),
            ai_handoff_wait_business_minutes=_minutes(j.handoff_b, j.first_ai_b),
            touches=ibis.cases(
                (replies == 0, "no-touch"),
                (replies == 1, "one-touch"),
                (replies == 2, "two-touch"),
                else_="multi-touch",
            ),
            last_solved_at=last_solved_at,
            first_reply_minutes=_minutes(j.first_reply_s, j.created_s),
            first_reply_business_minutes=_minutes(j.first_reply_b, j.created_b),
            first_auto_reply_minutes=_minutes(j.first_auto_reply_s, j.created_s),
            first_auto_reply_business_minutes=_minutes(j.first_auto_reply_b, j.created_b),
            first_resolution_minutes=_minutes(j.first_solved_s, j.created_s),
            first_resolution_business_minutes=_minutes(j.first_solved_b, j.created_b),
            full_resolution_minutes=solved_only(_minutes(j.last_solved_s, j.created_s)),
            full_resolution_business_minutes=solved_only(_minutes(j.last_solved_b, j.created_b)),
            # the waits and holds of solved tickets, in calendar and business minutes
            **{
                f"{wait}{kind}_minutes": solved_only(j[f"{wait}_{clock}"].fill_null(0) / 60.0)
                for wait in ("requester_wait", "agent_wait", "on_hold")
                for kind, clock in (("", "s"), ("_business", "b"))
            },
        )
        internal = [c for c in out.columns if c.endswith(("_s", "_b")) or c.startswith("_")]
        internal += ["last_solved_at_any", "next_contact_s"]
        keep = ["_tk", "created_s"]
        return out.drop(*[c for c in internal if c in out.columns and c not in keep])

    @cached_property
    def tickets(self) -> ir.Table:
        """One row per ticket with every per-ticket fact, and the topic and sentiment columns
        (joined here, at query time: see engine/text_columns.py)."""
        t = self.tickets_keyed
        return with_text_columns(self.ws, t.drop("_tk", "created_s"))
