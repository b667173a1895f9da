"""--compare previous, targets and benchmarks, computed by hand."""

from __future__ import annotations

import math
from typing import Any

import pytest

from conftest import UTC_9_TO_5, build_workspace, one, status, ticket
from deskmetrics.errors import QueryError
from deskmetrics.query import compute
from deskmetrics.significance import margins_differ, poisson_p, two_proportion_p, welch_p


def solved_week(prefix: str, monday: str, n: int, reopened: int) -> dict[str, list[Any]]:
    """n tickets created and solved on `monday`; the first `reopened` of them were reopened
    and solved again the same day."""
    tickets, events = [], []
    for i in range(n):
        tid = f"{prefix}{i:03d}"
        tickets.append(ticket(tid, f"{monday}T09:00:00Z", requester=tid))
        events.append(status(f"{tid}-1", tid, f"{monday}T10:00:00Z", "solved"))
        if i < reopened:
            events.append(status(f"{tid}-2", tid, f"{monday}T11:00:00Z", "open"))
            events.append(status(f"{tid}-3", tid, f"{monday}T12:00:00Z", "solved"))
    return {"tickets": tickets, "events": events}


def two_weeks(a: int, b: int, config: dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
    w1 = solved_week("A", "2026-03-02", 100, a)
    w2 = solved_week("B", "2026-03-09", 100, b)
    return build_workspace(
        {"tickets": w1["tickets"] + w2["tickets"], "events": w1["events"] + w2["events"]},
        config,
    )


def test_significant_change_in_a_rate() -> None:
    # reopen rate 40/100 → 60/100. Pooled p = 100/200 = 0.5;
    # se = √(0.5·0.5·(1/100 + 1/100)) = 0.070711; z = 0.20 / 0.070711 = 2.8284;
    # two-sided p = erfc(2.8284/√2) = 0.004678 < 0.05 → significant
    ws = two_weeks(40, 60)
    df = compute(
        ws,
        "reopen_rate",
        grain="week",
        start="2026-03-09",
        end="2026-03-15",
        compare="previous",
        tz="UTC",
    )
    row = one(df, metric="reopen_rate")
    assert row["value"] == 60.0 and row["previous"] == 40.0 and row["change"] == 20.0
    assert row["p_value"] == pytest.approx(0.004678, abs=1e-6)
    assert row["significant"] is True or row["significant"] == True  # noqa: E712


def test_noise_is_not_celebrated() -> None:
    # 48/100 → 52/100: pooled 0.5, se 0.070711, z = 0.04/0.070711 = 0.5657, p = 0.5716
    ws = two_weeks(48, 52)
    df = compute(
        ws,
        "reopen_rate",
        grain="week",
        start="2026-03-09",
        end="2026-03-15",
        compare="previous",
        tz="UTC",
    )
    row = one(df, metric="reopen_rate")
    assert row["change"] == pytest.approx(4.0)
    assert row["p_value"] == pytest.approx(0.571608, abs=1e-6)
    assert not row["significant"]


def test_compare_without_grain_uses_the_previous_range_of_same_length() -> None:
    # range = the week of 03-09 (7 days); previous range = the week of 03-02
    ws = two_weeks(40, 60)
    df = compute(ws, "volume", start="2026-03-09", end="2026-03-15", compare="previous", tz="UTC")
    row = one(df, metric="volume")
    # counts 100 vs 100: z = 0 → p = 1
    assert (row["value"], row["previous"], row["change"]) == (100.0, 100.0, 0.0)
    assert row["p_value"] == pytest.approx(1.0)


def test_compare_needs_a_period() -> None:
    ws = two_weeks(1, 1)
    with pytest.raises(QueryError, match="--compare previous needs a period"):
        compute(ws, "volume", compare="previous")


def test_targets_from_config_say_met_or_missed() -> None:
    # reopen rate is lower-is-better: 40% ≤ 50% met, 60% > 50% missed
    ws = two_weeks(40, 60, {**UTC_9_TO_5, "targets": {"reopen_rate": 50}})
    df = compute(ws, "reopen_rate", grain="week", tz="UTC")
    assert df["target"].tolist() == [50.0, 50.0]
    assert df["meets_target"].tolist() == [True, False]


def test_benchmarks_from_the_articles() -> None:
    ws = two_weeks(0, 0)
    df = compute(ws, "fcr_rate")
    row = one(df, metric="fcr_rate")
    assert row["benchmark"] == 85.0
    assert row["benchmark_name"] == "American Express (above)"


def test_significance_functions_by_hand() -> None:
    assert two_proportion_p(40, 100, 60, 100) == pytest.approx(math.erfc(2.828427 / 2**0.5), 1e-5)
    # counts 100 vs 144: z = 44/√244 = 2.8168 → p = 0.004851
    assert poisson_p(100, 144) == pytest.approx(0.004851, abs=1e-5)
    # means 10 (sd 4, n 100) vs 11 (sd 4, n 100): se = √(0.16+0.16) = 0.565685; z = 1.7678
    assert welch_p(10, 4, 100, 11, 4, 100) == pytest.approx(0.077100, abs=1e-5)
    # NPS 20 ± 8 vs 32 ± 9: margin of the difference √(64+81) = 12.04 > 12 → not meaningful
    assert not margins_differ(12.0, 8.0, 9.0)
    assert margins_differ(12.1, 8.0, 9.0)


# --compare year: the same dates a year earlier -------------------------------------------------


def a_year_apart():  # type: ignore[no-untyped-def]
    """30 tickets in the week of 2025-03-10 (10 reopened) and 40 in the week of 2026-03-09
    (30 reopened); 100 more in the week of 2026-03-02 (the period before), none reopened."""
    last_year = solved_week("L", "2025-03-10", 30, 10)
    before = solved_week("P", "2026-03-02", 100, 0)
    now = solved_week("N", "2026-03-09", 40, 30)
    return build_workspace(
        {k: last_year[k] + before[k] + now[k] for k in ("tickets", "events")}, None
    )


def test_compare_year_without_grain_takes_the_same_dates_a_year_earlier() -> None:
    # 2026-03-09..15 → 2025-03-09..15, which holds the 30 tickets of Monday 2025-03-10.
    # volume 40 vs 30; reopen rate 30/40 = 75 % vs 10/30 = 33.33 %
    ws = a_year_apart()
    df = compute(
        ws, ["volume", "reopen_rate"], start="2026-03-09", end="2026-03-15", compare="year",
        tz="UTC",
    )  # fmt: skip
    vol = one(df, metric="volume")
    assert (vol["value"], vol["previous"], vol["change"]) == (40.0, 30.0, 10.0)
    rate = one(df, metric="reopen_rate")
    assert rate["value"] == 75.0
    assert rate["previous"] == pytest.approx(100 * 10 / 30)
    # pooled p = 40/70; se = √(p(1-p)(1/30 + 1/40)); z = (0.75 - 1/3)/se
    pooled = 40 / 70
    se = math.sqrt(pooled * (1 - pooled) * (1 / 30 + 1 / 40))
    z = (0.75 - 1 / 3) / se
    assert rate["p_value"] == pytest.approx(math.erfc(z / math.sqrt(2)), abs=1e-9)
    # the period before (compare previous) is the week of 2026-03-02: 100 tickets, 0 reopened
    prev = one(
        compute(ws, "volume", start="2026-03-09", end="2026-03-15", compare="previous", tz="UTC"),
        metric="volume",
    )
    assert prev["previous"] == 100.0


def test_compare_year_by_week_matches_each_week_with_the_week_a_year_earlier() -> None:
    # week of 2026-03-09 ↔ the week holding 2025-03-09 (a Sunday): the week of 2025-03-03,
    # which has no tickets: 0 (a count's empty period is 0). Week of 2026-03-16 ↔ 2025-03-16
    # (Sunday) → week of 2025-03-10: 30 tickets.
    ws = a_year_apart()
    df = compute(
        ws, "volume", grain="week", start="2026-03-09", end="2026-03-22", compare="year",
        tz="UTC",
    )  # fmt: skip
    rows = df.sort_values("period")
    assert list(rows["value"]) == [40.0, 0.0]
    assert list(rows["previous"]) == [0.0, 30.0]


def test_compare_year_needs_a_period_and_unknown_comparisons_are_refused() -> None:
    ws = a_year_apart()
    with pytest.raises(QueryError, match="--compare year needs a period"):
        compute(ws, "volume", compare="year")
    with pytest.raises(QueryError, match=r"'previous' .* or 'year'"):
        compute(ws, "volume", start="2026-03-09", end="2026-03-15", compare="month")
