"""Benchmark: the HTTP API on the sample data set, over loopback only.

    .venv/bin/python benchmarks/bench_api.py --tickets 1000000 [--requests 30] [--seconds 30]

1. Sample data (`deskmetrics.sample.generate`, cached in benchmarks/data/sample_<N>_seed<S>/)
   and a workspace imported once (benchmarks/data/ws_<N>_seed<S>_api.duckdb; the lifecycle
   benchmark's `_direct` file is reused when present). Each run works on a fresh copy, since
   ingestion writes to it.
2. Starts `uvicorn` with the app on 127.0.0.1 in a child process, a bench token and a bench
   ingest source.
3. Latency: `--requests` times GET /api/report?metric=first_response_time&by=channel&grain=week
   (p50, p95; with the shipped `[web] result_cache_seconds` they are answered from the result
   the first request made, while no data arrives; `--result-cache 0`: computed each time),
   against the same numbers computed by plain pandas from the Parquet files
   (reading included, as a notebook would).
4. Sustained ingest: for `--seconds`, POST signed batches of `--batch` new agent replies to
   existing tickets; events/s; then counts rows: every posted event stored once (no loss, no
   duplicates), and a re-posted batch changes nothing.

`--load 10,50` runs instead the service under load: for each number of clients (threads, each
with its own connection), for `--seconds`, every client sends 70% reads (GET /api/report, four
request shapes) and 30% signed ingest batches of `--load-batch` new agent replies; prints
requests/s, read and ingest p50/p95, errors, and then checks that every acknowledged event is
stored exactly once. `--lag S` serves with `[web] results_may_lag_seconds = S` (reads may be
answered from a result up to S seconds old; default 0, as shipped).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_lifecycle import ensure_data  # noqa: E402
from deskmetrics.api.ingest import signed_headers  # noqa: E402
from synthetic import synthetic  # noqa: E402

METRIC_PARAMS = {"metric": "first_response_time", "by": "channel", "grain": "week"}
SERVER = """
import sys, uvicorn
from deskmetrics.api import create_app
from deskmetrics.config import IngestSource, load_settings
settings = load_settings(sys.argv[2])
# the synthetic data lies partly ahead of the clock (benchmarks/synthetic.py)
settings.limits = settings.limits.model_copy(update={"recorded_ahead": "3660d"})
settings.web.sources["bench"] = IngestSource(secret=sys.argv[3])
# the API alone: alert rules would be evaluated after every batch (bench_alerts.py times them)
settings.alerts.rules = []
settings.web.results_may_lag_seconds = float(sys.argv[5])
uvicorn.run(create_app(sys.argv[1], settings, secret="bench"), host="127.0.0.1",
            port=int(sys.argv[4]), log_level="warning")
"""


def workspace(folder: Path, tickets: int, seed: int) -> Path:
    """The imported workspace for this data set (imported once, then reused)."""
    direct = HERE / "data" / f"ws_{tickets}_seed{seed}_direct.duckdb"
    own = HERE / "data" / f"ws_{tickets}_seed{seed}_api.duckdb"
    if direct.exists():
        return direct
    if not own.exists():
        from deskmetrics.config import load_settings
        from deskmetrics.engine import open_duckdb
        from deskmetrics.importers.pipeline import import_directory

        print(f"import: {folder} → {own} …", flush=True)
        t0 = time.perf_counter()
        ws = open_duckdb(own, synthetic(load_settings(ROOT / "deskmetrics.toml")))
        import_directory(ws, folder)
        ws.backend.con.close()
        print(f"import: {time.perf_counter() - t0:.1f} s", flush=True)
    return own


def prepare_copy(src: Path) -> tuple[Path, str, list[str]]:
    """A fresh copy of the workspace with a bench token; some ticket ids to reply to."""
    from deskmetrics import accounts
    from deskmetrics.config import load_settings
    from deskmetrics.engine import open_duckdb
    from deskmetrics.engine.store import SQL_TYPES, q
    from deskmetrics.model import TABLES

    dst = HERE / "data" / "bench_api_run.duckdb"
    for stale in (dst, dst.with_name(dst.name + ".wal")):
        stale.unlink(missing_ok=True)
    shutil.copyfile(src, dst)
    ws = open_duckdb(dst, synthetic(load_settings(ROOT / "deskmetrics.toml")))
    con = ws.backend.con
    # a workspace made by an older version lacks columns added since (CREATE IF NOT EXISTS)
    for t in TABLES.values():
        have = {r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [t.name]
        ).fetchall()}  # fmt: skip
        for c in t.columns:
            if c.name not in have:
                con.execute(f"ALTER TABLE {q(t.name)} ADD COLUMN {q(c.name)} {SQL_TYPES[c.kind]}")
    token = accounts.create_token(ws, "bench", "viewer")
    # tickets created before the replies the benchmark posts to them (an event cannot
    # precede its ticket: the large data sets run into 2027)
    ids = [r[0] for r in con.execute(
        "SELECT ticket_id FROM (SELECT ticket_id FROM tickets "
        "WHERE created_at < TIMESTAMP '2026-06-01 12:00:00') USING SAMPLE 20000 ROWS"
    ).fetchall()]  # fmt: skip
    con.close()
    return dst, token, ids


def facts_current(db: Path) -> float:
    """Seconds to bring the kept facts of the workspace `db` up to date for the service's
    settings (nothing to do when they are: the time of the check)."""
    from deskmetrics.config import load_settings
    from deskmetrics.engine import kept, open_duckdb

    ws = open_duckdb(db, synthetic(load_settings(ROOT / "deskmetrics.toml")))
    t0 = time.perf_counter()
    kept.refresh(ws)
    took = time.perf_counter() - t0
    ws.backend.con.close()
    return took


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pandas_first_response(folder: Path, tz: str) -> pd.DataFrame:
    """first_response_time by channel × local week in plain pandas, from the Parquet files:
    first public message by a human agent after creation (the opening message of an
    agent-created ticket is not a reply; ties by event id), mean/n/p50/p90 per group."""
    tk = pq.read_table(
        folder / "tickets.parquet", columns=["ticket_id", "created_at", "channel", "created_by"]
    ).to_pandas()
    ev = pq.read_table(
        folder / "events.parquet",
        columns=["event_id", "ticket_id", "at", "type", "author_role", "public"],
    ).to_pandas()
    for df, col in ((tk, "created_at"), (ev, "at")):
        s = pd.to_datetime(df[col], utc=True, format="ISO8601")
        df[col] = s
    msgs = ev[(ev["type"] == "message") & (ev["public"].fillna(True).astype(bool))]
    msgs = msgs.sort_values(["ticket_id", "at", "event_id"])
    msgs = msgs.assign(seq=msgs.groupby("ticket_id").cumcount())
    msgs = msgs.merge(tk[["ticket_id", "created_by"]], on="ticket_id")
    opening = (
        (msgs["seq"] == 0) & (msgs["created_by"] == "agent") & (msgs["author_role"] == "agent")
    )
    replies = msgs[(msgs["author_role"] == "agent") & ~opening]
    first = replies.groupby("ticket_id", as_index=False)["at"].min()
    t = tk.merge(first.rename(columns={"at": "first_reply"}), on="ticket_id", how="inner")
    t["minutes"] = (t["first_reply"] - t["created_at"]).dt.total_seconds() / 60.0
    local = t["created_at"].dt.tz_convert(tz).dt.tz_localize(None)
    t["period"] = local.dt.to_period("W-SUN").dt.start_time
    g = t.groupby(["channel", "period"])["minutes"]
    out = g.agg(value="mean", n="count").reset_index()
    out["p50"] = g.quantile(0.5).to_numpy()
    out["p90"] = g.quantile(0.9).to_numpy()
    return out


READS = [
    {"metric": "first_response_time", "by": "channel", "grain": "week"},
    {"metric": "volume", "grain": "day"},
    {"metric": ["csat", "fcr_rate"], "by": "channel"},
    {"metric": "headline"},
]


def load_mix(
    base: str, token: str, secret: str, ids: list[str], clients: int, seconds: float, batch: int
) -> dict[str, Any]:
    """`clients` threads for `seconds`: 70% reads, 30% signed ingest (see the docstring)."""
    import threading

    auth = {"Authorization": f"Bearer {token}"}
    lock = threading.Lock()
    reads: list[float] = []
    writes: list[float] = []
    errors: list[str] = []
    acked: list[str] = []
    stop = time.perf_counter() + seconds

    def client(k: int) -> None:
        rng = np.random.default_rng(k)
        n = 0
        with httpx.Client(base_url=base, timeout=120) as http:
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                try:
                    if rng.random() < 0.7:
                        r = http.get("/api/report", params=READS[n % len(READS)], headers=auth)
                        kind, out = "read", reads
                    else:
                        eids = [f"LOAD-{clients}-{k}-{n}-{i}" for i in range(batch)]
                        body = json.dumps([
                            {"event_id": e, "ticket_id": str(rng.choice(ids)),
                             "at": "2026-06-01T12:00:00Z", "type": "message",
                             "author_role": "agent", "author_id": "load", "public": True}
                            for e in eids
                        ]).encode()  # fmt: skip
                        r = http.post(
                            "/api/events",
                            content=body,
                            headers=signed_headers("bench", secret, body),
                        )
                        kind, out = "ingest", writes
                    wall = time.perf_counter() - t0
                    with lock:
                        if r.status_code == 200:
                            out.append(wall)
                            if kind == "ingest":
                                acked.extend(eids)
                        else:
                            errors.append(f"{kind} {r.status_code}")
                except httpx.HTTPError as exc:
                    with lock:
                        errors.append(type(exc).__name__)
                n += 1

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return {"wall": wall, "reads": reads, "writes": writes, "errors": errors, "acked": acked}


def _ms(xs: list[float], q: float) -> str:
    return f"{np.percentile(xs, q) * 1000:,.0f} ms" if xs else "–"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--requests", type=int, default=30)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--batch", type=int, default=2000)
    ap.add_argument("--load", default=None, help="comma-separated client counts, e.g. 10,50")
    ap.add_argument("--load-batch", type=int, default=50)
    ap.add_argument(
        "--lag",
        type=float,
        default=0.0,
        help="[web] results_may_lag_seconds of the service (default 0, the shipped default)",
    )
    ap.add_argument(
        "--result-cache",
        type=float,
        default=None,
        help="[web] result_cache_seconds of the service (default: as shipped; 0: every "
        "request computes)",
    )
    args = ap.parse_args(argv)

    folder, rows = ensure_data(args.tickets, args.seed, HERE / "data")
    db, token, ticket_ids = prepare_copy(workspace(folder, args.tickets, args.seed))
    made = facts_current(db)
    print(
        f"kept facts brought up to date before the service starts (as an import does): {made:.1f} s"
    )
    from deskmetrics.config import load_settings

    tz = load_settings(ROOT / "deskmetrics.toml").report_timezone
    secret = secrets.token_hex(16)
    config = ROOT / "deskmetrics.toml"
    if args.result_cache is not None:
        config = HERE / "data" / "bench_api.toml"
        config.write_text(
            (ROOT / "deskmetrics.toml").read_text()
            + f"\n[web]\nresult_cache_seconds = {args.result_cache}\n"
        )
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            SERVER,
            str(db),
            str(config),
            secret,
            str(port),
            str(args.lag),
        ],
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=600) as http:
            for _ in range(600):
                try:
                    if http.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            auth = {"Authorization": f"Bearer {token}"}
            if args.load:
                run_load(args, base, token, secret, ticket_ids, db)
                return
            load = os.getloadavg()[0]
            events_n = rows.get("events", 0)
            cache = "as shipped" if args.result_cache is None else f"{args.result_cache:g} s"
            print(
                f"\n{args.tickets:,} tickets, {events_n:,} events; load {load:.1f}; "
                f"[web] result_cache_seconds {cache}"
            )
            # latency ------------------------------------------------------------------
            first = http.get("/api/report", params=METRIC_PARAMS, headers=auth)
            assert first.status_code == 200, first.text
            times = []
            for _ in range(args.requests):
                t0 = time.perf_counter()
                r = http.get("/api/report", params=METRIC_PARAMS, headers=auth)
                times.append(time.perf_counter() - t0)
                assert r.status_code == 200
            p50, p95 = np.percentile(times, 50) * 1000, np.percentile(times, 95) * 1000
            t0 = time.perf_counter()
            ref = pandas_first_response(folder, tz)
            pandas_s = time.perf_counter() - t0
            api = pd.DataFrame(first.json())
            merged = api.assign(period=pd.to_datetime(api["period"])).merge(
                ref, on=["channel", "period"], suffixes=("", "_pd")
            )
            same_n = bool((merged["n"] == merged["n_pd"]).all()) and len(merged) == len(ref)
            close = bool(np.allclose(merged["value"], merged["value_pd"], rtol=1e-9))
            print(
                f"metric request ({len(api)} rows, first_response_time by channel × week), "
                f"{args.requests} requests: p50 {p50:,.0f} ms, p95 {p95:,.0f} ms "
                f"(first, cold: {first.elapsed.total_seconds() * 1000:,.0f} ms)"
            )
            print(
                f"plain pandas, same numbers from the Parquet files: {pandas_s * 1000:,.0f} ms "
                f"→ API p50 is {pandas_s * 1000 / p50:.1f}× faster; results agree: "
                f"n {same_n}, values {close}"
            )
            # ingest -------------------------------------------------------------------
            rng = np.random.default_rng(args.seed)
            posted = 0
            batches = 0
            last_body = b""
            t_end = time.perf_counter() + args.seconds
            t0 = time.perf_counter()
            while time.perf_counter() < t_end:
                tickets = rng.choice(ticket_ids, size=args.batch)
                batch = [
                    {"event_id": f"BENCH-{posted + i}", "ticket_id": str(t),
                     "at": "2026-06-01T12:00:00Z", "type": "message",
                     "author_role": "agent", "author_id": "bench-agent", "public": True}
                    for i, t in enumerate(tickets)
                ]  # fmt: skip
                body = json.dumps(batch).encode()
                r = http.post(
                    "/api/events",
                    content=body,
                    headers=signed_headers("bench", secret, body),
                )
                assert r.status_code == 200, r.text[:500]
                assert r.json()["inserted"] == args.batch, r.json()
                posted += args.batch
                batches += 1
                last_body = body
            elapsed = time.perf_counter() - t0
            again = http.post(
                "/api/events",
                content=last_body,
                headers=signed_headers("bench", secret, last_body),
            ).json()
            facts = http.get(
                "/api/facts", params={"limit": 1}, headers=auth
            )  # the service still answers
            assert facts.status_code == 200
    finally:
        server.terminate()
        server.wait(30)
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    stored, distinct = con.execute(
        "SELECT count(*), count(DISTINCT event_id) FROM events WHERE event_id LIKE 'BENCH-%'"
    ).fetchone() or (0, 0)
    con.close()
    print(
        f"ingest: {posted:,} events in {batches} signed batches of {args.batch:,} over "
        f"{elapsed:.1f} s → {posted / elapsed:,.0f} events/s "
        f"({elapsed / max(batches, 1) * 1000:,.0f} ms per batch)"
    )
    print(
        f"stored {stored:,} rows, {distinct:,} distinct ids: loss {posted - distinct}, "
        f"duplicates {stored - distinct}; re-posted last batch: inserted {again['inserted']}, "
        f"unchanged {again['unchanged']:,}"
    )
    for done in (db, db.with_name(db.name + ".wal")):
        done.unlink(missing_ok=True)
    if stored != posted or distinct != posted or again["inserted"] != 0:
        raise SystemExit("ingest lost or duplicated rows")


def run_load(
    args: argparse.Namespace, base: str, token: str, secret: str, ids: list[str], db: Path
) -> None:
    import duckdb

    print(
        f"\n# load mix on {args.tickets:,} tickets: 70% reads, 30% signed ingest of "
        f"{args.load_batch} events; {args.seconds:.0f} s per step; results_may_lag_seconds "
        f"{args.lag:g}; load {os.getloadavg()[0]:.1f}"
    )
    # the first request of each shape after start (a separate row of the targets) is made
    # once here, not counted in the steady load below
    with httpx.Client(base_url=base, timeout=600) as http:
        firsts = []
        for params in READS:
            t0 = time.perf_counter()
            r = http.get("/api/report", params=params, headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200, r.text[:300]
            firsts.append(f"{(time.perf_counter() - t0) * 1000:,.0f}")
        print(f"first request of each read shape after start: {', '.join(firsts)} ms")
    acked_all: list[str] = []
    for clients in (int(c) for c in args.load.split(",")):
        r = load_mix(base, token, secret, ids, clients, args.seconds, args.load_batch)
        done = len(r["reads"]) + len(r["writes"])
        acked_all += r["acked"]
        print(
            f"{clients:3d} clients: {done / r['wall']:6.1f} req/s; reads {len(r['reads'])} "
            f"p50 {_ms(r['reads'], 50)} p95 {_ms(r['reads'], 95)}; ingest {len(r['writes'])} "
            f"p50 {_ms(r['writes'], 50)} p95 {_ms(r['writes'], 95)}; errors {len(r['errors'])}"
            + (f" {sorted(set(r['errors']))}" if r["errors"] else ""),
            flush=True,
        )
    # every acknowledged event stored exactly once, read from the file once the service has
    # let go of it (it does after `[web] release_idle_seconds` without requests, once what
    # the clients left queued and the background work are done)
    for _ in range(600):
        try:
            con = duckdb.connect(str(db), read_only=True)
            break
        except duckdb.IOException:
            time.sleep(0.5)
    stored, distinct = con.execute(
        "SELECT count(*), count(DISTINCT event_id) FROM events WHERE event_id LIKE 'LOAD-%'"
    ).fetchone() or (0, 0)
    con.close()
    print(
        f"acknowledged {len(acked_all):,} events; stored {stored:,} rows, {distinct:,} distinct: "
        f"lost {len(set(acked_all)) - distinct}, duplicates {stored - distinct}"
    )


if __name__ == "__main__":
    main()
