"""Golden numbers for nps, computed by hand from METRICS.md ("Customer voice (surveys)").

NPS answers are 0-10: promoters 9-10, passives 7-8, detractors 0-6.
NPS = % promoters − % detractors (−100 … 100).
Interval: NPS ± 1.96·√((p + d − (p − d)²)/n)·100, clipped to −100 … 100 (p, d: shares).
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from conftest import build_workspace, one, ticket
from deskmetrics.query import compute

Z = 1.959963984540054
TICKETS = [ticket("T1", "2026-03-02T09:00:00Z"), ticket("T2", "2026-03-20T09:00:00Z")]


def answers(prefix: str, scores: list[int], at: str = "2026-03-03T10:00:00Z") -> list[dict]:
    return [
        {
            "response_id": f"{prefix}{i:03d}",
            "kind": "nps",
            "scale": "0-10",
            "score": str(s),
            "answered_at": at,
        }
        for i, s in enumerate(scores)
    ]


def nps_row(scores: list[int], extra: list[dict[str, Any]] | None = None):
    ws = build_workspace({"tickets": TICKETS, "surveys": [*answers("n", scores), *(extra or [])]})
    return one(compute(ws, ["nps"]), metric="nps")


def test_nps_article_example() -> None:
    # 10 answers: 4 promoters (40%), 4 passives, 2 detractors (20%) → NPS = 40 − 20 = 20
    row = nps_row(
        [9, 10, 9, 10, 7, 8, 7, 8, 0, 6],
        # a CSAT answer of 1 is no detractor
        extra=[
            {
                "response_id": "c1",
                "kind": "csat",
                "scale": "1-5",
                "score": "1",
                "answered_at": "2026-03-03T10:00:00Z",
            }
        ],
    )
    assert row["n"] == 10
    assert row["value"] == pytest.approx(20.0)
    assert row["unit"] == "score"
    # margin = 1.96·√((0.4 + 0.2 − 0.2²)/10)·100 = 1.96·√0.056·100 = 1.96·23.664 = 46.38
    margin = Z * math.sqrt((0.4 + 0.2 - 0.2**2) / 10) * 100
    assert margin == pytest.approx(46.38, abs=0.01)
    assert row["ci_low"] == pytest.approx(20 - margin, abs=1e-9)
    assert row["ci_high"] == pytest.approx(20 + margin, abs=1e-9)
    assert row["small_sample"]


def test_nps_hundred_answers() -> None:
    # 40 promoters, 40 passives, 20 detractors: NPS 20;
    # margin = 1.96·√(0.56/100)·100 = 1.96·7.4833 = 14.667 → 5.33 … 34.67
    row = nps_row([10] * 40 + [8] * 40 + [2] * 20)
    assert row["n"] == 100
    assert row["value"] == pytest.approx(20.0)
    assert row["ci_low"] == pytest.approx(5.33, abs=0.01)
    assert row["ci_high"] == pytest.approx(34.67, abs=0.01)
    assert not row["small_sample"]


def test_nps_boundaries() -> None:
    # 6 is a detractor, 7 and 8 passives, 9 a promoter: (1 − 1) / 4 → 0
    row = nps_row([6, 7, 8, 9])
    assert row["value"] == pytest.approx(0.0)
    # p = d = 0.25: margin = 1.96·√(0.5/4)·100 = 69.30
    assert row["ci_high"] == pytest.approx(Z * math.sqrt(0.5 / 4) * 100)


def test_nps_interval_is_clipped_to_the_scale() -> None:
    # one promoter, one detractor: p = d = 0.5, margin = 1.96·√(1/2)·100 = 138.6 → clipped
    row = nps_row([10, 0])
    assert row["value"] == pytest.approx(0.0)
    assert row["ci_low"] == pytest.approx(-100.0)
    assert row["ci_high"] == pytest.approx(100.0)


def test_nps_all_promoters() -> None:
    # p = 1, d = 0: p + d − (p − d)² = 0 → no margin
    row = nps_row([9, 10, 10])
    assert row["value"] == pytest.approx(100.0)
    assert row["ci_low"] == pytest.approx(100.0)
    assert row["ci_high"] == pytest.approx(100.0)


def test_nps_small_sample_at_29_and_30() -> None:
    ws = build_workspace(
        {
            "tickets": TICKETS,
            "surveys": [
                *answers("a", [10] * 29, "2026-03-03T10:00:00Z"),
                *answers("b", [0] * 30, "2026-03-04T10:00:00Z"),
            ],
        }
    )
    df = compute(ws, ["nps"], grain="day", start="2026-03-03", end="2026-03-04")
    d1, d2 = one(df, period="2026-03-03"), one(df, period="2026-03-04")
    assert (d1["n"], d1["value"], bool(d1["small_sample"])) == (29, 100.0, True)
    assert (d2["n"], d2["value"], bool(d2["small_sample"])) == (30, -100.0, False)
