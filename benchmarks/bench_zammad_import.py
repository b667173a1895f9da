"""Benchmark: `deskmetrics import --from zammad DIR` on generated Zammad exports.

    .venv/bin/python benchmarks/bench_zammad_import.py --tickets 10000 50000

For each size N, an export of N tickets is generated once into
benchmarks/data/zammad-text-N-seedS (git-ignored) in the Zammad REST API's shapes: tickets.json
(pages of 100 expanded tickets, one JSON array per JSON Lines line), ticket_articles.json (one
ticket's articles per line, 4 each: the customer's email, a trigger's automatic reply, an
agent's internal note, the agent's reply), ticket_history.json (one ticket's history answer per
line: created, new → open, open → closed or pending reminder, a title change) and users.json.
Each import runs as the CLI does it (read, validate, store, per-ticket facts) in a child
process on a fresh workspace. Prints per size: the child's wall time, the command's own time
(after its modules are loaded), messages (articles) per second over the command's time, peak
RSS of the child; then the marginal rate between the two largest sizes, and one RESULT line
(JSON) per size.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from texts import MessageTexts

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
#: the CLI in a child, timing the command itself once its modules are loaded
CHILD = """
import sys, time
from deskmetrics.cli import main
import deskmetrics.importers.pipeline, deskmetrics.importers.zammad, deskmetrics.query
t0 = time.perf_counter()
try:
    main()
finally:
    print(f"COMMAND_SECONDS {time.perf_counter() - t0:.3f}", file=sys.stderr)
"""
PAGE = 100  # Zammad's largest per_page
AGENTS = 40
T0 = datetime(2026, 1, 5, tzinfo=UTC)
TYPES = ("email", "web", "phone", "chat")


def iso(t: datetime) -> str:
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def generate(out: Path, tickets: int, seed: int) -> dict[str, int]:
    """An export of `tickets` tickets, written page by page."""
    rng = random.Random(seed)
    texts = MessageTexts(seed)  # its own generator: every other field as before

    def body(sender: str, internal: bool) -> str:
        """A customer's or agent's varied HTML body; the system's auto-reply is one text."""
        if sender == "System":
            return f"{sender} article"
        made = texts.customer if sender == "Customer" else texts.note if internal else texts.agent
        return texts.html(made())

    out.mkdir(parents=True, exist_ok=True)
    counts = {"tickets": 0, "articles": 0, "history": 0}
    aid = hid = 0
    page: list[dict[str, Any]] = []
    with (
        (out / "tickets.json").open("w", encoding="utf-8") as tf,
        (out / "ticket_articles.json").open("w", encoding="utf-8") as af,
        (out / "ticket_history.json").open("w", encoding="utf-8") as hf,
    ):
        for n in range(tickets):
            tid, customer = 1 + n, 100_000 + rng.randint(0, tickets)
            agent = 3 + rng.randint(0, AGENTS - 1)
            created = T0 + timedelta(seconds=n * 60 + rng.randint(0, 59))
            closed = n % 4 != 0
            at = created
            articles: list[dict[str, Any]] = []
            history: list[dict[str, Any]] = []
            hid += 1
            history.append({"id": hid, "o_id": tid, "object": "Ticket", "type": "created",
                            "attribute": None, "value_from": None, "value_to": None,
                            "created_by_id": customer, "created_at": iso(created)})  # fmt: skip
            said = (("Customer", customer, False), ("System", 1, False),
                    ("Agent", agent, True), ("Agent", agent, False))  # fmt: skip
            for sender, by, internal in said:
                if at > created:
                    at += timedelta(seconds=rng.randint(30, 7200))
                aid += 1
                articles.append({
                    "id": aid, "ticket_id": tid, "type": "note" if internal else "email",
                    "sender": sender, "internal": internal, "from": None, "to": None,
                    "subject": None, "body": body(sender, internal), "content_type": "text/html",
                    "created_by_id": by, "updated_by_id": by, "origin_by_id": None,
                    "created_at": iso(at), "updated_at": iso(at), "attachments": [],
                })  # fmt: skip
                if at == created:
                    at += timedelta(seconds=1)
            changes = [("new", "open", at), ("open", "closed" if closed else "pending reminder",
                       at + timedelta(seconds=rng.randint(60, 3600)))]  # fmt: skip
            for frm, to, when in changes:
                hid += 1
                history.append({"id": hid, "o_id": tid, "object": "Ticket", "type": "updated",
                                "attribute": "state", "value_from": frm, "value_to": to,
                                "created_by_id": agent, "created_at": iso(when)})  # fmt: skip
            hid += 1
            history.append({"id": hid, "o_id": tid, "object": "Ticket", "type": "updated",
                            "attribute": "title", "value_from": "a", "value_to": "b",
                            "created_by_id": agent, "created_at": iso(at)})  # fmt: skip
            end = changes[-1][2]
            af.write(json.dumps(articles) + "\n")
            hf.write(json.dumps({"history": history, "assets": {}}) + "\n")
            counts["articles"] += len(articles)
            counts["history"] += len(history)
            page.append({
                "id": tid, "number": str(30000 + tid), "title": f"Ticket {tid}",
                "group_id": 1 + n % 3, "group": f"Group {n % 3}",
                "state": "closed" if closed else "pending reminder",
                "priority": rng.choice(["1 low", "2 normal", "3 high"]),
                "customer_id": customer, "owner_id": agent, "organization_id": None,
                "create_article_type": TYPES[n % len(TYPES)],
                "create_article_sender": "Customer", "created_at": iso(created),
                "updated_at": iso(end), "close_at": iso(end) if closed else None,
                "first_response_at": None, "article_count": len(articles),
            })  # fmt: skip
            if len(page) == PAGE:
                tf.write(json.dumps(page) + "\n")
                page = []
            counts["tickets"] += 1
        if page:
            tf.write(json.dumps(page) + "\n")
    (out / "users.json").write_text(json.dumps([
        {"id": 3 + a, "firstname": "Agent", "lastname": str(a), "login": f"a{a}@example.com",
         "email": f"a{a}@example.com", "active": True, "roles": ["Agent"], "role_ids": [2]}
        for a in range(AGENTS)
    ]))  # fmt: skip
    return counts


def ensure_export(tickets: int, seed: int) -> tuple[Path, dict[str, int]]:
    out = HERE / "data" / f"zammad-text-{tickets}-seed{seed}"
    done = out / "counts.txt"  # written last: a folder without it is incomplete
    if done.is_file():
        return out, dict(json.loads(done.read_text()))
    counts = generate(out, tickets, seed)
    done.write_text(json.dumps(counts))
    return out, counts


def run_import(export: Path) -> dict[str, Any]:
    """`deskmetrics --db FRESH import --from zammad EXPORT --format json` in a child."""
    with tempfile.TemporaryDirectory(dir=HERE / "data") as tmp:
        db = Path(tmp) / "ws.duckdb"
        cmd = [sys.executable, "-c", CHILD, "--db", str(db)]
        cmd += ["import", "--from", "zammad", str(export), "--format", "json"]
        env = {**os.environ, "PYTHONPATH": str(SRC)}
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t0 = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env, cwd=tmp)
        wall = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        if out.returncode != 0:
            raise SystemExit(f"import failed ({out.returncode}):\n{out.stderr[-3000:]}")
        summary = json.loads(out.stdout.strip().splitlines()[-1])
        command = next(
            float(line.split()[1])
            for line in out.stderr.splitlines()
            if line.startswith("COMMAND_SECONDS")
        )
    if peak <= before:
        print("# warning: peak RSS is that of an earlier, larger child", file=sys.stderr)
    return {
        "wall_s": round(wall, 2),
        "command_s": round(command, 2),
        "peak_rss_mb": round(peak / 1024),
        "rows": {k: v["inserted"] for k, v in summary["tables"].items()},
        "rejected": summary["rejected_rows"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tickets", type=int, nargs="+", default=[10_000, 50_000])
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    (HERE / "data").mkdir(exist_ok=True)
    runs = []
    for size in sorted(args.tickets):  # smallest first: each child's peak is its own
        export, counts = ensure_export(size, args.seed)
        r = run_import(export)
        rate = counts["articles"] / r["command_s"]
        print(
            f"{size:>9,} tickets ({counts['articles']:,} articles, {counts['history']:,} "
            f"history entries): child {r['wall_s']:5.1f} s, command {r['command_s']:5.2f} s  "
            f"{rate:>9,.0f} messages/s  peak RSS {r['peak_rss_mb']:,} MiB"
            f"  rows {r['rows']}  rejected {r['rejected']}",
            flush=True,
        )
        runs.append((counts["articles"], r))
        print("RESULT " + json.dumps({"tickets": size, **counts, **r}), flush=True)
    if len(runs) >= 2:
        (m0, r0), (m1, r1) = runs[-2], runs[-1]
        marginal = (m1 - m0) / max(r1["command_s"] - r0["command_s"], 1e-9)
        print(f"marginal rate between the two largest sizes: {marginal:,.0f} messages/s")


if __name__ == "__main__":
    main()
