"""Where a lifecycle request spends its time: each kept fact table's making and each aggregation
query, first with no fact kept (every table made), then again (facts kept), on an existing
benchmark workspace.

    .venv/bin/python benchmarks/profile_facts.py benchmarks/data/ws_1000000_seed7_direct.duckdb
    .venv/bin/python benchmarks/profile_facts.py WS --write-modes messages   # derive / temp / file
    .venv/bin/python benchmarks/profile_facts.py WS --quantiles              # 2 vs 1 aggregate
    .venv/bin/python benchmarks/profile_facts.py WS --explain tickets        # cost per operator
    .venv/bin/python benchmarks/profile_facts.py WS --stage-timeline         # timeline kept once?

The workspace is the one bench_lifecycle.py loads (`--loader direct`); it is only read, except
that `--write-modes` and `--explain` create and drop one scratch table in it (`--explain` and
`--stage-timeline` read the kept facts, made first when missing).
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


def _kept_builder(ws: Any, sink: Any = None) -> Any:
    """Facts as `kept._make_all` builds them, each table read back from the kept one (made
    first when missing) unless `sink` takes it."""
    from deskmetrics.engine.facts import Facts, kept_table
    from deskmetrics.engine.kept import IDS, refresh

    assert refresh(ws)

    def read(name: str, t: Any) -> Any:
        out = sink(name, t) if sink is not None else None
        return kept_table(ws, name) if out is None else out

    return Facts(ws, ids=ws.backend.table(IDS), sink=read)


def _operators(node: dict[str, Any], depth: int, out: list[str]) -> None:
    """The operators of a DuckDB profile taking 0.05 s or more, indented by depth."""
    kind = node.get("operator_type") or node.get("operator_name") or ""
    secs, rows = node.get("operator_timing", 0.0), node.get("operator_cardinality", 0)
    if kind and kind != "EXPLAIN_ANALYZE" and secs >= 0.05:
        extra = node.get("extra_info", {})
        keys = ("Table", "Conditions", "Groups")
        what = next((str(extra[k])[:90] for k in keys if k in extra), "")
        out.append(f"{'  ' * depth}{kind} {secs:.2f} s, {rows:,} rows  {what}")
    for child in node.get("children", []):
        _operators(child, depth + 1, out)


def explain(args: argparse.Namespace) -> None:
    """EXPLAIN ANALYZE of making one kept fact table (the others read as kept): seconds and
    rows per operator (operators under 0.05 s left out)."""
    import json

    import ibis

    ws = _open(args)
    con = ws.backend.con
    from deskmetrics.engine.kept import KEPT

    def sink(name: str, t: Any) -> Any:
        if name != args.explain:
            return None
        ws.backend._run_pre_execute_hooks(t)
        sql = ibis.to_sql(t, dialect="duckdb")
        con.execute("PRAGMA enable_profiling = 'json'")
        plan = con.execute(f"EXPLAIN ANALYZE CREATE OR REPLACE TABLE _bench_scratch AS {sql}")
        tree = json.loads(plan.fetchall()[0][1])
        con.execute("PRAGMA disable_profiling")
        con.execute("DROP TABLE IF EXISTS _bench_scratch")
        lines: list[str] = []
        _operators(tree, 0, lines)
        print(f"{name}: {tree.get('latency', 0):.2f} s, cpu {tree.get('cpu_time', 0):.2f} s")
        print("\n".join(lines))
        return None

    b = _kept_builder(ws, sink)
    getattr(b, KEPT[args.explain])


def stage_timeline(args: argparse.Namespace) -> None:
    """Messages and status stretches (into temporary tables) with the timeline derived in each,
    against the timeline kept once in a temporary table and read by both."""
    import ibis

    ws = _open(args)
    con = ws.backend.con

    def run(label: str, sql: str) -> float:
        t0 = time.perf_counter()
        con.execute(sql)
        secs = time.perf_counter() - t0
        print(f"  {label}: {secs:.2f} s", flush=True)
        return secs

    def made(staged: bool) -> float:
        sqls: dict[str, str] = {}

        def sink(name: str, t: Any) -> Any:
            if name in ("messages", "status_stretches"):
                ws.backend._run_pre_execute_hooks(t)
                sqls[name] = str(ibis.to_sql(t, dialect="duckdb"))
            return None

        b = _kept_builder(ws, sink)
        total = 0.0
        if staged:
            tl = b.timeline
            ws.backend._run_pre_execute_hooks(tl)
            sql = ibis.to_sql(tl, dialect="duckdb")
            total += run("timeline", f"CREATE OR REPLACE TEMP TABLE _bench_tl AS {sql}")
            b.__dict__["timeline"] = ws.backend.table("_bench_tl")
        b.messages, b.status_stretches  # noqa: B018 (built for their SQL)
        for name, sql in sqls.items():
            total += run(name, f"CREATE OR REPLACE TEMP TABLE _bench_{name} AS {sql}")
        return total

    for staged in (False, True, False, True):
        print("timeline kept once:" if staged else "timeline derived in each:", flush=True)
        print(f"  total {made(staged):.2f} s", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("db")
    ap.add_argument("--settings", default=str(HERE.parent / "deskmetrics.toml"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--memory-limit", default="4GB")
    ap.add_argument("--now", default="2026-11-23T16:09:07.013823")
    ap.add_argument("--write-modes", metavar="FACT", default="")
    ap.add_argument("--quantiles", action="store_true")
    ap.add_argument("--explain", metavar="FACT", default="")
    ap.add_argument("--stage-timeline", action="store_true")
    args = ap.parse_args()
    if args.write_modes:
        write_modes(args)
    elif args.quantiles:
        quantiles(args)
    elif args.explain:
        explain(args)
    elif args.stage_timeline:
        stage_timeline(args)
    else:
        profile_request(args)


if __name__ == "__main__":
    main()
