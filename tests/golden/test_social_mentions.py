"""Golden numbers for mentions and their spikes, by hand (weeks start on Monday, UTC):

- mentions = brand mentions per period.
- baseline = median of the previous 8 periods' counts, MAD = median of |count − baseline| over
  them; quiet periods count as 0, periods before the series' first mention do not count, and
  fewer than 4 earlier periods give no baseline.
- spike = count > baseline + 3 × 1.4826 × MAD and count ≥ 5.

Weekly counts (week 1 = Mon 2026-01-05, week 9 = Mon 03-02, week 10 = Mon 03-09):

  week       1  2  3  4  5  6  7  8  9  10
  twitter    2  3  2  4  3  2  0  3  12  4
  instagram  1  0  0  0  0  0  0  0  4   6
  tiktok     -  -  -  -  -  -  -  1  9   0
  all        3  3  2  4  3  2  0  4  25  10
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pytest

from conftest import build_workspace, one
from deskmetrics.query import compute

WEEK1 = datetime(2026, 1, 5, 12, 0)
COUNTS = {
    "twitter": [2, 3, 2, 4, 3, 2, 0, 3, 12, 4],
    "instagram": [1, 0, 0, 0, 0, 0, 0, 0, 4, 6],
    "tiktok": [0, 0, 0, 0, 0, 0, 0, 1, 9, 0],
}
MAD_SD = 1.4826


def _mentions() -> list[dict[str, str]]:
    rows = []
    for platform, counts in COUNTS.items():
        for week, count in enumerate(counts):
            for i in range(count):
                at = WEEK1 + timedelta(weeks=week, days=1, minutes=i)
                rows.append(
                    {
                        "mention_id": f"{platform}-{week + 1}-{i}",
                        "platform": platform,
                        "at": at.isoformat() + "Z",
                        "author": f"u{i}",
                        "text": "love the brand",
                    }
                )
    return rows


@pytest.fixture(scope="module")
def ws():
    return build_workspace({"mentions": _mentions()})


def weekly(ws, **kw):  # type: ignore[no-untyped-def]
    df = compute(ws, ["mentions"], grain="week", tz="UTC", **kw)
    return df


def test_counts_without_grain(ws) -> None:
    df = compute(ws, ["mentions"], by=["platform"], start="2026-03-02", end="2026-03-15", tz="UTC")
    # weeks 9 and 10: twitter 12 + 4, instagram 4 + 6, tiktok 9 + 0
    assert one(df, platform="twitter")["value"] == 16.0
    assert one(df, platform="instagram")["value"] == 10.0
    assert one(df, platform="tiktok")["n"] == 9
    # spikes are judged per period: no spike or baseline columns without a grain
    assert "spike" not in df.columns and "baseline" not in df.columns
    assert one(df, platform="twitter")["unit"] == "count"


def test_spike_and_no_spike(ws) -> None:
    df = weekly(ws, by=["platform"], start="2026-03-02", end="2026-03-15")
    tw9 = one(df, platform="twitter", period=datetime(2026, 3, 2))
    # twitter week 9: previous 8 weeks 2 3 2 4 3 2 0 3 (week 7 empty: 0) → sorted
    # 0 2 2 2 3 3 3 4, median 2.5; |dev| .5 .5 .5 1.5 .5 .5 2.5 .5 → MAD 0.5
    # threshold 2.5 + 3 × 1.4826 × 0.5 = 4.72; 12 > 4.72 and ≥ 5 → spike
    assert tw9["value"] == 12
    assert tw9["baseline"] == pytest.approx(2.5)
    assert 2.5 + 3 * MAD_SD * 0.5 < 12
    assert bool(tw9["spike"]) is True
    tw10 = one(df, platform="twitter", period=datetime(2026, 3, 9))
    # week 10: previous 3 2 4 3 2 0 3 12 → median 3; |dev| 0 1 1 0 1 3 0 9 → MAD 1
    # threshold 3 + 4.45 = 7.45; 4 → no spike
    assert tw10["baseline"] == pytest.approx(3.0)
    assert bool(tw10["spike"]) is False


def test_minimum_count(ws) -> None:
    df = weekly(ws, by=["platform"], start="2026-03-02", end="2026-03-15")
    ig9 = one(df, platform="instagram", period=datetime(2026, 3, 2))
    # instagram week 9: previous 1 0 0 0 0 0 0 0 → median 0, MAD 0; 4 > 0 but 4 < 5 → no spike
    assert ig9["baseline"] == 0.0
    assert bool(ig9["spike"]) is False
    ig10 = one(df, platform="instagram", period=datetime(2026, 3, 9))
    # week 10: previous 0 0 0 0 0 0 0 4 → median 0, MAD 0; 6 > 0 and ≥ 5 → spike
    assert bool(ig10["spike"]) is True


def test_no_baseline_before_enough_history(ws) -> None:
    df = weekly(ws, by=["platform"], start="2026-03-02", end="2026-03-15")
    tt9 = one(df, platform="tiktok", period=datetime(2026, 3, 2))
    # tiktok's first mention is in week 8: one earlier week (< 4) → no baseline, no spike
    assert tt9["value"] == 9
    assert math.isnan(tt9["baseline"])
    assert bool(tt9["spike"]) is False
    # week 10: 0 mentions, still only weeks 8 and 9 as history
    tt10 = one(df, platform="tiktok", period=datetime(2026, 3, 9))
    assert (tt10["value"], tt10["n"]) == (0.0, 0)
    assert math.isnan(tt10["baseline"])


def test_all_platforms_with_an_empty_week(ws) -> None:
    df = weekly(ws, start="2026-02-16", end="2026-03-15")
    weeks = {str(r["period"])[:10]: r for _, r in df.iterrows()}
    assert list(weeks) == ["2026-02-16", "2026-02-23", "2026-03-02", "2026-03-09"]
    # week 7 (02-16) is empty: a row with 0; previous weeks 1-6 (the series starts in week 1):
    # 3 3 2 4 3 2 → median 3 → baseline 3, no spike
    w7 = weeks["2026-02-16"]
    assert (w7["value"], w7["n"], w7["baseline"], bool(w7["spike"])) == (0.0, 0, 3.0, False)
    # week 8: 3 3 2 4 3 2 0 → sorted 0 2 2 3 3 3 4, median 3; 4 is no spike
    assert (weeks["2026-02-23"]["value"], bool(weeks["2026-02-23"]["spike"])) == (4.0, False)
    # week 9: 3 3 2 4 3 2 0 4 → median 3; |dev| 0 0 1 1 0 1 3 1 → MAD 1; 25 > 7.45 → spike
    w9 = weeks["2026-03-02"]
    assert (w9["value"], w9["baseline"], bool(w9["spike"])) == (25.0, 3.0, True)
    # week 10: 3 2 4 3 2 0 4 25 → median 3; |dev| 0 1 1 0 1 3 1 22 → MAD 1; 10 > 7.45 → spike
    w10 = weeks["2026-03-09"]
    assert (w10["value"], w10["baseline"], bool(w10["spike"])) == (10.0, 3.0, True)


def test_filter_is_a_series_of_its_own(ws) -> None:
    df = weekly(ws, filters={"platform": "twitter"}, start="2026-03-02", end="2026-03-08")
    row = one(df, metric="mentions")
    # the same as the twitter row above
    assert (row["value"], row["baseline"], bool(row["spike"])) == (12.0, 2.5, True)
