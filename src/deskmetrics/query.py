"""The public way to ask for numbers: compute(metrics, by, grain, tz, start, end, filters).

Resolves names against the registry, interprets dates in the request's time zone, runs the
engine, and returns tidy result rows (numbers, never formatted text)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from deskmetrics.config import Settings
from deskmetrics.engine import Facts, MetricRequest, Workspace, explain_metric
from deskmetrics.engine.compile import Explanation, run_metrics
from deskmetrics.engine.kept import current_facts, refresh
from deskmetrics.engine.periods import (
    earlier_periods,
    fill_periods,
    naive_utc,
    period_starts,
    to_local,
    to_utc,
    truncate_local,
    year_earlier,
)
from deskmetrics.errors import QueryError
from deskmetrics.metrics import REGISTRY, Aggregation, Direction, Metric, get_metric
from deskmetrics.metrics.benchmarks import benchmarks_for
from deskmetrics.model import Grain
from deskmetrics.significance import margins_differ, poisson_p, two_proportion_p, welch_p
from deskmetrics.stats import t_interval, wilson_interval

RESULT_COLUMNS = [
    "metric",
    "period",
    "value",
    "unit",
    "n",
    "p50",
    "p90",
    "ci_low",
    "ci_high",
    "small_sample",
]
DateLike = date | datetime | str | None


#: the years a date of a request may fall in (an end date near year 9999 would overflow)
FIRST_YEAR, LAST_YEAR = 1900, 2200
#: the longest IANA zone name is 32 characters; anything much longer is not a zone
MAX_ZONE_NAME = 64
#: periods one grained request may span (ten years of hours); more is refused, not computed
MAX_PERIODS = 100_000
_GRAIN_SECONDS = {
    "hour": 3600,
    "day": 86400,
    "week": 7 * 86400,
    "month": 28 * 86400,
    "quarter": 90 * 86400,
    "year": 365 * 86400,
}


def _shown(value: str, width: int = 40) -> str:
    """`value` quoted for a message, cut when long (a message never echoes kilobytes)."""
    if len(value) <= width:
        return repr(value)
    return f"{value[:width]!r}… ({len(value):,} characters)"


def check_zone(name: str, option: str = "tz") -> ZoneInfo:
    """The IANA time zone `name`; an unknown, overlong or malformed name is a QueryError that
    says what a zone name looks like. The one check the API, the CLI and the dashboard share."""
    if not name or len(name) > MAX_ZONE_NAME or not name.isprintable():
        raise QueryError(
            f"{option}: unknown time zone {_shown(name)}: use an IANA name such as "
            f"'Europe/Berlin' or 'UTC'"
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise QueryError(
            f"{option}: unknown time zone {_shown(name)}: use an IANA name such as "
            f"'Europe/Berlin' or 'UTC'"
        ) from exc


def parse_day(value: str, option: str = "from") -> date:
    """A date (YYYY-MM-DD) or a local date-time (YYYY-MM-DDTHH:MM) within the plausible years;
    anything else is a QueryError naming `option` and what to write instead."""
    text = value.strip()
    try:
        parsed: date = (
            datetime.fromisoformat(text) if "T" in text or " " in text else date.fromisoformat(text)
        )
    except ValueError as exc:
        raise QueryError(
            f"{option} {_shown(value)} is not a date (use YYYY-MM-DD or YYYY-MM-DDTHH:MM)"
        ) from exc
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise QueryError(
            f"{option} {_shown(value)} is out of range: use a date between "
            f"{FIRST_YEAR}-01-01 and {LAST_YEAR}-12-31"
        )
    return parsed


def _to_utc(value: DateLike, tz: str, end: bool, option: str = "from") -> datetime | None:
    """A date means local midnight in `tz` (for an end date: the midnight after it, so the end
    date is included); a datetime without offset is local time in `tz`."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = parse_day(value, option)
    elif not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise QueryError(
            f"{option} {value.isoformat()} is out of range: use a date between "
            f"{FIRST_YEAR}-01-01 and {LAST_YEAR}-12-31"
        )
    if not isinstance(value, datetime):
        d = value + timedelta(days=1) if end else value
        value = datetime.combine(d, time.min)
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(tz))
    return naive_utc(value)


def _check_span(start: datetime | None, end: datetime | None, grain: Grain | None) -> None:
    """A grained request spans at most MAX_PERIODS periods (a 300-year range by hour would
    be millions of rows): refused with what to change instead."""
    if grain is None or start is None or end is None:
        return
    periods = (end - start).total_seconds() / _GRAIN_SECONDS[grain.value]
    if periods > MAX_PERIODS:
        raise QueryError(
            f"the range holds about {periods:,.0f} {grain.value}s; a request may span at most "
            f"{MAX_PERIODS:,} periods: narrow from/to or use a longer grain"
        )


def parse_instant(value: str, option: str = "--now") -> datetime:
    """An ISO 8601 instant with its offset (`2026-03-01T12:00:00Z`, `…+01:00`) as naive UTC.
    A moment to audit must be unambiguous: a naive or malformed one is refused, naming the
    option it was given to."""
    text = value.strip()
    try:
        at = datetime.fromisoformat(text)
    except ValueError as exc:
        raise QueryError(
            f"{option} {value!r} is not an ISO 8601 instant; use e.g. 2026-03-01T12:00:00Z"
        ) from exc
    if at.tzinfo is None or at.utcoffset() is None:
        raise QueryError(
            f"{option} {value!r} has no offset; add Z for UTC or the offset, "
            f"e.g. 2026-03-01T12:00:00Z or 2026-03-01T13:00:00+01:00"
        )
    if not FIRST_YEAR <= at.year <= LAST_YEAR:
        raise QueryError(
            f"{option} {_shown(value)} is out of range (years {FIRST_YEAR} to {LAST_YEAR})"
        )
    return naive_utc(at)


def _filters(filters: Mapping[str, Any] | Iterable[str] | None) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    if filters is None:
        return {}
    if isinstance(filters, Mapping):
        for k, v in filters.items():
            vals = [v] if isinstance(v, str | int | float | bool) else list(v)
            out.setdefault(k, []).extend(str(x) for x in vals)
    else:
        for item in filters:
            if "=" not in item:
                raise QueryError(f"filter {item!r} is not COLUMN=VALUE")
            k, v = item.split("=", 1)
            out.setdefault(k.strip(), []).extend(x.strip() for x in v.split(","))
    return {k: tuple(v) for k, v in out.items()}


@dataclass(frozen=True)
class Query:
    """A resolved request: metrics from the registry plus the engine request."""

    metrics: tuple[Metric, ...]
    request: MetricRequest


def build_query(
    ws: Workspace,
    metrics: Sequence[str] | str,
    by: Sequence[str] = (),
    grain: Grain | str | None = None,
    tz: str | None = None,
    start: DateLike = None,
    end: DateLike = None,
    filters: Mapping[str, Any] | Iterable[str] | None = None,
) -> Query:
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    if not names:
        raise QueryError("name at least one metric (see `deskmetrics metrics`)")
    resolved = tuple(get_metric(n) for n in names)
    zone_name = tz or ws.settings.report_timezone
    check_zone(zone_name)
    try:
        g = Grain(grain) if grain else None
    except ValueError as exc:
        raise QueryError(f"unknown grain {grain!r}; use one of {', '.join(Grain)}") from exc
    s, e = _to_utc(start, zone_name, False, "from"), _to_utc(end, zone_name, True, "to")
    if ws.as_of is not None:
        # as of a moment, the range ends there (just after it: the end is excluded)
        cap = ws.as_of + timedelta(seconds=1)
        if s is not None and s >= cap:
            raise QueryError(
                f"the range starts ({start}) after the moment it is measured at "
                f"({ws.as_of:%Y-%m-%dT%H:%M:%S}Z)"
            )
        e = cap if e is None or e > cap else e
    if s is not None and e is not None and e <= s:
        raise QueryError(f"the range ends ({end}) before it starts ({start})")
    _check_span(s, e or ws.now(), g)
    req = MetricRequest(
        by=tuple(by), grain=g, tz=zone_name, start=s, end=e, filters=_filters(filters)
    )
    return Query(resolved, req)


def _counts_rows(metric: Metric) -> bool:
    """True when an empty group is the number 0 (a count), not an unknown value."""
    return metric.aggregation is Aggregation.COUNT or (
        metric.aggregation is Aggregation.SNAPSHOT and not metric.measure
    )


def _intervals(metric: Metric, df: pd.DataFrame) -> tuple[list[Any], list[Any]]:
    """95% intervals: Wilson for a proportion (percent); Student t for a mean whose metric asks
    for it (`params["interval"] == "t"`), clipped to its `params["bounds"]`."""
    cis: list[tuple[float, float] | None]
    if metric.aggregation is Aggregation.PROPORTION:
        successes = df["successes"] if "successes" in df else [0] * len(df)
        cis = [
            wilson_interval(float(s), float(n)) if n > 0 else None
            for s, n in zip(successes, df["n"], strict=True)
        ]
        return [c[0] * 100 if c else None for c in cis], [c[1] * 100 if c else None for c in cis]
    if not (metric.aggregation is Aggregation.MEAN and metric.params.get("interval") == "t"):
        return [None] * len(df), [None] * len(df)
    lo, hi = metric.params.get("bounds", (-math.inf, math.inf))
    means = df["value"] if "value" in df else [None] * len(df)
    sds = df["_sd"] if "_sd" in df else [None] * len(df)
    cis = [
        t_interval(float(mean), float(sd), float(n))
        if n and pd.notna(mean) and pd.notna(sd)
        else None
        for mean, sd, n in zip(means, sds, df["n"], strict=True)
    ]
    return [max(lo, c[0]) if c else None for c in cis], [min(hi, c[1]) if c else None for c in cis]


def _finish(
    metric: Metric, raw: pd.DataFrame, req: MetricRequest, small: int, periods: list[datetime]
) -> pd.DataFrame:
    df = raw.copy()
    if req.grain is not None:
        df = df.rename(columns={"_period": "period"})
        counts = _counts_rows(metric)
        zeros = {"n": 0, **({"value": 0.0} if counts else {})}
        if "successes" in df:
            zeros["successes"] = 0
        df = fill_periods(df, periods, req.by, zeros, groups=counts, column="period")
    else:
        df["period"] = None
    if df.empty and not req.by and req.grain is None:
        df = pd.DataFrame(
            [{"n": 0, "value": 0.0 if _counts_rows(metric) else None, "period": None}]
        )
    df["metric"] = metric.name
    df["unit"] = metric.unit.value
    for col in ("p50", "p90"):
        if col not in df:
            df[col] = None
    df["n"] = df["n"].fillna(0).astype("int64")
    if "ci_low" not in df:  # custom aggregations give intervals of their own (NPS margin)
        df["ci_low"], df["ci_high"] = _intervals(metric, df)
    sampled = metric.aggregation is Aggregation.PROPORTION or metric.small_sample_flag
    df["small_sample"] = [bool(sampled and n < small) for n in df["n"]]
    keys = list(req.by)
    # further columns an engine module adds (e.g. `spike`, `baseline`) follow the standard ones
    extra = [
        c
        for c in df.columns
        if c not in ("metric", *keys, *RESULT_COLUMNS)
        and not c.startswith("_")
        and c != "successes"
    ]
    # kept for --compare, dropped before rows are returned
    df["_successes"] = df.get("successes", None)
    df["_sd"] = df.get("_sd", None)
    df = df[["metric", *keys, *RESULT_COLUMNS[1:], *extra, "_successes", "_sd"]]
    sort = [*keys, "period"] if req.grain is not None else keys
    if sort:
        df = df.sort_values(sort, na_position="last", kind="stable")
    df = df.astype(
        {
            "value": "float64",
            "p50": "float64",
            "p90": "float64",
            "ci_low": "float64",
            "ci_high": "float64",
        }
    )
    return df.reset_index(drop=True)


def _rows(ws: Workspace, q: Query, facts: Facts) -> list[pd.DataFrame]:
    frames = []
    with ws.steady_catalog():  # the facts are up to date: no table is made or dropped now
        raws = run_metrics(facts, list(q.metrics), q.request)
    for m, raw in zip(q.metrics, raws, strict=True):
        periods = period_starts(facts, q.request, snapshot=m.aggregation is Aggregation.SNAPSHOT)
        frames.append(_finish(m, raw, q.request, ws.settings.small_sample, periods))
    return frames


def compute(
    ws: Workspace,
    metrics: Sequence[str] | str,
    by: Sequence[str] = (),
    grain: Grain | str | None = None,
    tz: str | None = None,
    start: DateLike = None,
    end: DateLike = None,
    filters: Mapping[str, Any] | Iterable[str] | None = None,
    compare: str | None = None,
    versus: str | None = None,
) -> pd.DataFrame:
    """Tidy result rows: metric, the group keys asked for, period (start, local time, when a
    grain is asked), value, unit, n, p50, p90, ci_low, ci_high (percent), small_sample; then
    target, meets_target, benchmark, benchmark_name where they apply, and with
    `compare="previous"` (the period before) or `"year"` (the same period a year earlier) the
    previous value, the change, its p-value and whether it is significant. With `versus` (a
    value of the one `by` dimension, e.g. `human_only` by `handled_by`) every group is set
    against that group in the same period instead: `versus_value`, `difference`, its p-value
    and whether it is significant — a fair comparison of who handled what. Durations are in
    minutes."""
    q = build_query(ws, metrics, by, grain, tz, start, end, filters)
    if compare is not None and compare not in COMPARISONS:
        raise QueryError(
            f"--compare {compare!r}: use 'previous' (the period before) or 'year' (the same "
            "period a year earlier)"
        )
    if versus is not None:
        if len(q.request.by) != 1:
            raise QueryError(
                f"--versus {versus!r} compares the groups of one dimension with one of them: "
                "give exactly one --by (e.g. --by handled_by --versus human_only)"
            )
        if compare is not None:
            raise QueryError("--versus and --compare cannot be combined: ask one, then the other")
    names = tuple(m.name for m in q.metrics)
    return ws.remembered(
        ("compute", names, q.request, compare, versus), lambda: _compute(ws, q, compare, versus)
    )


def _compute(
    ws: Workspace, q: Query, compare: str | None, versus: str | None = None
) -> pd.DataFrame:
    facts = current_facts(ws, materialize=len(q.metrics) > 1)
    frames = _rows(ws, q, facts)
    if compare is not None:
        frames = _compare_previous(ws, q, facts, frames, compare)
    if versus is not None:
        frames = [
            _versus(m, df, q.request.by[0], versus) for m, df in zip(q.metrics, frames, strict=True)
        ]
    frames = [
        _judge(ws, m, df, list(q.request.by)) for m, df in zip(q.metrics, frames, strict=True)
    ]
    out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return out.drop(columns=["_successes", "_sd"])


#: what `compare` takes: the period just before, or the same period a year earlier
COMPARISONS = ("previous", "year")


def _year_earlier_utc(d: datetime, tz: str) -> datetime:
    return to_utc(year_earlier(to_local(d, tz)), tz)


def _previous_request(req: MetricRequest, compare: str = "previous") -> MetricRequest:
    if compare == "year":
        if req.grain is None and (req.start is None or req.end is None):
            raise QueryError(
                "--compare year needs a period: give --grain, or --from and --to (the same "
                "dates a year earlier are compared)"
            )
        if req.start is None:  # every period of the data: their predecessors are in it
            return req
        start = _year_earlier_utc(req.start, req.tz)
        if req.grain is not None:
            # every period's counterpart a year earlier: from the first one's, to the end
            first = truncate_local(to_local(start, req.tz), req.grain)
            return MetricRequest(
                req.by, req.grain, req.tz, to_utc(first, req.tz), req.end, req.filters
            )
        assert req.end is not None
        return MetricRequest(
            req.by, None, req.tz, start, _year_earlier_utc(req.end, req.tz), req.filters
        )
    if req.grain is not None:
        # one period earlier is inside the data the grained request already covers, except for
        # the first period: widen the range by one period so it has a predecessor
        if req.start is None:
            return req
        first = truncate_local(to_local(req.start, req.tz), req.grain)
        ((_, start, _),) = earlier_periods(first, req.grain, req.tz, 1)
        return MetricRequest(req.by, req.grain, req.tz, start, req.end, req.filters)
    if req.start is None or req.end is None:
        raise QueryError(
            "--compare previous needs a period: give --grain, or --from and --to (the previous "
            "range of the same length is compared)"
        )
    length = req.end - req.start
    return MetricRequest(req.by, None, req.tz, req.start - length, req.start, req.filters)


def _change(m: Metric, cur: pd.Series, prev: pd.Series | None) -> dict[str, Any]:
    if prev is None or pd.isna(prev["value"]) or pd.isna(cur["value"]):
        return {"previous": None, "change": None, "p_value": None, "significant": None}
    diff = float(cur["value"]) - float(prev["value"])
    p: float | None = None
    significant: bool | None = None
    if m.name == "nps" and pd.notna(cur["ci_low"]) and pd.notna(prev["ci_low"]):
        significant = margins_differ(
            diff, (cur["ci_high"] - cur["ci_low"]) / 2, (prev["ci_high"] - prev["ci_low"]) / 2
        )
    elif pd.notna(cur["_successes"]) and pd.notna(prev["_successes"]):
        p = two_proportion_p(
            float(prev["_successes"]), float(prev["n"]), float(cur["_successes"]), float(cur["n"])
        )
    elif pd.notna(cur["_sd"]) and pd.notna(prev["_sd"]):
        p = welch_p(
            float(prev["value"]),
            float(prev["_sd"]),
            float(prev["n"]),
            float(cur["value"]),
            float(cur["_sd"]),
            float(cur["n"]),
        )
    elif _counts_rows(m):
        p = poisson_p(float(prev["value"]), float(cur["value"]))
    if p is not None:
        significant = p < 0.05
    return {
        "previous": float(prev["value"]),
        "change": diff,
        "p_value": p,
        "significant": significant,
    }


def _compare_previous(
    ws: Workspace, q: Query, facts: Facts, frames: list[pd.DataFrame], compare: str = "previous"
) -> list[pd.DataFrame]:
    prev_req = _previous_request(q.request, compare)
    keys = list(q.request.by)
    if q.request.grain is not None:
        prev_frames = _rows(ws, Query(q.metrics, prev_req), facts)
    else:
        prev_frames = _rows(ws, Query(q.metrics, prev_req), current_facts(ws))
    out = []
    for m, cur, prev in zip(q.metrics, frames, prev_frames, strict=True):
        lookup: dict[tuple[Any, ...], pd.Series] = {}
        ordered = prev.sort_values([*keys, "period"]) if q.request.grain else prev
        for _, r in ordered.iterrows():
            lookup[tuple(r[k] for k in keys) + ((r["period"],) if q.request.grain else ())] = r
        changes = []
        for _, r in cur.iterrows():
            key = tuple(r[k] for k in keys)
            if q.request.grain is not None:
                start = pd.Timestamp(r["period"]).to_pydatetime()
                before = truncate_local(
                    year_earlier(start) if compare == "year" else start - timedelta(seconds=1),
                    q.request.grain,
                )
                match = lookup.get((*key, pd.Timestamp(before)))
            else:
                match = lookup.get((*key,)) if keys else (prev.iloc[0] if len(prev) else None)
            changes.append(_change(m, r, match))
        extra = pd.DataFrame(changes, index=cur.index)
        out.append(pd.concat([cur, extra], axis=1))
    return out


def _versus(m: Metric, df: pd.DataFrame, dim: str, baseline: str) -> pd.DataFrame:
    """Each group's row set against the `baseline` group's row of the same period: the same
    tests as a change between periods (two proportions, Welch, NPS margins)."""
    df = df.copy()
    base = {
        (None if pd.isna(r["period"]) else r["period"]): r
        for _, r in df.iterrows()
        if str(r[dim]) == baseline
    }
    cols: dict[str, list[Any]] = {"versus_value": [], "difference": [], "p_value": [],
                                   "significant": []}  # fmt: skip
    for _, r in df.iterrows():
        other = base.get(None if pd.isna(r["period"]) else r["period"])
        same = str(r[dim]) == baseline
        ch = _change(m, r, None if same else other)
        cols["versus_value"].append(None if other is None else _float(other["value"]))
        cols["difference"].append(ch["change"])
        cols["p_value"].append(ch["p_value"])
        cols["significant"].append(ch["significant"])
    for k, v in cols.items():
        df[k] = v
    df["versus"] = baseline
    return df


def _float(v: Any) -> float | None:
    return None if pd.isna(v) else float(v)


def _judge(ws: Workspace, m: Metric, df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Target from deskmetrics.toml and the articles' benchmarks, where they apply."""
    target = ws.settings.targets.get(m.name)
    if target is not None:
        df = df.copy()
        df["target"] = target
        if m.direction is Direction.HIGHER_IS_BETTER:
            df["meets_target"] = [None if pd.isna(v) else bool(v >= target) for v in df["value"]]
        elif m.direction is Direction.LOWER_IS_BETTER:
            df["meets_target"] = [None if pd.isna(v) else bool(v <= target) for v in df["value"]]
    marks = benchmarks_for(m.name)
    if marks:
        df = df.copy()
        names, values = [], []
        for _, r in df.iterrows():
            fit = [b for b in marks if all(k in keys and str(r[k]) == v for k, v in b.when.items())]
            if not fit:
                fit = [b for b in marks if not b.when]
            best = fit[0] if fit else None
            names.append(best.name if best else None)
            values.append(best.value if best else None)
        df["benchmark"] = values
        df["benchmark_name"] = names
    return df


def explain(
    ws: Workspace,
    metric: str,
    by: Sequence[str] = (),
    grain: Grain | str | None = None,
    tz: str | None = None,
    start: DateLike = None,
    end: DateLike = None,
    filters: Mapping[str, Any] | Iterable[str] | None = None,
    limit: int | None = 50,
    offset: int = 0,
) -> tuple[Metric, Explanation]:
    """The definition, how many rows were counted and left out (and why), and their ids
    (`limit` of them from position `offset`, in id order); stored rows with an implausible
    instant, which no number reads, are listed among those left out."""
    q = build_query(ws, [metric], by, grain, tz, start, end, filters)
    m = q.metrics[0]

    def make() -> Explanation:
        ex = explain_metric(current_facts(ws), m, q.request, limit=limit, offset=offset)
        # stored rows no query reads (an instant outside [limits]): named, so they can go
        for bad in ws.implausible():
            ex.left_out.append((str(bad), bad.count))
            ex.left_out_ids[str(bad)] = bad.ids
        return ex

    return m, ws.remembered(("explain", m.name, q.request, limit, offset), make)


def survey_answers_in_scope(
    ws: Workspace,
    kinds: Sequence[str] = (),
    tz: str | None = None,
    start: DateLike = None,
    end: DateLike = None,
    filters: Mapping[str, Any] | Iterable[str] | None = None,
    with_comment: bool = False,
    limit: int | None = None,
    ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The survey answers a survey metric with the same range and filters reads (answered in
    the range, filtered as the metrics are), newest first: response_id, kind, scale, score,
    comment, answered_at, ticket_id, agent, team, channel. `with_comment` keeps only answers
    with a comment; `ids` only these answers (an explanation's). For lists and distributions
    beside the survey metrics."""
    from deskmetrics.engine.compile import prepare
    from deskmetrics.engine.surveys import survey_answers

    q = build_query(ws, "csat", (), None, tz, start, end, filters)

    def make() -> pd.DataFrame:
        facts = current_facts(ws)
        t = prepare(facts, survey_answers(facts, list(q.request.filters)), q.request)
        if kinds:
            t = t.filter(t.kind.isin(list(kinds)))
        if with_comment:
            t = t.filter(t.comment.notnull() & (t.comment.strip() != ""))
        if ids is not None:
            t = t.filter(t.response_id.isin(list(ids)))
        cols = ["response_id", "kind", "scale", "score", "comment", "answered_at", "ticket_id"]
        t = t.select(*cols, "agent", "team", "channel").order_by(
            [t.answered_at.desc(), t.response_id.desc()]
        )
        if limit is not None:
            t = t.limit(limit)
        return ws.backend.execute(t)

    wanted = None if ids is None else tuple(ids)
    request = ("survey answers", tuple(kinds), q.request, with_comment, limit, wanted)
    return ws.remembered(request, make)


def interval_volumes(
    ws: Workspace,
    interval_minutes: int,
    channel: str | None = None,
    tz: str | None = None,
    start: DateLike = None,
    end: DateLike = None,
) -> pd.DataFrame:
    """Tickets created per interval of `interval_minutes` (15, 30 or 60) of local wall-clock
    time in `tz` (the report time zone by default), per channel: columns channel,
    interval_start (local), volume; intervals without tickets have no row. For staffing."""
    from deskmetrics.engine.volumes import interval_volumes as volumes

    if interval_minutes not in (15, 30, 60):
        raise QueryError(f"interval {interval_minutes}: use 15, 30 or 60 minutes")
    zone = tz or ws.settings.report_timezone
    check_zone(zone)
    s, e = _to_utc(start, zone, False, "from"), _to_utc(end, zone, True, "to")
    if ws.as_of is not None:
        cap = ws.as_of + timedelta(seconds=1)
        e = cap if e is None or e > cap else e
    return volumes(ws, interval_minutes, zone, channel, s, e)


def schedule_holidays(settings: Settings, first: date, last: date) -> set[date]:
    """Holiday dates between first and last (both included) of every schedule in the
    settings: their countries' public holidays and the dates they list."""
    from deskmetrics.engine.volumes import schedule_holidays as holidays

    return holidays(settings, first, last)


def facts_frame(ws: Workspace) -> pd.DataFrame:
    """One row per ticket with every per-ticket fact."""
    f = current_facts(ws)
    return ws.backend.execute(f.tickets.order_by("ticket_id"))


def has_ai_agent(ws: Workspace) -> bool:
    """Whether an AI agent answered any ticket (an `ai_agent` public message): surfaces add
    the AI agent's numbers to the headline only then (no 0 % for an AI agent a team lacks)."""

    def look() -> bool:
        t = current_facts(ws).tickets
        return bool(ws.backend.execute(t.ai_engaged.any()) or False)

    return bool(ws.remembered(("has_ai_agent",), look))


def agent_names(ws: Workspace) -> dict[str, str]:
    """Agent id → name, from the agents table (empty when it holds no names)."""
    a = ws.table("agents")
    df = ws.backend.execute(a.filter(a.name.notnull()).select("agent_id", "name"))
    return {str(r.agent_id): str(r.name) for r in df.itertuples() if str(r.name).strip()}


def with_agent_names(ws: Workspace, df: pd.DataFrame) -> pd.DataFrame:
    """Result rows grouped by agent, with `agent_name` beside `agent` (when names are known)."""
    if "agent" not in df.columns or "agent_name" in df.columns:
        return df
    names = agent_names(ws)
    if not names:
        return df
    out = df.copy()
    out.insert(list(out.columns).index("agent") + 1, "agent_name", out["agent"].map(names))
    return out


def rejected_rows(ws: Workspace) -> pd.DataFrame:
    """Every row an import rejected, with its file, row, column and reason (any engine)."""
    cols = ["import_id", "table", "file", "row", "column", "reason", "value"]
    if not ws.has("_rejects"):
        return pd.DataFrame({c: [] for c in cols})
    t = ws.backend.table("_rejects").select(*cols).order_by(["import_id", "file", "row"])
    return ws.backend.execute(t)


def refresh_facts(ws: Workspace) -> bool:
    """Bring the per-ticket facts the workspace keeps up to date now (at the end of an import),
    so that the next request does not pay for it; whether the workspace keeps them."""
    return refresh(ws)


def facts_page(
    ws: Workspace, ticket_ids: Sequence[str] = (), limit: int = 100, offset: int = 0
) -> tuple[pd.DataFrame, int]:
    """A page of the per-ticket facts in ticket id order (only `ticket_ids` when given) and
    the number of tickets in all pages; the page is cut by the engine, not in memory."""
    t = current_facts(ws).tickets
    if ticket_ids:
        t = t.filter(t.ticket_id.isin(list(ticket_ids)))
    total = int(ws.backend.execute(t.count()))
    return ws.backend.execute(t.order_by("ticket_id").limit(limit, offset=offset)), total


__all__ = [
    "REGISTRY",
    "agent_names",
    "build_query",
    "check_zone",
    "compute",
    "explain",
    "facts_frame",
    "facts_page",
    "has_ai_agent",
    "interval_volumes",
    "parse_day",
    "parse_instant",
    "refresh_facts",
    "schedule_holidays",
    "with_agent_names",
]
