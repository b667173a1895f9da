"""Benchmark: topic fit and assignment speed and memory on this machine.

    .venv/bin/python benchmarks/bench_topics_speed.py [--fit 100000] [--assign 1000000]
        [--import-tickets 10000]

Ticket texts are made from the sample generator's subjects and customer messages (three
random ones per ticket, about 200 characters, some with typos). Each phase runs in its own
child process, so its peak RSS (VmHWM) is its own:
- fit: `text.topics.fit` on --fit tickets (embedding, choosing k, labels);
- assign: the fitted topics placing --assign new tickets (embedding included);
- import: a workspace with --import-tickets tickets fitted, then --import-tickets more
  imported; the time of the import's topic and sentiment step (`ticket_text.after_import`).
Targets (issue 15): fit 100k ≤ 2 min, assign ≥ 5,000 tickets/s, memory ≤ 4 GB, 10k new
tickets assigned in seconds.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def texts(n: int, seed: int) -> list[str]:
    from deskmetrics import sample

    pool = [s[1] for s in sample._SUBJECTS] + list(sample._BODIES)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(pool), (n, 3))
    out = []
    for row in picks:
        t = " ".join(pool[j] for j in row)
        if rng.random() < 0.2:  # a typo: two letters swapped
            k = int(rng.integers(1, max(2, len(t) - 1)))
            t = t[: k - 1] + t[k] + t[k - 1] + t[k + 1 :]
        out.append(t)
    return out


def peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def phase_fit(n: int) -> dict[str, float]:
    from deskmetrics.text.topics import fit

    data = texts(n, 1)
    t0 = time.perf_counter()
    f = fit(data, seed=0)
    return {"tickets": n, "seconds": time.perf_counter() - t0, "topics": len(f.model.topics)}


def phase_assign(n: int, fitted_on: int) -> dict[str, float]:
    from deskmetrics.text.topics import fit

    model = fit(texts(fitted_on, 1), seed=0).model
    data = texts(n, 2)
    t0 = time.perf_counter()
    ids, _ = model.assign(data)
    dt = time.perf_counter() - t0
    return {"tickets": n, "seconds": dt, "per_second": n / dt, "other": ids.count("other") / n}


def phase_import(n: int) -> dict[str, float]:
    import pandas as pd

    from deskmetrics.engine import open_duckdb
    from deskmetrics.engine.store import load
    from deskmetrics.model import TABLES, SourceFrame, validate
    from deskmetrics.ticket_text import after_import, fit_topics

    ws = open_duckdb(":memory:")

    def batch(prefix: str, day: str, seed: int) -> None:
        body = texts(n, seed)
        tk = pd.DataFrame(
            {
                "ticket_id": [f"{prefix}{i}" for i in range(n)],
                "created_at": f"{day}T09:00:00Z",
                "requester_id": [f"c{i % 997}" for i in range(n)],
                "subject": [b.split(".")[0][:80] for b in body],
            }
        )
        ev = pd.DataFrame(
            {
                "event_id": [f"{prefix}e{i}" for i in range(n)],
                "ticket_id": tk.ticket_id,
                "at": f"{day}T09:00:00Z",
                "type": "message",
                "author_role": "customer",
                "body": body,
            }
        )
        frames = [
            validate(SourceFrame(TABLES["tickets"], "tickets", tk), limits=ws.settings.limits),
            validate(SourceFrame(TABLES["events"], "events", ev), limits=ws.settings.limits),
        ]
        load(ws.backend.con, frames, source="bench")

    batch("A", "2026-03-02", 1)
    after_import(ws)
    fit_topics(ws, seed=0)
    batch("B", "2026-03-03", 2)
    t0 = time.perf_counter()
    after_import(ws)
    return {"tickets": n, "seconds": time.perf_counter() - t0}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fit", type=int, default=100_000)
    ap.add_argument("--assign", type=int, default=1_000_000)
    ap.add_argument("--import-tickets", type=int, default=10_000)
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        out = {
            "fit": lambda: phase_fit(args.fit),
            "assign": lambda: phase_assign(args.assign, min(args.fit, 20_000)),
            "import": lambda: phase_import(args.import_tickets),
        }[args.phase]()
        out["peak_mib"] = peak_mib()
        print(json.dumps(out))
        return
    for phase in ("fit", "assign", "import"):
        r = subprocess.run(
            [
                sys.executable,
                __file__,
                "--phase",
                phase,
                "--fit",
                str(args.fit),
                "--assign",
                str(args.assign),
                "--import-tickets",
                str(args.import_tickets),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        res = json.loads(r.stdout.strip().splitlines()[-1])
        extra = ", ".join(
            f"{k} {v:,.3g}" if isinstance(v, float) else f"{k} {v:,}"
            for k, v in res.items()
            if k not in ("tickets", "seconds", "peak_mib")
        )
        print(
            f"{phase}: {res['tickets']:,} tickets in {res['seconds']:.1f} s, peak "
            f"{res['peak_mib']:,.0f} MiB{'; ' + extra if extra else ''}"
        )


if __name__ == "__main__":
    main()
