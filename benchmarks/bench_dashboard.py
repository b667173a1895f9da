"""Benchmark: every dashboard page, as a browser asks for it, on the sample data set.

    .venv/bin/python benchmarks/bench_dashboard.py --tickets 1000000 [--requests 20]

The workspace is the one `bench_api.py` imports (cached in benchmarks/data), copied fresh; the
service runs in a child process (`uvicorn`, loopback only) with the repository's settings.
For each page of the navigation (`deskmetrics.web.NAV`, plus the SLA queue and an `explain`
drill-down), prints the first request after the service started (nothing computed yet) and,
over `--requests` further requests, p50 and p95 (warm: results answered again while no data
arrives, `[web] result_cache_seconds`), and the same warm figures with the result cache off
(every request computes), so both are visible.

Before the service starts, the copy's kept facts are brought up to date for the service's
settings, as every import leaves them (`kept.refresh`; its time is printed): "first" is then the
first request after a restart. A workspace whose facts were made by another version of the code
or for other settings has them made again by that step, not by the first request.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_api import SERVER, facts_current, free_port, prepare_copy, workspace  # noqa: E402
from bench_lifecycle import ensure_data  # noqa: E402

EXTRA = ["/dashboard/explain?metric=first_response_time"]


def pages() -> list[str]:
    from deskmetrics.web import NAV

    return [p.path for p in NAV] + EXTRA


def run(db: Path, token: str, cache_seconds: float, requests: int) -> dict[str, list[float]]:
    """{page: [first request, then warm requests…]} in seconds, from a freshly started service."""
    config = HERE / "data" / "bench_dashboard.toml"
    text = (ROOT / "deskmetrics.toml").read_text()
    config.write_text(text + f"\n[web]\nresult_cache_seconds = {cache_seconds}\n")
    port = free_port()
    server = subprocess.Popen(
        # no ingest source; answers never lag the data (the shipped default)
        [sys.executable, "-c", SERVER, str(db), str(config), "unused", str(port), "0"],
        cwd=ROOT,
    )
    out: dict[str, list[float]] = {}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600) as http:
            for _ in range(3000):
                if server.poll() is not None:
                    raise SystemExit(f"the service exited ({server.returncode}): see above")
                try:
                    if http.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            auth = {"Authorization": f"Bearer {token}"}
            for page in pages():
                walls = []
                for _ in range(requests + 1):
                    t0 = time.perf_counter()
                    r = http.get(page, headers=auth)
                    walls.append(time.perf_counter() - t0)
                    assert r.status_code == 200, (page, r.status_code, r.text[:300])
                out[page] = walls
    finally:
        server.terminate()
        server.wait(30)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--requests", type=int, default=20)
    args = ap.parse_args()
    folder, rows = ensure_data(args.tickets, args.seed, HERE / "data")
    db, token, _ = prepare_copy(workspace(folder, args.tickets, args.seed))
    made = facts_current(db)
    print(
        f"# bench_dashboard {args.tickets:,} tickets ({rows.get('events', 0):,} events), "
        f"{args.requests} warm requests a page, load {os.getloadavg()[0]:.2f}"
    )
    print(
        f"kept facts brought up to date before the service starts (as an import does): {made:.1f} s"
    )
    cached = run(db, token, 30.0, args.requests)
    uncached = run(db, token, 0.0, args.requests)
    print(f"{'page':46s} {'first':>8s} {'p50':>8s} {'p95':>8s}   {'uncached p50':>12s} {'p95':>8s}")
    for page, walls in cached.items():
        warm, cold = np.array(walls[1:]) * 1000, np.array(uncached[page][1:]) * 1000
        print(
            f"{page:46s} {walls[0] * 1000:7.0f}ms {np.percentile(warm, 50):7.0f}ms "
            f"{np.percentile(warm, 95):7.0f}ms   {np.percentile(cold, 50):11.0f}ms "
            f"{np.percentile(cold, 95):7.0f}ms",
            flush=True,
        )
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
