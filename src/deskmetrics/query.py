"""The public way to ask for numbers: compute(metrics, by, grain, tz, start, end, filters).

Resolves names against the registry, interprets dates in the request's time zone, runs the
engine, and returns tidy result rows (numbers, never formatted text)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from deskmetrics.engine import Facts, MetricRequest, Workspace, explain_metric, run_metric
from deskmetrics.engine.compile import Explanation, period_starts
from deskmetrics.errors import QueryError
from deskmetrics.metrics import REGISTRY, Aggregation, Metric, get_metric
from deskmetrics.model import Grain, zone
from deskmetrics.stats import wilson_interval

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


def _to_utc(value: DateLike, tz: str, end: bool) -> datetime | None:
    """A date means local midnight in `tz` (for an end date: the midnight after it, so the end
    date is included); a datetime without offset is local time in `tz`."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = (
                datetime.fromisoformat(value)
                if "T" in value or " " in value
                else date.fromisoformat(value)
            )
        except ValueError as exc:
            raise QueryError(f"{value!r} is not a date (use YYYY-MM-DD)") from exc
    if not isinstance(value, datetime):
        d = value + timedelta(days=1) if end else value
        value = datetime.combine(d, time.min)
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(tz))
    return value.astimezone(UTC).replace(tzinfo=None)


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
    zone(zone_name)
    try:
        g = Grain(grain) if grain else None
    except ValueError as exc:
        raise QueryError(f"unknown grain {grain!r}; use one of {', '.join(Grain)}") from exc
    s, e = _to_utc(start, zone_name, False), _to_utc(end, zone_name, True)
    if s is not None and e is not None and e <= s:
        raise QueryError(f"the range ends ({end}) before it starts ({start})")
    req = MetricRequest(
        by=tuple(by), grain=g, tz=zone_name, start=s, end=e, filters=_filters(filters)
    )
    return Query(resolved, req)


def _counts_rows(metric: Metric) -> bool:
    """True when an empty group is the number 0 (a count), not an unknown value."""
    return metric.aggregation is Aggregation.COUNT or (
        metric.aggregation is Aggregation.SNAPSHOT and not metric.measure
    )


def _fill_periods(
    df: pd.DataFrame, periods: list[datetime], keys: list[str], metric: Metric
) -> pd.DataFrame:
    """Every period of the range appears, empty ones with n = 0: always without grouping; with
    grouping only for counts (a group with no tickets in a week has volume 0, but no mean)."""
    if not periods or (keys and not _counts_rows(metric)):
        return df
    grid = pd.DataFrame({"period": pd.to_datetime(periods)})
    if keys and not df.empty:
        groups = df[keys].drop_duplicates()
        grid = groups.merge(grid, how="cross")
    elif keys:
        return df
    df = df.copy()
    df["period"] = pd.to_datetime(df["period"])
    out = grid.merge(df, on=[*keys, "period"], how="left")
    out["n"] = out["n"].fillna(0)
    if _counts_rows(metric):
        out["value"] = out["value"].fillna(0.0)
    if "successes" in out:
        out["successes"] = out["successes"].fillna(0)
    return out


def _finish(
    metric: Metric, raw: pd.DataFrame, req: MetricRequest, small: int, periods: list[datetime]
) -> pd.DataFrame:
    df = raw.copy()
    if req.grain is not None:
        df = df.rename(columns={"_period": "period"})
        df = _fill_periods(df, periods, list(req.by), metric)
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
    if "ci_low" not in df:  # the engine gives intervals of its own kinds (NPS margin, t)
        lows, highs = [], []
        for _, r in df.iterrows():
            ci = None
            if metric.aggregation is Aggregation.PROPORTION:
                ci = wilson_interval(float(r["successes"]), float(r["n"]))
            lows.append(ci[0] * 100 if ci else None)
            highs.append(ci[1] * 100 if ci else None)
        df["ci_low"], df["ci_high"] = lows, highs
    sampled = metric.aggregation is Aggregation.PROPORTION or metric.small_sample_flag
    df["small_sample"] = [bool(sampled and n < small) for n in df["n"]]
    keys = list(req.by)
    # further columns an engine module adds (e.g. `spike`, `baseline`) follow the standard ones
    extra = [c for c in df.columns
             if c not in ("metric", *keys, *RESULT_COLUMNS) and not c.startswith("_")
             and c != "successes"]
    df = df[["metric", *keys, *RESULT_COLUMNS[1:], *extra]]
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


def compute(
    ws: Workspace,
    metrics: Sequence[str] | str,
    by: Sequence[str] = (),
    grain: Grain | str | None = None,
    tz: str | None = None,
    start: DateLike = None,
    end: DateLike = None,
    filters: Mapping[str, Any] | Iterable[str] | None = None,
) -> pd.DataFrame:
    """Tidy result rows: metric, the group keys asked for, period (start, local time, when a
    grain is asked), value, unit, n, p50, p90, ci_low, ci_high (percent), small_sample.
    Durations are in minutes."""
    q = build_query(ws, metrics, by, grain, tz, start, end, filters)
    facts = Facts(ws, materialize=len(q.metrics) > 1)
    frames = []
    for m in q.metrics:
        periods = period_starts(facts, q.request, snapshot=m.aggregation is Aggregation.SNAPSHOT)
        raw = run_metric(facts, m, q.request)
        frames.append(_finish(m, raw, q.request, ws.settings.small_sample, periods))
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def explain(
    ws: Workspace,
    metric: str,
    by: Sequence[str] = (),
    grain: Grain | str | None = None,
    tz: str | None = None,
    start: DateLike = None,
    end: DateLike = None,
    filters: Mapping[str, Any] | Iterable[str] | None = None,
    limit: int = 50,
) -> tuple[Metric, Explanation]:
    """The definition, how many rows were counted and left out (and why), and their ids."""
    q = build_query(ws, [metric], by, grain, tz, start, end, filters)
    m = q.metrics[0]
    return m, explain_metric(Facts(ws), m, q.request, limit=limit)


def facts_frame(ws: Workspace) -> pd.DataFrame:
    """One row per ticket with every per-ticket fact."""
    f = Facts(ws)
    return ws.backend.execute(f.tickets.order_by("ticket_id"))


__all__ = ["REGISTRY", "build_query", "compute", "explain", "facts_frame"]
