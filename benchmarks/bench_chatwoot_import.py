"""Benchmark: `deskmetrics import --from chatwoot DIR` on generated Chatwoot exports.

    .venv/bin/python benchmarks/bench_chatwoot_import.py --conversations 10000 50000

For each size N, an export of N conversations is generated once into
benchmarks/data/chatwoot-text-N-seedS (git-ignored) in the Chatwoot application API's shapes:
conversations.json (pages of 25 under `data.payload`, one page per JSON Lines line),
messages.json (one conversation's messages page per line, 6 messages each: the contact's
question, a bot's answer, an agent's private note, the agent's reply, an activity (resolved or
snoozed), and the CSAT request on every third), csat_survey_responses.json (a JSON array),
agents.json and inboxes.json. Each import runs as the CLI does it (read, validate, store,
per-ticket facts) in a child process on a fresh workspace. Prints per size: the child's wall
time, the command's own time (after its modules are loaded), messages/s over the command's
time (every record of messages.json), peak RSS of the child; then the marginal rate between
the two largest sizes, and one RESULT line (JSON) per size.
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
from pathlib import Path
from typing import Any

from texts import MessageTexts

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
#: the CLI in a child, timing the command itself once its modules are loaded
CHILD = """
import sys, time
from deskmetrics.cli import main
import deskmetrics.importers.pipeline, deskmetrics.importers.chatwoot, deskmetrics.query
t0 = time.perf_counter()
try:
    main()
finally:
    print(f"COMMAND_SECONDS {time.perf_counter() - t0:.3f}", file=sys.stderr)
"""
PAGE = 25  # Chatwoot's conversations page size
AGENTS, INBOXES, BOT = 40, 4, 9
T0 = 1_767_600_000  # 2026-01-05
CHANNELS = ("Channel::Email", "Channel::WebWidget", "Channel::Whatsapp", "Channel::Api")


def generate(out: Path, conversations: int, seed: int) -> dict[str, int]:
    """An export of `conversations` conversations, written page by page."""
    rng = random.Random(seed)
    texts = MessageTexts(seed)  # its own generator: every other field as before
    text = {"contact": texts.customer, "bot": texts.agent, "note": texts.note,
            "agent": texts.agent}  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    counts = {"conversations": 0, "messages": 0, "csat": 0}
    mid = 0
    page: list[dict[str, Any]] = []
    with (
        (out / "conversations.json").open("w", encoding="utf-8") as convs,
        (out / "messages.json").open("w", encoding="utf-8") as msgs,
        (out / "csat_survey_responses.json").open("w", encoding="utf-8") as csat,
    ):
        csat.write("[")
        for n in range(conversations):
            cid, contact = 1 + n, 500_000 + rng.randint(0, conversations)
            agent = 1 + rng.randint(0, AGENTS - 1)
            created = T0 + n * 60 + rng.randint(0, 59)
            resolved = n % 4 != 0
            at = created
            messages = []
            for kind in ("contact", "bot", "note", "agent", "activity", "csat"):
                if kind == "csat" and (not resolved or n % 3):
                    continue
                at += rng.randint(30, 7200)
                mid += 1
                mtype = {"contact": 0, "activity": 2, "csat": 3}.get(kind, 1)
                sender_type = {"contact": "Contact", "bot": "AgentBot"}.get(
                    kind, "User" if kind in ("note", "agent") else None
                )
                sender = {"contact": contact, "bot": BOT}.get(kind, agent)
                content = (
                    ("Conversation was marked resolved by Agent" if resolved
                     else "Conversation was snoozed by Agent")
                    if kind == "activity" else text[kind]() if kind in text
                    else f"{kind} message"
                )  # fmt: skip
                messages.append({
                    "id": mid, "content": content, "inbox_id": 1 + n % INBOXES,
                    "conversation_id": cid, "message_type": mtype,
                    "content_type": "input_csat" if kind == "csat" else "text",
                    "status": "sent", "content_attributes": {}, "created_at": at,
                    "private": kind == "note", "source_id": None,
                    "sender_type": sender_type if mtype != 2 else None,
                    "sender_id": sender if mtype in (0, 1) else None,
                })  # fmt: skip
            msgs.write(json.dumps({"meta": {"labels": [], "contact": {"id": contact}},
                                   "payload": messages}) + "\n")  # fmt: skip
            counts["messages"] += len(messages)
            page.append({
                "id": cid, "account_id": 1, "inbox_id": 1 + n % INBOXES,
                "status": "resolved" if resolved else "snoozed", "created_at": created,
                "timestamp": at, "updated_at": at + 0.5, "unread_count": 0,
                "labels": ["billing"] if n % 5 == 0 else [],
                "priority": rng.choice([None, "low", "medium", "high", "urgent"]),
                "additional_attributes": {}, "custom_attributes": {}, "snoozed_until": None,
                "meta": {"sender": {"id": contact, "name": f"Contact {contact}",
                                    "type": "contact"},
                         "assignee": {"id": agent, "name": f"Agent {agent}", "type": "user"},
                         "team": {"id": 1 + n % 3, "name": f"Team {n % 3}"},
                         "channel": CHANNELS[n % INBOXES]},
            })  # fmt: skip
            if len(page) == PAGE:
                convs.write(json.dumps({"data": {"meta": {}, "payload": page}}) + "\n")
                page = []
            counts["conversations"] += 1
            if resolved and n % 3 == 0:
                sep = "," if counts["csat"] else ""
                csat.write(sep + json.dumps({
                    "id": n, "rating": rng.randint(1, 5), "feedback_message": None,
                    "conversation_id": cid, "contact": {"id": contact},
                    "assigned_agent": {"id": agent}, "created_at": at + 60,
                }) + "\n")  # fmt: skip
                counts["csat"] += 1
        if page:
            convs.write(json.dumps({"data": {"meta": {}, "payload": page}}) + "\n")
        csat.write("]")
    (out / "agents.json").write_text(json.dumps([
        {"id": 1 + a, "name": f"Agent {a}", "email": f"a{a}@example.com", "role": "agent",
         "confirmed": True} for a in range(AGENTS)
    ]))  # fmt: skip
    (out / "inboxes.json").write_text(json.dumps({"payload": [
        {"id": 1 + i, "name": f"Inbox {i}", "channel_type": CHANNELS[i]} for i in range(INBOXES)
    ]}))  # fmt: skip
    return counts


def ensure_export(conversations: int, seed: int) -> tuple[Path, dict[str, int]]:
    out = HERE / "data" / f"chatwoot-text-{conversations}-seed{seed}"
    done = out / "counts.txt"  # written last: a folder without it is incomplete
    if done.is_file():
        return out, dict(json.loads(done.read_text()))
    counts = generate(out, conversations, seed)
    done.write_text(json.dumps(counts))
    return out, counts


def run_import(export: Path) -> dict[str, Any]:
    """`deskmetrics --db FRESH import --from chatwoot EXPORT --format json` in a child."""
    with tempfile.TemporaryDirectory(dir=HERE / "data") as tmp:
        db = Path(tmp) / "ws.duckdb"
        cmd = [sys.executable, "-c", CHILD, "--db", str(db)]
        cmd += ["import", "--from", "chatwoot", str(export), "--format", "json"]
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
    ap.add_argument("--conversations", type=int, nargs="+", default=[10_000, 50_000])
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    (HERE / "data").mkdir(exist_ok=True)
    runs = []
    for size in sorted(args.conversations):  # smallest first: each child's peak is its own
        export, counts = ensure_export(size, args.seed)
        r = run_import(export)
        rate = counts["messages"] / r["command_s"]
        print(
            f"{size:>9,} conversations ({counts['messages']:,} messages): "
            f"child {r['wall_s']:5.1f} s, command {r['command_s']:5.2f} s  "
            f"{rate:>9,.0f} messages/s  peak RSS {r['peak_rss_mb']:,} MiB"
            f"  rows {r['rows']}  rejected {r['rejected']}",
            flush=True,
        )
        runs.append((counts["messages"], r))
        print("RESULT " + json.dumps({"conversations": size, **counts, **r}), flush=True)
    if len(runs) >= 2:
        (m0, r0), (m1, r1) = runs[-2], runs[-1]
        marginal = (m1 - m0) / max(r1["command_s"] - r0["command_s"], 1e-9)
        print(f"marginal rate between the two largest sizes: {marginal:,.0f} messages/s")


if __name__ == "__main__":
    main()
