"""Golden numbers for csat, computed by hand from METRICS.md ("Customer voice (surveys)").

CSAT = satisfied answers / all CSAT answers × 100, with a 95% Wilson interval. Satisfied (the
defaults in `[surveys] csat_satisfied`): ≥ 4 on 1-5, ≥ 6 on 1-7, ≥ 8 on 1-10 and 0-10, ≥ 80 on
0-100, `good` on good-bad. Every answer counts once whatever its scale. Anchor: answered_at.
Schedule and zone: UTC (conftest).
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from conftest import UTC_9_TO_5, build_workspace, one, ticket
from deskmetrics.errors import ConfigError
from deskmetrics.query import compute

Z = 1.959963984540054  # 97.5% normal quantile


def wilson_percent(s: int, n: int) -> tuple[float, float]:
    """Wilson score interval in closed form, in percent."""
    p = s / n
    denom = 1 + Z * Z / n
    centre = (p + Z * Z / (2 * n)) / denom
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / denom
    return 100 * max(0.0, centre - half), 100 * min(1.0, centre + half)


def answer(rid: str, kind: str, scale: str, score: Any, at: str, **kw: Any) -> dict[str, Any]:
    return {
        "response_id": rid,
        "kind": kind,
        "scale": scale,
        "score": str(score),
        "answered_at": at,
        **kw,
    }


#: tickets only give the data its range (periods are listed over the tickets' and events' range)
TICKETS = [
    ticket("T1", "2026-03-02T09:00:00Z"),
    ticket("T2", "2026-03-20T09:00:00Z"),
]

# the articles' example: 100 answers on 1-5, 80 of them 4 or 5
ARTICLE = (
    [5] * 50  # satisfied
    + [4] * 30  # satisfied  → 80 satisfied
    + [3] * 10
    + [2] * 5
    + [1] * 5  # 20 not satisfied
)


def article_rows() -> list[dict[str, Any]]:
    return [
        answer(f"a{i:03d}", "csat", "1-5", s, "2026-03-03T10:00:00Z") for i, s in enumerate(ARTICLE)
    ]


def test_csat_article_example() -> None:
    ws = build_workspace(
        {
            "tickets": TICKETS,
            "surveys": [
                *article_rows(),
                # an NPS and a CES answer are no CSAT answers
                answer("x1", "nps", "0-10", 10, "2026-03-03T10:00:00Z"),
                answer("x2", "ces", "1-7", 7, "2026-03-03T10:00:00Z"),
            ],
        }
    )
    row = one(compute(ws, ["csat"]), metric="csat")
    # 80 / 100 = 80%
    assert row["n"] == 100
    assert row["value"] == pytest.approx(80.0)
    assert row["unit"] == "percent"
    # Wilson, p = 0.8, n = 100, z² = 3.841459: centre = (0.8 + 0.019207) / 1.038415 = 0.788902,
    # half = 1.959964·√(0.0016 + 0.000096) / 1.038415 = 0.077731 → 71.117% … 86.663%
    lo, hi = wilson_percent(80, 100)
    assert row["ci_low"] == pytest.approx(lo, abs=1e-6)
    assert row["ci_high"] == pytest.approx(hi, abs=1e-6)
    assert row["ci_low"] == pytest.approx(71.12, abs=0.01)
    assert row["ci_high"] == pytest.approx(86.66, abs=0.01)
    assert not row["small_sample"]


def test_threshold_changed_by_config_keeps_the_other_scales() -> None:
    rows = [*article_rows(), answer("b1", "csat", "1-10", 8, "2026-03-03T11:00:00Z")]
    default = build_workspace({"tickets": TICKETS, "surveys": rows})
    # defaults: 80 answers of 4-5 + the 8 on 1-10 → 81 / 101
    row = one(compute(default, ["csat"]), metric="csat")
    assert row["n"] == 101
    assert row["value"] == pytest.approx(100 * 81 / 101)

    top_box = build_workspace(
        {"tickets": TICKETS, "surveys": rows},
        {**UTC_9_TO_5, "surveys": {"csat_satisfied": {"1-5": 5}}},
    )
    # only 5 counts on 1-5 now: 50 fives; the 1-10 scale keeps its default (8 → satisfied)
    # → 51 / 101
    row = one(compute(top_box, ["csat"]), metric="csat")
    assert row["n"] == 101
    assert row["value"] == pytest.approx(100 * 51 / 101)
    lo, hi = wilson_percent(51, 101)
    assert row["ci_low"] == pytest.approx(lo, abs=1e-6)
    assert row["ci_high"] == pytest.approx(hi, abs=1e-6)


@pytest.mark.parametrize(
    "config, message",
    [
        ({"csat_satisfied": {"1-6": 5}}, "names scale '1-6'"),
        ({"csat_satisfied": {"good-bad": 1}}, "good-bad needs none"),
        ({"csat_satisfied": {"1-5": 6}}, "outside the scale"),
        ({"ces_easy": {"0-100": 101}}, "outside the scale"),
    ],
)
def test_bad_threshold_config_is_an_error(config: dict[str, Any], message: str) -> None:
    ws = build_workspace(
        {"tickets": TICKETS, "surveys": [answer("c1", "csat", "1-5", 5, "2026-03-03T10:00:00Z")]},
        {**UTC_9_TO_5, "surveys": config},
    )
    with pytest.raises(ConfigError, match=message):
        compute(ws, ["csat"])


@pytest.fixture(scope="module")
def mixed_ws():
    at = "2026-03-04T10:00:00Z"
    scales = {
        "1-5": [5, 4, 3, 2],  # satisfied 5, 4 → 2 of 4
        "good-bad": ["good", "good", "bad"],  # 2 of 3
        "1-10": [8, 7],  # 8 → 1 of 2
        "0-10": [10, 3],  # 10 → 1 of 2
        "0-100": [80, 79],  # 80 → 1 of 2
        "1-7": [6, 5],  # 6 → 1 of 2
    }
    rows = [
        answer(f"{scale}-{i}", "csat", scale, s, at)
        for scale, scores in scales.items()
        for i, s in enumerate(scores)
    ]
    return build_workspace({"tickets": TICKETS, "surveys": rows})


def test_mixed_scales_combine(mixed_ws) -> None:
    row = one(compute(mixed_ws, ["csat"]), metric="csat")
    # every answer counts once: (2 + 2 + 1 + 1 + 1 + 1) / (4 + 3 + 2 + 2 + 2 + 2) = 8 / 15
    assert row["n"] == 15
    assert row["value"] == pytest.approx(100 * 8 / 15)
    assert row["small_sample"]


def test_mixed_scales_by_scale(mixed_ws) -> None:
    df = compute(mixed_ws, ["csat"], by=["scale"])
    expected = {
        "1-5": (2, 4),
        "good-bad": (2, 3),
        "1-10": (1, 2),
        "0-10": (1, 2),
        "0-100": (1, 2),
        "1-7": (1, 2),
    }
    assert len(df) == len(expected)
    for scale, (s, n) in expected.items():
        row = one(df, scale=scale)
        assert row["n"] == n
        assert row["value"] == pytest.approx(100 * s / n)


def test_small_sample_flag_at_29_and_30_answers() -> None:
    day1 = [answer(f"d1-{i}", "csat", "1-5", 5, "2026-03-03T10:00:00Z") for i in range(29)]
    day2 = [answer(f"d2-{i}", "csat", "1-5", 5, "2026-03-04T10:00:00Z") for i in range(30)]
    ws = build_workspace({"tickets": TICKETS, "surveys": [*day1, *day2]})
    df = compute(ws, ["csat"], grain="day", start="2026-03-03", end="2026-03-04")
    d1 = one(df, period="2026-03-03")
    d2 = one(df, period="2026-03-04")
    # 29 answers < 30 → flagged; 30 → not
    assert (d1["n"], bool(d1["small_sample"])) == (29, True)
    assert (d2["n"], bool(d2["small_sample"])) == (30, False)
    # 29 / 29: Wilson upper bound is 100, lower = 1 / (1 + z²/29) = 0.88303
    assert d1["ci_high"] == pytest.approx(100.0)
    assert d1["ci_low"] == pytest.approx(100 / (1 + Z * Z / 29), abs=1e-6)


def test_empty_period() -> None:
    rows = [
        answer("w1a", "csat", "1-5", 5, "2026-03-03T10:00:00Z"),  # week of 2 March
        answer("w1b", "csat", "1-5", 1, "2026-03-04T10:00:00Z"),
        answer("w3a", "csat", "good-bad", "good", "2026-03-17T10:00:00Z"),  # week of 16 March
    ]
    ws = build_workspace({"tickets": TICKETS, "surveys": rows})
    df = compute(ws, ["csat"], grain="week", start="2026-03-02", end="2026-03-22")
    assert list(df["period"].astype(str)) == ["2026-03-02", "2026-03-09", "2026-03-16"]
    w1, w2, w3 = (one(df, period=p) for p in ("2026-03-02", "2026-03-09", "2026-03-16"))
    assert (w1["n"], w1["value"]) == (2, pytest.approx(50.0))
    # no answers in the week of 9 March: listed, n = 0, no value and no interval
    assert w2["n"] == 0
    assert math.isnan(w2["value"])
    assert math.isnan(w2["ci_low"]) and math.isnan(w2["ci_high"])
    assert (w3["n"], w3["value"]) == (1, pytest.approx(100.0))
    # grouped, an empty week has no row (a rate without answers is unknown, not 0)
    grouped = compute(
        ws, ["csat"], by=["scale"], grain="week", start="2026-03-02", end="2026-03-22"
    )
    assert "2026-03-09" not in set(grouped["period"].astype(str))


def test_no_answers_at_all() -> None:
    ws = build_workspace({"tickets": TICKETS})
    row = one(compute(ws, ["csat"]), metric="csat")
    assert row["n"] == 0
    assert math.isnan(row["value"])
    assert math.isnan(row["ci_low"])


def test_answer_after_the_last_ticket_event_is_listed() -> None:
    ws = build_workspace(
        {
            "tickets": [ticket("T1", "2026-03-02T09:00:00Z")],
            "surveys": [
                answer("e1", "csat", "1-5", 5, "2026-03-02T10:00:00Z"),
                answer("e2", "csat", "1-5", 1, "2026-03-20T10:00:00Z"),
            ],
        }
    )
    df = compute(ws, ["csat"], grain="week")
    assert int(df["n"].sum()) == 2
