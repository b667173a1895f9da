"""Customers and revenue: retention, churn, MRR and its movement, CLV.

Every figure comes from one join of the customers (or subscriptions) table with a small table of
the request's periods (start and end as UTC epoch seconds, computed exactly from the time zone),
then per-customer and per-group aggregation in the engine. Only the few per-period numbers are
finished in pandas. The request helpers here are shared with the social module."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from deskmetrics.engine.clock import epoch_timestamp
from deskmetrics.engine.compile import (
    FAR_FUTURE,
    ExplainedRows,
    MetricRequest,
    RowSource,
    aggregate_rows,
    all_of,
    anchor_seconds,
    execute,
    with_values,
)
from deskmetrics.engine.facts import Facts
from deskmetrics.engine.periods import (
    Period,
    fill_periods,
    labels,
    periods_table,
    request_periods,
    to_local,
)
from deskmetrics.engine.portable import as_int
from deskmetrics.errors import QueryError
from deskmetrics.metrics.base import Aggregation, Metric, Source
from deskmetrics.metrics.revenue import CUSTOMER_DIMENSIONS

#: an average Gregorian month (365.25 / 12 days), in seconds: MRR × months running = revenue
MONTH_SECONDS = 30.4375 * 86400

# ---------------------------------------------------------------------------------------------
# request handling shared by the customer, revenue and social sources


def require_rows(facts: Facts, table: str, who: str, columns: str) -> ir.Table:
    """The canonical table `table`, or a QueryError saying what to import when it is empty."""
    ws = facts.ws
    if ws.has(table):
        t = ws.table(table)
        if int(ws.backend.execute(t.count())) > 0:
            return t
    raise QueryError(
        f"{who} needs the {table} table ({columns}) and the workspace has no rows in "
        f"it: import a {table} file first"
    )


def _naive(value: Any) -> datetime | None:
    if value is None or pd.isna(value):
        return None
    out: datetime = pd.Timestamp(value).to_pydatetime()
    return out.replace(tzinfo=None)


def source_range(
    facts: Facts, t: ir.Table, columns: Sequence[str]
) -> tuple[datetime | None, datetime | None]:
    """Earliest and latest instant in `columns` of `t` (UTC, naive); None when all are null."""
    aggs: dict[str, ir.Value] = {}
    for i, c in enumerate(columns):
        aggs[f"lo{i}"] = t[c].min()
        aggs[f"hi{i}"] = t[c].max()
    row = execute(facts, t.aggregate(**aggs)).iloc[0]
    los = [d for i in range(len(columns)) if (d := _naive(row[f"lo{i}"])) is not None]
    his = [d for i in range(len(columns)) if (d := _naive(row[f"hi{i}"])) is not None]
    return (min(los) if los else None, max(his) if his else None)


def apply_filters(t: ir.Table, req: MetricRequest) -> ir.Table:
    for col, values in req.filters.items():
        t = t.filter(t[col].cast("string").isin(list(values)))
    return t


def keys_of(req: MetricRequest) -> list[str]:
    """Group keys inside these sources: the request's dimensions and always `_period`."""
    return [*req.by, "_period"]


def finish(df: pd.DataFrame, req: MetricRequest) -> pd.DataFrame:
    """Rows as the engine returns them: `_period` only with a grain; n an integer."""
    df = df.copy()
    df["n"] = df["n"].fillna(0).astype("int64")
    if req.grain is None:
        df = df.drop(columns=["_period"])
    return df.reset_index(drop=True)


def percent(num: pd.Series, den: pd.Series) -> list[float | None]:
    return [
        100.0 * float(a) / float(b) if b and pd.notna(a) else None
        for a, b in zip(num, den, strict=True)
    ]


# ---------------------------------------------------------------------------------------------
# customers: retention and churn


def customer_periods(facts: Facts, req: MetricRequest, who: str) -> tuple[ir.Table, list[Period]]:
    """One row per customer and period the customer belongs to (joined before the period
    ended, not gone before it began), flagged `at_start`, `at_end`, `new`, `lost`, with
    `period_start` (UTC, the row's instant); and the request's periods. `who` names what
    needs the customers table, for the error when it is empty."""
    c = require_rows(facts, "customers", who, "customer_id, created_at, churned_at")
    periods = request_periods(facts, req, *source_range(facts, c, ("created_at", "churned_at")))
    c = apply_filters(c, req)
    # no created_at: a customer since before the data; no churned_at: still a customer
    c = c.mutate(
        _c_s=anchor_seconds(c.created_at).fill_null(-FAR_FUTURE),
        _x_s=anchor_seconds(c.churned_at).fill_null(FAR_FUTURE),
    )
    pt = periods_table(periods)
    j = c.join(pt, [c._c_s < pt._pe, c._x_s >= pt._ps])
    j = j.mutate(
        at_start=j._c_s < j._ps,
        at_end=j._x_s >= j._pe,
        new=j._c_s >= j._ps,
        lost=j._x_s < j._pe,
        period_start=epoch_timestamp(j._ps),
    )
    return j, periods


def customer_rates(facts: Facts, metric: Metric, req: MetricRequest) -> pd.DataFrame:
    """Retention: the engine's proportion of the customer rows in the population meeting the
    numerator. Churn (custom): n = rows meeting the population, value = rows meeting the
    numerator among all rows (churn counts lost customers who joined in the period too)."""
    j, periods = customer_periods(facts, req, metric.name)
    if metric.aggregation is Aggregation.PROPORTION:
        df = execute(facts, aggregate_rows(facts, metric, req, j, keys=keys_of(req)))
        df = fill_periods(df, labels(periods), req.by, {"n": 0, "successes": 0}, groups=False)
        return finish(with_values(df, Aggregation.PROPORTION), req)
    pop = all_of(j, metric.population)
    hit = all_of(j, metric.numerator)
    df = execute(
        facts,
        j.group_by(keys_of(req)).aggregate(n=as_int(pop).sum(), _hits=as_int(hit).sum()),
    )
    df = fill_periods(df, labels(periods), req.by, {"n": 0, "_hits": 0}, groups=False)
    df["value"] = percent(df["_hits"], df["n"])
    return finish(df.drop(columns=["_hits"]), req)


#: the rows behind retention and churn, for `explain` (their numbers: customer_rates)
CUSTOMER_ROWS = RowSource(
    Source.CUSTOMERS,
    "customer_id",
    lambda facts, req: customer_periods(facts, req, "customer metrics")[0],
    time_column="period_start",
)


# ---------------------------------------------------------------------------------------------
# subscriptions: MRR, its movement, CLV

_SUBSCRIPTION_COLUMNS = "subscription_id, customer_id, started_at, ended_at, mrr, currency"
_SUMS = {"mrr", "new", "expansion", "contraction", "churned"}


def _subscriptions(
    facts: Facts, metric: Metric, req: MetricRequest
) -> tuple[ir.Table, list[Period]]:
    """Subscriptions with `_acct` (the customer; the subscription itself when it names none),
    `_st`/`_en` (UTC epoch seconds, open ends far away) and `_mrr` (missing = 0), filtered,
    with the customer's columns when the request groups or filters by them."""
    s = require_rows(facts, "subscriptions", metric.name, _SUBSCRIPTION_COLUMNS)
    periods = request_periods(facts, req, *source_range(facts, s, ("started_at", "ended_at")))
    wanted = [d for d in CUSTOMER_DIMENSIONS if d in (*req.by, *req.filters)]
    if wanted:
        k = facts.ws.table("customers")
        k = k.select(_k_id=k.customer_id, **{d: k[d] for d in wanted})
        s = s.left_join(k, s.customer_id == k._k_id).drop("_k_id")
    s = apply_filters(s, req)
    s = s.filter(all_of(s, metric.population))
    if "currency" not in req.by:
        named = s.filter(s.currency.notnull())
        cur = execute(facts, named.group_by("currency").aggregate(_n=named.count()))
        found = sorted(str(x) for x in cur["currency"])
        if len(found) > 1:
            raise QueryError(
                f"{metric.name}: the subscriptions are in several currencies "
                f"({', '.join(found)}) and amounts in different currencies cannot be added: "
                f"filter one with --where currency={found[0]} or group with --by currency"
            )
    s = s.mutate(
        _acct=s.customer_id.fill_null(ibis.literal("subscription ") + s.subscription_id),
        _st=anchor_seconds(s.started_at).fill_null(-FAR_FUTURE),
        _en=anchor_seconds(s.ended_at).fill_null(FAR_FUTURE),
        _mrr=s.mrr.cast("float64").fill_null(0.0),
    )
    return s, periods


def _accounts(s: ir.Table, pt: ir.Table, req: MetricRequest) -> ir.Table:
    """One row per customer and period: MRR just before the period began (`_start`) and just
    before it ended (`_end`), and `_paid` = 1 when it paid at the start or at any time in the
    period."""
    j = s.join(pt, [s._st < pt._pe, s._en >= pt._ps])
    j = j.mutate(
        _m0=ibis.cases((j._st < j._ps, j._mrr), else_=0.0),
        _m1=ibis.cases((j._en >= j._pe, j._mrr), else_=0.0),
        _p=ibis.cases((j._mrr > 0, 1), else_=0),
    )
    return j.group_by(["_acct", *keys_of(req)]).aggregate(
        _start=j._m0.sum(), _end=j._m1.sum(), _paid=j._p.max()
    )


def _months(start: datetime, end: datetime, tz: str) -> float:
    """Length of [start, end) in months: calendar months when both ends are local midnights on
    the first of a month, else days / 30.4375."""
    a, b = to_local(start, tz), to_local(end, tz)
    if all(x.day == 1 and x.time() == time(0) for x in (a, b)):
        return float((b.year - a.year) * 12 + b.month - a.month)
    return (end - start).total_seconds() / MONTH_SECONDS


def gross_margin(facts: Facts, metric: Metric) -> float:
    """The `gross_margin` setting (deskmetrics.toml), else the metric's default (1.0)."""
    value = getattr(facts.ws.settings, "gross_margin", None)
    if value is None:
        value = metric.params.get("gross_margin", 1.0)
    try:
        margin = float(value)
    except (TypeError, ValueError):
        margin = float("nan")
    if not 0 < margin <= 1:
        raise QueryError(
            f"gross_margin = {value!r} in deskmetrics.toml must be a fraction above 0 and at "
            "most 1 (e.g. 0.8 for an 80% margin)"
        )
    return margin


def _counted(a: ir.Table, kind: str) -> list[tuple[ir.BooleanValue, str]]:
    """The conditions a customer's row (see `_accounts`) meets to be counted in `kind`'s n,
    each with what a row failing it is, for `explain`."""
    pay0, pay1 = a._start > 0, a._end > 0
    paying_start = (pay0, "customers not paying when the period began")
    paying_end = (pay1, "customers not paying at the period's end")
    return {
        "mrr": [paying_end],
        "new": [(~pay0, "customers already paying when the period began"), paying_end],
        "churned": [paying_start, (~pay1, "customers still paying at the period's end")],
        "expansion": [paying_start, paying_end, (a._end > a._start, "MRR did not rise")],
        "contraction": [paying_start, paying_end, (a._end < a._start, "MRR did not fall")],
        "growth": [paying_start],
        "clv_predictive": [paying_start],
    }[kind]


def _all(conds: list[tuple[ir.BooleanValue, str]]) -> ir.BooleanValue:
    out = conds[0][0]
    for c, _ in conds[1:]:
        out = out & c
    return out


def revenue(facts: Facts, metric: Metric, req: MetricRequest) -> pd.DataFrame:
    kind = str(metric.params.get("revenue", "mrr"))
    s, periods = _subscriptions(facts, metric, req)
    pt = periods_table(periods)
    keys = keys_of(req)
    if kind == "clv":
        return _clv(facts, req, s, pt, periods)
    a = _accounts(s, pt, req)
    pay1 = a._end > 0
    g = a.group_by(keys)
    if kind in _SUMS:
        amounts: dict[str, ir.NumericValue] = {
            "mrr": a._end,
            "new": a._end,
            "churned": a._start,
            "expansion": a._end - a._start,
            "contraction": a._start - a._end,
        }
        cond, amount = _all(_counted(a, kind)), amounts[kind]
        expr = g.aggregate(
            n=as_int(cond).sum(),
            value=ibis.cases((cond, amount), else_=0.0).sum(),
        )
        df = fill_periods(
            execute(facts, expr), labels(periods), req.by, {"n": 0, "value": 0.0}, True
        )
        return finish(df, req)
    counted = as_int(_all(_counted(a, kind))).sum()
    if kind == "growth":
        expr = g.aggregate(n=counted, _s=a._start.sum(), _e=a._end.sum())
        df = fill_periods(execute(facts, expr), labels(periods), req.by, {"n": 0}, False)
        df["value"] = percent(df["_e"] - df["_s"], df["_s"])
        return finish(df.drop(columns=["_s", "_e"]), req)
    if kind == "clv_predictive":
        lost = (a._paid == 1) & ~pay1
        expr = g.aggregate(
            n=counted,
            _lost=as_int(lost).sum(),
            _paying=as_int(pay1).sum(),
            _mrr=a._end.sum(),
        )
        df = fill_periods(execute(facts, expr), labels(periods), req.by, {"n": 0}, False)
        months = {pd.Timestamp(p): _months(s_, e_, req.tz) for p, s_, e_ in periods}
        margin = gross_margin(facts, metric)
        arpa, churn, value = [], [], []
        for p, n, lost_n, paying, mrr in zip(
            df["_period"], df["n"], df["_lost"], df["_paying"], df["_mrr"], strict=True
        ):
            a_ = float(mrr) / float(paying) if paying and pd.notna(mrr) else None
            m_ = months.get(pd.Timestamp(p), 0.0)
            c_ = float(lost_n) / float(n) / m_ if n and m_ and pd.notna(lost_n) else None
            arpa.append(a_)
            churn.append(100.0 * c_ if c_ is not None else None)
            value.append(a_ * margin / c_ if a_ is not None and c_ else None)
        df["value"], df["arpa"], df["monthly_churn_rate"] = value, arpa, churn
        return finish(df.drop(columns=["_lost", "_paying", "_mrr"]), req)
    raise QueryError(f"{metric.name}: unknown revenue figure {kind!r}")  # pragma: no cover


def _revenue_to_date(s: ir.Table, pt: ir.Table, req: MetricRequest) -> ir.Table:
    """One row per customer with a subscription started before each period's end: `_rev`,
    its revenue up to that end (mrr × months running)."""
    j = s.join(pt, s._st < pt._pe)
    running = ibis.greatest(ibis.least(j._en, j._pe) - j._st, 0).cast("float64")
    j = j.mutate(_rev=j._mrr * running / MONTH_SECONDS)
    return j.group_by(["_acct", *keys_of(req)]).aggregate(_rev=j._rev.sum())


def explain_revenue(facts: Facts, metric: Metric, req: MetricRequest) -> ExplainedRows:
    """The customers (one row per period) behind an MRR or CLV figure; a subscription naming
    no customer stands for itself ("subscription <id>")."""
    kind = str(metric.params.get("revenue", "mrr"))
    s, periods = _subscriptions(facts, metric, req)
    pt = periods_table(periods)
    reasons: tuple[str, ...]
    if kind == "clv":
        a, reasons = _revenue_to_date(s, pt, req).mutate(_reason=-1), ()
    else:
        a = _accounts(s, pt, req)
        conds = _counted(a, kind)
        cases = [(~c, i) for i, (c, _) in enumerate(conds)]
        a, reasons = a.mutate(_reason=ibis.cases(*cases, else_=-1)), tuple(w for _, w in conds)
    return ExplainedRows(a.mutate(customer_id=a._acct), "customer_id", reasons)


def _clv(
    facts: Facts, req: MetricRequest, s: ir.Table, pt: ir.Table, periods: list[Period]
) -> pd.DataFrame:
    """Historical CLV: each customer's revenue up to the period's end (mrr × months running),
    averaged over the customers with a subscription started before that end."""
    a = _revenue_to_date(s, pt, req)
    expr = a.group_by(keys_of(req)).aggregate(
        n=a.count(),
        value=a._rev.mean(),
        p50=a._rev.quantile(0.5),
        p90=a._rev.quantile(0.9),
    )
    df = fill_periods(execute(facts, expr), labels(periods), req.by, {"n": 0}, False)
    return finish(df, req)
