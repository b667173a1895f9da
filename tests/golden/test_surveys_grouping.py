"""Golden numbers for survey metrics grouped by agent, team, channel and ticket columns, and
for csat_shrunk (empirical-Bayes CSAT for rankings), computed by hand.

Dimensions of a survey answer: agent = the survey's agent_id, else the ticket's assignee; team
= the agent's team in the agents table, else the ticket's group; channel = the survey's
channel, else the ticket's; any ticket column (and per-ticket fact) through the survey's
ticket_id — answers without a ticket form the empty group and still count ungrouped.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest

from conftest import build_workspace, msg, one, ticket
from deskmetrics.query import compute

Z = 1.959963984540054


def csat(rid: str, score: Any, at: str = "2026-03-03T10:00:00Z", **kw: Any) -> dict[str, Any]:
    return {
        "response_id": rid,
        "kind": "csat",
        "scale": "1-5",
        "score": str(score),
        "answered_at": at,
        **kw,
    }


def wilson_percent(s: float, n: float) -> tuple[float, float]:
    p = s / n
    denom = 1 + Z * Z / n
    centre = (p + Z * Z / (2 * n)) / denom
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / denom
    return 100 * max(0.0, centre - half), 100 * min(1.0, centre + half)


def group(df: pd.DataFrame, col: str, value: Any) -> pd.Series:
    """The one row whose `col` is `value` (None: the empty group)."""
    sel = df[df[col].isna()] if value is None else df[df[col] == value]
    assert len(sel) == 1, f"expected one row for {col}={value!r}:\n{df}"
    return sel.iloc[0]


# ---------------------------------------------------------------------------------------------
# grouping

# | answer | ticket | survey agent / channel | agent | team      | channel | priority | score |
# |--------|--------|------------------------|-------|-----------|---------|----------|-------|
# | s1     | T1     | – / –                  | a1    | blue      | email   | high     | 5 ✓   |
# | s2     | T1     | a3 / phone             | a3    | g-support | phone   | high     | 2 ✗   |
# | s3     | T2     | – / –                  | a2    | g-sales   | chat    | low      | 4 ✓   |
# | s4     | –      | a1 / web               | a1    | blue      | web     | –        | 1 ✗   |
# | s5     | –      | – / –                  | –     | –         | –       | –        | 5 ✓   |
# a1's team comes from the agents table; a2 has no team there and a3 is not listed, so theirs
# is the ticket's group. T1 has one agent reply (one-touch), T2 none (no-touch).


@pytest.fixture(scope="module")
def ws():
    return build_workspace(
        {
            "tickets": [
                ticket(
                    "T1",
                    "2026-03-02T09:00:00Z",
                    "c1",
                    assignee_id="a1",
                    channel="email",
                    group="g-support",
                    priority="high",
                ),
                ticket(
                    "T2",
                    "2026-03-02T10:00:00Z",
                    "c2",
                    assignee_id="a2",
                    channel="chat",
                    group="g-sales",
                    priority="low",
                ),
            ],
            "events": [
                msg("e1", "T1", "2026-03-02T09:00:00Z", "customer", "c1"),
                msg("e2", "T1", "2026-03-02T09:30:00Z", "agent", "a1"),
            ],
            "agents": [{"agent_id": "a1", "team": "blue"}, {"agent_id": "a2"}],
            "surveys": [
                csat("s1", 5, ticket_id="T1"),
                csat("s2", 2, ticket_id="T1", agent_id="a3", channel="phone"),
                csat("s3", 4, ticket_id="T2"),
                csat("s4", 1, agent_id="a1", channel="web"),
                csat("s5", 5),
            ],
        }
    )


def check(df: pd.DataFrame, col: str, expected: dict[Any, tuple[int, int]]) -> None:
    assert len(df) == len(expected), df
    for value, (s, n) in expected.items():
        row = group(df, col, value)
        assert row["n"] == n, (col, value)
        assert row["value"] == pytest.approx(100 * s / n), (col, value)


def test_ungrouped_counts_answers_without_ticket(ws) -> None:
    row = one(compute(ws, ["csat"]), metric="csat")
    # s1, s3, s5 satisfied → 3 / 5
    assert (row["n"], row["value"]) == (5, pytest.approx(60.0))


def test_by_agent(ws) -> None:
    # a1: s1 ✓ s4 ✗ → 1/2; a3: s2 ✗; a2: s3 ✓; no agent: s5 ✓
    check(
        compute(ws, ["csat"], by=["agent"]),
        "agent",
        {"a1": (1, 2), "a3": (0, 1), "a2": (1, 1), None: (1, 1)},
    )


def test_by_team(ws) -> None:
    # blue: s1 ✓ s4 ✗; g-support: s2 ✗; g-sales: s3 ✓; none: s5 ✓
    check(
        compute(ws, ["csat"], by=["team"]),
        "team",
        {"blue": (1, 2), "g-support": (0, 1), "g-sales": (1, 1), None: (1, 1)},
    )


def test_by_channel(ws) -> None:
    # the survey's channel wins over the ticket's (s2 phone, s4 web)
    check(
        compute(ws, ["csat"], by=["channel"]),
        "channel",
        {"email": (1, 1), "phone": (0, 1), "chat": (1, 1), "web": (0, 1), None: (1, 1)},
    )


def test_by_ticket_column(ws) -> None:
    # high: s1 ✓ s2 ✗; low: s3 ✓; no ticket: s4 ✗ s5 ✓
    check(
        compute(ws, ["csat"], by=["priority"]),
        "priority",
        {"high": (1, 2), "low": (1, 1), None: (1, 2)},
    )


def test_by_ticket_fact(ws) -> None:
    # touches is a per-ticket fact: T1 one-touch (s1 ✓ s2 ✗), T2 no-touch (s3 ✓)
    check(
        compute(ws, ["csat"], by=["touches"]),
        "touches",
        {"one-touch": (1, 2), "no-touch": (1, 1), None: (1, 2)},
    )


def test_filter_by_agent_and_weekly_grain(ws) -> None:
    df = compute(ws, ["csat"], grain="week", filters={"agent": "a1"})
    row = one(df, period="2026-03-02")
    # a1: s1 ✓ s4 ✗ → 1/2
    assert (row["n"], row["value"]) == (2, pytest.approx(50.0))


# ---------------------------------------------------------------------------------------------
# shrunk CSAT

# Five agents: a1 95/100, a2 3/3, a3 70/100, a4 80/100, a5 75/100 satisfied. Raw, a2 tops the
# table with 100% from three answers.
AGENTS = {"a1": (95, 100), "a2": (3, 3), "a3": (70, 100), "a4": (80, 100), "a5": (75, 100)}


def agent_answers(counts: dict[str, tuple[int, int]], at: str, tag: str = "") -> list[dict]:
    rows = []
    for agent, (s, n) in counts.items():
        for i in range(n):
            rows.append(csat(f"{tag}{agent}-{i}", 5 if i < s else 1, at, agent_id=agent))
    return rows


@pytest.fixture(scope="module")
def team_ws():
    return build_workspace(
        {
            "tickets": [ticket("T1", "2026-03-02T09:00:00Z")],
            "surveys": [
                *agent_answers(AGENTS, "2026-03-03T10:00:00Z"),
                # week of 9 March: only a1, 2 of 4
                *agent_answers({"a1": (2, 4)}, "2026-03-10T10:00:00Z", tag="w2"),
            ],
        }
    )


def test_shrunk_three_of_three_does_not_top_ninety_five_of_hundred(team_ws) -> None:
    df = compute(
        team_ws, ["csat", "csat_shrunk"], by=["agent"], start="2026-03-02", end="2026-03-08"
    )
    raw = df[df.metric == "csat"].set_index("agent")["value"]
    shrunk = df[df.metric == "csat_shrunk"].set_index("agent")
    assert raw.idxmax() == "a2"  # 100% from 3 answers
    # Method of moments, pooled rate p = 323/403 = 0.801489, p(1 − p) = 0.159104.
    # Spread S = Σ nᵢ(pᵢ − p)² = 100·0.148511² + 3·0.198511² + 100·0.101489² + 100·0.001489²
    #          + 100·0.051489² = 2.20556 + 0.11822 + 1.03000 + 0.00022 + 0.26511 = 3.61911
    # E[S] = p(1 − p)·[(k − 1) + ρ·(N − Σnᵢ²/N − (k − 1))], k = 5, N = 403, Σnᵢ² = 40009:
    # ρ = (3.61911/0.159104 − 4) / (403 − 99.27792 − 4) = 18.74673 / 299.72208 = 0.062547
    # prior strength M = (1 − ρ)/ρ = 14.98797 answers; prior satisfied = p·M = 12.01269
    p = 323 / 403
    spread = sum(n * (s / n - p) ** 2 for s, n in AGENTS.values())
    rho = (spread / (p * (1 - p)) - 4) / (403 - 40009 / 403 - 4)
    strength = (1 - rho) / rho
    assert strength == pytest.approx(14.98797, abs=1e-4)
    # a1: (95 + 12.01269) / (100 + 14.98797) = 93.064%; a2: (3 + 12.01269) / 17.98797 = 83.460%
    expected = {a: 100 * (s + p * strength) / (n + strength) for a, (s, n) in AGENTS.items()}
    assert expected["a1"] == pytest.approx(93.064, abs=1e-3)
    assert expected["a2"] == pytest.approx(83.460, abs=1e-3)
    for agent, value in expected.items():
        assert shrunk.loc[agent, "value"] == pytest.approx(value, abs=1e-9)
        assert shrunk.loc[agent, "n"] == AGENTS[agent][1]
    assert shrunk["value"].idxmax() == "a1"
    assert list(shrunk["value"].sort_values(ascending=False).index) == [
        "a1",
        "a2",
        "a4",
        "a5",
        "a3",
    ]
    # posterior intervals: around the value, and wider for 3 answers than for 100
    assert (shrunk["ci_low"] < shrunk["value"]).all()
    assert (shrunk["value"] < shrunk["ci_high"]).all()
    width = shrunk["ci_high"] - shrunk["ci_low"]
    assert width["a2"] > width["a1"]
    assert bool(shrunk.loc["a2", "small_sample"]) and not bool(shrunk.loc["a1", "small_sample"])


def test_shrunk_full_pooling_when_groups_differ_no_more_than_chance() -> None:
    ws = build_workspace(
        {
            "tickets": [ticket("T1", "2026-03-02T09:00:00Z")],
            "surveys": agent_answers({"a1": (95, 100), "a2": (3, 3)}, "2026-03-03T10:00:00Z"),
        }
    )
    df = compute(ws, ["csat_shrunk"], by=["agent"])
    # p = 98/103 = 0.951456; S = 100·0.001456² + 3·0.048544² = 0.000212 + 0.007069 = 0.007281
    # S/p(1 − p) = 0.007281/0.046188 = 0.158 < k − 1 = 1 → ρ ≤ 0: the two rates differ no more
    # than chance would make them → both get the pooled rate, with its Wilson interval
    lo, hi = wilson_percent(98, 103)
    for agent in ("a1", "a2"):
        row = one(df, agent=agent)
        assert row["value"] == pytest.approx(100 * 98 / 103)
        assert row["ci_low"] == pytest.approx(lo)
        assert row["ci_high"] == pytest.approx(hi)


def test_shrunk_ungrouped_equals_csat(team_ws) -> None:
    df = compute(team_ws, ["csat", "csat_shrunk"])
    plain, shrunk = one(df, metric="csat"), one(df, metric="csat_shrunk")
    # 323 + 2 satisfied of 403 + 4
    assert plain["value"] == pytest.approx(100 * 325 / 407)
    for col in ("n", "value", "ci_low", "ci_high", "small_sample"):
        assert shrunk[col] == pytest.approx(plain[col])


def test_shrunk_is_fitted_per_period(team_ws) -> None:
    df = compute(team_ws, ["csat_shrunk"], by=["agent"], grain="week")
    # week of 2 March: the five agents, as above
    w1 = one(df, agent="a1", period="2026-03-02")
    assert w1["value"] == pytest.approx(93.06424931, abs=1e-6)
    # week of 9 March: a1 alone (2 of 4) — one group, nothing to shrink toward but itself
    w2 = one(df, agent="a1", period="2026-03-09")
    assert (w2["n"], w2["value"]) == (4, pytest.approx(50.0))
    lo, hi = wilson_percent(2, 4)
    assert (w2["ci_low"], w2["ci_high"]) == (pytest.approx(lo), pytest.approx(hi))
