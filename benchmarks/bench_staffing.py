"""Benchmark: staffing for one year of 15-minute intervals × 6 channels (210,240 intervals).

    .venv/bin/python benchmarks/bench_staffing.py [--days 365] [--channels 6] [--seed 7]

Writes a synthetic interval-volume file (what a phone system exports: interval_start, channel,
volume, aht_seconds, abandoned) under benchmarks/data/, then times, each step on its own:

* read: the file read and put on the interval grid (`load_history`)
* forecast: every channel's 7-day forecast plus a 20-day rolling-origin backtest (WAPE)
* plan: the 7-day plan of every channel (`make_plan`: file, forecast, Erlang C, shrinkage)
* erlang C, whole year: the fewest agents of all 210,240 intervals at once (`plan_intervals`)
* erlang A, one week: one channel's 672 intervals with a patience of 90 s

The volumes: a daily curve (two peaks) × a weekday factor × a yearly trend (+20%) × public
holidays at 30%, Poisson noise; each channel at its own size (about 40 to 1,500 contacts a
day per channel at the peak interval's scale). Prints a table and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))

from deskmetrics.config import Settings  # noqa: E402
from deskmetrics.staffing import Target, plan_intervals  # noqa: E402
from deskmetrics.staffing.plan import load_history, make_forecast, make_plan  # noqa: E402

CHANNELS = ["phone", "chat", "email", "web", "social", "api"]
#: contacts per 15 minutes at the daily peak, and handle time (s), per channel
SIZE = {"phone": 60.0, "chat": 30.0, "email": 20.0, "web": 12.0, "social": 4.0, "api": 2.0}
AHT = {"phone": 300.0, "chat": 600.0, "email": 420.0, "web": 360.0, "social": 240.0, "api": 180.0}
SETTINGS = {
    "timezone": "Europe/Berlin",
    "schedules": {
        "eu": {
            "timezone": "Europe/Berlin",
            "hours": dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), "09:00-17:00"),
            "holidays": {"country": "DE"},
            "default": True,
        }
    },
}


def volumes_file(path: Path, days: int, channels: list[str], seed: int) -> int:
    """Write the synthetic file; the number of rows."""
    import holidays as holidays_lib

    rng = np.random.default_rng(seed)
    first = date(2025, 1, 6)
    slot = np.arange(96) / 4.0  # hour of day
    curve = np.exp(-((slot - 10.5) ** 2) / 4.5) + 0.8 * np.exp(-((slot - 15.0) ** 2) / 5.0)
    curve += 0.03
    weekday = np.array([1.15, 1.05, 1.0, 1.0, 0.95, 0.35, 0.2])
    de = holidays_lib.country_holidays("DE", years=range(first.year, first.year + 3))
    dates = [first + timedelta(days=d) for d in range(days)]
    day_factor = np.array(
        [
            weekday[d.weekday()] * (1 + 0.2 * i / days) * (0.3 if d in de else 1.0)
            for i, d in enumerate(dates)
        ]
    )
    starts = pd.date_range(pd.Timestamp(first), periods=days * 96, freq="15min")
    frames = []
    for ch in channels:
        lam = SIZE[ch] * day_factor[:, None] * curve[None, :]
        vol = rng.poisson(lam).reshape(-1)
        frames.append(
            pd.DataFrame(
                {
                    "interval_start": starts.strftime("%Y-%m-%dT%H:%M"),
                    "channel": ch,
                    "volume": vol,
                    "aht_seconds": np.round(AHT[ch] * rng.uniform(0.9, 1.1, len(vol))),
                    "abandoned": rng.binomial(vol, 0.05),
                }
            )
        )
    df = pd.concat(frames, ignore_index=True)
    df.to_csv(path, index=False)
    return len(df)


def timed(fn: Any) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--channels", type=int, default=6)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    channels = CHANNELS[: args.channels]
    data = HERE / "data"
    data.mkdir(exist_ok=True)
    path = data / f"volumes_{args.days}d_{len(channels)}ch.csv"
    rows, t_gen = timed(lambda: volumes_file(path, args.days, channels, args.seed))
    settings = Settings.model_validate(SETTINGS)
    target = Target.parse("80/20")
    results: dict[str, Any] = {"rows": rows, "intervals": rows, "generate_s": t_gen}

    hist, results["read_s"] = timed(lambda: load_history(None, 15, None, str(path)))
    fc, results["forecast_backtest_s"] = timed(
        lambda: make_forecast(None, 15, 7, None, None, 20, settings=settings, history=hist)
    )
    acc = fc.accuracy()
    results["wape"], results["seasonal_naive_wape"] = acc["wape"], acc["seasonal_naive_wape"]

    def plans() -> list[Any]:
        return [
            make_plan(None, ch, target, 30, 85, 15, 7, volumes_file=str(path), settings=settings)
            for ch in channels
        ]

    plans_out, results["plan_7d_all_channels_s"] = timed(plans)
    results["plan_peak_agents"] = {p.inputs.channel: p.summary()["peak_agents"] for p in plans_out}

    volume = np.concatenate([hist.series[ch].values.reshape(-1) for ch in channels])
    aht = np.concatenate([np.full(hist.series[ch].values.size, AHT[ch]) for ch in channels])
    year, results["erlang_c_year_s"] = timed(
        lambda: plan_intervals(volume, aht, 15, target, 30, 85)
    )
    results["erlang_c_year_intervals"] = len(volume)
    results["erlang_c_year_max_agents"] = int(year["agents"].max())
    week = hist.series["phone"].values[-7:].reshape(-1)
    _, results["erlang_a_week_s"] = timed(
        lambda: plan_intervals(
            week, np.full(len(week), AHT["phone"]), 15, target, 30, 85, patience_seconds=90
        )
    )
    width = max(len(k) for k in results)
    for k, v in results.items():
        shown = f"{v:,.3f}" if isinstance(v, float) else str(v)
        print(f"{k.ljust(width)}  {shown}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
