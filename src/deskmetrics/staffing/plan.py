"""The staffing plan of a channel: history (tickets created per interval in the workspace, or
a phone system's interval-volume file) → forecast → measured handle time by hour of week →
agents per interval. The one place the CLI, the API and the dashboard page get it from."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from deskmetrics.config import Settings
from deskmetrics.engine import Workspace
from deskmetrics.query import compute, interval_volumes, schedule_holidays
from deskmetrics.staffing.erlang import StaffingError, Target, plan_intervals
from deskmetrics.staffing.forecast import (
    BASELINE,
    MODEL,
    Backtest,
    Series,
    backtest,
    check_interval,
    fit,
    predict,
    read_volumes,
    series_from_frame,
)

#: an hour of the week needs this many handled interactions for its own handle time; fewer,
#: and the channel's handle time over the whole history is used
MIN_AHT_SAMPLE = 10
#: weeks of history the profile averages and the handle time is measured over
HISTORY_WEEKS = 8
#: the longest forecast horizon (days)
MAX_HORIZON_DAYS = 92
#: channels whose agents work several sessions at once (concurrency applies)
CONCURRENT_CHANNELS = frozenset({"chat"})


def parse_days(text: str | int, option: str = "--horizon") -> int:
    """`7d`, `2w` or a number of days."""
    raw = str(text).strip().lower()
    try:
        days = int(raw[:-1]) * 7 if raw.endswith("w") else int(raw.removesuffix("d"))
    except ValueError as exc:
        raise StaffingError(f"{option} {text!r}: write days as 7d (or weeks as 2w)") from exc
    if not 1 <= days <= MAX_HORIZON_DAYS:
        raise StaffingError(f"{option} {text!r}: use 1 to {MAX_HORIZON_DAYS} days")
    return days


@dataclass(frozen=True)
class History:
    """The volumes a forecast starts from, per channel, with what the file told besides."""

    series: dict[str, Series]
    #: hand-set handle time per channel: the file's `aht_seconds` by hour of week (7 × 24,
    #: NaN where it says nothing)
    aht: dict[str, np.ndarray] = field(default_factory=dict)
    #: abandoned / offered per channel (percent), where the file gives `abandoned`
    abandonment: dict[str, float] = field(default_factory=dict)
    #: mean patience in seconds per channel, where the file gives `abandoned` and
    #: `wait_seconds`: the estimate of exponential patience, time waited / abandoned calls
    patience: dict[str, float] = field(default_factory=dict)
    source: str = "tickets created in the workspace"


def _by_hour_of_week(starts: pd.Series, values: pd.Series, weights: pd.Series) -> np.ndarray:
    """Weighted mean of `values` per (weekday, hour): 7 × 24, NaN where nothing was seen."""
    ts = pd.to_datetime(starts)
    frame = pd.DataFrame(
        {"wd": ts.dt.weekday, "hr": ts.dt.hour, "v": values * weights, "w": weights}
    ).dropna()
    out = np.full((7, 24), np.nan)
    g = frame.groupby(["wd", "hr"], as_index=False)[["v", "w"]].sum()
    g = g[g["w"] > 0]
    out[g["wd"].to_numpy(int), g["hr"].to_numpy(int)] = (g["v"] / g["w"]).to_numpy(float)
    return out


def load_history(
    ws: Workspace | None,
    interval_minutes: int,
    channel: str | None = None,
    volumes_file: str | None = None,
) -> History:
    """Volumes per channel on the interval grid: from `volumes_file` when given (see
    `read_volumes`), else tickets created in the workspace (report time zone)."""
    check_interval(interval_minutes)
    if volumes_file is not None:
        df = read_volumes(volumes_file, interval_minutes)
        source = f"interval volumes from {volumes_file}"
    else:
        if ws is None:
            raise StaffingError("no workspace: import data first or give --volumes FILE")
        # every channel: all share the workspace's days, so the plan starts after its last
        df = interval_volumes(ws, interval_minutes)
        source = "tickets created in the workspace"
    if df.empty:
        raise StaffingError("no volumes to forecast from")
    # every channel on the same days: the history ends, and the plan starts, where the data does
    first = pd.Timestamp(df["interval_start"].min()).date()
    last = pd.Timestamp(df["interval_start"].max()).date()
    if channel is not None:
        df = df[df["channel"] == channel]
        if df.empty:
            raise StaffingError(f"no volumes for channel {channel!r} to forecast from")
    series, aht, abandoned, patience = {}, {}, {}, {}
    for name, part in df.groupby("channel", sort=True):
        key = str(name)
        series[key] = series_from_frame(part, interval_minutes, first, last)
        if "aht_seconds" in part and part["aht_seconds"].notna().any():
            aht[key] = _by_hour_of_week(part["interval_start"], part["aht_seconds"], part["volume"])
        if "abandoned" in part and part["abandoned"].notna().any():
            offered = float(part["volume"].sum())
            if offered > 0:
                abandoned[key] = float(part["abandoned"].sum()) / offered * 100
            if "wait_seconds" in part and part["wait_seconds"].notna().any():
                known = part["wait_seconds"].notna() & part["abandoned"].notna()
                waited = float((part["wait_seconds"] * part["volume"])[known].sum())
                gave_up = float(part["abandoned"][known].sum())
                if gave_up > 0 and waited > 0:
                    patience[key] = waited / gave_up
    return History(series, aht, abandoned, patience, source)


@dataclass(frozen=True)
class Forecast:
    """The forecast of each channel and, when asked, its backtest."""

    interval_minutes: int
    history: History
    forecast: dict[str, Series]
    backtests: dict[str, Backtest]
    holidays: list[date]

    def rows(self) -> pd.DataFrame:
        """channel, interval_start (local), forecast: one row per channel and interval."""
        frames = []
        for name, s in self.forecast.items():
            f = s.frame("forecast")
            f.insert(0, "channel", name)
            frames.append(f)
        return pd.concat(frames, ignore_index=True)

    def history_rows(self, weeks: int = 4) -> pd.DataFrame:
        """channel, interval_start, volume for the last `weeks` weeks of history."""
        frames = []
        for name, s in self.history.series.items():
            keep = min(s.days, weeks * 7)
            tail = Series(s.day(s.days - keep), s.interval_minutes, s.values[s.days - keep :])
            f = tail.frame("volume")
            f.insert(0, "channel", name)
            frames.append(f)
        return pd.concat(frames, ignore_index=True)

    def accuracy(self) -> dict[str, Any]:
        """WAPE (percent) of the model and of the seasonal-naive baseline over every
        backtested channel and interval together (None without a backtest)."""
        if not self.backtests:
            return {"wape": None, "seasonal_naive_wape": None, "backtest_days": 0}
        actual = np.concatenate([b.actual.values.reshape(-1) for b in self.backtests.values()])
        pred = np.concatenate([b.predicted.values.reshape(-1) for b in self.backtests.values()])
        naive_err = sum(
            (b.seasonal_naive_wape or 0.0) * float(b.actual.values.sum()) / 100
            for b in self.backtests.values()
        )
        total = float(actual.sum())
        one = next(iter(self.backtests.values()))
        return {
            "wape": None if total == 0 else float(np.abs(actual - pred).sum() / total * 100),
            "seasonal_naive_wape": None if total == 0 else naive_err / total * 100,
            "backtest_days": one.days,
            "backtest_intervals": int(actual.size),
        }

    def summary(self) -> dict[str, Any]:
        """The JSON object of `deskmetrics forecast`: model, accuracy, the rows."""
        rows = self.rows()
        first = self.forecast[next(iter(self.forecast))]
        return {
            "model": MODEL,
            "baseline": BASELINE,
            **self.accuracy(),
            "interval_minutes": self.interval_minutes,
            "channels": list(self.forecast),
            "history_source": self.history.source,
            "history_days": next(iter(self.history.series.values())).days,
            "start": datetime.combine(first.first_day, datetime.min.time()).isoformat(),
            "horizon_days": first.days,
            "holidays": [d.isoformat() for d in self.holidays],
            "intervals": len(rows),
            "forecast": [
                {"channel": str(c), "interval_start": pd.Timestamp(t).isoformat(), "forecast": v}
                for c, t, v in zip(
                    rows["channel"],
                    rows["interval_start"],
                    rows["forecast"].astype(float).tolist(),
                    strict=True,
                )
            ],
        }


def _settings(ws: Workspace | None, settings: Settings | None) -> Settings:
    if settings is not None:
        return settings
    if ws is None:
        raise StaffingError("no settings")
    return ws.settings


def make_forecast(
    ws: Workspace | None,
    interval_minutes: int = 30,
    horizon_days: int = 7,
    channel: str | None = None,
    volumes_file: str | None = None,
    backtest_days: int | None = None,
    settings: Settings | None = None,
    history: History | None = None,
    clip_backtest: bool = False,
) -> Forecast:
    """Forecast each channel's volume for the `horizon_days` days after its history, holidays
    from the settings' schedules; with `backtest_days`, a rolling-origin backtest too (with
    `clip_backtest`, over at most the days the history allows instead of refusing)."""
    hist = history or load_history(ws, interval_minutes, channel, volumes_file)
    first_series = next(iter(hist.series.values()))
    if clip_backtest and backtest_days:
        backtest_days = max(0, min(backtest_days, first_series.days - 7))
    end = first_series.last_day + timedelta(days=horizon_days)
    holidays = sorted(schedule_holidays(_settings(ws, settings), first_series.first_day, end))
    out: dict[str, Series] = {}
    tests: dict[str, Backtest] = {}
    for name, s in hist.series.items():
        out[name] = predict(s, fit(s, holidays, HISTORY_WEEKS), horizon_days, holidays)
        if backtest_days:
            tests[name] = backtest(s, backtest_days, holidays, HISTORY_WEEKS)
    return Forecast(interval_minutes, hist, out, tests, holidays)


# ---------------------------------------------------------------------------------------------
# handle time and concurrency measured in the workspace


def measured_aht(ws: Workspace, channel: str, first: date, last: date) -> np.ndarray:
    """Handle time in seconds by (weekday, hour) (7 × 24) from the registry's
    `average_handle_time` for `channel` over [first, last]: an hour of the week with fewer
    than MIN_AHT_SAMPLE interactions takes the channel's handle time over the range."""
    kw: dict[str, Any] = {"start": first, "end": last, "filters": {"channel": channel}}
    overall = compute(ws, "average_handle_time", **kw)
    value = overall["value"].iloc[0] if len(overall) else None
    if value is None or pd.isna(value):
        raise StaffingError(
            f"no handle time measured for channel {channel!r} ({first} to {last}): the data "
            "has no calls or chats with talk, hold or wrap time there; give the handle time "
            "(--aht SECONDS, or aht= in the API)"
        )
    out = np.full((7, 24), float(value) * 60)
    cells = compute(ws, "average_handle_time", by=["weekday", "hour"], **kw)
    cells = cells[(cells["n"] >= MIN_AHT_SAMPLE) & cells["value"].notna()]
    wd, hr = cells["weekday"].to_numpy(int) - 1, cells["hour"].to_numpy(int)
    out[wd, hr] = cells["value"].to_numpy(float) * 60
    return out


def measured_concurrency(ws: Workspace, first: date, last: date) -> float | None:
    """Chat sessions an agent has open at once (the registry's `concurrency`) over the range."""
    df = compute(ws, "concurrency", start=first, end=last)
    value = df["value"].iloc[0] if len(df) else None
    return None if value is None or pd.isna(value) else float(value)


# ---------------------------------------------------------------------------------------------
# the plan


@dataclass(frozen=True)
class PlanInputs:
    """Everything a plan was made from (shown beside it, and the page's URL parameters)."""

    channel: str
    target: str
    shrinkage: float
    max_occupancy: float
    interval_minutes: int
    horizon_days: int
    aht_source: str
    aht_seconds_mean: float
    concurrency: int
    concurrency_source: str
    patience_seconds: float | None
    measured_abandonment: float | None
    patience_source: str
    history_source: str
    model: str = MODEL
    backtest_days: int = 0
    wape: float | None = None
    seasonal_naive_wape: float | None = None


@dataclass(frozen=True)
class Plan:
    """Agents per interval for one channel, with the forecast it planned for."""

    inputs: PlanInputs
    rows: pd.DataFrame
    forecast: Forecast

    def summary(self) -> dict[str, Any]:
        r = self.rows
        busy = r[r["volume"] > 0]
        at = int(np.argmax(r["agents"].to_numpy())) if len(r) else None
        return {
            "volume": float(r["volume"].sum()),
            "peak_agents": int(r["agents"].iloc[at]) if at is not None else 0,
            "peak_scheduled_agents": int(r["scheduled_agents"].max()) if len(r) else 0,
            "peak_interval": pd.Timestamp(r["interval_start"].iloc[at]).isoformat()
            if at is not None
            else None,
            "agent_hours": float(r["agents"].sum() * self.inputs.interval_minutes / 60),
            "scheduled_agent_hours": float(
                r["scheduled_agents"].sum() * self.inputs.interval_minutes / 60
            ),
            "service_level": float(
                (busy["service_level"] * busy["volume"]).sum() / busy["volume"].sum()
            )
            if len(busy)
            else None,
        }

    def as_json(self) -> dict[str, Any]:
        """One object: the inputs, a summary, and the rows (numbers, local times)."""
        rows = []
        for rec in self.rows.to_dict("records"):
            out: dict[str, Any] = {}
            for key, v in rec.items():
                k = str(key)
                if k == "interval_start":
                    out[k] = pd.Timestamp(v).isoformat()
                elif isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
                    out[k] = None
                elif isinstance(v, np.integer):
                    out[k] = int(v)
                elif isinstance(v, np.floating):
                    out[k] = float(v)
                else:
                    out[k] = v
            rows.append(out)
        return {"inputs": asdict(self.inputs), "summary": self.summary(), "rows": rows}


def make_plan(
    ws: Workspace | None,
    channel: str,
    target: Target,
    shrinkage: float = 0.0,
    max_occupancy: float = 100.0,
    interval_minutes: int = 30,
    horizon_days: int = 7,
    aht_seconds: float | None = None,
    concurrency: int | None = None,
    patience_seconds: float | None = None,
    volumes_file: str | None = None,
    backtest_days: int | None = None,
    settings: Settings | None = None,
    clip_backtest: bool = False,
) -> Plan:
    """The plan for `channel`: its volume forecast × handle time by hour of week (`aht_seconds`
    overrides; else the volume file's, else the workspace's measured) → the fewest agents per
    interval meeting `target` (Erlang C; Erlang A with `patience_seconds`), at most
    `max_occupancy` percent busy, scheduled after `shrinkage` percent. A chat channel's
    agents work `concurrency` sessions at once (default: measured, rounded, at least 1).
    Without `patience_seconds`, a volume file with `abandoned` and `wait_seconds` gives the
    patience (Erlang A); otherwise the plan is Erlang C."""
    fc = make_forecast(
        ws,
        interval_minutes,
        horizon_days,
        channel,
        volumes_file,
        backtest_days,
        settings=settings,
        clip_backtest=clip_backtest,
    )
    hist = fc.history
    series = hist.series[channel]
    fut = fc.forecast[channel]
    first = series.day(max(0, series.days - HISTORY_WEEKS * 7))
    if aht_seconds is not None:
        if aht_seconds <= 0:
            raise StaffingError("--aht is more than 0 seconds")
        grid, aht_source = np.full((7, 24), float(aht_seconds)), "given (--aht)"
    elif channel in hist.aht:
        grid, aht_source = hist.aht[channel], "the volume file's aht_seconds by hour of week"
        overall = float(np.nanmean(grid))
        grid = np.where(np.isnan(grid), overall, grid)
    else:
        if ws is None:
            raise StaffingError("no handle time: give --aht SECONDS or aht_seconds in the file")
        grid = measured_aht(ws, channel, first, series.last_day)
        aht_source = (
            f"average_handle_time of {channel} by hour of week, {first} to {series.last_day}"
        )
    conc, conc_source = 1, "one contact at a time"
    if concurrency is not None:
        if concurrency < 1:
            raise StaffingError("--concurrency is 1 or more")
        conc, conc_source = concurrency, "given (--concurrency)"
    elif channel in CONCURRENT_CHANNELS and ws is not None:
        measured = measured_concurrency(ws, first, series.last_day)
        if measured is not None:
            conc = max(1, math.floor(measured + 0.5))
            conc_source = f"measured chat concurrency {measured:.2f}, rounded"
    patience_source = "none: Erlang C" if patience_seconds is None else "given (--patience)"
    if patience_seconds is None and channel in hist.patience:
        patience_seconds = hist.patience[channel]
        patience_source = "estimated from the volume file: time waited / abandoned calls"
    frame = fut.frame("volume")
    starts = pd.to_datetime(frame["interval_start"])
    aht = grid[starts.dt.weekday.to_numpy(), starts.dt.hour.to_numpy()]
    cols = plan_intervals(
        frame["volume"].to_numpy(),
        aht,
        interval_minutes,
        target,
        shrinkage,
        max_occupancy,
        conc,
        patience_seconds,
    )
    rows = pd.DataFrame({"channel": channel, "interval_start": starts, **cols})
    rows.insert(2, "weekday", starts.dt.day_name().str[:3])
    if patience_seconds is None:
        rows = rows.drop(columns=["abandonment"])
    acc = fc.accuracy()
    inputs = PlanInputs(
        channel=channel,
        target=target.label(),
        shrinkage=shrinkage,
        max_occupancy=max_occupancy,
        interval_minutes=interval_minutes,
        horizon_days=horizon_days,
        aht_source=aht_source,
        aht_seconds_mean=float(np.nanmean(grid)),
        concurrency=conc,
        concurrency_source=conc_source,
        patience_seconds=patience_seconds,
        measured_abandonment=hist.abandonment.get(channel),
        patience_source=patience_source,
        history_source=hist.source,
        backtest_days=int(acc["backtest_days"]),
        wape=acc["wape"],
        seasonal_naive_wape=acc["seasonal_naive_wape"],
    )
    return Plan(inputs, rows, fc)
