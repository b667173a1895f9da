"""Benchmark: the real importer (`import_directory`: read, validate, store in one transaction) on
the sample data set, against plain pandas reading the same Parquet files into DuckDB.

    .venv/bin/python benchmarks/bench_import.py --tickets 1000000 [--memory-limit 2GB]

Each side runs in its own child process so that peak RSS (VmHWM) is its own. The pandas side
is what a hand-written loader does without validation: read each file with pandas and insert
it into a DuckDB file. Prints wall time, rows/s, peak RSS and, for the importer, the summary.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_lifecycle import ensure_data, loadavg, peak_rss_mb  # noqa: E402


def cpu_s() -> float:
    """CPU seconds (user + system) of this process so far: on a shared machine wall time
    depends on the other processes, CPU time much less."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def child_importer(data: Path, db: Path, memory_limit: str | None) -> dict[str, Any]:
    from deskmetrics.config import Settings
    from deskmetrics.engine import open_duckdb
    from deskmetrics.importers import import_directory
    from synthetic import synthetic

    ws = open_duckdb(db, synthetic(Settings()))
    if memory_limit:
        ws.backend.raw_sql(f"SET memory_limit = '{memory_limit}'")
    phases: dict[str, float] = {}
    reading = "read, validate, stage"
    began, phase = [time.perf_counter()], [reading]  # the current phase: since when, which

    def progress(what: str, done: int, total: int) -> None:
        # a file's chunk was read, validated and staged; or a table's storing begins
        now = time.perf_counter()
        phases[phase[0]] = phases.get(phase[0], 0.0) + now - began[0]
        began[0], phase[0] = now, what if what.startswith("storing") else reading

    c0 = cpu_s()
    t0 = time.perf_counter()
    summary = import_directory(ws, data, progress=progress)
    wall = time.perf_counter() - t0
    progress("storing: end", 0, 0)  # the last table's phase takes the commit too
    phases.pop("storing: end", None)
    rows = {k: v.read for k, v in summary.tables.items()}
    return {
        "wall_s": wall,
        "cpu_s": cpu_s() - c0,
        "peak_rss_mb": peak_rss_mb(),
        "rows": rows,
        "phases": phases,
        "inserted": {k: v.inserted for k, v in summary.tables.items()},
        "rejected": summary.rejected,
    }


def child_pandas(data: Path, db: Path, memory_limit: str | None) -> dict[str, Any]:
    import duckdb
    import pandas as pd

    con = duckdb.connect(str(db))
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    c0 = cpu_s()
    t0 = time.perf_counter()
    rows: dict[str, int] = {}
    for path in sorted(data.glob("*.parquet")):
        frame = pd.read_parquet(path)
        con.register("frame", frame)
        con.execute(f'CREATE TABLE "{path.stem}" AS SELECT * FROM frame')
        con.unregister("frame")
        rows[path.stem] = len(frame)
        del frame
    wall = time.perf_counter() - t0
    return {"wall_s": wall, "cpu_s": cpu_s() - c0, "peak_rss_mb": peak_rss_mb(), "rows": rows}


def run_child(side: str, args: argparse.Namespace, data: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(dir=HERE / "data") as tmp:
        cmd = [
            sys.executable,
            __file__,
            "--child",
            side,
            "--data",
            str(data),
            "--db",
            str(Path(tmp) / "ws.duckdb"),
        ]
        if args.memory_limit:
            cmd += ["--memory-limit", args.memory_limit]
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            raise SystemExit(f"{side} failed:\n{out.stderr[-3000:]}")
        line = [x for x in out.stdout.splitlines() if x.startswith("RESULT ")][-1]
        return dict(json.loads(line[len("RESULT ") :]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--memory-limit", default=None, help="DuckDB memory_limit for both sides")
    ap.add_argument("--child", choices=["importer", "pandas"])
    ap.add_argument("--data")
    ap.add_argument("--db")
    args = ap.parse_args()
    if args.child:
        fn = child_importer if args.child == "importer" else child_pandas
        result = fn(Path(args.data), Path(args.db), args.memory_limit)
        print("RESULT " + json.dumps(result), flush=True)
        return
    (HERE / "data").mkdir(exist_ok=True)
    data, _ = ensure_data(args.tickets, args.seed, HERE / "data")
    limit = args.memory_limit or "DuckDB default (80% of RAM)"
    print(f"# bench_import {args.tickets:,} tickets — memory_limit {limit}, load {loadavg()}")
    for side in ("importer", "pandas"):
        r = run_child(side, args, data)
        total = sum(r["rows"].values())
        print(
            f"{side:9s} {r['wall_s']:7.1f} s (CPU {r['cpu_s']:.1f} s)  "
            f"{total / r['wall_s']:>10,.0f} rows/s  "
            f"peak RSS {r['peak_rss_mb']:>8,.0f} MiB  rows {r['rows']}"
            + (f"  rejected {r['rejected']}" if "rejected" in r else ""),
            flush=True,
        )
        if "phases" in r:
            shown = ", ".join(f"{k} {v:.1f} s" for k, v in r["phases"].items())
            print(f"          phases: {shown}", flush=True)
    print(f"load average at the end: {loadavg()}")


if __name__ == "__main__":
    main()
