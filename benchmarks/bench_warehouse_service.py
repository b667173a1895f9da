"""Benchmark: `deskmetrics --db postgres://… serve` under many dashboard users at once.

    .venv/bin/python benchmarks/bench_warehouse_service.py --tickets 2000 --users 50
    .venv/bin/python benchmarks/bench_warehouse_service.py --tickets 2000 --users 10

The sample data (deskmetrics.sample) goes into a throwaway PostgreSQL server (the tests'
`tests/backends/postgres_server.py`): by `deskmetrics import` (--load import: the per-ticket
facts kept there, the data version known, so the service answers a result again while no data
arrives, `[web] result_cache_seconds`), or copied from a DuckDB import as another tool would
load the canonical tables (--load copy: every request derives the facts). The service runs
as `deskmetrics --db URL --state FILE serve` in a child process (loopback only, the
repository's settings, `[web] pool_size` from --pool-size): each of its requests takes a
connection of the pool and they run in parallel. Each of `--users` simulated people signs in
(a session of their own, before the clock starts), then, for `--seconds`, asks one after
another for a dashboard page or a /api/report result (half each, in a random order seeded
per person), as a browser would (the next once the last answered). Every answer must be 200:
a 503 (pool busy past `[web] busy_wait_seconds`, --busy-wait) or any other status is an
error, and the run fails with any.

Prints requests, errors, throughput, and p50/p95 per kind of request and overall; the most
queries PostgreSQL ran at once (sampled from pg_stat_activity every 0.2 s) shows the pool at
work.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests" / "backends"))

from bench_api import free_port  # noqa: E402

PASSWORD = "bench passphrase 2026"
#: what a person looks at: dashboard pages (GET, HTML) …
PAGES = [
    "/dashboard",
    "/dashboard/trends",
    "/dashboard/breakdowns",
    "/dashboard/explain?metric=first_response_time",
]
# not the SLA page: every SLA target's clock derived inside the request takes minutes on
# PostgreSQL (an ad-hoc measure: the SLA queue of 2,000 tickets in 162 s on this machine)
#: … and what a script or a spreadsheet asks the API for
REPORTS = [
    "/api/report?metric=volume&metric=first_response_time&by=channel",
    "/api/report?metric=csat&metric=full_resolution_time&grain=week",
    "/api/report?metric=backlog&by=priority",
]


def workspace(tickets: int, seed: int, settings: Any) -> tuple[Path, Any]:
    """The sample data's folder, and the data imported into a DuckDB file (kept in
    benchmarks/data)."""
    from deskmetrics.engine import open_duckdb
    from deskmetrics.importers import import_directory
    from deskmetrics.sample import generate

    folder = HERE / "data" / f"sample_{tickets}_seed{seed}"
    if not (folder / "tickets.parquet").exists():
        generate(folder, tickets=tickets, seed=seed, fmt="parquet")
    db = HERE / "data" / f"warehouse_{tickets}_seed{seed}.duckdb"
    if not db.exists():
        import_directory(open_duckdb(db, settings), folder)
    return folder, open_duckdb(db, settings, read_only=True)


def cli(url: str, state: Path, config: Path, *args: str) -> list[str]:
    """The `deskmetrics` command line of this checkout over `url`."""
    return [sys.executable, "-c", "from deskmetrics.cli import main; main()",
            "--db", url, "--state", str(state), "--config", str(config), *args]  # fmt: skip


def most_active(url: str, stop: threading.Event, out: list[int]) -> None:
    """Sample how many queries PostgreSQL runs at once until `stop`; the samples go to `out`."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        while not stop.is_set():
            row = con.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state = 'active' AND pid <> pg_backend_pid()"
            ).fetchone()
            out.append(int(row[0]) if row else 0)
            time.sleep(0.2)


def sign_in(base: str) -> httpx.Client:
    """A client with a session of its own (a throttled sign-in is tried again when it says)."""
    http = httpx.Client(base_url=base, timeout=1800)
    for _ in range(100):
        r = http.post("/api/session", json={"name": "bench", "password": PASSWORD})
        if r.status_code == 200:
            return http
        assert r.status_code == 429, (r.status_code, r.text[:300])
        time.sleep(float(r.headers.get("retry-after", "1")))
    raise SystemExit("could not sign in")


def person(
    http: httpx.Client,
    n: int,
    until: float,
    per_user: int | None,
    seed: int,
    out: dict[str, list[Any]],
) -> None:
    """One signed-in person asking for pages and reports until `until` (or `per_user` asks)."""
    rng = random.Random(seed * 1000 + n)
    done = 0
    try:
        while time.monotonic() < until and (per_user is None or done < per_user):
            kind = "page" if rng.random() < 0.5 else "report"
            path = rng.choice(PAGES if kind == "page" else REPORTS)
            t0 = time.perf_counter()
            try:
                r = http.get(path)
                status, text = r.status_code, r.text
            except httpx.HTTPError as exc:
                status, text = 0, str(exc)
            out[kind].append(time.perf_counter() - t0)
            if status != 200:
                out["errors"].append((path, status, text[:200]))
            done += 1
    finally:
        http.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tickets", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--requests", type=int, default=None, help="stop each person after this many")
    ap.add_argument("--pool-size", type=int, default=8)
    ap.add_argument(
        "--load",
        choices=["import", "copy"],
        default="import",
        help="import: `deskmetrics import` into PostgreSQL (its per-ticket facts kept there, its "
        "data version known: the service's result cache works); copy: the canonical tables "
        "only, as another tool would load them (every request derives the facts)",
    )
    # every request computes on the engine (seconds each on 2 shared cores): with 50 people,
    # a request waits minutes for a connection, longer than the default 30 s
    ap.add_argument("--busy-wait", type=float, default=600.0, help="[web] busy_wait_seconds")
    args = ap.parse_args()

    import ibis
    from postgres_server import postgres, server_binaries

    from deskmetrics.config import load_settings
    from deskmetrics.model import TABLES

    if server_binaries() is None:
        sys.exit("needs Debian's postgresql server (apt-get install postgresql)")
    settings = load_settings(ROOT / "deskmetrics.toml")
    folder, ws = workspace(args.tickets, args.seed, settings)
    events = int(ws.backend.execute(ws.table("events").count()))
    tmp = Path(tempfile.mkdtemp(prefix="bench-warehouse-"))
    config = tmp / "deskmetrics.toml"
    # the repository's settings without its alert rules: the service would evaluate them in
    # the background (bench_alerts.py times them; the SLA rule takes minutes here, see above)
    text = (ROOT / "deskmetrics.toml").read_text()
    cut = text.index("[[alerts.rules]]")
    config.write_text(
        text[:cut]
        + f"\n[web]\npool_size = {args.pool_size}\nbusy_wait_seconds = {args.busy_wait}\n"
    )
    state = tmp / "app.duckdb"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "DESKMETRICS_SECRET": "bench-secret"}
    with postgres() as url:
        t0 = time.perf_counter()
        if args.load == "import":
            from deskmetrics.engine.workspace import open_url
            from deskmetrics.importers import import_directory

            import_directory(open_url(url, settings, read_only=False), folder)
        else:
            con = ibis.connect(url)
            for name in TABLES:
                if ws.has(name):
                    con.create_table(name, ws.backend.to_pyarrow(ws.table(name)))
            # statistics for the planner, as a warehouse loaded a while ago has them: without
            # them PostgreSQL guesses the tables' sizes and a page's joins take minutes
            con.raw_sql("ANALYZE")
            con.disconnect()
        load_s = time.perf_counter() - t0
        subprocess.run(
            cli(url, state, config, "users", "set", "bench", "--role", "viewer",
                "--password", PASSWORD),
            env=env, check=True, capture_output=True, cwd=tmp,
        )  # fmt: skip
        port = free_port()
        server = subprocess.Popen(
            cli(url, state, config, "serve", "--port", str(port)), env=env, cwd=tmp
        )
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=base, timeout=1800) as http:
                for _ in range(600):
                    try:
                        if http.get("/health").status_code == 200:
                            break
                    except httpx.TransportError:
                        time.sleep(0.2)
                # warm: the first request of each kind builds the calendar and the filters
                r = http.post("/api/session", json={"name": "bench", "password": PASSWORD})
                assert r.status_code == 200, r.text
                for path in PAGES + REPORTS:
                    t1 = time.perf_counter()
                    r = http.get(path)
                    assert r.status_code == 200, (path, r.status_code, r.text[:300])
                    print(f"first {path}: {time.perf_counter() - t1:.2f} s", flush=True)
            print(
                f"# bench_warehouse_service {args.tickets:,} tickets ({events:,} events) on "
                f"PostgreSQL, {args.users} users, pool_size {args.pool_size}, "
                f"busy_wait_seconds {args.busy_wait:g} — "
                f"{datetime.now():%Y-%m-%d %H:%M} UTC"
            )
            print(
                f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} "
                f"(PostgreSQL, the service and the {args.users} users on it); "
                f"loaded by {args.load} in {load_s:.1f} s"
            )
            clients = [sign_in(base) for _ in range(args.users)]  # each person's session
            out: dict[str, list[Any]] = defaultdict(list)
            stop, active = threading.Event(), []
            sampler = threading.Thread(target=most_active, args=(url, stop, active), daemon=True)
            sampler.start()
            t0 = time.perf_counter()
            until = time.monotonic() + args.seconds
            people = [
                threading.Thread(
                    target=person, args=(http, n, until, args.requests, args.seed, out)
                )
                for n, http in enumerate(clients)
            ]
            for p in people:
                p.start()
            for p in people:
                p.join()
            wall = time.perf_counter() - t0
            stop.set()
            sampler.join(5)
        finally:
            server.terminate()
            server.wait(30)
    errors = out["errors"]
    total = len(out["page"]) + len(out["report"])
    print(
        f"\n{total:,} requests in {wall:.1f} s ({total / wall:.1f} requests/s), "
        f"{len(errors)} errors; most PostgreSQL queries at once: {max(active, default=0)}"
    )
    print("\n| kind | requests | p50 | p95 | max |\n|---|---:|---:|---:|---:|")
    for kind, walls in (("dashboard page", out["page"]), ("/api/report", out["report"]),
                        ("all", out["page"] + out["report"])):  # fmt: skip
        if walls:
            ms = np.array(walls) * 1000
            print(
                f"| {kind} | {len(walls):,} | {np.percentile(ms, 50):,.0f} ms | "
                f"{np.percentile(ms, 95):,.0f} ms | {ms.max():,.0f} ms |"
            )
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")
    for e in errors[:10]:
        print("error:", e)
    if errors or not total:
        sys.exit(1)


if __name__ == "__main__":
    main()
