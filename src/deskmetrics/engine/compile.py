"""Compile a registry metric and a request (by, grain, tz, range, filters) into one Ibis query,
run it, and return tidy rows. Formulas live in the registry; this module only knows how each
kind of aggregation is executed."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from deskmetrics.engine.clock import epoch_timestamp, local_timestamp
from deskmetrics.engine.facts import SOLVED, Facts
from deskmetrics.engine.periods import (
    TRUNCATE,
    epoch,
    period_ends,
    periods_table,
    periods_utc,
    to_local,
)
from deskmetrics.engine.portable import as_int
from deskmetrics.errors import DefinitionError, QueryError
from deskmetrics.metrics.base import Aggregation, Condition, Metric, Op, Source
from deskmetrics.model import Grain

FAR_FUTURE = 2**62

#: the aggregation of each source computed by a hand-written function (revenue, social,
#: customers), filled by `engine/custom.register_custom_sources` (the one list of them):
#: (facts, metric, request) → rows with group keys, `_period`, n, value and optionally p50,
#: p90, successes, ci_low, ci_high (percent or the metric's unit)
CustomSource = Callable[["Facts", Metric, "MetricRequest"], pd.DataFrame]
CUSTOM_SOURCES: dict[Source, CustomSource] = {}

#: (facts, request) → the source's rows (the request says which columns it groups or filters by)
Rows = Callable[["Facts", "MetricRequest"], ir.Table]
#: a true custom aggregation over a source's rows in scope (population applied): rows as above
CustomAggregation = Callable[["Facts", Metric, "MetricRequest", ir.Table], pd.DataFrame]


@dataclass(frozen=True)
class RowSource:
    """A source is a table with its dimensions: one row per thing counted (a ticket, an answer,
    an SLA target …) with its `id_column`, the dimension columns `agent`, `team` and the rest,
    and the instants metrics anchor on. Mean, proportion, count and quantiles are computed by
    this module once for every source; `custom` names the source's true custom aggregations
    (a metric of aggregation CUSTOM picks one by its `params["custom"]`)."""

    name: Source
    id_column: str
    rows: Rows
    custom: dict[str, CustomAggregation] = field(default_factory=dict)
    #: the instant placing every row in time, when the source decides it (customers: the
    #: period the row belongs to); None: each metric's `anchor`
    time_column: str | None = None


#: every source's rows, filled by `engine/custom.register_custom_sources` (the one list of them)
SOURCES: dict[Source, RowSource] = {}


@dataclass(frozen=True)
class ExplainedRows:
    """The rows behind a number, for `explain`: `table` has `id_column` and `_reason` (−1:
    counted; else the index in `reasons` of the first reason the row was left out)."""

    table: ir.Table
    id_column: str
    reasons: tuple[str, ...] = ()


#: (facts, metric, request) → the rows behind a number computed by a hand-written function
Explainer = Callable[["Facts", Metric, "MetricRequest"], ExplainedRows]
#: how each source without rows in SOURCES lists the rows behind its numbers (filled by
#: `engine/custom.register_custom_sources`)
EXPLAINERS: dict[Source, Explainer] = {}


@dataclass(frozen=True)
class MetricRequest:
    """What to compute: grouping, time grain and zone, range [start, end) in UTC, filters."""

    by: tuple[str, ...] = ()
    grain: Grain | None = None
    tz: str = "UTC"
    start: datetime | None = None
    end: datetime | None = None
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# sources: one fact table per metric, with dimension columns, `_at_s` (UTC epoch seconds of the
# anchor) and the metric's measure


def _agents(facts: Facts) -> ir.Table:
    a = facts.ws.table("agents")
    return a.select(_a_id=a.agent_id, _a_team=a.team)


def with_team(t: ir.Table, facts: Facts) -> ir.Table:
    """`team` = the agent's team from the agents table, else the ticket's group."""
    a = _agents(facts)
    j = t.left_join(a, t.agent == a._a_id)
    group = j["group"] if "group" in j.columns else ibis.null("string")
    return j.mutate(team=j._a_team.fill_null(group)).drop("_a_id", "_a_team")


def ticket_columns(facts: Facts, t: ir.Table) -> ir.Table:
    """Join the ticket's columns (for grouping and filtering) to rows of another fact table."""
    tk = facts.ws.table("tickets")
    keep = [c for c in tk.columns if c not in t.columns or c == "ticket_id"]
    if "_tk" in t.columns:
        # by the ticket's integer key, from its kept facts (cheaper than the text id)
        tf = facts.tickets_keyed
        tf = tf.select(_t_k=tf._tk, **{c: tf[c] for c in keep if c != "ticket_id"})
        return t.left_join(tf, t._tk == tf._t_k).drop("_t_k")
    tk = tk.select(*keep).rename(_t_id="ticket_id")
    return t.left_join(tk, t.ticket_id == tk._t_id).drop("_t_id")


def with_ticket(facts: Facts, t: ir.Table, columns: Iterable[str]) -> ir.Table:
    """Left-join the columns of the row's ticket (`ticket_id`): the raw ticket columns, or the
    per-ticket facts when a requested column is one of them. Rows without a ticket stay."""
    raw = facts.ws.table("tickets")
    needs_facts = any(c not in raw.columns and c in facts.tickets.columns for c in columns)
    tk = facts.tickets if needs_facts else raw
    keep = [c for c in tk.columns if c not in t.columns]
    tk = tk.select("ticket_id", *keep).rename(_t_id="ticket_id")
    return t.left_join(tk, t.ticket_id == tk._t_id).drop("_t_id")


def anchor_seconds(col: ir.Value) -> ir.IntegerValue:
    return col.epoch_seconds().cast("int64")


# tickets, replies and interactions: one row per ticket, per reply, per call or chat session
TICKET_ROWS = RowSource(
    Source.TICKETS,
    "ticket_id",
    lambda f, req: with_team(f.tickets.mutate(agent=f.tickets.assignee_id), f),
)
REPLY_ROWS = RowSource(
    Source.REPLIES, "ticket_id", lambda f, req: with_team(ticket_columns(f, f.replies), f)
)
INTERACTION_ROWS = RowSource(
    Source.INTERACTIONS, "ticket_id", lambda f, req: with_team(ticket_columns(f, f.interactions), f)
)


def source_table(facts: Facts, metric: Metric, req: MetricRequest) -> ir.Table:
    """The rows a metric aggregates (its source's), with `agent`, `team` and `_at_s` (the
    metric's anchor) columns."""
    src = SOURCES.get(metric.source)
    if src is None:
        raise QueryError(f"{metric.name}: source {metric.source} is not a row source")
    t = src.rows(facts, req)
    return t.mutate(_at_s=anchor_seconds(t[src.time_column or metric.anchor]))


def condition(t: ir.Table, c: Condition) -> ir.BooleanValue:
    col = t[c.column]
    match c.op:
        case Op.IS_TRUE:
            return col.fill_null(False)
        case Op.IS_FALSE:
            return ~col.fill_null(True)
        case Op.NOT_NULL:
            return col.notnull()
        case Op.IS_NULL:
            return col.isnull()
        case Op.EQ:
            return (col == c.value).fill_null(False)
        case Op.NE:
            return (col != c.value).fill_null(False)
        case Op.GT:
            return (col > c.value).fill_null(False)
        case Op.GE:
            return (col >= c.value).fill_null(False)
        case Op.LT:
            return (col < c.value).fill_null(False)
        case Op.LE:
            return (col <= c.value).fill_null(False)
        case Op.IN:
            return col.isin(list(c.value)).fill_null(False)
    raise QueryError(f"unknown condition {c.op}")  # pragma: no cover


def all_of(t: ir.Table, conds: tuple[Condition, ...]) -> ir.BooleanValue:
    out: ir.BooleanValue = ibis.literal(True)
    for c in conds:
        out = out & condition(t, c)
    return out


# ---------------------------------------------------------------------------------------------
# request handling shared by every aggregation


#: filter-only pseudo column: `tag=vip` keeps rows whose `;`-separated `tags` hold the tag vip
TAG_FILTER = "tag"


def allowed_dimensions(facts: Facts, metric: Metric) -> list[str]:
    dims = list(metric.dimensions)
    if metric.ticket_dimensions:
        dims += [c for c in facts.tickets.columns if c not in dims]
    return dims


def _allowed_filters(facts: Facts, metric: Metric) -> list[str]:
    dims = allowed_dimensions(facts, metric)
    return [*dims, TAG_FILTER] if "tags" in dims else dims


def has_tag(tags: ir.StringValue, values: tuple[str, ...]) -> ir.BooleanValue:
    """True where the `;`-separated tag list holds any of `values` (spaces around tags are
    ignored; a missing tag list holds none)."""
    padded = ibis.literal(";").concat(tags.replace(" ", "")).concat(";")
    out: ir.BooleanValue = ibis.literal(False)
    for v in values:
        out = out | padded.contains(f";{v.strip()};")
    return out.fill_null(False)


def matches(t: ir.Table, col: str, values: tuple[str, ...]) -> ir.BooleanValue:
    """The filter `col` = any of `values` (as text); `tag` matches one tag inside `tags`."""
    if col == TAG_FILTER and col not in t.columns:
        return has_tag(t.tags.cast("string"), values)
    return t[col].cast("string").isin(list(values))


def _check_dimensions(facts: Facts, metric: Metric, req: MetricRequest) -> None:
    allowed = allowed_dimensions(facts, metric)
    filterable = _allowed_filters(facts, metric)
    for d in (*req.by, *req.filters):
        if d not in (filterable if d in req.filters and d not in req.by else allowed):
            shown = ", ".join(allowed[:40]) or "none (time grain only)"
            raise QueryError(
                f"{metric.name} cannot be grouped or filtered by {d!r}; allowed: {shown}"
            )


def _time_range(facts: Facts) -> tuple[datetime, datetime]:
    lo, hi = facts.data_range()
    return lo - timedelta(days=2), hi + timedelta(days=400)


def prepare(facts: Facts, t: ir.Table, req: MetricRequest) -> ir.Table:
    """Filter by range and filters; add `_period`, weekday and hour in the request's zone."""
    lo, hi = _time_range(facts)
    t = t.filter(t._at_s.notnull())
    if req.start is not None:
        t = t.filter(t._at_s >= epoch(req.start))
    if req.end is not None:
        t = t.filter(t._at_s < epoch(req.end))
    for col, values in req.filters.items():
        if col in ("weekday", "hour"):
            continue
        t = t.filter(matches(t, col, values))
    needs_local = req.grain is not None or any(
        d in ("weekday", "hour") for d in (*req.by, *req.filters)
    )
    if needs_local:
        local = local_timestamp(t._at_s, req.tz, lo, hi)
        t = t.mutate(_local=local)
        t = t.mutate(
            weekday=(t._local.day_of_week.index() + 1).cast("int64"),
            hour=t._local.hour().cast("int64"),
        )
        for col in ("weekday", "hour"):
            if col in req.filters:
                t = t.filter(t[col].cast("string").isin(list(req.filters[col])))
        if req.grain is not None:
            t = t.mutate(_period=t._local.truncate(TRUNCATE[req.grain]))
    return t


def group_keys(req: MetricRequest) -> list[str]:
    return [*req.by, *(["_period"] if req.grain is not None else [])]


#: column-name suffix of a paired median/p90 (see `median_p90`); `execute` splits it
PAIRED_QUANTILES = "pq"


def median_p90(x: ir.NumericValue) -> ir.ArrayValue:
    """The median and 90th percentile of `x` (exact, interpolated) as one aggregate: the
    engine collects the values once for both (nearly half the cost of two quantiles)."""
    return x.quantile([0.5, 0.9])


def _num(x: Any) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def _split_quantiles(df: pd.DataFrame) -> pd.DataFrame:
    for col in [c for c in df.columns if c == PAIRED_QUANTILES or c.endswith("_pq")]:
        prefix = col[: -len(PAIRED_QUANTILES)]
        pairs = [
            (_num(v[0]), _num(v[1])) if v is not None and len(v) == 2 else (None, None)
            for v in df[col]
        ]
        df = df.drop(columns=[col])
        df[f"{prefix}p50"] = pd.Series([p[0] for p in pairs], index=df.index, dtype="float64")
        df[f"{prefix}p90"] = pd.Series([p[1] for p in pairs], index=df.index, dtype="float64")
    return df


class _SelectsUnfused:
    """While any thread is inside, Ibis compiles without merging nested selects into one
    (its `options.sql.fuse_selects`, global). An aggregation over stored fact tables gains
    nothing from that merging — the engines' optimizers flatten nested selects themselves —
    and it is most of Ibis's compiling time for such a query (it scores the complexity of
    every candidate merge over the whole tree). Left on for everything else: a query that
    derives facts with window functions ran slower unmerged (DECISIONS.md, "Speed"). Only
    the SQL's shape changes, never what it computes; a query compiled by another thread
    meanwhile is merged or not, equally right."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inside = 0
        self._was = True

    @contextmanager
    def __call__(self) -> Iterator[None]:
        opts = ibis.options.sql
        with self._lock:
            if self._inside == 0:
                self._was = opts.fuse_selects
                opts.fuse_selects = False
            self._inside += 1
        try:
            yield
        finally:
            with self._lock:
                self._inside -= 1
                if self._inside == 0:
                    opts.fuse_selects = self._was


selects_unfused = _SelectsUnfused()


def execute(facts: Facts, expr: ir.Table) -> pd.DataFrame:
    """Run a query; paired quantile columns (`…pq`) come back as `…p50` and `…p90`. Over
    stored fact tables (kept, or materialized for the request) compiled unmerged
    (`selects_unfused`)."""
    if facts.kept or facts.materialize:
        with selects_unfused():
            return _split_quantiles(facts.ws.backend.execute(expr))
    return _split_quantiles(facts.ws.backend.execute(expr))


def execute_rows(facts: Facts, expr: ir.Table) -> pd.DataFrame:
    """Run a query of many rows into the same DataFrame as `execute`, faster on DuckDB.

    Ibis's DuckDB `execute` turns every column holding a null into a list of Python objects
    before making it a pandas column again (slow on large frames of
    timestamps). Arrow's own conversion gives the same column where that detour changes
    nothing: floating point and naive timestamp columns, and any plain column without nulls.
    Every other column (nested, dictionary, integers, text or booleans holding nulls) takes
    Ibis's way, and the frame gets Ibis's dtype conversion as before; other backends run
    `execute`."""
    backend = facts.ws.backend
    if getattr(backend, "name", "") != "duckdb":
        return execute(facts, expr)
    import pyarrow.types as pat
    from ibis.backends.duckdb.converter import DuckDBPandasData

    table = backend.to_pyarrow(expr)

    def column(col: Any) -> Any:
        t = col.type
        if pat.is_nested(t) or pat.is_dictionary(t):
            return col.to_pylist()
        plain = pat.is_floating(t) or (pat.is_timestamp(t) and t.tz is None)
        return col.to_pandas() if plain or not col.null_count else col.to_pylist()

    df = pd.DataFrame(
        {name: column(col) for name, col in zip(table.column_names, table.columns, strict=True)}
    )
    df = DuckDBPandasData.convert_table(df, expr.as_table().schema())
    return _split_quantiles(expr.__pandas_result__(df))


# ---------------------------------------------------------------------------------------------
# aggregations


def aggregate_rows(
    facts: Facts,
    metric: Metric,
    req: MetricRequest,
    t: ir.Table,
    agg: Aggregation | None = None,
    keys: list[str] | None = None,
) -> ir.Table:
    """The one aggregation of rows by the request's groups and periods: n and value (mean),
    n and successes (proportion), or n (count); `agg` overrides the metric's (a custom
    aggregation built on one of these), `keys` the group keys (rows already in periods)."""
    keys = group_keys(req) if keys is None else keys
    agg = agg or metric.aggregation
    if agg is Aggregation.MEAN:
        assert metric.measure is not None
        pop = t.filter(all_of(t, metric.population) & t[metric.measure].notnull())
        m = pop[metric.measure].cast("float64")
        g = pop.group_by(keys) if keys else pop
        return g.aggregate(n=m.count(), value=m.mean(), pq=median_p90(m), _sd=m.std())
    if agg is Aggregation.PROPORTION:
        pop = t.filter(all_of(t, metric.population))
        hit = as_int(all_of(pop, metric.numerator))
        g = pop.group_by(keys) if keys else pop
        return g.aggregate(n=pop.count(), successes=hit.sum())
    if agg is Aggregation.COUNT:
        pop = t.filter(all_of(t, metric.population))
        g = pop.group_by(keys) if keys else pop
        return g.aggregate(n=pop.count())
    raise QueryError(f"{metric.name}: aggregation {agg} is not a row aggregation")


def _ratio(facts: Facts, metric: Metric, req: MetricRequest) -> pd.DataFrame:
    assert metric.numerator_anchor is not None
    base = source_table(facts, metric, req)
    keys = group_keys(req)
    den_t = prepare(facts, base.filter(all_of(base, metric.population)), req)
    num_src = base.filter(all_of(base, metric.numerator)).mutate(
        _at_s=anchor_seconds(base[metric.numerator_anchor])
    )
    num_t = prepare(facts, num_src, req)
    den = execute(facts, (den_t.group_by(keys) if keys else den_t).aggregate(n=den_t.count()))
    num = execute(
        facts, (num_t.group_by(keys) if keys else num_t).aggregate(successes=num_t.count())
    )
    df = den.merge(num, on=keys, how="outer") if keys else pd.concat([den, num], axis=1)
    df["n"] = df["n"].fillna(0).astype("int64")
    return with_values(df, Aggregation.PROPORTION)


def _open_tickets(facts: Facts, req: MetricRequest) -> ir.Table:
    """One row per ticket not solved at each period's end (`_p_s`), with the ticket's columns
    and `age_minutes` then, filtered as the request says."""
    points = period_ends(req, facts)
    pts = ibis.memtable(
        {
            "_period": [p for p, _ in points],
            "_p_s": [epoch(e) for _, e in points],
        },
        schema={"_period": "timestamp", "_p_s": "int64"},
    )
    s = facts.status_stretches
    s = s.filter(~s.status.isin(SOLVED)).select(
        _s_tk="_tk", _from=s.at_s, _end=s.end_s.fill_null(FAR_FUTURE)
    )
    j = s.join(pts, [s._from <= pts._p_s, s._end > pts._p_s])
    # the ticket's columns (and creation instant) from its facts, joined by integer key
    tk = facts.ws.table("tickets")
    tf = facts.tickets_keyed
    tf = tf.select("_tk", "created_s", *tk.columns)
    j = j.join(tf, j._s_tk == tf._tk).drop("_s_tk", "_from", "_end")
    j = j.mutate(age_minutes=(j._p_s - j.created_s).cast("float64") / 60.0)
    j = j.mutate(agent=j.assignee_id)
    j = with_team(j, facts)
    for col, values in req.filters.items():
        j = j.filter(matches(j, col, values))
    return j


def _snapshot(facts: Facts, metric: Metric, req: MetricRequest) -> pd.DataFrame:
    return _snapshots(facts, [metric], req)[0]


def _snapshots(facts: Facts, metrics: list[Metric], req: MetricRequest) -> list[pd.DataFrame]:
    """Snapshot metrics (count and measures of the tickets open at each period's end), all in
    one query: they read the same rows."""
    j = _open_tickets(facts, req)
    keys = group_keys(req)
    aggs: dict[str, ir.Value] = {"n": j.count()}
    for i, m in enumerate(metrics):
        if m.measure:
            x = j[m.measure]
            aggs |= {f"m{i}_n": x.count(), f"m{i}_value": x.mean(), f"m{i}_pq": median_p90(x)}
    df = execute(facts, (j.group_by(keys) if keys else j).aggregate(**aggs))
    out = []
    for i, m in enumerate(metrics):
        if m.measure:
            cols = {f"m{i}_{c}": c for c in ("n", "value", "p50", "p90")}
            part = df[[*keys, *cols]].rename(columns=cols)
        else:
            part = df[[*keys, "n"]].copy()
            part["value"] = part["n"].astype("float64")
        out.append(part)
    return out


def _agent_days(facts: Facts, req: MetricRequest) -> ir.Table:
    """One row per agent and local day (`agent_day`: agent@day): distinct `tickets` the agent
    replied to or solved, and `first_at`, the first of them."""
    m = facts.messages
    replies = m.filter(m.is_reply).select("ticket_id", "at_s", agent=m.author_id)
    s = facts.status_stretches
    tk = facts.ws.table("tickets").select(_t_id="ticket_id", _assignee="assignee_id")
    solves = s.filter(s.becomes_solved & ~s.inferred)  # an unknown instant is no day's work
    solves = solves.left_join(tk, solves.ticket_id == tk._t_id)
    solves = solves.select("ticket_id", "at_s", agent=solves.author_id.fill_null(solves._assignee))
    h = replies.union(solves)
    h = h.filter(h.agent.notnull())
    lo, hi = _time_range(facts)
    h = h.mutate(_day=local_timestamp(h.at_s, req.tz, lo, hi).truncate("D"))
    if req.start is not None:
        h = h.filter(h.at_s >= epoch(req.start))
    if req.end is not None:
        h = h.filter(h.at_s < epoch(req.end))
    per_ticket = h.group_by(["agent", "_day", "ticket_id"]).aggregate(_first_s=h.at_s.min())
    days = per_ticket.group_by(["agent", "_day"]).aggregate(
        tickets=per_ticket.count(), _first_s=per_ticket._first_s.min()
    )
    days = days.mutate(
        agent_day=days.agent.concat("@", days._day.cast("date").cast("string")),
        first_at=epoch_timestamp(days._first_s),
    )
    return with_team(days, facts)


#: an agent's day is placed in time by its first handled ticket
AGENT_DAY_ROWS = RowSource(Source.AGENT_DAYS, "agent_day", _agent_days, time_column="first_at")


def _chat_sessions(facts: Facts) -> ir.Table:
    """Every interaction on a chat ticket (`event_id`, `agent`), with `_reason` 0 when it names
    no agent, 1 when it has no length (talk + hold), else −1; a kept session belongs to its
    agent's busy stretch `_island` (sessions overlapping or touching), which starts at
    `_isl_s`."""
    i = facts.interactions
    tk = facts.ws.table("tickets").select(_t_id="ticket_id", _channel="channel")
    i = i.join(tk, i.ticket_id == tk._t_id)
    i = i.filter(i._channel == "chat")
    start = anchor_seconds(i.at)
    end = start + (i.talk_seconds.fill_null(0) + i.hold_seconds.fill_null(0)).cast("int64")
    sess = i.select(
        "event_id",
        "agent",
        _at_s=start,
        _end_s=end,
        _reason=ibis.cases((i.agent.isnull(), 0), ((end > start).fill_null(False), -1), else_=1),
    )
    kept, gone = sess.filter(sess._reason == -1), sess.filter(sess._reason != -1)
    order = ["_at_s", "_end_s", "event_id"]
    w_prev = ibis.window(group_by="agent", order_by=order, rows=(None, -1))
    kept = kept.mutate(_prev_end=kept._end_s.max().over(w_prev))
    kept = kept.mutate(
        _new=ibis.cases((kept._prev_end.isnull() | (kept._at_s > kept._prev_end), 1), else_=0)
    )
    w_cum = ibis.window(group_by="agent", order_by=order, rows=(None, 0))
    kept = kept.mutate(_island=kept._new.sum().over(w_cum))
    kept = kept.mutate(_isl_s=kept._at_s.min().over(ibis.window(group_by=["agent", "_island"])))
    cols = ["event_id", "agent", "_at_s", "_end_s", "_reason", "_island", "_isl_s"]
    gone = gone.mutate(_island=ibis.null("int64"), _isl_s=gone._at_s)
    return kept.select(cols).union(gone.select(cols))


def _concurrency(facts: Facts, req: MetricRequest) -> pd.DataFrame:
    sess = _chat_sessions(facts)
    sess = sess.filter(sess._reason == -1)
    isl = sess.group_by(["agent", "_island"]).aggregate(
        _at_s=sess._isl_s.min(),
        _span=(sess._end_s.max() - sess._at_s.min()).cast("float64"),
        _busy=(sess._end_s - sess._at_s).sum().cast("float64"),
        _sessions=sess.count(),
    )
    isl = with_team(isl, facts)
    t = prepare(facts, isl, req)
    keys = group_keys(req)
    g = t.group_by(keys) if keys else t
    df = execute(facts, g.aggregate(n=t._sessions.sum(), _busy=t._busy.sum(), _span=t._span.sum()))
    df["value"] = [b / s if s else None for b, s in zip(df["_busy"], df["_span"], strict=True)]
    return df.drop(columns=["_busy", "_span"])


def explain_concurrency(facts: Facts, metric: Metric, req: MetricRequest) -> ExplainedRows:
    """The chat sessions behind concurrency, placed by their busy stretch's start."""
    sess = _chat_sessions(facts)
    sess = with_team(sess.mutate(_at_s=sess._isl_s), facts)
    return ExplainedRows(
        prepare(facts, sess, req),
        "event_id",
        ("chat interactions naming no agent", "chat interactions without talk or hold time"),
    )


def _per_period_counts(facts: Facts, req: MetricRequest, t: ir.Table, name: str) -> pd.DataFrame:
    t = prepare(facts, t, req)
    keys = group_keys(req)
    g = t.group_by(keys) if keys else t
    return execute(facts, g.aggregate(**{name: t.count()}))


def _active_customers(facts: Facts, req: MetricRequest) -> ir.Table:
    """One row per customer and period the customer belongs to (joined before its end, not
    gone before its start)."""
    if not facts.ws.has("customers"):
        raise QueryError(
            "contact_rate needs the customers table (customer_id, created_at, churned_at): "
            "import a customers file first"
        )
    pt = periods_table(periods_utc(req, facts))
    c = facts.ws.table("customers")
    c = c.mutate(
        _c_s=anchor_seconds(c.created_at).fill_null(-FAR_FUTURE),
        _x_s=anchor_seconds(c.churned_at).fill_null(FAR_FUTURE),
    )
    return c.join(pt, [c._c_s < pt._pe, c._x_s >= pt._ps])


def _contact_rate(facts: Facts, req: MetricRequest) -> pd.DataFrame:
    j = _active_customers(facts, req)
    tk = facts.ws.table("tickets")
    contacts = _per_period_counts(
        facts, req, tk.mutate(_at_s=anchor_seconds(tk.created_at)), "contacts"
    )
    keys = group_keys(req)
    g = j.group_by(keys) if keys else j
    active = execute(facts, g.aggregate(n=j.count()))
    df = (
        active.merge(contacts, on=keys, how="left")
        if keys
        else pd.concat([active, contacts], axis=1)
    )
    df["contacts"] = df["contacts"].fillna(0)
    df["value"] = [k / n if n else None for k, n in zip(df["contacts"], df["n"], strict=True)]
    return df.drop(columns=["contacts"])


def _handled_tickets(facts: Facts) -> ir.Table:
    m = facts.messages
    replies = m.filter(m.is_reply).select("ticket_id", "at_s")
    s = facts.status_stretches
    solves = s.filter(s.becomes_solved).select("ticket_id", "at_s")
    i = facts.interactions
    inter = i.select("ticket_id", at_s=anchor_seconds(i.at))
    return replies.union(solves).union(inter)


def _handled(facts: Facts, req: MetricRequest) -> ir.Table:
    """One row per ticket handled (replied to, solved or talked about) in each group."""
    h = _handled_tickets(facts).mutate(_one=1)
    h = prepare(facts, h.rename(_at_s="at_s"), req)
    return h.group_by(["ticket_id", *group_keys(req)]).aggregate(_x=h._one.max())


def _cost_per_contact(facts: Facts, req: MetricRequest) -> pd.DataFrame:
    if not facts.ws.has("costs"):
        raise QueryError(
            "cost_per_contact needs the costs table (period_start, period_end, amount): "
            "import a costs file first"
        )
    handled = _handled(facts, req)
    keys = group_keys(req)
    hc = (
        handled.group_by(keys).aggregate(n=handled.count())
        if keys
        else handled.aggregate(n=handled.count())
    )
    handled_df = execute(facts, hc)
    periods = periods_utc(req, facts)
    days: dict[str, list[Any]] = {"_day": [], "_period": []}
    for label, s, e in periods:
        d = to_local(s, req.tz).date()
        last = to_local(e - timedelta(microseconds=1), req.tz).date()
        while d <= last:
            days["_day"].append(d)
            days["_period"].append(label)
            d += timedelta(days=1)
    dt_ = ibis.memtable(days, schema={"_day": "date", "_period": "timestamp"})
    c = facts.ws.table("costs")
    c = c.mutate(
        _daily=c.amount
        / (c.period_end.cast("date").delta(c.period_start.cast("date"), unit="day") + 1).cast(
            "float64"
        )
    )
    j = c.join(
        dt_, [c.period_start.cast("date") <= dt_._day, c.period_end.cast("date") >= dt_._day]
    )
    g = j.group_by(keys) if keys else j
    cost_df = execute(facts, g.aggregate(cost=j._daily.sum()))
    if keys:
        df = cost_df.merge(handled_df, on=keys, how="outer")
    else:
        df = pd.concat([cost_df, handled_df], axis=1)
    df["n"] = df["n"].fillna(0).astype("int64")
    df["value"] = [
        c / n if n and pd.notna(c) else None for c, n in zip(df["cost"], df["n"], strict=True)
    ]
    return df.drop(columns=["cost"])


# ---------------------------------------------------------------------------------------------
# entry points


def run_metric(facts: Facts, metric: Metric, req: MetricRequest) -> pd.DataFrame:
    """Rows: group keys, `_period` (when a grain is asked), n, value and where they apply
    p50, p90, successes. Numbers only; intervals and flags are added by the caller."""
    _check_dimensions(facts, metric, req)
    agg = metric.aggregation
    if agg is Aggregation.RATIO:
        return _ratio(facts, metric, req)
    if agg is Aggregation.SNAPSHOT:
        return _snapshot(facts, metric, req)
    if metric.source is Source.CHAT_SESSIONS:
        return _concurrency(facts, req)
    if metric.source is Source.CONTACTS:
        return _contact_rate(facts, req)
    if metric.source is Source.COSTS:
        return _cost_per_contact(facts, req)
    if metric.source in CUSTOM_SOURCES:
        return CUSTOM_SOURCES[metric.source](facts, metric, req)
    src = SOURCES.get(metric.source)
    t = prepare(facts, source_table(facts, metric, req), req)
    if agg is Aggregation.CUSTOM:
        custom = src.custom.get(str(metric.params.get("custom"))) if src else None
        if custom is None:
            raise DefinitionError(
                f"{metric.name}: source {metric.source} has no custom aggregation "
                f"{metric.params.get('custom')!r}"
            )
        return custom(facts, metric, req, t.filter(all_of(t, metric.population)))
    return with_values(execute(facts, aggregate_rows(facts, metric, req, t)), agg)


def with_values(df: pd.DataFrame, agg: Aggregation) -> pd.DataFrame:
    """`value` of a proportion (successes per row, in percent) or a count (the rows)."""
    if agg is Aggregation.PROPORTION:
        df["successes"] = df["successes"].fillna(0).astype("int64")
        df["value"] = [
            100.0 * s / n if n else None for s, n in zip(df["successes"], df["n"], strict=True)
        ]
    elif agg is Aggregation.COUNT:
        df["value"] = df["n"].astype("float64")
    return df


@dataclass
class Explanation:
    """Why a number is what it is: rows counted, rows left out by reason, and their ids."""

    counted: int
    left_out: list[tuple[str, int]]
    ids: list[str]
    left_out_ids: dict[str, list[str]]
    id_column: str


def explain_metric(
    facts: Facts, metric: Metric, req: MetricRequest, limit: int | None = 50, offset: int = 0
) -> Explanation:
    """Count the rows behind a number and those left out, by the first condition they fail.
    The id lists are paged: `limit` ids (None: all) from position `offset` in id order."""
    _check_dimensions(facts, metric, req)
    src = SOURCES.get(metric.source)
    if src is None:
        explainer = EXPLAINERS.get(metric.source)
        if explainer is None:  # pragma: no cover - tests/test_periods.py lists every source
            raise DefinitionError(f"{metric.name}: source {metric.source} cannot be explained")
        return _explanation(facts, explainer(facts, metric, req), limit, offset)
    base = source_table(facts, metric, req)
    anchor = src.time_column or metric.anchor
    if metric.aggregation is Aggregation.RATIO:
        scope_anchor = base[anchor]
    else:
        # rows whose anchor is missing (e.g. never solved, a running SLA target) are placed by
        # the ticket's creation
        fallback = "created_at" if "created_at" in base.columns else anchor
        scope_anchor = base[anchor].fill_null(base[fallback])
    t = prepare(facts, base.mutate(_at_s=anchor_seconds(scope_anchor)), req)
    conds = list(metric.population)
    if metric.aggregation is Aggregation.MEAN and metric.measure:
        conds.append(
            Condition(
                column=metric.measure, op=Op.NOT_NULL, left_out=f"rows without {metric.measure}"
            )
        )
    cases = [(~condition(t, c), i) for i, c in enumerate(conds)]
    reason = ibis.cases(*cases, else_=-1) if cases else ibis.literal(-1)
    if metric.aggregation is Aggregation.RATIO:
        reason = ibis.literal(-1)
    rows = ExplainedRows(t.mutate(_reason=reason), src.id_column, tuple(c.left_out for c in conds))
    return _explanation(facts, rows, limit, offset)


def _explanation(facts: Facts, rows: ExplainedRows, limit: int | None, offset: int) -> Explanation:
    t, id_col = rows.table, rows.id_column
    counts = execute(facts, t.group_by("_reason").aggregate(n=t.count()))
    by_reason = {int(r): int(n) for r, n in zip(counts["_reason"], counts["n"], strict=True)}

    def ids(reason: int) -> list[str]:
        page = t.filter(t._reason == reason).select(id_col).distinct().order_by(id_col)
        return [str(x) for x in execute(facts, page.limit(limit, offset=offset))[id_col]]

    failed = [(i, why) for i, why in enumerate(rows.reasons) if by_reason.get(i)]
    return Explanation(
        counted=by_reason.get(-1, 0),
        left_out=[(why, by_reason[i]) for i, why in failed],
        ids=ids(-1),
        left_out_ids={why: ids(i) for i, why in failed},
        id_column=id_col,
    )


def explain_backlog(facts: Facts, metric: Metric, req: MetricRequest) -> ExplainedRows:
    """The tickets open at each period's end."""
    return ExplainedRows(_open_tickets(facts, req).mutate(_reason=-1), "ticket_id")


def explain_contact_rate(facts: Facts, metric: Metric, req: MetricRequest) -> ExplainedRows:
    """The customers the contacts are divided by, one row per period they belong to."""
    return ExplainedRows(_active_customers(facts, req).mutate(_reason=-1), "customer_id")


def explain_cost_per_contact(facts: Facts, metric: Metric, req: MetricRequest) -> ExplainedRows:
    """The tickets handled in each period (the contacts the cost is divided by)."""
    return ExplainedRows(_handled(facts, req).mutate(_reason=-1), "ticket_id")


BATCHED = (Aggregation.MEAN, Aggregation.PROPORTION, Aggregation.COUNT)


def _batchable(m: Metric) -> bool:
    return m.aggregation in BATCHED and m.source in SOURCES and m.source not in CUSTOM_SOURCES


def run_metrics(facts: Facts, metrics: list[Metric], req: MetricRequest) -> list[pd.DataFrame]:
    """Like run_metric for each metric, but metrics that read the same fact table by the same
    anchor share one scan: one aggregate with a conditional column per metric. Same rows as
    one query per metric (groups where a metric has no rows are dropped, as there)."""
    out: dict[int, pd.DataFrame] = {}
    batches: dict[tuple[Source, str], list[int]] = {}
    snapshots: list[int] = []
    for i, m in enumerate(metrics):
        _check_dimensions(facts, m, req)
        if _batchable(m):
            batches.setdefault((m.source, m.anchor), []).append(i)
        elif m.aggregation is Aggregation.SNAPSHOT:
            snapshots.append(i)
        else:
            out[i] = run_metric(facts, m, req)
    if snapshots:
        parts = _snapshots(facts, [metrics[i] for i in snapshots], req)
        out.update(zip(snapshots, parts, strict=True))
    for idxs in batches.values():
        if len(idxs) == 1:
            out[idxs[0]] = run_metric(facts, metrics[idxs[0]], req)
            continue
        t = prepare(facts, source_table(facts, metrics[idxs[0]], req), req)
        keys = group_keys(req)
        aggs: dict[str, ir.Value] = {}
        for i in idxs:
            m = metrics[i]
            # a column expression even without conditions (a bare literal cannot be summed)
            pop = all_of(t, m.population) & t._at_s.notnull()
            if m.aggregation is Aggregation.MEAN:
                assert m.measure is not None
                x = ibis.cases(
                    (pop & t[m.measure].notnull(), t[m.measure].cast("float64")),
                    else_=ibis.null("float64"),
                )
                aggs |= {
                    f"m{i}_n": x.count(),
                    f"m{i}_value": x.mean(),
                    f"m{i}_pq": median_p90(x),
                    f"m{i}__sd": x.std(),
                }
            elif m.aggregation is Aggregation.PROPORTION:
                aggs |= {
                    f"m{i}_n": as_int(pop).sum(),
                    f"m{i}_successes": as_int(pop & all_of(t, m.numerator)).sum(),
                }
            else:
                aggs[f"m{i}_n"] = as_int(pop).sum()
        g = t.group_by(keys) if keys else t
        df = execute(facts, g.aggregate(**aggs))
        for i in idxs:
            m = metrics[i]
            prefix = f"m{i}_"
            cols = {c: c[len(prefix) :] for c in df.columns if c.startswith(prefix)}
            part = df[[*keys, *cols]].rename(columns=cols)
            part["n"] = part["n"].fillna(0).astype("int64")
            if keys:
                part = part[part["n"] > 0].reset_index(drop=True)
            elif part.empty or int(part["n"].iloc[0]) == 0:
                part = part.iloc[0:0]
            out[i] = with_values(part, m.aggregation)
    return [out[i] for i in range(len(metrics))]
