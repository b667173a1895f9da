"""Benchmark: `deskmetrics import --from freshdesk DIR` on generated Freshdesk exports.

    .venv/bin/python benchmarks/bench_freshdesk_import.py --conversations 10000 50000

For each size N, an export of N conversations is generated once into
benchmarks/data/freshdesk-text-N-seedS (git-ignored) in Freshdesk's API v2 shapes: tickets.json
(`include=stats`, one page of 100 tickets per JSON Lines line, 1 ticket per 4 conversations),
conversations.json (pages of 100: customer replies, agent replies, private notes, bot replies),
satisfaction_ratings.json (a third of the tickets), time_entries.json, agents.json and
groups.json. Each import runs as the CLI does it (read, validate, store, per-ticket facts) in a
child process on a fresh workspace. Prints per size: the child's wall time, the command's own
time (after its modules are loaded), messages/s over the command's time (conversations plus
the tickets' opening messages), the child's CPU seconds (user + system: on a machine shared
with other work, less affected by it than wall time), peak RSS of the child and the load
average; then the marginal rate between the two
largest sizes (the fixed set-up — workspace schema, facts — taken out), and one RESULT line
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
#: the CLI in a child, timing the command itself once its modules are loaded (interpreter
#: start and imports are a fixed ~5 s that would hide the importer's rate at these sizes)
CHILD = """
import sys, time
from deskmetrics.cli import main
import deskmetrics.importers.pipeline, deskmetrics.importers.freshdesk, deskmetrics.query
t0 = time.perf_counter()
try:
    main()
finally:
    print(f"COMMAND_SECONDS {time.perf_counter() - t0:.3f}", file=sys.stderr)
"""
PAGE = 100  # Freshdesk's largest per_page
AGENTS, GROUPS, BOT = 40, 4, 999_999


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _pages(path: Path, records: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for i in range(0, len(records), PAGE):
            f.write(json.dumps(records[i : i + PAGE]) + "\n")


def generate(out: Path, conversations: int, seed: int) -> dict[str, int]:
    """An export of `conversations` conversations over `conversations // 4` tickets, written
    page by page (memory: one ticket's records and one page at a time per file)."""
    rng = random.Random(seed)
    texts = MessageTexts(seed)  # its own generator: every other field as before
    out.mkdir(parents=True, exist_ok=True)
    start = datetime(2026, 1, 5, 8, tzinfo=UTC)
    n_tickets = max(1, conversations // 4)
    counts = {"tickets": 0, "conversations": 0, "ratings": 0, "time_entries": 0}
    files = {k: (out / f"{k}.json").open("w", encoding="utf-8") for k in (
        "tickets", "conversations", "satisfaction_ratings", "time_entries")}  # fmt: skip
    pages: dict[str, list[dict[str, Any]]] = {k: [] for k in files}

    def put(kind: str, record: dict[str, Any]) -> None:
        pages[kind].append(record)
        if len(pages[kind]) == PAGE:
            files[kind].write(json.dumps(pages[kind]) + "\n")
            pages[kind] = []

    cid = 10_000_000
    for n in range(n_tickets):
        tid = 1000 + n
        created = start + timedelta(minutes=n * 7 + rng.randint(0, 6))
        requester, agent = 500_000 + rng.randint(0, n_tickets), 100 + rng.randint(0, AGENTS - 1)
        at = created
        kinds = ["bot", "agent", "customer", "agent"] if n % 3 == 0 else [
            "agent", "note", "customer", "agent"]  # fmt: skip
        for kind in kinds[: 4 if counts["conversations"] + 4 <= conversations else 0]:
            at += timedelta(minutes=rng.randint(1, 240))
            cid += 1
            user = {"bot": BOT, "agent": agent, "note": agent, "customer": requester}[kind]
            text = {"bot": texts.agent, "agent": texts.agent, "note": texts.note,
                    "customer": texts.customer}[kind]()  # fmt: skip
            put("conversations", {
                "body": texts.html(text), "body_text": text, "id": cid,
                "incoming": kind == "customer", "private": kind == "note", "user_id": user,
                "support_email": None, "source": 2 if kind == "note" else 0, "category": 2,
                "ticket_id": tid, "to_emails": [], "from_email": None, "cc_emails": [],
                "bcc_emails": None, "attachments": [], "created_at": _iso(at),
                "updated_at": _iso(at),
            })  # fmt: skip
            counts["conversations"] += 1
        pending = at + timedelta(minutes=5)
        resolved = pending + timedelta(hours=rng.randint(1, 48))
        solved = n % 5 != 0
        first = texts.customer()
        put("tickets", {
            "id": tid, "subject": f"Question {tid}", "description_text": first,
            "description": texts.html(first), "requester_id": requester,
            "responder_id": agent, "group_id": 9000 + n % GROUPS, "source": rng.choice(
                [1, 1, 2, 3, 7, 9, 10]), "status": 4 if solved else 3,
            "priority": rng.randint(1, 4), "type": "Question", "spam": n % 997 == 0,
            "company_id": None, "product_id": None, "tags": [], "custom_fields": {},
            "fr_escalated": False, "is_escalated": False, "created_at": _iso(created),
            "updated_at": _iso(resolved if solved else pending),
            "stats": {"pending_since": _iso(pending), "resolved_at": _iso(resolved) if solved
                      else None, "closed_at": None, "reopened_at": None,
                      "first_responded_at": None, "agent_responded_at": None,
                      "requester_responded_at": None,
                      "status_updated_at": _iso(resolved if solved else pending)},
        })  # fmt: skip
        counts["tickets"] += 1
        if solved and n % 3 == 1:
            put("satisfaction_ratings", {
                "id": 70_000_000 + n, "survey_id": 1, "user_id": requester, "agent_id": agent,
                "feedback": None, "group_id": 9000 + n % GROUPS, "ticket_id": tid,
                "ratings": {"default_question": rng.choice([103, 100, -103, 102, -101])},
                "created_at": _iso(resolved + timedelta(hours=1)),
                "updated_at": _iso(resolved + timedelta(hours=1)),
            })  # fmt: skip
            counts["ratings"] += 1
        if n % 2 == 0:
            put("time_entries", {
                "id": 80_000_000 + n, "billable": True, "note": "", "timer_running": False,
                "agent_id": agent, "ticket_id": tid, "company_id": None,
                "time_spent": f"00:{rng.randint(1, 59):02d}", "start_time": _iso(created),
                "executed_at": _iso(created), "created_at": _iso(created),
                "updated_at": _iso(created),
            })  # fmt: skip
            counts["time_entries"] += 1
    for kind, f in files.items():
        if pages[kind]:
            f.write(json.dumps(pages[kind]) + "\n")
        f.close()
    _pages(out / "agents.json", [
        {"id": 100 + a, "group_ids": [9000 + a % GROUPS], "deactivated": False,
         "contact": {"name": f"Agent {a}", "email": f"a{a}@example.com", "active": True},
         "type": "support_agent", "created_at": "2025-01-01T00:00:00Z",
         "updated_at": "2025-01-01T00:00:00Z"} for a in range(AGENTS)
    ])  # fmt: skip
    _pages(out / "groups.json", [{"id": 9000 + g, "name": f"Team {g}"} for g in range(GROUPS)])
    return counts


def ensure_export(conversations: int, seed: int) -> tuple[Path, dict[str, int]]:
    out = HERE / "data" / f"freshdesk-text-{conversations}-seed{seed}"
    done = out / "counts.txt"  # written last: a folder without it is incomplete
    if done.is_file():
        return out, dict(json.loads(done.read_text()))
    counts = generate(out, conversations, seed)
    done.write_text(json.dumps(counts))
    return out, counts


def run_import(export: Path) -> dict[str, Any]:
    """`deskmetrics --db FRESH import --from freshdesk EXPORT --format json` in a child."""
    with tempfile.TemporaryDirectory(dir=HERE / "data") as tmp:
        db = Path(tmp) / "ws.duckdb"
        cmd = [sys.executable, "-c", CHILD, "--db", str(db)]
        cmd += ["import", "--from", "freshdesk", str(export), "--format", "json"]
        env = {**os.environ, "PYTHONPATH": str(SRC)}
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        before, cpu0 = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
        t0 = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env, cwd=tmp)
        wall = time.perf_counter() - t0
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime - cpu0
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
        "cpu_s": round(cpu, 2),
        "peak_rss_mb": round(peak / 1024),
        "rows": {k: v["inserted"] for k, v in summary["tables"].items()},
        "rejected": summary["rejected_rows"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--conversations", type=int, nargs="+", default=[10_000, 50_000])
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    (HERE / "data").mkdir(exist_ok=True)
    runs = []
    for size in sorted(args.conversations):  # smallest first: each child's peak is its own
        export, counts = ensure_export(size, args.seed)
        r = run_import(export)
        messages = counts["conversations"] + counts["tickets"]  # + the opening messages
        rate = messages / r["command_s"]
        print(
            f"{size:>9,} conversations ({counts['tickets']:,} tickets, {messages:,} messages): "
            f"child {r['wall_s']:5.1f} s (CPU {r['cpu_s']:5.1f} s), command "
            f"{r['command_s']:5.2f} s  {rate:>9,.0f} messages/s  peak RSS {r['peak_rss_mb']:,} MiB"
            f"  rows {r['rows']}  rejected {r['rejected']}"
            f"  load {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
            flush=True,
        )
        runs.append((messages, r))
        print("RESULT " + json.dumps({"conversations": size, **counts, **r}), flush=True)
    if len(runs) >= 2:
        (m0, r0), (m1, r1) = runs[-2], runs[-1]
        marginal = (m1 - m0) / max(r1["command_s"] - r0["command_s"], 1e-9)
        print(f"marginal rate between the two largest sizes: {marginal:,.0f} messages/s")


if __name__ == "__main__":
    main()
