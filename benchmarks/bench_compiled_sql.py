"""Benchmark: what keeping compiled SQL by query shape (engine/compiled.py) saves a request.

    .venv/bin/python benchmarks/bench_compiled_sql.py [--tickets 2000] [--rounds 7]

On a copy of the sample workspace of `--tickets` tickets (the API benchmark's, imported once),
in one process: four report requests (first_response_time by channel × week, volume by day,
CSAT and FCR by channel, the headline set) computed again and again — as the service does
after data arrives — alternately with the compiler that keeps compiled SQL and with Ibis'
own, round after round (so that both see the same machine load). Prints the median per
request and the kept queries' hits and misses, and checks both give the same rows.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_api import workspace  # noqa: E402
from bench_lifecycle import ensure_data  # noqa: E402
from deskmetrics import query  # noqa: E402
from deskmetrics.config import load_settings  # noqa: E402
from deskmetrics.engine import open_duckdb  # noqa: E402
from deskmetrics.engine.compiled import keep_compiled  # noqa: E402
from deskmetrics.present import expand_sets  # noqa: E402
from synthetic import synthetic  # noqa: E402

REQUESTS = {
    "first_response_time by channel × week": {
        "metrics": "first_response_time",
        "by": ["channel"],
        "grain": "week",
    },
    "volume by day": {"metrics": "volume", "grain": "day"},
    "csat, fcr_rate by channel": {"metrics": ["csat", "fcr_rate"], "by": ["channel"]},
    "headline set": {"metrics": expand_sets(["headline"])},
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tickets", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    folder, _ = ensure_data(args.tickets, args.seed, HERE / "data")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "ws.duckdb"
        shutil.copy(workspace(folder, args.tickets, args.seed), db)
        ws = open_duckdb(db, synthetic(load_settings(ROOT / "deskmetrics.toml")))
        kept = keep_compiled(ws.backend).compiler  # as the service's workspace
        plain = kept._compiler
        for r in REQUESTS.values():  # kept facts made, calendars built: not measured
            query.compute(ws, **r)
        times: dict[str, dict[str, list[float]]] = {"kept": {}, "ibis": {}}
        results: dict[str, dict[str, pd.DataFrame]] = {"kept": {}, "ibis": {}}
        for _ in range(args.rounds):
            for how, compiler in (("ibis", plain), ("kept", kept)):
                ws.backend.compiler = compiler
                for name, r in REQUESTS.items():
                    t0 = time.perf_counter()
                    results[how][name] = query.compute(ws, **r)
                    times[how].setdefault(name, []).append(time.perf_counter() - t0)
        same = all(
            results["kept"][n].equals(results["ibis"][n]) for n in REQUESTS
        )  # fmt: skip
        print(
            f"# bench_compiled_sql — {args.tickets:,} tickets, {args.rounds} rounds, "
            f"load {os.getloadavg()[0]:.2f}"
        )
        print(f"{'request':42s} {'Ibis compiles':>14s} {'SQL kept':>10s}")
        for name in REQUESTS:
            a = statistics.median(times["ibis"][name]) * 1000
            b = statistics.median(times["kept"][name]) * 1000
            print(f"{name:42s} {a:11,.0f} ms {b:7,.0f} ms  ({a / b:.2f}×)")
        print(f"kept queries: {kept.hits} hits, {kept.misses} misses; same rows: {same}")


if __name__ == "__main__":
    main()
