"""Where a lifecycle request spends its time: each kept fact table's making and each aggregation
query, first with no fact kept (every table made), then again (facts kept), on an existing
benchmark workspace.

    .venv/bin/python benchmarks/profile_facts.py benchmarks/data/ws_1000000_seed7_direct.duckdb
    .venv/bin/python benchmarks/profile_facts.py WS --write-modes messages   # derive / temp / file
    .venv/bin/python benchmarks/profile_facts.py WS --quantiles              # 2 vs 1 aggregate

The workspace is the one bench_lifecycle.py loads (`--loader direct`); it is only read, except
that `--write-modes` creates and drops one scratch table in it.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def _open(args: argparse.Namespace) -> Any:
    from deskmetrics.config import load_settings
    from deskmetrics.engine.workspace import open_duckdb
    from synthetic import synthetic

    ws = open_duckdb(args.db, synthetic(load_settings(args.settings)))
    con = ws.backend.con
    con.execute(f"SET threads = {int(args.threads)}")
    con.execute(f"SET memory_limit = '{args.memory_limit}'")
    con.execute(f"SET temp_directory = '{Path(args.db).parent / 'duckdb_tmp'}'")
    return ws


def profile_request(args: argparse.Namespace) -> None:
    import pandas_lifecycle as pl
    from deskmetrics.engine import compile as compile_mod
    from deskmetrics.query import compute

    ws = _open(args)
    for t in ws.backend.list_tables():
        if t.startswith("_facts_"):
            ws.backend.raw_sql(f'DROP TABLE "{t}"')
    log: list[tuple[str, float, str]] = []
    run_query = compile_mod.execute
    create = ws.backend.create_table

    def timed_query(facts: Any, expr: Any) -> Any:
        t0 = time.perf_counter()
        df = run_query(facts, expr)
        cols = [c for c in df.columns if c == "n" or c.endswith("_n")]
        log.append(("query", time.perf_counter() - t0, ",".join(cols)[:70]))
        return df

    def timed_create(name: str, obj: Any = None, **kw: Any) -> Any:
        t0 = time.perf_counter()
        out = create(name, obj, **kw)
        log.append(("facts", time.perf_counter() - t0, name))
        return out

    compile_mod.execute = timed_query  # type: ignore[assignment]
    ws.backend.create_table = timed_create
    now = datetime.fromisoformat(args.now) if args.now else datetime.now()
    for run in ("make", "kept"):
        log.clear()
        t0 = time.perf_counter()
        with pl.frozen_engine_clock(now):
            compute(ws, list(pl.SUITE), by=["channel"], grain="week")
        wall = time.perf_counter() - t0
        print(f"{run}: {wall:.1f} s")
        for kind, s, what in log:
            print(f"  {kind:5} {s:7.2f} s  {what}")
    with open("/proc/self/status") as f:
        print(next(line.strip() for line in f if line.startswith("VmHWM")))


def write_modes(args: argparse.Namespace) -> None:
    """One fact table: derived only (count), into a temporary table, into the file."""
    import ibis

    from deskmetrics.engine.facts import Facts
    from deskmetrics.engine.kept import refresh

    ws = _open(args)
    assert refresh(ws)  # what every fact reads, kept first
    ws.keep_facts = False  # the table under test is derived inline
    expr = getattr(Facts(ws), args.write_modes)
    ws.backend._run_pre_execute_hooks(expr)
    sql = ibis.to_sql(expr, dialect="duckdb")
    con = ws.backend.con
    for mode, stmt in (
        ("derive (count only)", f"SELECT count(*) FROM ({sql})"),
        ("into a temporary table", f"CREATE OR REPLACE TEMP TABLE _bench_scratch AS {sql}"),
        ("into the workspace file", f"CREATE OR REPLACE TABLE _bench_scratch AS {sql}"),
    ):
        t0 = time.perf_counter()
        con.execute(stmt).fetchall()
        print(f"{args.write_modes} {mode}: {time.perf_counter() - t0:.2f} s", flush=True)
        con.execute("DROP TABLE IF EXISTS _bench_scratch")


def quantiles(args: argparse.Namespace) -> None:
    """Median and p90 of 8 duration facts by channel × week: two aggregates against one."""
    from deskmetrics.engine.kept import current_facts

    ws = _open(args)
    tickets = current_facts(ws).tickets_keyed  # kept first, so only the aggregation is timed
    ws.backend.execute(tickets.count())
    con = ws.backend.con
    cols = [
        f"{m}_{kind}minutes"
        for m in ("first_resolution", "full_resolution", "requester_wait", "agent_wait")
        for kind in ("", "business_")
    ]
    two = ", ".join(f"quantile_cont({c}, 0.5), quantile_cont({c}, 0.9)" for c in cols)
    one = ", ".join(f"quantile_cont({c}, [0.5, 0.9])" for c in cols)
    for label, aggs in (("two aggregates", two), ("one paired aggregate", one)):
        t0 = time.perf_counter()
        rows = con.execute(
            f"SELECT channel, date_trunc('week', last_solved_at) AS w, {aggs} "
            "FROM _facts_tickets GROUP BY ALL"
        ).fetchall()
        print(f"{label}: {time.perf_counter() - t0:.2f} s ({len(rows)} groups)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("db")
    ap.add_argument("--settings", default=str(HERE.parent / "deskmetrics.toml"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--memory-limit", default="4GB")
    ap.add_argument("--now", default="2026-11-23T16:09:07.013823")
    ap.add_argument("--write-modes", metavar="FACT", default="")
    ap.add_argument("--quantiles", action="store_true")
    args = ap.parse_args()
    if args.write_modes:
        write_modes(args)
    elif args.quantiles:
        quantiles(args)
    else:
        profile_request(args)


if __name__ == "__main__":
    main()
