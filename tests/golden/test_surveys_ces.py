"""Golden numbers for ces and ces_easy_rate, computed by hand from METRICS.md and the
registry's definitions.

ces: every answer is mapped to a common 1-7 scale where higher means easier —
x → 1 + 6·(x − lo)/(hi − lo) on higher-easier scales, 1 + 6·(hi − x)/(hi − lo) on lower-easier
ones (good-bad: good 7, bad 1) — and averaged; the interval is Student t on the mapped
answers, clipped to 1 … 7. A CES scale without a direction is higher-easier.
ces_easy_rate: answers on the easy side / all CES answers; easy = at least `ces_easy` (default
6 on 1-7, 4 on 1-5) on higher-easier scales, at most lo + hi − that on lower-easier ones.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from conftest import UTC_9_TO_5, build_workspace, one, ticket
from deskmetrics.query import compute

TICKETS = [ticket("T1", "2026-03-02T09:00:00Z"), ticket("T2", "2026-03-20T09:00:00Z")]
# t quantiles (97.5%) from the table: 3 df → 3.182446305, 4 df → 2.776445105
T3, T4 = 3.182446305284263, 2.7764451051977987


def ces(rid: str, scale: str, score: Any, at: str = "2026-03-03T10:00:00Z") -> dict[str, Any]:
    return {
        "response_id": rid,
        "kind": "ces",
        "scale": scale,
        "score": str(score),
        "answered_at": at,
    }


# 1-7 from very difficult to very easy (higher is easier); "1-7" alone means the same
HIGHER = [
    ces("h1", "1-7:higher-easier", 6),
    ces("h2", "1-7:higher-easier", 5),
    ces("h3", "1-7", 5),
    ces("h4", "1-7:higher-easier", 4),
]
# 1-5 where lower means less effort
LOWER = [
    ces("l1", "1-5:lower-easier", 1),  # → 1 + 6·4/4 = 7
    ces("l2", "1-5:lower-easier", 2),  # → 1 + 6·3/4 = 5.5
    ces("l3", "1-5:lower-easier", 2),  # → 5.5
    ces("l4", "1-5:lower-easier", 3),  # → 1 + 6·2/4 = 4
    ces("l5", "1-5:lower-easier", 5),  # → 1 + 6·0/4 = 1
]


@pytest.fixture(scope="module")
def ws():
    return build_workspace(
        {
            "tickets": TICKETS,
            "surveys": [
                *HIGHER,
                *LOWER,
                # a CSAT answer is no CES answer
                {
                    "response_id": "c1",
                    "kind": "csat",
                    "scale": "1-7",
                    "score": "1",
                    "answered_at": "2026-03-03T10:00:00Z",
                },
            ],
        }
    )


def test_ces_higher_easier(ws) -> None:
    row = one(compute(ws, ["ces"], by=["scale"]), scale="1-7:higher-easier")
    # [6, 5, 5, 4] → mean 5; deviations 1, 0, 0, −1 → s² = 2/3, s = 0.81650, s/√4 = 0.40825
    # t(0.975, 3) = 3.18245 → half = 1.29923 → 3.70077 … 6.29923
    assert row["n"] == 4
    assert row["value"] == pytest.approx(5.0)
    assert row["unit"] == "score"
    half = T3 * math.sqrt(2 / 3) / 2
    assert half == pytest.approx(1.29923, abs=1e-5)
    assert row["ci_low"] == pytest.approx(5 - half, abs=1e-9)
    assert row["ci_high"] == pytest.approx(5 + half, abs=1e-9)
    # sorted [4, 5, 5, 6]: p50 = 5; p90 at 0.9·3 = 2.7 → 5 + 0.7·1 = 5.7
    assert row["p50"] == pytest.approx(5.0)
    assert row["p90"] == pytest.approx(5.7)


def test_ces_lower_easier(ws) -> None:
    row = one(compute(ws, ["ces"], by=["scale"]), scale="1-5:lower-easier")
    # mapped [7, 5.5, 5.5, 4, 1] → 23 / 5 = 4.6
    assert row["n"] == 5
    assert row["value"] == pytest.approx(4.6)
    # deviations 2.4, 0.9, 0.9, −0.6, −3.6 → squares 5.76 + 0.81 + 0.81 + 0.36 + 12.96 = 20.7
    # s² = 20.7/4 = 5.175, s/√5 = 1.01735; t(0.975, 4) = 2.77645 → half = 2.82462
    half = T4 * math.sqrt(5.175) / math.sqrt(5)
    assert half == pytest.approx(2.82462, abs=1e-5)
    assert row["ci_low"] == pytest.approx(4.6 - half, abs=1e-9)  # 1.77538
    # 4.6 + 2.8246 = 7.42 lies above the scale: clipped to 7
    assert row["ci_high"] == pytest.approx(7.0)


def test_ces_both_directions_combine(ws) -> None:
    row = one(compute(ws, ["ces"]), metric="ces")
    # (6 + 5 + 5 + 4) + (7 + 5.5 + 5.5 + 4 + 1) = 20 + 23 = 43 over 9 answers
    assert row["n"] == 9
    assert row["value"] == pytest.approx(43 / 9)
    assert row["small_sample"]


def test_ces_easy_rate(ws) -> None:
    df = compute(ws, ["ces_easy_rate"], by=["scale"])
    # 1-7 higher-easier: easy ≥ 6 → only 6 → 1 / 4
    assert one(df, scale="1-7:higher-easier")["value"] == pytest.approx(25.0)
    # 1-5 lower-easier: easy ≤ 1 + 5 − 4 = 2 → 1, 2, 2 → 3 / 5
    assert one(df, scale="1-5:lower-easier")["value"] == pytest.approx(60.0)
    total = one(compute(ws, ["ces_easy_rate"]), metric="ces_easy_rate")
    # 4 / 9, with a Wilson interval
    assert total["n"] == 9
    assert total["value"] == pytest.approx(100 * 4 / 9)
    assert 0 < total["ci_low"] < total["value"] < total["ci_high"] < 100


def test_ces_easy_threshold_from_config() -> None:
    ws = build_workspace(
        {"tickets": TICKETS, "surveys": [*HIGHER, *LOWER]},
        {**UTC_9_TO_5, "surveys": {"ces_easy": {"1-5": 5, "1-7": 5}}},
    )
    df = compute(ws, ["ces_easy_rate"], by=["scale"])
    # 1-7: ≥ 5 → 6, 5, 5 → 3 / 4; 1-5 lower-easier: ≤ 1 + 5 − 5 = 1 → 1 / 5
    assert one(df, scale="1-7:higher-easier")["value"] == pytest.approx(75.0)
    assert one(df, scale="1-5:lower-easier")["value"] == pytest.approx(20.0)


def test_ces_good_bad_and_single_answer() -> None:
    ws = build_workspace(
        {
            "tickets": TICKETS,
            "surveys": [
                ces("g1", "good-bad", "good"),
                ces("g2", "good-bad", "bad"),
                ces("s1", "1-10:lower-easier", 10, "2026-03-04T10:00:00Z"),
            ],
        }
    )
    df = compute(ws, ["ces", "ces_easy_rate"], grain="day", start="2026-03-03", end="2026-03-04")
    # good → 7, bad → 1: mean 4; easy: good → 1 / 2
    d1 = one(df, metric="ces", period="2026-03-03")
    assert d1["value"] == pytest.approx(4.0)
    assert one(df, metric="ces_easy_rate", period="2026-03-03")["value"] == pytest.approx(50.0)
    # 10 on 1-10 lower-easier is the hardest answer: 1 + 6·(10 − 10)/9 = 1; one answer has no
    # t interval
    d2 = one(df, metric="ces", period="2026-03-04")
    assert (d2["n"], d2["value"]) == (1, pytest.approx(1.0))
    assert math.isnan(d2["ci_low"]) and math.isnan(d2["ci_high"])


def test_ces_small_sample_at_29_and_30() -> None:
    rows = [ces(f"a{i}", "1-7", 7, "2026-03-03T10:00:00Z") for i in range(29)]
    rows += [ces(f"b{i}", "1-7", 1, "2026-03-04T10:00:00Z") for i in range(30)]
    ws = build_workspace({"tickets": TICKETS, "surveys": rows})
    df = compute(ws, ["ces"], grain="day", start="2026-03-03", end="2026-03-04")
    d1, d2 = one(df, period="2026-03-03"), one(df, period="2026-03-04")
    assert (d1["n"], d1["value"], bool(d1["small_sample"])) == (29, 7.0, True)
    assert (d2["n"], d2["value"], bool(d2["small_sample"])) == (30, 1.0, False)
    # every answer alike: s = 0, the interval is the mean itself
    assert (d2["ci_low"], d2["ci_high"]) == (pytest.approx(1.0), pytest.approx(1.0))
