"""Benchmark: the streaming JSON reader (deskmetrics.importers.jsonstream) on large files.

    .venv/bin/python benchmarks/bench_jsonstream.py [--mb 2000] [--source DIR]

Makes (once, in benchmarks/data/jsonstream-MB) files of about MB megabytes of Zendesk audits
in four shapes — JSON Lines pages of 1,000 records, one pretty-printed page object with
side-loads, the same page minified on one line, and a bare array of records — from the
ticket_audits.json of a generated export (benchmarks/gen_zendesk_export.py, 100k tickets
unless --source), repeated to size. Each shape is read in a child process that iterates every
record; prints MB/s, records/s and the child's peak RSS (VmHWM), and for JSON Lines the
ceiling of a bare `for line in file: json.loads(line)` loop. One RESULT line (JSON) at the end.
The child imports deskmetrics first (the engine: ~210 MiB); with --gc-freeze it then calls
gc.freeze(), without which every full collection walks those modules' objects (half the
speed of JSON Lines, whose pages of 1,000 records trigger full collections).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
sys.path.insert(0, str(HERE))

SHAPES = ("lines", "page", "minified", "array", "lines-json-loads")


def peak_rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def make_files(out: Path, mb: int, source: Path) -> dict[str, Path]:
    files = {
        "lines": out / "lines.json",
        "page": out / "page.json",
        "minified": out / "minified.json",
        "array": out / "array.json",
    }
    done = out / "done.txt"
    if done.is_file():
        return files
    out.mkdir(parents=True, exist_ok=True)
    audits = source / "ticket_audits.json"
    with (source / "users.json").open() as f:
        users = json.loads(next(f))["users"][:200]
    target = mb * 1_000_000
    fs = {k: p.open("w", encoding="utf-8") for k, p in files.items()}
    fs["page"].write('{\n  "users": ' + json.dumps(users) + ',\n  "audits": [\n')
    fs["minified"].write('{"users": ' + json.dumps(users) + ', "audits": [')
    fs["array"].write("[\n")
    written, first = 0, True
    while written < target:
        with audits.open(encoding="utf-8") as src:
            for line in src:
                if written >= target:
                    break
                fs["lines"].write(line)
                written += len(line.encode())
                records = json.loads(line)["audits"]
                sep = "" if first else ",\n"
                first = False
                body = ",\n".join(json.dumps(r, ensure_ascii=False) for r in records)
                fs["page"].write(sep + body)
                fs["array"].write(sep + body)
                fs["minified"].write(("" if sep == "" else ", ") + body.replace(",\n", ", "))
    fs["page"].write('\n  ],\n  "next_page": null,\n  "end_of_stream": true\n}\n')
    fs["minified"].write('], "next_page": null, "end_of_stream": true}')
    fs["array"].write("\n]\n")
    for f in fs.values():
        f.close()
    done.write_text("ok")
    return files


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def child(shape: str, path: Path) -> dict[str, Any]:
    # deskmetrics.importers imports the engine (pandas, ibis, DuckDB): not the reader's cost
    from deskmetrics.importers.jsonstream import iter_records

    if os.environ.get("BENCH_GC_FREEZE"):
        import gc

        gc.freeze()  # the imported modules' objects are not traversed by every collection
    before = rss_mb()
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    n = 0
    if shape == "lines-json-loads":
        with path.open("rb") as f:
            for line in f:
                n += len(json.loads(line)["audits"])
    else:
        users = 0

        def side(name: str, value: Any) -> None:
            nonlocal users
            users += 1

        for _ in iter_records(path, "audits", on_sideload=side):
            n += 1
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "records": n,
        "rss_before_mb": round(before),
        "peak_rss_mb": round(peak_rss_mb()),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--mb", type=int, default=2000)
    ap.add_argument("--source", type=Path, default=HERE / "data" / "zendesk-100000-seed7")
    ap.add_argument("--shapes", default=",".join(SHAPES))
    ap.add_argument(
        "--gc-freeze",
        action="store_true",
        help="gc.freeze() after the imports, so that collections skip the engine's modules",
    )
    ap.add_argument("--child")
    ap.add_argument("--path", type=Path)
    args = ap.parse_args()
    if args.child:
        print("RESULT " + json.dumps(child(args.child, args.path)), flush=True)
        return
    if not (args.source / "counts.txt").is_file():
        from bench_zendesk_import import ensure_export

        ensure_export(100_000, 7, args.source)
    files = make_files(HERE / "data" / f"jsonstream-{args.mb}", args.mb, args.source)
    freeze = ", gc.freeze() after imports" if args.gc_freeze else ""
    print(f"# bench_jsonstream {args.mb:,} MB per shape{freeze}; load {os.getloadavg()[0]:.2f}")
    results = {}
    for shape in args.shapes.split(","):
        path = files["lines" if shape == "lines-json-loads" else shape]
        size = path.stat().st_size / 1e6
        cmd = [sys.executable, __file__, "--child", shape, "--path", str(path)]
        env = {**os.environ, "PYTHONPATH": str(SRC)}
        if args.gc_freeze:
            env["BENCH_GC_FREEZE"] = "1"
        out = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
        if out.returncode != 0:
            raise SystemExit(f"{shape} failed:\n{out.stderr[-3000:]}")
        r = json.loads(out.stdout.strip().splitlines()[-1][len("RESULT ") :])
        r["mb_s"] = round(size / r["wall_s"], 1)
        r["file_mb"] = round(size)
        results[shape] = r
        print(
            f"{shape:17s} {size:7,.0f} MB {r['wall_s']:7.1f} s {r['mb_s']:7.1f} MB/s "
            f"{r['records'] / r['wall_s']:>9,.0f} records/s  (CPU {size / r['cpu_s']:6.1f} MB/s)  "
            f"RSS {r['rss_before_mb']:,} MiB before, peak {r['peak_rss_mb']:>5,} MiB"
            f"  (load {os.getloadavg()[0]:.2f})",
            flush=True,
        )
    print("RESULT " + json.dumps(results), flush=True)


if __name__ == "__main__":
    main()
