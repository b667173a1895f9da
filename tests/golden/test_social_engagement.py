"""Golden numbers for engagement_rate, by hand:

- a post's engagements = likes + shares + comments (a missing count is 0); its reach = its
  impressions, or its followers where impressions are not given.
- per post: engagements / reach × 100; per period (and platform): Σ engagements / Σ reach.
- a post without impressions and followers is left out; n = posts.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from conftest import build_workspace, one
from deskmetrics.errors import QueryError
from deskmetrics.query import compute


def post(
    pid: str,
    platform: str,
    at: str,
    impressions: float | None,
    followers: float | None,
    likes: float | None,
    shares: float | None,
    comments: float | None,
) -> dict[str, Any]:
    return {
        "post_id": pid,
        "platform": platform,
        "posted_at": at,
        "impressions": impressions,
        "followers": followers,
        "likes": likes,
        "shares": shares,
        "comments": comments,
    }


POSTS = [
    # week of Mon 03-02
    post("P1", "twitter", "2026-03-02T10:00:00Z", 1000, 5000, 30, 10, 10),  # 50 / 1000 = 5%
    post("P2", "twitter", "2026-03-04T10:00:00Z", None, 2000, 20, None, 0),  # 20 / 2000 = 1%
    post("P3", "instagram", "2026-03-03T10:00:00Z", 500, None, 40, 5, 5),  # 50 / 500 = 10%
    # week of Mon 03-09
    post("P4", "instagram", "2026-03-12T10:00:00Z", None, None, 5, 0, 0),  # no reach: left out
    post("P5", "twitter", "2026-03-10T10:00:00Z", 400, 5000, 8, 2, 0),  # 10 / 400 = 2.5%
    # week of Mon 03-16: nothing
]
RANGE = {"start": "2026-03-02", "end": "2026-03-22", "tz": "UTC"}


@pytest.fixture(scope="module")
def ws():
    return build_workspace({"social_posts": POSTS})


def test_engagement_per_post(ws) -> None:
    df = compute(ws, ["engagement_rate"], by=["post_id"], **RANGE)
    # impressions given: P1 (30 + 10 + 10) / 1,000 = 5% (followers 5,000 not used)
    assert one(df, post_id="P1")["value"] == pytest.approx(5.0)
    # no impressions: P2 (20 + 0 + 0) / 2,000 followers = 1%
    assert one(df, post_id="P2")["value"] == pytest.approx(1.0)
    assert one(df, post_id="P3")["value"] == pytest.approx(10.0)
    assert one(df, post_id="P5")["value"] == pytest.approx(2.5)
    # P4 has neither impressions nor followers
    assert "P4" not in set(df["post_id"])
    assert set(df["n"]) == {1}
    assert one(df, post_id="P1")["unit"] == "percent"


def test_engagement_per_week(ws) -> None:
    df = compute(ws, ["engagement_rate"], grain="week", **RANGE)
    weeks = {str(r["period"])[:10]: r for _, r in df.iterrows()}
    # week of 03-02: (50 + 20 + 50) / (1,000 + 2,000 + 500) = 120 / 3,500 = 3.43%, 3 posts
    assert weeks["2026-03-02"]["n"] == 3
    assert weeks["2026-03-02"]["value"] == pytest.approx(120 / 3500 * 100)
    # week of 03-09: P5 only (P4 left out) → 10 / 400 = 2.5%
    assert weeks["2026-03-09"]["n"] == 1
    assert weeks["2026-03-09"]["value"] == pytest.approx(2.5)
    # week of 03-16: no posts → n 0, no value
    assert weeks["2026-03-16"]["n"] == 0
    assert math.isnan(weeks["2026-03-16"]["value"])


def test_engagement_by_platform(ws) -> None:
    df = compute(ws, ["engagement_rate"], by=["platform"], **RANGE)
    # twitter: (50 + 20 + 10) / (1,000 + 2,000 + 400) = 80 / 3,400 = 2.35%
    assert one(df, platform="twitter")["value"] == pytest.approx(80 / 3400 * 100)
    assert one(df, platform="twitter")["n"] == 3
    # instagram: P3 only → 10%
    assert (one(df, platform="instagram")["value"], one(df, platform="instagram")["n"]) == (
        pytest.approx(10.0),
        1,
    )


def test_engagement_with_followers_only() -> None:
    ws = build_workspace(
        {
            "social_posts": [
                post("F1", "facebook", "2026-03-02T10:00:00Z", None, 1000, 10, 5, 5),
                post("F2", "facebook", "2026-03-03T10:00:00Z", None, 3000, 20, None, None),
            ]
        }
    )
    row = one(compute(ws, ["engagement_rate"], **RANGE), metric="engagement_rate")
    # (20 + 20) / (1,000 + 3,000 followers) = 1%
    assert (row["n"], row["value"]) == (2, pytest.approx(1.0))


def test_engagement_dimensions() -> None:
    ws = build_workspace({"social_posts": POSTS[:1]})
    with pytest.raises(QueryError, match="cannot be grouped"):
        compute(ws, ["engagement_rate"], by=["channel"], **RANGE)
