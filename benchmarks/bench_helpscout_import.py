"""Benchmark: `deskmetrics import --from helpscout DIR` on generated Help Scout exports.

    .venv/bin/python benchmarks/bench_helpscout_import.py --conversations 10000 50000

For each size N, an export of N conversations is generated once into
benchmarks/data/helpscout-text-N-seedS (git-ignored) in Help Scout's Mailbox API 2.0 shapes:
conversations.json (`embed=threads`, one HAL page of 50 conversations per JSON Lines line;
each conversation a customer message, a reply — the AI assistant's for a third of them — a
note for half of them, the customer's answer, a second reply and lineitems marking it pending
or closed), ratings.json (Reports API pages: a third of the closed conversations),
users.json and mailboxes.json. Each import runs as the CLI does it (read, validate, store,
per-ticket facts) in a child process on a fresh workspace. Prints per size: the child's wall
time, the command's own time (after its modules are loaded), messages/s over the command's
time (threads that are messages: customer, reply, note), the child's CPU seconds (user +
system: on a machine shared with other work, less affected by it than wall time), peak RSS
of the child; then the marginal rate between the two largest sizes (the fixed set-up —
workspace schema, facts — taken out), and one RESULT line (JSON) per size. Then the reader
alone (read, map, validate; nothing stored) in another child: its time and peak RSS, the
importer's own memory apart from DuckDB's working set while storing. The load average is
printed with each size: on a shared machine the figures move with it.
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
import deskmetrics.importers.pipeline, deskmetrics.importers.helpscout, deskmetrics.query
t0 = time.perf_counter()
try:
    main()
finally:
    print(f"COMMAND_SECONDS {time.perf_counter() - t0:.3f}", file=sys.stderr)
"""
#: the reader alone (read, map and validate every chunk; nothing stored): its memory is the
#: importer's own, apart from DuckDB's working set while storing and computing facts
READER = """
import resource, sys, time
from pathlib import Path
from deskmetrics.importers.helpscout import file_terms, stream_helpscout
from deskmetrics.importers.pipeline import validate_in_file_terms
t0 = time.perf_counter()
for sf in stream_helpscout(Path(sys.argv[1])):
    validate_in_file_terms(sf, file_terms(sf.table.name, sf.file))
ru = resource.getrusage(resource.RUSAGE_SELF)
print("READER", time.perf_counter() - t0, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, file=sys.stderr)
"""
PAGE = 50  # Help Scout's conversations page size
USERS, MAILBOXES, ASSISTANT = 40, 4, 999_999


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _page(key: str, records: list[dict[str, Any]], number: int) -> dict[str, Any]:
    return {
        "_embedded": {key: records},
        "_links": {"self": {"href": f"https://api.helpscout.net/v2/{key}?page={number}"}},
        "page": {"size": PAGE, "totalElements": -1, "totalPages": -1, "number": number},
    }


def _thread(
    tid: int, kind: str, at: datetime, who: str, uid: int, status: str, texts: MessageTexts
) -> dict[str, Any]:
    body = {"customer": texts.customer, "reply": texts.agent, "note": texts.note}.get(kind)
    return {
        "id": tid, "type": kind, "status": status, "state": "published",
        "body": texts.html(body()) if body else f"{kind} text",
        "source": {"type": "email", "via": "customer" if who == "customer" else "user"},
        "createdBy": {"id": uid, "type": who, "first": "F", "last": "L", "email": None},
        "assignedTo": None, "createdAt": _iso(at), "openedAt": None, "savedReplyId": 0,
        "to": [], "cc": [], "bcc": [], "_embedded": {"attachments": []},
        "_links": {"createdByUser": {"href": "https://api.helpscout.net/v2/users/1"}},
    }  # fmt: skip


def generate(out: Path, conversations: int, seed: int) -> dict[str, int]:
    """An export of `conversations` conversations, written page by page (memory: one page
    of each file at a time)."""
    rng = random.Random(seed)
    texts = MessageTexts(seed)  # its own generator: every other field as before
    out.mkdir(parents=True, exist_ok=True)
    start = datetime(2026, 1, 5, 8, tzinfo=UTC)
    counts = {"conversations": 0, "threads": 0, "messages": 0, "ratings": 0}
    conv_file = (out / "conversations.json").open("w", encoding="utf-8")
    rating_file = (out / "ratings.json").open("w", encoding="utf-8")
    page: list[dict[str, Any]] = []
    ratings: list[dict[str, Any]] = []
    tid = 50_000_000
    for n in range(conversations):
        cid = 1_000_000 + n
        created = start + timedelta(minutes=n * 3 + rng.randint(0, 2))
        customer, agent = 500_000 + rng.randint(0, conversations), 100 + rng.randint(0, USERS - 1)
        closed = n % 5 != 0
        at = created
        steps = [("customer", "customer", customer, "active"),
                 ("reply", "user", ASSISTANT if n % 3 == 0 else agent, "active")]  # fmt: skip
        if n % 2 == 0:
            steps.append(("note", "user", agent, "nochange"))
        steps += [("customer", "customer", customer, "active"),
                  ("reply", "user", agent, "pending"),
                  ("lineitem", "user", agent, "closed" if closed else "pending")]  # fmt: skip
        threads = []
        for kind, who, uid, status in steps:
            tid += 1
            threads.append(_thread(tid, kind, at, who, uid, status, texts))
            counts["threads"] += 1
            counts["messages"] += kind != "lineitem"
            at += timedelta(minutes=rng.randint(1, 240))
        rated = threads[-2]
        page.append({
            "id": cid, "number": n + 1, "threads": len(threads), "type": "email",
            "folderId": 1, "status": "closed" if closed else "pending", "state": "published",
            "subject": f"Question {n}", "preview": "…", "mailboxId": 70 + n % MAILBOXES,
            "assignee": {"id": agent, "type": "user"},
            "createdBy": {"id": customer, "type": "customer"}, "createdAt": _iso(created),
            "closedBy": agent if closed else 0,
            "closedAt": threads[-1]["createdAt"] if closed else None,
            "userUpdatedAt": threads[-1]["createdAt"],
            "source": {"type": rng.choice(["email", "email", "beacon", "api"]), "via": "customer"},
            "tags": [{"id": 1, "color": "#929499", "tag": "billing"}] if n % 4 == 0 else [],
            "cc": [], "bcc": [], "primaryCustomer": {"id": customer},
            "customFields": [], "_embedded": {"threads": list(reversed(threads))},
            "_links": {"self": {"href": f"https://api.helpscout.net/v2/conversations/{cid}"}},
        })  # fmt: skip
        counts["conversations"] += 1
        if len(page) == PAGE:
            conv_file.write(json.dumps(_page("conversations", page, n // PAGE + 1)) + "\n")
            page = []
        if closed and n % 3 == 1:
            ratings.append({
                "number": n + 1, "threadid": rated["id"], "threadCreatedAt": rated["createdAt"],
                "id": cid, "type": "email", "ratingId": rng.choice([1, 1, 2, 3]),
                "ratingCustomerId": customer, "ratingComments": None,
                "ratingCreatedAt": threads[-1]["createdAt"], "ratingCustomerName": "C",
                "ratingUserId": agent, "ratingUserName": "A",
            })  # fmt: skip
            counts["ratings"] += 1
            if len(ratings) == PAGE:
                rating_file.write(json.dumps({"results": ratings, "page": 1, "count": 0}) + "\n")
                ratings = []
    if page:
        conv_file.write(json.dumps(_page("conversations", page, conversations // PAGE + 1)) + "\n")
    if ratings:
        rating_file.write(json.dumps({"results": ratings, "page": 1, "count": 0}) + "\n")
    conv_file.close()
    rating_file.close()
    users = [{"id": 100 + u, "firstName": f"Agent {u}", "lastName": None, "type": "user",
              "email": f"a{u}@example.com", "role": "user"} for u in range(USERS)]  # fmt: skip
    (out / "users.json").write_text(json.dumps(_page("users", users, 1)))
    boxes = [{"id": 70 + m, "name": f"Mailbox {m}"} for m in range(MAILBOXES)]
    (out / "mailboxes.json").write_text(json.dumps(_page("mailboxes", boxes, 1)))
    return counts


def ensure_export(conversations: int, seed: int) -> tuple[Path, dict[str, int]]:
    out = HERE / "data" / f"helpscout-text-{conversations}-seed{seed}"
    done = out / "counts.txt"  # written last: a folder without it is incomplete
    if done.is_file():
        return out, dict(json.loads(done.read_text()))
    counts = generate(out, conversations, seed)
    done.write_text(json.dumps(counts))
    return out, counts


def run_import(export: Path) -> dict[str, Any]:
    """`deskmetrics --db FRESH import --from helpscout EXPORT --format json` in a child."""
    with tempfile.TemporaryDirectory(dir=HERE / "data") as tmp:
        db = Path(tmp) / "ws.duckdb"
        cmd = [sys.executable, "-c", CHILD, "--db", str(db)]
        cmd += ["import", "--from", "helpscout", str(export), "--format", "json"]
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


def run_reader(export: Path) -> dict[str, Any]:
    """The reader alone in a child: its time (after imports), CPU and peak RSS."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    cmd = [sys.executable, "-c", READER, str(export)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    if out.returncode != 0:
        raise SystemExit(f"reader failed ({out.returncode}):\n{out.stderr[-3000:]}")
    line = next(x for x in out.stderr.splitlines() if x.startswith("READER"))
    wall, cpu, peak = (float(v) for v in line.split()[1:])
    return {"reader_s": round(wall, 2), "reader_cpu_s": round(cpu, 2),
            "reader_peak_rss_mb": round(peak / 1024)}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--conversations", type=int, nargs="+", default=[10_000, 50_000])
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    (HERE / "data").mkdir(exist_ok=True)
    runs = []
    for size in sorted(args.conversations):  # smallest first: each child's peak is its own
        export, counts = ensure_export(size, args.seed)
        r = {**run_import(export), **run_reader(export)}
        rate = counts["messages"] / r["command_s"]
        print(
            f"{size:>9,} conversations ({counts['threads']:,} threads, {counts['messages']:,} "
            f"messages): child {r['wall_s']:5.1f} s (CPU {r['cpu_s']:5.1f} s), command "
            f"{r['command_s']:5.2f} s  "
            f"{rate:>9,.0f} messages/s  peak RSS {r['peak_rss_mb']:,} MiB"
            f"  | reader alone {r['reader_s']:.2f} s ({counts['messages'] / r['reader_s']:,.0f} "
            f"messages/s), peak RSS {r['reader_peak_rss_mb']:,} MiB"
            f"  | rows {r['rows']}  rejected {r['rejected']}"
            f"  load {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
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
