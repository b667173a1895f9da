"""The volume forecast and its backtest on constructed series computed by hand; the
interval-volume file; the plan end to end on a workspace with measured handle time."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import build_workspace, interaction, ticket
from deskmetrics.staffing import StaffingError, Target, plan_interval
from deskmetrics.staffing.forecast import (
    Series,
    backtest,
    fit,
    forecast,
    read_volumes,
    series_from_frame,
    wape,
)
from deskmetrics.staffing.plan import load_history, make_forecast, make_plan, parse_days

MONDAY = date(2026, 3, 2)


def _week(slots: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 30, (7, slots)).astype(float)


def test_perfectly_periodic_series_is_recovered_exactly() -> None:
    week = _week(48)
    s = Series(MONDAY, 30, np.tile(week, (6, 1)))
    f = forecast(s, 14)
    assert f.first_day == MONDAY + timedelta(days=42)
    assert np.array_equal(f.values, np.tile(week, (2, 1)))
    # starting mid-week, and with a holiday in the history (left out of the profile, and
    # no holiday ahead): still exact
    s = Series(MONDAY + timedelta(days=3), 30, np.tile(np.roll(week, -3, axis=0), (5, 1)))
    holiday = s.day(10)
    s.values[10] = 0.0
    f = forecast(s, 7, holidays=[holiday])
    assert np.array_equal(f.values, np.roll(week, -3 - 35 % 7, axis=0))


def test_trend_and_holiday_factor() -> None:
    # a flat week × 1.0, 1.1, 1.2 … per week: the trend carries the level on
    ones = np.ones((7, 24))
    s = Series(MONDAY, 60, np.concatenate([ones * (1 + w / 10) for w in range(8)]))
    f = fit(s)
    assert f.slope > 0
    ahead = forecast(s, 7).values
    assert ahead.mean() > s.values[-7:].mean()
    # every Wednesday of two weeks is a holiday at half volume: the factor is measured
    flat = np.ones((21, 24))
    hol = [MONDAY + timedelta(days=2), MONDAY + timedelta(days=9)]
    flat[2] = flat[9] = 0.5
    assert fit(Series(MONDAY, 60, flat), hol).holiday_factor == pytest.approx(0.5)
    nxt = forecast(Series(MONDAY, 60, flat), 7, [*hol, MONDAY + timedelta(days=23)])
    assert nxt.values[2].sum() == pytest.approx(12.0)  # 24 intervals × 1 × 0.5


def test_backtest_wape_by_hand() -> None:
    """17 days from a Monday, 24 hourly intervals, each interval of day d = v[d]:
    week 1 all 1, week 2 all 3, then Mon 3, Tue 4, Wed 3. Backtest the last 2 days:
    Tue (day 15) from days 0–14: Tuesdays 1 and 3 → 2 per interval; actual 4 → error 2 × 24.
    Wed (day 16) from days 0–15: Wednesdays 1 and 3 → 2; actual 3 → error 1 × 24.
    (trend_days=7: fewer than 14 days, so the level stays flat.)
    Model WAPE = (48 + 24) / (24 × (4 + 3)) = 72 / 168 = 42.857 %.
    Seasonal naive: Tue ← day 8 (3): error 24; Wed ← day 9 (3): 0 → 24 / 168 = 14.286 %."""
    v = [1] * 7 + [3] * 7 + [3, 4, 3]
    s = Series(MONDAY, 60, np.repeat(np.array(v, dtype=float)[:, None], 24, axis=1))
    b = backtest(s, 2, trend_days=7)
    assert b.intervals == 48
    assert b.wape == pytest.approx(72 / 168 * 100)
    assert b.seasonal_naive_wape == pytest.approx(24 / 168 * 100)
    assert np.array_equal(b.predicted.values, np.full((2, 24), 2.0))
    with pytest.raises(StaffingError, match="at least 18 days"):
        backtest(s, 11)


def test_wape_of_nothing_is_unknown() -> None:
    assert wape(np.zeros(4), np.ones(4)) is None
    assert wape(np.array([2.0, 2.0]), np.array([1.0, 3.0])) == pytest.approx(50.0)


def test_series_from_rows_bins_into_intervals() -> None:
    df = pd.DataFrame(
        {
            "interval_start": pd.to_datetime(
                ["2026-03-02 09:00", "2026-03-02 09:20", "2026-03-02 09:45", "2026-03-03 00:00"]
            ),
            "volume": [1.0, 2.0, 4.0, 8.0],
        }
    )
    s = series_from_frame(df, 30)
    assert (s.days, s.slots) == (2, 48)
    assert s.values[0, 18] == 3.0 and s.values[0, 19] == 4.0 and s.values[1, 0] == 8.0
    assert s.values.sum() == 15.0


def _volume_file(tmp_path: Path, weeks: int = 3, abandoned: bool = True) -> Path:
    """Hourly phone volumes, the same every week: weekdays 09–17 10 calls an hour (AHT 300 s
    mornings, 200 s afternoons), nothing else; 1 abandoned call an hour."""
    rows = []
    for d in range(weeks * 7):
        day = MONDAY + timedelta(days=d)
        for h in range(24):
            open_ = day.weekday() < 5 and 9 <= h < 17
            rows.append(
                {
                    "interval_start": f"{day.isoformat()}T{h:02d}:00:00",
                    "volume": 10 if open_ else 0,
                    "aht_seconds": (300 if h < 13 else 200) if open_ else "",
                    **({"abandoned": 1 if open_ else 0} if abandoned else {}),
                }
            )
    path = tmp_path / "volumes.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_volume_file_is_read(tmp_path: Path) -> None:
    df = read_volumes(str(_volume_file(tmp_path)), 60)
    assert list(df.columns) == ["interval_start", "channel", "volume", "aht_seconds", "abandoned"]
    assert set(df["channel"]) == {"phone"}
    bad = tmp_path / "bad.csv"
    bad.write_text("interval_start,calls\n2026-03-02T09:00,3\n")
    with pytest.raises(StaffingError, match="interval_start and volume"):
        read_volumes(str(bad), 60)
    bad.write_text("interval_start,volume\n2026-03-02T09:00,-3\n")
    with pytest.raises(StaffingError, match="line 2"):
        read_volumes(str(bad), 60)


def test_plan_from_a_volume_file(tmp_path: Path) -> None:
    from deskmetrics.config import Settings

    path = str(_volume_file(tmp_path))
    settings = Settings.model_validate({"timezone": "UTC"})
    hist = load_history(None, 60, None, path)
    assert hist.abandonment["phone"] == pytest.approx(10.0)
    fc = make_forecast(None, 60, 7, None, path, backtest_days=7, settings=settings)
    acc = fc.accuracy()
    assert acc["wape"] == pytest.approx(0.0) and acc["seasonal_naive_wape"] == pytest.approx(0.0)
    plan = make_plan(
        None, "phone", Target.parse("80/20"), 30, 85, 60, 7, volumes_file=path, settings=settings
    )
    r = plan.rows
    assert len(r) == 7 * 24
    # Monday 10:00: 10 calls × 300 s / 3600 s = 0.833 erlangs; 14:00: 0.556 erlangs
    mon10 = r[r["interval_start"] == pd.Timestamp("2026-03-23 10:00")].iloc[0]
    assert mon10["aht_seconds"] == 300 and mon10["traffic"] == pytest.approx(10 * 300 / 3600)
    assert mon10["agents"] == 3 and mon10["scheduled_agents"] == 5
    assert r[r["weekday"] == "Sat"]["agents"].sum() == 0
    assert plan.inputs.measured_abandonment == pytest.approx(10.0)
    assert plan.inputs.patience_seconds is None and "abandonment" not in r


def test_patience_from_waits_and_abandoned_calls(tmp_path: Path) -> None:
    """10 calls an hour waiting 12 s on average, 1 abandoned: patience = time waited /
    abandoned = 10 × 12 / 1 = 120 s, and the plan is Erlang A with expected abandonment."""
    from deskmetrics.config import Settings

    path = _volume_file(tmp_path)
    df = pd.read_csv(path)
    df["wait_seconds"] = 12.0
    df.to_csv(path, index=False)
    settings = Settings.model_validate({"timezone": "UTC"})
    hist = load_history(None, 60, None, str(path))
    assert hist.patience["phone"] == pytest.approx(120.0)
    target = Target.parse("80/20")
    plan = make_plan(
        None, "phone", target, 0, 100, 60, 7, volumes_file=str(path), settings=settings
    )
    assert plan.inputs.patience_seconds == pytest.approx(120.0)
    assert plan.inputs.patience_source.startswith("estimated")
    mon10 = plan.rows[plan.rows["interval_start"] == pd.Timestamp("2026-03-23 10:00")].iloc[0]
    want = plan_interval(10, 60, 300, target, patience_seconds=120)
    assert mon10["agents"] == want.agents
    assert mon10["abandonment"] == pytest.approx(want.abandonment)
    given = make_plan(
        None,
        "phone",
        target,
        0,
        100,
        60,
        7,
        patience_seconds=600,
        volumes_file=str(path),
        settings=settings,
    )
    assert given.inputs.patience_source == "given (--patience)"


def test_plan_from_the_workspace_measures_handle_time() -> None:
    """Two weeks of phone tickets, Mondays 09:00–09:59 three calls (talk 240 s + wrap 60 s):
    AHT 300 s measured; the plan's Monday 09:00 interval forecasts 3 calls."""
    tickets, events = [], []
    n = 0
    for week in range(3):
        day = MONDAY + timedelta(days=7 * week)
        for k in range(12):  # 12 calls: the hour of week needs MIN_AHT_SAMPLE (10)
            n += 1
            at = f"{day.isoformat()}T09:{k * 4:02d}:00Z"
            tickets.append(ticket(f"T{n}", at, f"c{n}", channel="phone"))
            events.append(interaction(f"i{n}", f"T{n}", at, "a1", talk=240, wrap=60))
        tickets.append(ticket(f"E{week}", f"{day.isoformat()}T12:00:00Z", "x", channel="email"))
        tickets.append(
            ticket(f"S{week}", f"{(day + timedelta(days=6)).isoformat()}T12:00:00Z", "x")
        )
    ws = build_workspace({"tickets": tickets, "events": events})
    plan = make_plan(ws, "phone", Target.parse("80/20"), interval_minutes=60, horizon_days=7)
    r = plan.rows
    # the workspace's data ends Sunday 22 March (a ticket of no channel): so does every
    # channel's history, and the plan starts the Monday after
    assert r["interval_start"].min() == pd.Timestamp("2026-03-23 00:00")
    mon9 = r[r["interval_start"] == pd.Timestamp("2026-03-23 09:00")].iloc[0]
    assert mon9["volume"] == pytest.approx(12.0)
    assert mon9["aht_seconds"] == pytest.approx(300.0)
    assert plan.inputs.aht_source.startswith("average_handle_time of phone")
    assert r["volume"].sum() == pytest.approx(12.0)
    with pytest.raises(StaffingError, match="no handle time measured"):
        make_plan(ws, "email", Target.parse("80/20"), interval_minutes=60)


def test_horizon_parses() -> None:
    assert parse_days("7d") == 7 and parse_days("2w") == 14 and parse_days("3") == 3
    for bad in ("0d", "x", "400d"):
        with pytest.raises(StaffingError):
            parse_days(bad)


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("2026-03-02T10:00,", "line 3: volume must be a finite number, 0 or more (a blank volume"),
        (",4", "line 3: interval_start is empty or not a date-time"),
        ("2026-03-02T10:00,inf", "line 3: volume must be a finite number"),
        ("2026-03-02T10:00,-1", "line 3: volume must be a finite number"),
    ],
)
def test_a_bad_volume_line_is_refused_with_its_line(tmp_path: Path, line: str, why: str) -> None:
    """Nothing in a volume file is dropped or guessed: a blank volume is not 0, a blank start
    is not skipped, an infinite or negative count is no count."""
    f = tmp_path / "volumes.csv"
    f.write_text(f"interval_start,volume\n2026-03-02T09:30,3\n{line}\n")
    with pytest.raises(StaffingError, match=re.escape(why)):
        read_volumes(str(f), 30)
