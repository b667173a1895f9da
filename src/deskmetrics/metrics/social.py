"""Social and brand metrics (METRICS.md, "Social and brand"). Definitions only."""

from __future__ import annotations

from deskmetrics.metrics.base import Aggregation, Direction, Metric, Source, Unit, when

FAMILY = "social and brand"

#: spike detection for mentions: the baseline is the median of this many previous periods …
BASELINE_PERIODS = 8
#: … and needs at least this many of them since the series' first mention
MIN_HISTORY = 4
#: a spike exceeds the baseline by this many robust standard deviations (1.4826 × MAD) …
MAD_THRESHOLD = 3.0
#: … and has at least this many mentions
MIN_COUNT = 5

METRICS: list[Metric] = [
    Metric(
        name="engagement_rate",
        title="Engagement rate",
        description="(likes + shares + comments) / reach × 100, where a post's reach is its "
        "impressions, or its followers where impressions are not given; a missing count of "
        "likes, shares or comments is 0. Per post: group by post_id. Per period (and "
        "platform): the sum of the posts' engagements / the sum of their reach, so large "
        "posts weigh more. A post can be engaged with several times per view, so this is not "
        "a proportion and has no interval. n = posts.",
        unit=Unit.PERCENT,
        direction=Direction.HIGHER_IS_BETTER,
        aggregation=Aggregation.CUSTOM,
        source=Source.SOCIAL_POSTS,
        anchor="posted_at",
        population=(
            when("reach", ">", 0, left_out="posts with neither impressions nor followers (or 0)"),
        ),
        ticket_dimensions=False,
        dimensions=("platform", "post_id"),
        family=FAMILY,
    ),
    Metric(
        name="mentions",
        title="Brand mentions",
        description="Brand mentions per period. With a time grain each row also says whether "
        f"it is a `spike`: count > baseline + {MAD_THRESHOLD:g} × 1.4826 × MAD and count ≥ "
        f"{MIN_COUNT}, where `baseline` is the median and MAD the median absolute deviation "
        f"of the previous {BASELINE_PERIODS} periods' counts (also before the requested "
        "range; quiet periods count as 0). The window starts with the series' first mention: "
        f"with fewer than {MIN_HISTORY} earlier periods there is no baseline and no spike.",
        unit=Unit.COUNT,
        direction=Direction.NEUTRAL,
        aggregation=Aggregation.COUNT,
        source=Source.MENTIONS,
        anchor="at",
        ticket_dimensions=False,
        dimensions=("platform",),
        family=FAMILY,
        params={
            "baseline_periods": BASELINE_PERIODS,
            "min_history": MIN_HISTORY,
            "mad_threshold": MAD_THRESHOLD,
            "min_count": MIN_COUNT,
        },
    ),
]
