"""Benchmark: `deskmetrics import --from zendesk DIR` on a generated Zendesk export of N tickets.

    .venv/bin/python benchmarks/bench_zendesk_import.py --tickets 1000000 [--dir DIR] [--seed 7]

The export (benchmarks/gen_zendesk_export.py: JSON Lines pages of 1,000 records, ~7 mapped
audit events per ticket) is generated once and cached in benchmarks/data/zendesk-text-N-seedS
(or --dir). The import runs as the CLI does it — read, validate, store in one transaction,
then the per-ticket facts — in a child process on a fresh workspace, so that its wall time
and peak RSS (getrusage of the child) are its own. Prints the export's size, wall time,
records/s, peak RSS and rows stored per table, and one RESULT line (JSON) with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
sys.path.insert(0, str(HERE))

from gen_zendesk_export import generate  # noqa: E402

CHILD = "from deskmetrics.cli import main; main()"


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def ensure_export(tickets: int, seed: int, directory: Path | None) -> tuple[Path, dict[str, int]]:
    """The export folder, generated unless a complete one is cached there."""
    out = directory or HERE / "data" / f"zendesk-text-{tickets}-seed{seed}"
    done = out / "counts.txt"  # written last: a folder without it is incomplete
    if done.is_file():
        return out, dict(json.loads(done.read_text()))
    print(f"# generating {tickets:,} tickets into {out} …", flush=True)
    t0 = time.perf_counter()
    counts = generate(out, tickets, seed, texts=True)
    print(f"# generated in {time.perf_counter() - t0:.0f} s: {counts}", flush=True)
    done.write_text(json.dumps(counts))
    return out, counts


def run_import(export: Path, timeout: float | None) -> dict[str, Any]:
    """`deskmetrics --db FRESH import --from zendesk EXPORT --format json` in a child."""
    (HERE / "data").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=HERE / "data") as tmp:
        db = Path(tmp) / "ws.duckdb"
        cmd = [sys.executable, "-c", CHILD, "--db", str(db)]
        cmd += ["import", "--from", "zendesk", str(export), "--format", "json"]
        env = {**os.environ, "PYTHONPATH": str(SRC)}
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        before = ru0.ru_maxrss
        t0 = time.perf_counter()
        out = subprocess.run(
            cmd, capture_output=True, text=True, check=False, env=env, cwd=tmp, timeout=timeout
        )
        wall = time.perf_counter() - t0
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak = ru.ru_maxrss  # KiB, max over children
        # CPU seconds of the child: on a shared machine wall time depends on the others
        cpu = ru.ru_utime + ru.ru_stime - ru0.ru_utime - ru0.ru_stime
        if out.returncode != 0:
            raise SystemExit(f"import failed ({out.returncode}):\n{out.stderr[-3000:]}")
        summary = json.loads(out.stdout.strip().splitlines()[-1])
        db_mb = db.stat().st_size / 2**20 if db.exists() else 0.0
    if peak <= before:  # an earlier child was larger: this child's own peak is unknown
        print("# warning: peak RSS is that of an earlier child", file=sys.stderr)
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 1),
        "peak_rss_mb": round(peak / 1024),
        "workspace_mb": round(db_mb),
        "rows": {k: v["inserted"] for k, v in summary["tables"].items()},
        "rejected": summary["rejected_rows"],
        "notes": summary["notes"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--dir", type=Path, default=None, help="export folder (made if absent)")
    ap.add_argument("--timeout", type=float, default=None, help="give up after so many seconds")
    args = ap.parse_args()
    export, counts = ensure_export(args.tickets, args.seed, args.dir)
    size_mb = sum(p.stat().st_size for p in export.glob("*.json")) / 1e6
    print(
        f"# bench_zendesk_import {args.tickets:,} tickets: {counts['audits']:,} audits, "
        f"{counts['events']:,} audit events ({counts['mapped']:,} of mapped kinds), "
        f"{counts['users']:,} users, {counts['ratings']:,} ratings; {size_mb:,.0f} MB of JSON; "
        f"load {loadavg()}",
        flush=True,
    )
    r = run_import(export, args.timeout)
    stored = sum(r["rows"].values())
    print(
        f"importer {r['wall_s']:7.1f} s (CPU {r['cpu_s']:.1f} s)  "
        f"{stored / r['wall_s']:>9,.0f} rows/s  "
        f"{size_mb / r['wall_s']:6.1f} MB/s  peak RSS {r['peak_rss_mb']:>7,} MiB  "
        f"workspace {r['workspace_mb']:,} MiB  rows {r['rows']}  rejected {r['rejected']}",
        flush=True,
    )
    for note in r["notes"]:
        print(f"  note: {note}")
    result = {"tickets": args.tickets, "export_mb": round(size_mb), **counts, **r}
    result.pop("notes")
    print("RESULT " + json.dumps(result), flush=True)
    print(f"load average at the end: {loadavg()}")


if __name__ == "__main__":
    main()
