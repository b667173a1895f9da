"""Benchmark: the ticket-lifecycle suite (26 metrics by channel × week, as bench_lifecycle.py)
on the three engines deskmetrics runs on — the embedded DuckDB file, PostgreSQL and PySpark
local[2] — with the same sample data, every result row checked against DuckDB's.

    .venv/bin/python benchmarks/bench_engines.py --tickets 100000
    .venv/bin/python benchmarks/bench_engines.py --tickets 100000 --engines duckdb,postgres

Each engine is timed twice: with the per-ticket facts kept in it (what a workspace serves
between imports; on PostgreSQL and Spark the import keeps them there: engine/remote.py) and
deriving every fact inside the request (a connector's tables, or settings the kept facts were
not made for). The data reaches PostgreSQL and Spark by `deskmetrics import` of the sample
folder (timed: the import on a DuckDB working copy and the tables sent to the engine).
PostgreSQL runs as a throwaway server from Debian's packages (the tests'
`tests/backends/postgres_server.py`); Spark in local mode with 2 cores. One machine: Spark pays
for its distribution machinery without the cluster that would repay it.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "backends"))

NOW = datetime(2026, 12, 7, 12, 0)


def _settings() -> Any:
    from bench_lifecycle import _settings as settings

    return settings(str(HERE.parent / "deskmetrics.toml"))


def _data(tickets: int, seed: int) -> Path:
    from deskmetrics.sample import generate

    folder = HERE / "data" / f"sample_{tickets}_seed{seed}"
    if not (folder / "tickets.parquet").exists():
        generate(folder, tickets=tickets, seed=seed, fmt="parquet")
    return folder


def _suite(ws: Any) -> tuple[Any, float]:
    import pandas_lifecycle as pl
    from deskmetrics.query import compute

    t0 = time.perf_counter()
    with pl.frozen_engine_clock(NOW):
        df = compute(ws, list(pl.SUITE), by=["channel"], grain="week")
    return df, time.perf_counter() - t0


def _differences(a: Any, b: Any) -> int:
    """Rows whose n differs or whose value/p50/p90 differ by more than 1e-6 (relative)."""
    keys = ["metric", "channel", "period"]
    a = a.sort_values(keys).reset_index(drop=True)
    b = b.sort_values(keys).reset_index(drop=True)
    if len(a) != len(b):
        return abs(len(a) - len(b)) or 1
    bad = 0
    for col in ("n", "value", "p50", "p90"):
        for x, y in zip(a[col], b[col], strict=True):
            xn = x is None or (isinstance(x, float) and math.isnan(x))
            yn = y is None or (isinstance(y, float) and math.isnan(y))
            if xn != yn or (not xn and abs(float(x) - float(y)) > 1e-6 * max(1.0, abs(float(x)))):
                bad += 1
    return bad


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tickets", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--engines", default="duckdb,postgres,spark")
    args = ap.parse_args()
    engines = args.engines.split(",")

    from deskmetrics.engine import Workspace, open_duckdb
    from deskmetrics.importers import import_directory

    settings = _settings()
    data = _data(args.tickets, args.seed)
    db = HERE / "data" / f"engines_{args.tickets}_seed{args.seed}.duckdb"
    if not db.exists():
        ws = open_duckdb(db, settings)
        import_directory(ws, data)
    ws = open_duckdb(db, settings)
    events = int(ws.backend.execute(ws.table("events").count()))
    print(f"# bench_engines {args.tickets:,} tickets ({events:,} events) — "
          f"{datetime.now():%Y-%m-%d %H:%M} UTC")  # fmt: skip
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    rows: list[tuple[str, str, float | None, float, int]] = []
    _suite(ws)  # kept facts current (made once, not timed)
    reference, kept_s = _suite(ws)
    rows.append(("duckdb", "kept facts", None, kept_s, 0))
    ws.keep_facts = False
    derived, derived_s = _suite(ws)
    rows.append(
        (
            "duckdb",
            "facts derived in the request",
            None,
            derived_s,
            _differences(reference, derived),
        )
    )
    ws.keep_facts = True

    def timed_import(target: Any) -> float:
        """`deskmetrics import` of the sample folder into the engine (a DuckDB working copy,
        the changed tables sent back, the facts kept there: engine/remote.py)."""
        t0 = time.perf_counter()
        import_directory(target, data)
        return time.perf_counter() - t0

    def both(engine: str, target: Any, load_s: float) -> None:
        """The suite with the facts kept in the engine, then derived inside the request."""
        _suite(target)  # (first request: the engine's caches warm)
        df, secs = _suite(target)
        rows.append((engine, "kept facts", load_s, secs, _differences(reference, df)))
        target.keep_facts = False
        df, secs = _suite(target)
        rows.append((engine, "facts derived in the request", None, secs,
                     _differences(reference, df)))  # fmt: skip

    if "postgres" in engines:
        from postgres_server import postgres, server_binaries

        from deskmetrics.engine.workspace import open_url

        if server_binaries() is None:
            print("postgres: skipped (no server binaries: apt-get install postgresql)")
        else:
            with postgres() as url:
                load_s = timed_import(open_url(url, settings, read_only=False))
                pws = open_url(url, settings)
                both("postgres 15", pws, load_s)
                pws.backend.disconnect()
    if "spark" in engines:
        if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
            print("spark: skipped (needs Java 17)")
        else:
            import tempfile

            import ibis
            from pyspark.sql import SparkSession

            warehouse = tempfile.mkdtemp(prefix="deskmetrics-spark-")
            session = (
                SparkSession.builder.master("local[2]")
                .appName("deskmetrics-bench")
                .config("spark.sql.session.timeZone", "UTC")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.driver.memory", "6g")
                .config("spark.sql.warehouse.dir", warehouse)
                .getOrCreate()
            )
            session.sparkContext.setLogLevel("ERROR")
            sws = Workspace(
                backend=ibis.pyspark.connect(session), settings=settings, keep_facts=True
            )
            both("pyspark local[2]", sws, timed_import(sws))
            session.stop()
            shutil.rmtree(warehouse, ignore_errors=True)

    print()
    print("| engine | how | `deskmetrics import` into it | lifecycle suite | rows differing "
          "from DuckDB |")  # fmt: skip
    print("|---|---|---:|---:|---:|")
    for engine, how, load_s, secs, bad in rows:
        load = "–" if load_s is None else f"{load_s:.1f} s"
        print(f"| {engine} | {how} | {load} | {secs:.1f} s | {bad} |")
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
