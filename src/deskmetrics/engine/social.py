"""Social and brand: engagement rate of posts, and brand mentions per period with spikes
against a robust baseline (rolling median and MAD of the previous periods)."""

from __future__ import annotations

import warnings

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from deskmetrics.engine.compile import (
    MetricRequest,
    RowSource,
    all_of,
    anchor_seconds,
    execute,
)
from deskmetrics.engine.facts import Facts
from deskmetrics.engine.periods import (
    earlier_periods,
    epoch,
    fill_periods,
    labels,
    periods_table,
    request_periods,
)
from deskmetrics.engine.revenue import (
    apply_filters,
    finish,
    keys_of,
    percent,
    require_rows,
    source_range,
)
from deskmetrics.metrics.base import Metric, Source

#: MAD × 1.4826 estimates the standard deviation of normally distributed counts
MAD_TO_SD = 1.4826


def social_posts(facts: Facts, who: str = "social metrics") -> ir.Table:
    """One row per post with its `reach` (impressions, else followers) and `engagements`
    (likes + shares + comments, a missing count 0)."""
    p = require_rows(
        facts,
        "social_posts",
        who,
        "post_id, platform, posted_at, impressions, followers, likes, shares, comments",
    )
    return p.mutate(
        reach=ibis.coalesce(p.impressions, p.followers),
        engagements=p.likes.fill_null(0) + p.shares.fill_null(0) + p.comments.fill_null(0),
    )


def engagement(facts: Facts, metric: Metric, req: MetricRequest) -> pd.DataFrame:
    """Sum of engagements / sum of reach of the posts in each group and period."""
    p = social_posts(facts, metric.name)
    periods = request_periods(facts, req, *source_range(facts, p, ("posted_at",)))
    p = apply_filters(p, req)
    p = p.mutate(_at_s=anchor_seconds(p.posted_at))
    p = p.filter(all_of(p, metric.population))
    pt = periods_table(periods)
    j = p.join(pt, [p._at_s >= pt._ps, p._at_s < pt._pe])
    expr = j.group_by(keys_of(req)).aggregate(
        n=j.count(), _eng=j.engagements.sum(), _reach=j.reach.sum()
    )
    df = fill_periods(execute(facts, expr), labels(periods), req.by, {"n": 0}, groups=False)
    df["value"] = percent(df["_eng"], df["_reach"])
    return finish(df.drop(columns=["_eng", "_reach"]), req)


def _mentions(facts: Facts, who: str = "mentions") -> ir.Table:
    return require_rows(facts, "mentions", who, "mention_id, platform, at, author, text")


def mentions(facts: Facts, metric: Metric, req: MetricRequest) -> pd.DataFrame:
    """Mentions per group and period; with a grain also `baseline` and `spike`."""
    m = _mentions(facts, metric.name)
    periods = request_periods(facts, req, *source_range(facts, m, ("at",)))
    m = apply_filters(m, req)
    m = m.mutate(_at_s=anchor_seconds(m.at))
    by = list(req.by)
    if req.grain is None:
        pt = periods_table(periods)
        j = m.join(pt, [m._at_s >= pt._ps, m._at_s < pt._pe])
        df = execute(facts, j.group_by(keys_of(req)).aggregate(n=j.count()))
        df = fill_periods(df, labels(periods), req.by, {"n": 0}, groups=True)
        df["value"] = df["n"].astype("float64")
        return finish(df, req)

    k = int(metric.params.get("baseline_periods", 8))
    min_history = int(metric.params.get("min_history", 4))
    threshold = float(metric.params.get("mad_threshold", 3.0))
    min_count = float(metric.params.get("min_count", 5))
    # the baseline of the first requested periods needs the k periods before them
    history = earlier_periods(periods[0][0], req.grain, req.tz, k)
    every = [*history, *periods]
    pt = periods_table(every)
    j = m.join(pt, [m._at_s >= pt._ps, m._at_s < pt._pe])
    df = execute(facts, j.group_by(keys_of(req)).aggregate(n=j.count()))
    df = fill_periods(df, labels(every), req.by, {"n": 0}, groups=True)
    # a series begins with its first mention: earlier periods are no history (not zeros)
    until = m.filter(m._at_s < epoch(periods[-1][2]))
    first_expr = (until.group_by(by) if by else until).aggregate(_first=until._at_s.min())
    first = execute(facts, first_expr)
    df = df.merge(first, on=by, how="left") if by else df.assign(_first=first["_first"].iloc[0])
    ends = {pd.Timestamp(p): epoch(e) for p, _, e in every}
    df["_end"] = [ends[pd.Timestamp(p)] for p in df["_period"]]
    df = df.sort_values([*by, "_period"], kind="stable").reset_index(drop=True)
    first_s = pd.to_numeric(df["_first"], errors="coerce").astype("float64")
    tracked = first_s.notna() & (df["_end"] > first_s)
    df["_x"] = df["n"].astype("float64").where(tracked)
    series = df.groupby(by, dropna=False, sort=False)["_x"] if by else df["_x"]
    lags = np.column_stack([series.shift(i).to_numpy(dtype="float64") for i in range(1, k + 1)])
    have = (~np.isnan(lags)).sum(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows: no baseline
        median = np.nanmedian(lags, axis=1)
        mad = np.nanmedian(np.abs(lags - median[:, None]), axis=1)
    known = have >= min_history
    count = df["n"].to_numpy(dtype="float64")
    df["baseline"] = np.where(known, median, np.nan)
    df["spike"] = (
        known & (count > median + threshold * MAD_TO_SD * mad) & (count >= min_count)
    ).astype(bool)
    df["value"] = df["n"].astype("float64")
    wanted = {pd.Timestamp(p) for p, _, _ in periods}
    df = df[
        pd.Series([pd.Timestamp(p) in wanted for p in df["_period"]], index=df.index, dtype=bool)
    ]
    return finish(df.drop(columns=["_first", "_end", "_x"]), req)


# the posts and mentions behind the numbers, for `explain` (the numbers: the functions above,
# which place rows in the source's own periods when the workspace has no tickets)
SOCIAL_POST_ROWS = RowSource(Source.SOCIAL_POSTS, "post_id", lambda f, req: social_posts(f))
MENTION_ROWS = RowSource(Source.MENTIONS, "mention_id", lambda f, req: _mentions(f))
