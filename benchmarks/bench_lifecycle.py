"""Benchmark: the ticket-lifecycle suite by channel × week, deskmetrics on DuckDB against the
plain pandas version in benchmarks/pandas_lifecycle.py.

    .venv/bin/python benchmarks/bench_lifecycle.py --tickets 1000000 [--check]

1. Generates the sample data set (`deskmetrics.sample.generate`, Parquet) once, cached under
   benchmarks/data/sample_<N>_seed<S>/ (git-ignored).
2. Loads it into a fresh DuckDB workspace file, in a child process: with the real importer
   (`import_directory`), or — `--loader direct`, the default above 2M tickets — straight from the
   Parquet files with `INSERT INTO … SELECT … FROM read_parquet(…)`, because the importer holds
   every validated row in pandas before storing it (see RESULTS.md). Import time, rows/s and
   peak RSS are printed.
3. Runs (a) `compute(ws, SUITE, by=["channel"], grain="week")` on the DuckDB file and (b)
   `compute_lifecycle` (pandas) on the Parquet files, each in its own child process so that peak
   RSS (VmHWM) is clean, and prints wall time, peak RSS, tickets/s and the ratios against the
   targets. Both use the same "now" for the last backlog snapshot.
4. `--check` compares the two results (every n equal, floats within 1e-6).
   `--profile` times each metric of the engine separately and prints the slowest queries.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

#: targets from the issue (for 10M tickets on a 2-core machine)
TARGET_WALL_S = 60.0
TARGET_PEAK_BYTES = 6e9
TARGET_SPEEDUP = 3.0
TARGET_MEMORY_RATIO = 0.5
#: above this many tickets the default loader is `direct` (see the module docstring)
IMPORTER_MAX_TICKETS = 2_000_000


def peak_rss_mb() -> float:
    """Peak resident set size of this process (VmHWM), in MiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _emit(result: dict[str, Any]) -> None:
    print("RESULT " + json.dumps(result), flush=True)


# --- children -------------------------------------------------------------------------------


def _settings(path: str) -> Any:
    from deskmetrics.config import load_settings
    from synthetic import synthetic

    return synthetic(load_settings(path))


def _duckdb_setup(ws: Any, args: argparse.Namespace) -> None:
    ws.backend.raw_sql(f"SET threads = {int(args.threads)}")
    ws.backend.raw_sql(f"SET memory_limit = '{args.memory_limit}'")
    ws.backend.raw_sql(f"SET temp_directory = '{Path(args.db).parent / 'duckdb_tmp'}'")


def child_load(args: argparse.Namespace) -> None:
    import pyarrow.parquet as pq

    from deskmetrics.engine.store import SQL_TYPES, load, q
    from deskmetrics.engine.workspace import open_duckdb
    from deskmetrics.importers import import_directory
    from deskmetrics.importers.canonical import read_file
    from deskmetrics.model import TABLES, validate

    data = Path(args.data)
    ws = open_duckdb(args.db, _settings(args.settings))
    _duckdb_setup(ws, args)
    la0 = loadavg()
    t0 = time.perf_counter()
    counts: dict[str, int] = {}
    rejected = 0
    if args.loader == "importer":
        summary = import_directory(ws, data)
        counts = {k: v.inserted for k, v in summary.tables.items()}
        rejected = summary.rejected
    else:
        con = ws.backend.con
        for name in ("tickets", "events", "customers", "agents"):
            path = data / f"{name}.parquet"
            if not path.exists():
                continue
            spec = TABLES[name]
            have = pq.read_schema(path).names
            extra = [c for c in have if c not in spec.column_names] if spec.keeps_extra else []
            for x in extra:
                con.execute(f"ALTER TABLE {q(name)} ADD COLUMN IF NOT EXISTS {q(x)} VARCHAR")
            cols, exprs = [], []
            for c in spec.columns:
                typ = SQL_TYPES[c.kind]
                if c.name in have:
                    e = f"CAST({q(c.name)} AS {typ})"
                    if c.default is not None:
                        e = f"COALESCE({e}, CAST('{c.default}' AS {typ}))"
                else:
                    e = f"CAST(NULL AS {typ})" if c.default is None else f"'{c.default}'"
                cols.append(q(c.name))
                exprs.append(e)
            cols += [q(x) for x in extra]
            exprs += [f"CAST({q(x)} AS VARCHAR)" for x in extra]
            con.execute(
                f"INSERT INTO {q(name)} ({', '.join(cols)}) SELECT {', '.join(exprs)} "
                f"FROM read_parquet('{path}')"
            )
            row = con.execute(f"SELECT count(*) FROM {q(name)}").fetchone()
            counts[name] = int(row[0]) if row else 0
        # costs (small; its key is a hash of the row) go through validation and the store
        if (data / "costs.parquet").exists():
            frames = [validate(sf) for sf in read_file("costs", data / "costs.parquet")]
            summary = load(con, frames, source=f"bench:{data}")
            counts.update({k: v.inserted for k, v in summary.tables.items()})
            rejected = summary.rejected
        ws.backend.raw_sql("CHECKPOINT")
    wall = time.perf_counter() - t0
    _emit(
        {
            "engine": f"import ({args.loader})",
            "wall_s": wall,
            "peak_rss_mb": peak_rss_mb(),
            "rows": counts,
            "rejected": rejected,
            "load_before": la0,
            "load_after": loadavg(),
        }
    )


#: the day's import timed by phase "import": about one day of the 10M data set (13,700 a day)
DAY_TICKETS = 10_000
DAY_PREFIX = "day-"


def _drop_kept_facts(ws: Any) -> None:
    """Forget every fact table kept in the workspace (and the tickets' numbering)."""
    for t in ws.backend.list_tables():
        if t.startswith("_facts_"):
            ws.backend.raw_sql(f'DROP TABLE "{t}"')


def _day_import(ws: Any, data: Path) -> tuple[float, int, int]:
    """Import (validation and the store, as `deskmetrics import` does) DAY_TICKETS new tickets
    and their events: copies of sample tickets under new ids, from the same requesters (so
    that they are repeat contacts of stored tickets). Seconds, tickets, events."""
    from deskmetrics.engine.store import load
    from deskmetrics.model import TABLES, SourceFrame, validate

    con = ws.backend.con
    limits = ws.settings.limits
    tickets = con.execute(
        f"SELECT * FROM read_parquet('{data / 'tickets.parquet'}') "
        f"ORDER BY hash(ticket_id) LIMIT {DAY_TICKETS}"
    ).df()
    con.register("_day_tickets", tickets[["ticket_id"]])
    events = con.execute(
        f"SELECT * FROM read_parquet('{data / 'events.parquet'}') "
        "WHERE ticket_id IN (SELECT ticket_id FROM _day_tickets)"
    ).df()
    con.unregister("_day_tickets")
    tickets["ticket_id"] = DAY_PREFIX + tickets["ticket_id"]
    events["ticket_id"] = DAY_PREFIX + events["ticket_id"]
    events["event_id"] = DAY_PREFIX + events["event_id"]
    t0 = time.perf_counter()
    frames = [
        # the workspace's limits (the synthetic data lies partly ahead of the clock)
        validate(SourceFrame(TABLES["tickets"], "day/tickets.parquet", tickets), None, limits),
        validate(SourceFrame(TABLES["events"], "day/events.parquet", events), None, limits),
    ]
    summary = load(con, frames, source="bench: a day's import")
    if summary.rejects:
        raise SystemExit(f"the day's import rejected rows: {summary.rejects[:3]}")
    return time.perf_counter() - t0, len(tickets), len(events)


def _forget_day_import(ws: Any) -> None:
    """Remove the day's import again (the benchmark data stays what pandas reads); the kept
    facts no longer add up and are made again by the next run's first phase."""
    con = ws.backend.con
    con.execute(f"DELETE FROM events WHERE ticket_id LIKE '{DAY_PREFIX}%'")
    con.execute(f"DELETE FROM tickets WHERE ticket_id LIKE '{DAY_PREFIX}%'")
    con.execute("DELETE FROM _imports WHERE source = 'bench: a day''s import'")
    con.execute("DELETE FROM _touched WHERE ticket_id LIKE ?", [DAY_PREFIX + "%"])


def child_deskmetrics(args: argparse.Namespace) -> None:
    """One request of the suite, in one of three situations (`--phase`):

    * `make`: no fact kept yet (the first request after a bulk load, or after the schedules or
      the FCR window changed): it derives every per-ticket fact from the events and keeps them
      in the workspace file;
    * `kept`: facts kept and current, in a new process: what every request meets between
      imports (the dashboard, the API, alerts, the CLI);
    * `import`: after a day's import through the store: the request first brings the kept facts
      of the touched tickets (and their requesters' other tickets) up to date.
    """
    import pandas_lifecycle as pl
    from deskmetrics.engine.workspace import open_duckdb
    from deskmetrics.query import compute

    ws = open_duckdb(args.db, _settings(args.settings))
    _duckdb_setup(ws, args)
    now = datetime.fromisoformat(args.now)
    extra: dict[str, Any] = {}
    if args.phase == "make":
        _drop_kept_facts(ws)
    elif args.phase == "import":
        secs, n_t, n_e = _day_import(ws, Path(args.data))
        extra = {"import_s": secs, "import_tickets": n_t, "import_events": n_e}
    la0 = loadavg()
    t0 = time.perf_counter()
    try:
        with pl.frozen_engine_clock(now):
            df = compute(ws, list(pl.SUITE), by=["channel"], grain="week")
    finally:
        if args.phase == "import":
            _forget_day_import(ws)
    wall = time.perf_counter() - t0
    rss = peak_rss_mb()
    if args.out:
        pl.engine_rows(df).to_parquet(args.out)
    _emit(
        {
            "engine": f"deskmetrics (DuckDB), {args.phase}",
            "phase": args.phase,
            "wall_s": wall,
            "peak_rss_mb": rss,
            "result_rows": len(df),
            "load_before": la0,
            "load_after": loadavg(),
            **extra,
        }
    )


def child_pandas(args: argparse.Namespace) -> None:
    import pandas_lifecycle as pl

    settings = _settings(args.settings)
    now = datetime.fromisoformat(args.now)
    la0 = loadavg()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    df = pl.compute_lifecycle(args.data, settings, now=now, timings=timings)
    wall = time.perf_counter() - t0
    rss = peak_rss_mb()
    if args.out:
        df.to_parquet(args.out)
    _emit(
        {
            "engine": "pandas",
            "wall_s": wall,
            "peak_rss_mb": rss,
            "result_rows": len(df),
            "steps_s": {k: round(v, 2) for k, v in timings.items()},
            "load_before": la0,
            "load_after": loadavg(),
        }
    )


def _operators(node: dict[str, Any], out: list[dict[str, Any]]) -> None:
    name = node.get("operator_name") or node.get("operator_type") or node.get("name")
    if name:
        extra = node.get("extra_info", "")
        out.append(
            {
                "operator": str(name).strip(),
                "s": float(node.get("operator_timing", node.get("timing", 0.0)) or 0.0),
                "rows": int(node.get("operator_cardinality", node.get("cardinality", 0)) or 0),
                "info": json.dumps(extra)[:160] if extra else "",
            }
        )
    for c in node.get("children", []):
        _operators(c, out)


def child_profile(args: argparse.Namespace) -> None:
    """Where compute() spends its time: (1) the same loop as compute(), timed per metric (fact
    tables are materialized by the first metric that reads them); (2) each fact table built on
    its own (compiled SQL, CREATE TEMP TABLE … AS); (3) DuckDB's operator profile of the
    per-ticket facts query, the slowest operators first."""
    import pandas_lifecycle as pl
    from deskmetrics.engine import Facts, run_metric
    from deskmetrics.engine.workspace import open_duckdb
    from deskmetrics.query import build_query

    ws = open_duckdb(args.db, _settings(args.settings))
    _duckdb_setup(ws, args)
    ws.keep_facts = False  # facts derived in the request, tables kept for it alone
    now = datetime.fromisoformat(args.now)
    per: dict[str, float] = {}
    with pl.frozen_engine_clock(now):
        t0 = time.perf_counter()
        q = build_query(ws, list(pl.SUITE), by=["channel"], grain="week")
        facts = Facts(ws, materialize=True)
        _ = facts.calendar
        per["(calendar)"] = time.perf_counter() - t0
        for m in q.metrics:
            t = time.perf_counter()
            run_metric(facts, m, q.request)
            per[m.name] = time.perf_counter() - t
        del facts
        con = ws.backend.con
        alone = Facts(ws)
        fact_s: dict[str, float] = {}
        sql: dict[str, str] = {}
        for name in ("tickets_base", "timeline", "messages", "replies", "status_stretches"):
            expr = getattr(alone, name)
            ws.backend._run_pre_execute_hooks(expr)  # registers the calendar memtable
            sql[name] = str(ws.backend.compile(expr))
            t = time.perf_counter()
            con.execute(f"CREATE OR REPLACE TEMP TABLE _prof AS {sql[name]}")
            fact_s[name] = time.perf_counter() - t
        expr = alone.tickets
        ws.backend._run_pre_execute_hooks(expr)
        sql["tickets"] = str(ws.backend.compile(expr))
        prof_file = f"{args.out}.tickets_profile.json"
        con.execute("PRAGMA enable_profiling = 'json'")
        con.execute(f"PRAGMA profiling_output = '{prof_file}'")
        t = time.perf_counter()
        con.execute(f"CREATE OR REPLACE TEMP TABLE _prof AS {sql['tickets']}")
        fact_s["tickets (all facts, one query)"] = time.perf_counter() - t
        con.execute("PRAGMA disable_profiling")
    Path(f"{args.out}.sql").write_text("\n\n".join(f"-- {k}\n{v};" for k, v in sql.items()))
    ops: list[dict[str, Any]] = []
    with contextlib.suppress(OSError, ValueError):
        _operators(json.loads(Path(prof_file).read_text()), ops)
    ops.sort(key=lambda o: -o["s"])
    _emit(
        {
            "engine": "profile",
            "per_metric_s": {k: round(v, 2) for k, v in per.items()},
            "total_s": sum(per.values()),
            "fact_tables_alone_s": {k: round(v, 2) for k, v in fact_s.items()},
            "tickets_query_top_operators": ops[:15],
            "peak_rss_mb": peak_rss_mb(),
        }
    )


# --- parent -----------------------------------------------------------------------------------


def run_child(kind: str, args: argparse.Namespace, **extra: str) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind]
    opts = {
        "--data": str(args.data),
        "--db": str(args.db),
        "--settings": args.settings,
        "--threads": str(args.threads),
        "--memory-limit": args.memory_limit,
        "--loader": args.loader,
        "--now": args.now,
        **extra,
    }
    for k, v in opts.items():
        cmd += [k, v]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"child {kind} failed (exit {proc.returncode})")
    return dict(json.loads(lines[-1][len("RESULT ") :]))


def ensure_data(tickets: int, seed: int, data_dir: Path) -> tuple[Path, dict[str, int]]:
    from deskmetrics.sample import generate

    folder = data_dir / f"sample_{tickets}_seed{seed}"
    marker = folder / "COMPLETE"
    if marker.exists():
        import pyarrow.parquet as pq

        rows = {p.stem: pq.read_metadata(p).num_rows for p in folder.glob("*.parquet")}
        print(f"data: reusing {folder} ({rows})", flush=True)
        return folder, rows
    if folder.exists():
        shutil.rmtree(folder)
    print(f"data: generating {tickets:,} tickets into {folder} …", flush=True)
    t0 = time.perf_counter()
    rows = generate(folder, tickets=tickets, seed=seed, fmt="parquet")
    marker.write_text(json.dumps(rows))
    print(f"data: generated in {time.perf_counter() - t0:.1f} s: {rows}", flush=True)
    return folder, rows


PHASES = ("make", "kept", "import")


def _measure(
    engine: str, args: argparse.Namespace, out: Path, data_dir: Path, skip: bool
) -> dict[str, Any] | None:
    """Best of `--repeat` runs of one engine, each in a fresh child process; with `skip`, the
    last measurement stored for this size and engine (runs can be done one engine at a time).
    deskmetrics is measured in its three phases (see child_deskmetrics), in order, each run;
    the result is the `kept` phase with the others under "phases"."""
    saved = data_dir / f"run_{args.tickets}_{engine}.json"
    if skip:
        if not saved.exists():
            return None
        r = dict(json.loads(saved.read_text()))
        print(f"{engine}: using the run stored in {saved} ({r.get('measured_at', '?')})")
        return r
    best: dict[str, Any] | None = None
    for i in range(args.repeat):
        if engine == "deskmetrics":
            phases = {}
            for phase in PHASES:
                target = out if phase == "kept" else out.with_suffix(f".{phase}.parquet")
                phases[phase] = run_child(engine, args, **{"--out": str(target), "--phase": phase})
                p = phases[phase]
                print(
                    f"deskmetrics run {i + 1}, {phase}: {p['wall_s']:.1f} s, "
                    f"{p['peak_rss_mb']:,.0f} MiB",
                    flush=True,
                )
            r = {**phases["kept"], "phases": phases}
        else:
            r = run_child(engine, args, **{"--out": str(out)})
        r["measured_at"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        r["memory_limit"] = args.memory_limit if engine == "deskmetrics" else None
        r["threads"] = args.threads if engine == "deskmetrics" else None
        steps = f", steps {r['steps_s']}" if "steps_s" in r else ""
        print(f"{engine} run {i + 1}: {r['wall_s']:.1f} s, {r['peak_rss_mb']:,.0f} MiB{steps}")
        sys.stdout.flush()
        best = r if best is None or r["wall_s"] < best["wall_s"] else best
    assert best is not None
    saved.write_text(json.dumps(best, indent=2))
    return best


def _fmt_row(r: dict[str, Any], tickets: int) -> str:
    return (
        f"| {r['engine']:<22} | {r['wall_s']:>8.1f} | {r['peak_rss_mb']:>10,.0f} "
        f"| {tickets / r['wall_s']:>12,.0f} "
        f"| {r.get('load_before', '')} → {r.get('load_after', '')} |"
    )


def parent(args: argparse.Namespace) -> None:
    import pandas_lifecycle as pl

    started = datetime.now(UTC)
    print(f"# bench_lifecycle {args.tickets:,} tickets — {started:%Y-%m-%d %H:%M} UTC")
    print(f"machine: {os.cpu_count()} cores, load average {loadavg()}", flush=True)
    data_dir = Path(args.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    data, rows = ensure_data(args.tickets, args.seed, data_dir)
    args.data = data
    if args.loader == "auto":
        args.loader = "importer" if args.tickets <= IMPORTER_MAX_TICKETS else "direct"
    args.db = data_dir / f"ws_{args.tickets}_seed{args.seed}_{args.loader}.duckdb"
    args.now = args.now or started.replace(tzinfo=None).isoformat()
    events = rows.get("events", 0)
    print(
        f"duckdb: threads={args.threads}, memory_limit={args.memory_limit}; "
        f"backlog 'now' = {args.now}",
        flush=True,
    )

    results: dict[str, Any] = {"tickets": args.tickets, "events": events, "now": args.now}
    if args.reuse_workspace and Path(args.db).exists():
        print(f"import: reusing {args.db}", flush=True)
    else:
        for p in Path(args.db).parent.glob(Path(args.db).name + "*"):
            p.unlink()
        if args.loader == "direct":
            print(
                "import: loader = direct — INSERT INTO … SELECT … FROM read_parquet(…) for "
                "tickets, events, customers, agents (costs through validation and the store); "
                "the real importer keeps every validated row in pandas and does not fit this size",
                flush=True,
            )
        imp = run_child("load", args)
        results["import"] = imp
        total = sum(imp["rows"].values())
        print(
            f"import ({args.loader}): {imp['wall_s']:.1f} s, {total / imp['wall_s']:,.0f} rows/s "
            f"({imp['rows']}), rejected {imp['rejected']}, peak RSS {imp['peak_rss_mb']:,.0f} MiB, "
            f"load {imp['load_before']} → {imp['load_after']}",
            flush=True,
        )

    if args.load_only:
        return
    out_dm = data_dir / f"result_{args.tickets}_deskmetrics.parquet"
    out_pd = data_dir / f"result_{args.tickets}_pandas.parquet"
    dm = _measure("deskmetrics", args, out_dm, data_dir, skip=args.skip_deskmetrics)
    pd_ = _measure("pandas", args, out_pd, data_dir, skip=args.skip_pandas)
    if dm is None:
        raise SystemExit("no deskmetrics measurement (run without --skip-deskmetrics first)")
    results["deskmetrics"] = dm
    results["pandas"] = pd_

    n = args.tickets
    print()
    print(
        "| engine                 |   wall s | peak RSS MiB |    tickets/s "
        "| load avg (1/5/15 min) before → after |"
    )
    print("|---|---:|---:|---:|---|")
    phases = dm.get("phases", {})
    for phase in ("make", "import"):
        if phase in phases:
            print(_fmt_row(phases[phase], n))
    print(_fmt_row(dm, n))
    if pd_:
        print(_fmt_row(pd_, n))
    if "make" in phases:
        mk = phases["make"]
        print(
            f"make: the first request after a bulk load or a settings change derives every "
            f"per-ticket fact and keeps it: {mk['wall_s']:.1f} s, {mk['peak_rss_mb']:,.0f} MiB"
            + (f" ({pd_['wall_s'] / mk['wall_s']:.2f}× pandas' speed)" if pd_ else "")
        )
    if "import" in phases:
        im = phases["import"]
        print(
            f"import: a day's import of {im['import_tickets']:,} tickets and "
            f"{im['import_events']:,} events through the store took {im['import_s']:.1f} s; "
            f"the next request, which first brings the kept facts up to date, "
            f"{im['wall_s']:.1f} s"
        )
    rows_total = n + events
    print(
        f"\nrows/s (tickets + events = {rows_total:,}): "
        f"deskmetrics {rows_total / dm['wall_s']:,.0f}"
        + (f", pandas {rows_total / pd_['wall_s']:,.0f}" if pd_ else "")
    )
    checks = [
        (
            f"deskmetrics wall < {TARGET_WALL_S:.0f} s",
            dm["wall_s"] < TARGET_WALL_S,
            f"{dm['wall_s']:.1f} s",
        ),
        (
            "deskmetrics peak < 6 GB",
            dm["peak_rss_mb"] * 2**20 < TARGET_PEAK_BYTES,
            f"{dm['peak_rss_mb'] * 2**20 / 1e9:.2f} GB",
        ),
    ]
    if pd_:
        speed = pd_["wall_s"] / dm["wall_s"]
        mem = dm["peak_rss_mb"] / pd_["peak_rss_mb"]
        results["speedup"], results["memory_ratio"] = speed, mem
        print(
            f"ratios: pandas/deskmetrics time = {speed:.2f}×, "
            f"deskmetrics/pandas peak memory = {mem:.2f}"
        )
        checks += [
            (
                f"≥ {TARGET_SPEEDUP:.0f}× faster than pandas",
                speed >= TARGET_SPEEDUP,
                f"{speed:.2f}×",
            ),
            (
                f"≤ {TARGET_MEMORY_RATIO:.1f} × pandas peak memory",
                mem <= TARGET_MEMORY_RATIO,
                f"{mem:.2f}",
            ),
        ]
    scope = "" if n >= 10_000_000 else " (the time and memory targets are for 10M tickets)"
    print(f"targets{scope}:")
    for what, ok, got in checks:
        print(f"  {'MET   ' if ok else 'MISSED'} {what}: {got}")
    results["targets"] = {what: ok for what, ok, _ in checks}

    if args.check and pd_:
        import pandas as pd

        expected = pd.read_parquet(out_pd)
        for label, path in (("kept", out_dm), ("make", out_dm.with_suffix(".make.parquet"))):
            if not path.exists():
                continue
            problems = pl.compare(expected, pd.read_parquet(path))
            results[f"check_{label}"] = problems
            print(
                f"\ncheck (pandas vs deskmetrics {label}, {n:,} tickets): "
                + pl.summary_line(problems, len(expected))
            )
            for p in problems[:40]:
                print("  " + p)
    if args.profile:
        prof = run_child("profile", args, **{"--out": str(data_dir / f"profile_{n}")})
        results["profile"] = prof
        print("\nprofile (seconds per metric, facts materialized by the first that needs them):")
        for k, v in sorted(prof["per_metric_s"].items(), key=lambda kv: -kv[1]):
            print(f"  {v:8.2f}  {k}")
        print("fact tables built alone (each includes what it reads):")
        for k, v in prof["fact_tables_alone_s"].items():
            print(f"  {v:8.2f}  {k}")
        print("slowest operators of the per-ticket facts query (DuckDB profile):")
        for o in prof["tickets_query_top_operators"]:
            print(f"  {o['s']:8.2f} s  {o['rows']:>12,} rows  {o['operator']}  {o['info'][:90]}")
    (data_dir / f"bench_{n}.json").write_text(json.dumps(results, indent=2, default=str))
    print(f"\nload average at the end: {loadavg()}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--check", action="store_true", help="compare the two results")
    ap.add_argument("--profile", action="store_true", help="time every metric of the engine")
    ap.add_argument("--data-dir", default=str(HERE / "data"))
    ap.add_argument("--settings", default=str(ROOT / "deskmetrics.toml"))
    ap.add_argument("--loader", choices=["auto", "importer", "direct"], default="auto")
    ap.add_argument(
        "--reuse-workspace",
        action="store_true",
        help="keep an existing workspace file instead of importing again",
    )
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--memory-limit", default="4GB", help="DuckDB memory_limit")
    ap.add_argument("--repeat", type=int, default=1, help="runs per engine (best is reported)")
    ap.add_argument(
        "--skip-pandas", action="store_true", help="reuse the stored pandas run of this size"
    )
    ap.add_argument(
        "--skip-deskmetrics",
        action="store_true",
        help="reuse the stored deskmetrics run of this size",
    )
    ap.add_argument("--now", default="", help="naive UTC instant of the last backlog snapshot")
    # internal: child processes
    ap.add_argument(
        "--load-only",
        action="store_true",
        help="generate and load the workspace, then stop (bench_sla.py and others reuse it)",
    )
    ap.add_argument("--child", choices=["load", "deskmetrics", "pandas", "profile"])
    ap.add_argument("--phase", choices=["make", "kept", "import"], default="kept")
    ap.add_argument("--data", default="")
    ap.add_argument("--db", default="")
    ap.add_argument("--out", default="")
    args = ap.parse_args(argv)
    if args.child:
        {
            "load": child_load,
            "deskmetrics": child_deskmetrics,
            "pandas": child_pandas,
            "profile": child_profile,
        }[args.child](args)
        return
    parent(args)


if __name__ == "__main__":
    main()
