"""Benchmark: how long the `deskmetrics` command takes to start and answer, each run a fresh
process as a user's shell starts it.

    .venv/bin/python benchmarks/bench_cli.py [--runs 10] [--tickets 2000]

Measures, as the median and the worst of `--runs` whole-process runs (wall time), with the
median CPU seconds (user + system) of the process:
- `deskmetrics --help` (start-up alone: the heavy modules — engine, Ibis, pandas — are imported
  only by the commands that need them);
- `deskmetrics metrics --format csv` (the registry, no workspace);
- `deskmetrics report first_response_time --by channel` on a small workspace (the sample data
  of `--tickets` tickets, imported once with its facts kept), read-only.
Also prints `python -c pass` for the interpreter's own start on this machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent / "deskmetrics"
#: where the sample's history ends (pinned, so every run measures the same data)
END = "2026-02-08T00:00:00Z"


def _children_cpu() -> float:
    """CPU seconds (user + system) of every child process waited for so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd: list[str], runs: int, cwd: Path) -> tuple[float, float, float]:
    """Median and worst wall time and median CPU seconds of `runs` runs of `cmd` (after one
    warm-up run). CPU time moves less than wall time with other work on a shared machine."""
    subprocess.run(cmd, cwd=cwd, capture_output=True, check=True)
    walls, cpus = [], []
    for _ in range(runs):
        c0, t0 = _children_cpu(), time.perf_counter()
        subprocess.run(cmd, cwd=cwd, capture_output=True, check=True)
        walls.append(time.perf_counter() - t0)
        cpus.append(_children_cpu() - c0)
    return statistics.median(walls), max(walls), statistics.median(cpus)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--tickets", type=int, default=2000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "deskmetrics.toml").write_text((ROOT / "deskmetrics.toml").read_text())
        db = work / "small.duckdb"
        for cmd in (
            # pinned end: the same data set on every run
            ["sample", "--out", "sample", "--tickets", str(args.tickets), "--end", END],
            ["--db", str(db), "import", "sample"],
        ):
            subprocess.run([str(BIN), *cmd], cwd=work, capture_output=True, check=True)
        print(f"# bench_cli — {args.runs} runs each, load {os.getloadavg()[0]:.2f}")
        rows = [
            ("python -c pass", [sys.executable, "-c", "pass"]),
            ("deskmetrics --help", [str(BIN), "--help"]),
            ("deskmetrics metrics", [str(BIN), "metrics", "--format", "csv"]),
            (
                f"report, {args.tickets:,} tickets",
                [str(BIN), "--db", str(db), "report", "first_response_time", "--by", "channel"],
            ),
        ]
        for name, cmd in rows:
            p50, worst, cpu = timed(cmd, args.runs, work)
            print(
                f"{name:28s} median {p50:6.3f} s   worst {worst:6.3f} s   CPU {cpu:6.3f} s",
                flush=True,
            )
        print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
