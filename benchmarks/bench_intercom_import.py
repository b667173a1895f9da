"""Benchmark: `deskmetrics import --from intercom DIR` on generated Intercom exports.

    .venv/bin/python benchmarks/bench_intercom_import.py --conversations 10000 50000 [--seed 7]

Each export (JSON Lines: one `conversation.list` page of 100 conversations per line, every
conversation with its parts as GET /conversations/{id} returns them: the customer's first
message, a bot answer, an assignment, a note, teammate replies, snoozes, closes, some reopens
by the customer, a rating on every third) is generated once and cached in
benchmarks/data/intercom-text-N-seedS (git-ignored), with admins.json and teams.json. The import
runs as the CLI does it, in a child process on a fresh workspace, which reports its own peak
RSS. Prints, per size, the messages (message events: first messages, comments and notes),
wall time, messages/s and peak RSS, then one RESULT line (JSON) per size. Memory is flat in
the input size when the peak RSS of the larger export is about that of the smaller.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from texts import MessageTexts

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
T0 = 1767225600  # 2026-01-01T00:00:00Z
PAGE = 100
ADMINS = 40
TEAMS = 5

#: the child reports its own peak RSS and CPU seconds when it ends
_REPORT = (
    "import atexit, resource, sys\n"
    "def _report():\n"
    "    ru = resource.getrusage(resource.RUSAGE_SELF)\n"
    "    print('PEAK_RSS_KIB', ru.ru_maxrss, ru.ru_utime + ru.ru_stime, file=sys.stderr)\n"
    "atexit.register(_report)\n"
)
CHILD = _REPORT + "from deskmetrics.cli import main\nmain()\n"
#: the reader alone (read, map and validate every chunk; nothing stored): its memory is the
#: importer's own, apart from DuckDB's working set while storing and computing facts
READER = (
    _REPORT + "from pathlib import Path\n"
    "from deskmetrics.importers.intercom import stream_intercom\n"
    "from deskmetrics.model import validate\n"
    "for sf in stream_intercom(Path(sys.argv[1])):\n"
    "    validate(sf)\n"
)


def _part(pid: int, kind: str, at: int, author: dict[str, Any], body: str | None = None,
          assigned: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    return {"type": "conversation_part", "id": str(pid), "part_type": kind, "body": body,
            "created_at": at, "updated_at": at, "notified_at": at, "assigned_to": assigned,
            "author": author, "attachments": [], "external_id": None,
            "redacted": False}  # fmt: skip


def conversation(n: int, rng: random.Random, texts: MessageTexts) -> tuple[dict[str, Any], int]:
    """Conversation `n` and how many message events it maps to (bodies from `texts`)."""
    cust, agent, note = (lambda: texts.html(texts.customer()), lambda: texts.html(texts.agent()),
                         lambda: texts.html(texts.note()))  # fmt: skip
    start = T0 + n * 37 + rng.randrange(3600)
    user = {"type": rng.choice(("user", "user", "lead")), "id": f"c-{rng.randrange(n + 1)}"}
    admin = {"type": "admin", "id": str(1000 + rng.randrange(ADMINS))}
    bot = {"type": "bot", "id": "9001", "name": "Fin"}
    pid, at, parts, messages = n * 100, start, [], 1
    first = cust()

    def add(kind: str, author: dict[str, Any], gap: int, body: str | None = None,
            assigned: dict[str, Any] | None = None) -> None:  # fmt: skip
        nonlocal pid, at
        pid, at = pid + 1, at + gap
        parts.append(_part(pid, kind, at, author, body, assigned))

    add("comment", bot, 5, agent())
    add("assignment", bot, 20, None, {"type": "team", "id": str(7000 + rng.randrange(TEAMS))})
    add("note", admin, rng.randrange(60, 600), note())
    add("comment", admin, rng.randrange(60, 3600), agent())
    messages += 3
    for _ in range(rng.randrange(3)):
        add("comment", user, rng.randrange(60, 900), cust())
        add("comment", admin, rng.randrange(60, 3600), agent())
        messages += 2
    if rng.random() < 0.2:
        add("snoozed", admin, 60)
        add("comment", user, rng.randrange(600, 7200), cust())
        add("comment", admin, rng.randrange(60, 1800), agent())
        messages += 2
    add("close", admin, 120)
    if rng.random() < 0.1:
        add("comment", user, rng.randrange(600, 86400), cust())
        add("comment", admin, rng.randrange(60, 3600), agent())
        add("close", admin, 60)
        messages += 2
    rating = None
    if n % 3 == 0:
        rating = {"rating": rng.randint(1, 5), "remark": None, "created_at": at + 300,
                  "contact": {"type": "contact", "id": user["id"]},
                  "teammate": {"type": "admin", "id": admin["id"]}}  # fmt: skip
    conv = {
        "type": "conversation", "id": str(n + 1), "title": None, "created_at": start,
        "updated_at": at + 300, "waiting_since": None, "snoozed_until": None, "open": False,
        "state": "closed", "read": True, "priority": rng.choice(("priority", "not_priority")),
        "admin_assignee_id": int(admin["id"]), "team_assignee_id": None,
        "tags": {"type": "tag.list", "tags": []}, "conversation_rating": rating,
        "source": {"type": rng.choice(("conversation", "email")), "id": str(n),
                   "delivered_as": "customer_initiated", "subject": "",
                   "body": first, "author": user,
                   "attachments": [], "url": None, "redacted": False},
        "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": user["id"]}]},
        "statistics": {"type": "conversation_statistics", "count_reopens": None},
        "conversation_parts": {"type": "conversation_part.list", "conversation_parts": parts,
                               "total_count": len(parts)},
    }  # fmt: skip
    return conv, messages


def generate(out: Path, conversations: int, seed: int) -> dict[str, int]:
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    texts = MessageTexts(seed)  # its own generator: every other field as before
    messages = 0
    with (out / "conversations.jsonl").open("w") as f:
        for first in range(0, conversations, PAGE):
            page = []
            for n in range(first, min(first + PAGE, conversations)):
                conv, m = conversation(n, rng, texts)
                page.append(conv)
                messages += m
            f.write(json.dumps({"type": "conversation.list", "pages": {"type": "pages"},
                                "conversations": page}) + "\n")  # fmt: skip
    admins = [{"type": "admin", "id": str(1000 + i), "name": f"Agent {i}",
               "team_ids": [7000 + i % TEAMS]} for i in range(ADMINS)]  # fmt: skip
    (out / "admins.json").write_text(json.dumps({"type": "admin.list", "admins": admins}))
    teams = [{"type": "team", "id": str(7000 + i), "name": f"Team {i}"} for i in range(TEAMS)]
    (out / "teams.json").write_text(json.dumps({"type": "team.list", "teams": teams}))
    return {"conversations": conversations, "messages": messages}


def ensure_export(conversations: int, seed: int) -> tuple[Path, dict[str, int]]:
    out = HERE / "data" / f"intercom-text-{conversations}-seed{seed}"
    done = out / "counts.txt"  # written last: a folder without it is incomplete
    if done.is_file():
        return out, dict(json.loads(done.read_text()))
    counts = generate(out, conversations, seed)
    done.write_text(json.dumps(counts))
    return out, counts


def run_import(export: Path) -> dict[str, Any]:
    """`deskmetrics --db FRESH import --from intercom EXPORT --format json` in a child."""
    (HERE / "data").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=HERE / "data") as tmp:
        db = Path(tmp) / "ws.duckdb"
        cmd = [sys.executable, "-c", CHILD, "--db", str(db)]
        cmd += ["import", "--from", "intercom", str(export), "--format", "json"]
        env = {**os.environ, "PYTHONPATH": str(SRC)}
        t0 = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env, cwd=tmp)
        wall = time.perf_counter() - t0
        if out.returncode != 0:
            raise SystemExit(f"import failed ({out.returncode}):\n{out.stderr[-3000:]}")
        peak, cpu = _peak(out.stderr)
        summary = json.loads(out.stdout.strip().splitlines()[-1])
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 1),
        "peak_rss_mb": round(peak / 1024),
        "rows": {k: v["inserted"] for k, v in summary["tables"].items()},
        "rejected": summary["rejected_rows"],
    }


def _peak(stderr: str) -> tuple[int, float]:
    line = next(line for line in stderr.splitlines() if line.startswith("PEAK_RSS_KIB"))
    _, kib, cpu = line.split()
    return int(kib), float(cpu)


def run_reader(export: Path) -> dict[str, Any]:
    """The reader alone in a child: wall time and peak RSS of reading, mapping, validating."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", READER, str(export)],
        capture_output=True, text=True, check=False, env=env,
    )  # fmt: skip
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        raise SystemExit(f"reader failed ({out.returncode}):\n{out.stderr[-3000:]}")
    peak, cpu = _peak(out.stderr)
    return {"reader_wall_s": round(wall, 2), "reader_cpu_s": round(cpu, 1),
            "reader_peak_rss_mb": round(peak / 1024)}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--conversations", type=int, nargs="+", default=[10_000, 50_000])
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    runs: list[tuple[int, dict[str, Any]]] = []
    for n in args.conversations:
        export, counts = ensure_export(n, args.seed)
        size_mb = sum(p.stat().st_size for p in export.glob("*.json*")) / 1e6
        r = {**run_import(export), **run_reader(export)}
        rate = counts["messages"] / r["wall_s"]
        print(
            f"intercom {n:>9,} conversations  {counts['messages']:>10,} messages  "
            f"{size_mb:7.1f} MB  import {r['wall_s']:6.1f} s (CPU {r['cpu_s']:.1f} s)  "
            f"{rate:>9,.0f} messages/s  peak RSS {r['peak_rss_mb']:>6,} MiB  |  reader alone "
            f"{r['reader_wall_s']:.1f} s, {counts['messages'] / r['reader_wall_s']:,.0f} "
            f"messages/s, peak RSS {r['reader_peak_rss_mb']:,} MiB  |  rows {r['rows']}  "
            f"rejected {r['rejected']}  load {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
            flush=True,
        )
        print("RESULT " + json.dumps({**counts, "export_mb": round(size_mb, 1), **r}), flush=True)
        runs.append((counts["messages"], r))
    if len(runs) >= 2:  # the fixed set-up (schema, models) taken out
        (m0, r0), (m1, r1) = runs[-2], runs[-1]
        marginal = (m1 - m0) / max(r1["wall_s"] - r0["wall_s"], 1e-9)
        print(f"marginal rate between the two largest sizes: {marginal:,.0f} messages/s")


if __name__ == "__main__":
    main()
