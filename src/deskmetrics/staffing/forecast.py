"""Volume forecast per interval: a seasonal profile (each interval of each weekday averaged
over recent weeks, so daily and weekly seasonality at once) × a linear trend in the daily
level × a holiday factor measured on past holidays; and a rolling-origin backtest reporting
WAPE against the seasonal-naive forecast (the same interval one week earlier).

Series live on a grid of local days × intervals of the day (wall-clock time in the
workspace's zone): a day with a daylight-saving change keeps the grid (the skipped hour is
empty, the repeated one counts once per wall-clock interval)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd

from deskmetrics.staffing.erlang import StaffingError

#: interval lengths a plan may use (minutes; each divides a day)
INTERVALS = (15, 30, 60)
MODEL = "seasonal profile × trend × holidays"
BASELINE = "seasonal naive (same interval one week earlier)"


@dataclass(frozen=True)
class Series:
    """Volumes on a grid: `values[d, s]` is the volume of interval `s` of day `first_day + d`
    (local wall clock)."""

    first_day: date
    interval_minutes: int
    values: np.ndarray

    @property
    def slots(self) -> int:
        return 1440 // self.interval_minutes

    @property
    def days(self) -> int:
        return int(self.values.shape[0])

    def day(self, index: int) -> date:
        return self.first_day + timedelta(days=index)

    @property
    def last_day(self) -> date:
        return self.day(self.days - 1)

    def head(self, days: int) -> Series:
        """The first `days` days."""
        return Series(self.first_day, self.interval_minutes, self.values[:days])

    def starts(self) -> list[datetime]:
        """The local start of every interval, day by day."""
        step = timedelta(minutes=self.interval_minutes)
        out: list[datetime] = []
        for d in range(self.days):
            midnight = datetime.combine(self.day(d), time.min)
            out.extend(midnight + step * s for s in range(self.slots))
        return out

    def frame(self, column: str = "volume") -> pd.DataFrame:
        """interval_start (local), `column`: one row per interval."""
        return pd.DataFrame({"interval_start": self.starts(), column: self.values.reshape(-1)})


def check_interval(minutes: int) -> int:
    if minutes not in INTERVALS:
        raise StaffingError(f"interval {minutes} minutes: use 15, 30 or 60")
    return minutes


def series_from_frame(
    df: pd.DataFrame,
    interval_minutes: int,
    first_day: date | None = None,
    last_day: date | None = None,
) -> Series:
    """The grid of `df` (columns interval_start: local wall-clock start, volume); intervals
    without a row are 0, starts inside an interval count for it. From the first to the last
    day with a row unless `first_day` / `last_day` say otherwise."""
    check_interval(interval_minutes)
    starts = pd.to_datetime(pd.Series(df["interval_start"]))
    if first_day is None or last_day is None:
        if not len(df):
            raise StaffingError("no volumes to forecast from")
        first_day = first_day or starts.min().date()
        last_day = last_day or starts.max().date()
    days = (last_day - first_day).days + 1
    if days <= 0:
        raise StaffingError("no days to forecast from")
    slots = 1440 // interval_minutes
    values = np.zeros((days, slots))
    if len(df):
        base = pd.Timestamp(first_day)
        minutes = ((starts - base).dt.total_seconds() // 60).astype("int64").to_numpy()
        keep = (minutes >= 0) & (minutes < days * 1440)
        cell = minutes[keep] // interval_minutes
        np.add.at(values.reshape(-1), cell, pd.to_numeric(df["volume"]).to_numpy(float)[keep])
    return Series(first_day, interval_minutes, values)


@dataclass(frozen=True)
class Fit:
    """What the model learnt: the weekly profile (7 × intervals, Monday first), the trend's
    level and slope per day (a multiplier, 1 at the middle of the trend window), and the
    holiday factor."""

    profile: np.ndarray
    level: float
    slope: float
    centre: float
    holiday_factor: float


def _weekdays(s: Series, start: int, count: int) -> np.ndarray:
    first = s.day(start).weekday()
    return (first + np.arange(count)) % 7


def _holiday_mask(s: Series, start: int, count: int, holidays: Iterable[date]) -> np.ndarray:
    days = {(h - s.first_day).days for h in holidays}
    return np.array([start + i in days for i in range(count)], dtype=bool)


def fit(s: Series, holidays: Iterable[date] = (), weeks: int = 8, trend_days: int = 56) -> Fit:
    """Fit the model on all of `s`: the profile averages each weekday's intervals over its
    last `weeks` ordinary (non-holiday) days; the trend is a least-squares line through the
    ratio of each ordinary day's total to its profile total over the last `trend_days`
    days (flat with fewer than 14 of them); the holiday factor is the mean of that ratio on
    past holidays (1 when the history holds none)."""
    hol_list = list(holidays)
    wd = _weekdays(s, 0, s.days)
    hol = _holiday_mask(s, 0, s.days, hol_list)
    profile = np.zeros((7, s.slots))
    ordinary_all = np.flatnonzero(~hol)
    for w in range(7):
        idx = np.flatnonzero((wd == w) & ~hol)[-weeks:]
        if len(idx):
            profile[w] = s.values[idx].mean(axis=0)
        elif len(ordinary_all):  # a weekday never seen: the mean ordinary day
            profile[w] = s.values[ordinary_all[-weeks * 7 :]].mean(axis=0)
    totals = s.values.sum(axis=1)
    expected = profile.sum(axis=1)[wd]
    window = np.arange(s.days) >= s.days - trend_days
    usable = window & ~hol & (expected > 0)
    x = np.flatnonzero(usable).astype(float)
    level, slope, centre = 1.0, 0.0, float(s.days - 1)
    if len(x) >= 14:
        y = totals[usable] / expected[usable]
        centre = float(x.mean())
        level = float(y.mean())
        dx = x - centre
        slope = float((dx * (y - level)).sum() / (dx * dx).sum())
    past = hol & (expected > 0)
    factor = 1.0
    if past.any():
        idx = np.flatnonzero(past)
        trend_at = np.maximum(level + slope * (idx - centre), 1e-9)
        factor = float((totals[idx] / expected[idx] / trend_at).mean())
    return Fit(profile, level, slope, centre, factor)


def predict(s: Series, f: Fit, days: int, holidays: Iterable[date] = ()) -> Series:
    """The `days` days after `s` under fit `f` (never below 0)."""
    start = s.days
    wd = _weekdays(s, start, days)
    hol = _holiday_mask(s, start, days, list(holidays))
    idx = np.arange(start, start + days, dtype=float)
    trend = np.maximum(f.level + f.slope * (idx - f.centre), 0.0)
    factor = np.where(hol, f.holiday_factor, 1.0) * trend
    values = np.maximum(f.profile[wd] * factor[:, None], 0.0)
    return Series(s.day(start), s.interval_minutes, values)


def forecast(
    s: Series, days: int, holidays: Iterable[date] = (), weeks: int = 8, trend_days: int = 56
) -> Series:
    """Fit on all of `s` and forecast the `days` days after it."""
    hol = list(holidays)
    return predict(s, fit(s, hol, weeks, trend_days), days, hol)


def wape(actual: np.ndarray, predicted: np.ndarray) -> float | None:
    """Weighted absolute percentage error: Σ|actual − predicted| / Σ actual × 100 (None when
    nothing happened)."""
    total = float(np.abs(actual).sum())
    if total == 0:
        return None
    return float(np.abs(actual - predicted).sum() / total * 100)


@dataclass(frozen=True)
class Backtest:
    """Rolling-origin accuracy over the last `days` days: each day forecast from the days
    before it only (one day ahead), WAPE in percent for the model and the seasonal-naive
    baseline over the same intervals."""

    days: int
    intervals: int
    wape: float | None
    seasonal_naive_wape: float | None
    actual: Series
    predicted: Series


def backtest(
    s: Series, days: int, holidays: Iterable[date] = (), weeks: int = 8, trend_days: int = 56
) -> Backtest:
    """Forecast each of the last `days` days of `s` from the days before it and compare with
    what happened; the seasonal-naive forecast of a day is the same day one week earlier. The
    first origin needs at least 7 days of history."""
    if days < 1:
        raise StaffingError("--backtest-days is 1 or more")
    if s.days - days < 7:
        raise StaffingError(
            f"a backtest of {days} days needs at least {days + 7} days of history "
            f"(there are {s.days}): use fewer --backtest-days"
        )
    hol = list(holidays)
    predicted = np.zeros((days, s.slots))
    for i in range(days):
        origin = s.days - days + i
        history = s.head(origin)
        predicted[i] = predict(history, fit(history, hol, weeks, trend_days), 1, hol).values[0]
    actual = s.values[s.days - days :]
    naive = s.values[s.days - days - 7 : s.days - 7]
    return Backtest(
        days=days,
        intervals=int(actual.size),
        wape=wape(actual, predicted),
        seasonal_naive_wape=wape(actual, naive),
        actual=Series(s.day(s.days - days), s.interval_minutes, actual),
        predicted=Series(s.day(s.days - days), s.interval_minutes, predicted),
    )


def read_volumes(path: str, interval_minutes: int) -> pd.DataFrame:
    """A phone system's interval-volume export (CSV): `interval_start` and `volume` (offered
    contacts, abandoned ones included), optional `channel`, `aht_seconds`, `abandoned` and
    `wait_seconds` (the mean wait of the interval's callers, abandoned ones included).
    Starts are local wall-clock times (an offset, if given, is dropped: the file's clock is
    the plan's). Returns those columns, channel 'phone' where the file names none."""
    try:
        df = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise StaffingError(f"--volumes {path}: cannot read it as CSV ({exc})") from exc
    missing = {"interval_start", "volume"} - set(df.columns)
    if missing:
        raise StaffingError(
            f"--volumes {path}: needs the columns interval_start and volume "
            f"(missing: {', '.join(sorted(missing))}); optional: channel, aht_seconds, abandoned, "
            "wait_seconds"
        )
    try:
        starts = pd.to_datetime(df["interval_start"], utc=False, format="mixed")
    except (ValueError, TypeError) as exc:
        raise StaffingError(
            f"--volumes {path}: interval_start must be date-times like 2026-03-02T09:30"
        ) from exc
    if starts.isna().any():
        row = int(np.flatnonzero(starts.isna().to_numpy())[0]) + 2
        raise StaffingError(
            f"--volumes {path}: line {row}: interval_start is empty or not a date-time"
        )
    if getattr(starts.dt, "tz", None) is not None:
        starts = starts.dt.tz_localize(None)
    out = pd.DataFrame({"interval_start": starts.dt.floor(f"{interval_minutes}min")})
    out["channel"] = (
        df["channel"].fillna("phone").astype(str).str.strip().str.lower()
        if "channel" in df
        else "phone"
    )
    for col in ("volume", "aht_seconds", "abandoned", "wait_seconds"):
        if col in df:
            values = pd.to_numeric(df[col], errors="coerce")
            # a blank volume is an unknown count, not 0; infinities are no measurement
            blank = values.isna() & (df[col].notna() | (col == "volume"))
            bad = blank | (values < 0) | np.isinf(values.fillna(0.0))
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
                raise StaffingError(
                    f"--volumes {path}: line {row}: {col} must be a finite number, 0 or more"
                    + (" (a blank volume is unknown, not 0)" if col == "volume" else "")
                )
            out[col] = values
    out["volume"] = out["volume"].fillna(0.0)
    return out
