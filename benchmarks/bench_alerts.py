"""Alert benchmarks.

1. Delay from a live event to its alert: a ticket POSTed to /api/tickets (signed, through a
   uvicorn server on loopback) until the alert e-mail arrives at a loopback SMTP server
   (aiosmtpd) and the signed webhook at a loopback receiver. Each trial posts a ticket of a
   new team, so the rule "volume over the last hour above 0, per team" opens a new episode.
   The path measured: ingest → after_ingest wakes the scheduler → evaluation of every rule →
   outbox → delivery worker → SMTP / HTTP.
2. Evaluation time of N rules on the 1M-ticket sample workspace (a copy of
   benchmarks/data/ws_1000000_seed7_direct.duckdb).

    .venv/bin/python benchmarks/bench_alerts.py [--trials 20] [--skip-1m]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx
import uvicorn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from deskmetrics.alerts import evaluate  # noqa: E402
from deskmetrics.alerts.rules import parse_rule  # noqa: E402
from deskmetrics.api import create_app  # noqa: E402
from deskmetrics.api.ingest import signed_headers  # noqa: E402
from deskmetrics.config import Settings  # noqa: E402
from deskmetrics.engine import open_duckdb  # noqa: E402
from receivers import MailSink, WebhookSink, free_port  # noqa: E402
from synthetic import synthetic  # noqa: E402


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def live_delay(trials: int, workdir: Path) -> dict[str, float]:
    import os

    os.environ["BENCH_HOOK_SECRET"] = "bench-secret"
    mail, hook = MailSink().start(), WebhookSink().start()
    settings = Settings.model_validate(
        {
            "email": {"host": "127.0.0.1", "port": mail.port},
            "webhooks": {"ops": {"url": hook.url, "secret_env": "BENCH_HOOK_SECRET"}},
            "web": {"sources": {"bench": {"secret": "ingest-secret"}}},
            "alerts": {
                "interval_minutes": 60,
                "rules": [
                    {
                        "name": "team-volume",
                        "metric": "volume",
                        "above": 0,
                        "window_hours": 1,
                        "by": ["team"],
                        "min_n": 0,
                        "email": ["lead@example.com"],
                        "webhooks": ["ops"],
                    }
                ],
            },
        }
    )
    ws = open_duckdb(workdir / "live.duckdb", settings)
    app = create_app(ws, settings, secret="bench")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    time.sleep(1.0)  # the scheduler's first pass (nothing to judge) is over
    mail_delays, hook_delays = [], []
    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        for i in range(trials):
            from datetime import UTC, datetime

            now = datetime.now(UTC) - timedelta(seconds=5)
            row = {
                "ticket_id": f"LIVE-{i}",
                "created_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "requester_id": "c1",
                "group": f"team-{i}",
            }
            body = json.dumps([row]).encode()
            headers = signed_headers("bench", "ingest-secret", body)
            t0 = time.perf_counter()
            r = client.post("/api/tickets", content=body, headers=headers)
            assert r.status_code in (200, 201), r.text
            assert mail.wait_for(i + 1, 30) and hook.wait_for(i + 1, 30), f"trial {i} lost"
            mail_delays.append(mail.arrived[i] - t0)
            hook_delays.append(hook.posts[i].at - t0)
            time.sleep(0.2)
    server.should_exit = True
    thread.join(10)
    mail.stop()
    hook.stop()
    return {
        "trials": trials,
        "email_p50_ms": 1000 * statistics.median(mail_delays),
        "email_p95_ms": 1000 * pct(mail_delays, 0.95),
        "webhook_p50_ms": 1000 * statistics.median(hook_delays),
        "webhook_p95_ms": 1000 * pct(hook_delays, 0.95),
    }


RULES_1M = [
    {"name": "csat-team", "metric": "csat", "below": 85, "by": ["team"]},
    {
        "name": "frt-chat-p90",
        "metric": "first_response_time_business",
        "statistic": "p90",
        "above": 10,
        "filters": {"channel": "chat"},
    },
    {"name": "frt-team", "metric": "first_response_time_business", "above": 120, "by": ["team"]},
    {
        "name": "resolution-p50",
        "metric": "full_resolution_time_business",
        "statistic": "p50",
        "above": 1440,
    },
    {"name": "fcr-team", "metric": "fcr_rate", "below": 70, "by": ["team"]},
    {"name": "reopen-rate", "metric": "reopen_rate", "above": 10},
    {"name": "nps", "metric": "nps", "below": 30},
    {"name": "backlog-team", "metric": "backlog", "above": 500, "by": ["team"]},
    {
        "name": "volume-spike",
        "kind": "spike",
        "metric": "volume",
        "window_hours": 24,
        "by": ["team"],
    },
    {"name": "volume-spike-all", "kind": "spike", "metric": "volume", "window_hours": 24},
]


def eval_1m(workdir: Path) -> dict[str, float]:
    src = ROOT / "benchmarks" / "data" / "ws_1000000_seed7_direct.duckdb"
    if not src.exists():
        raise SystemExit(f"{src} is missing: run benchmarks/bench_lifecycle.py first")
    dst = workdir / "ws_1m.duckdb"
    shutil.copy(src, dst)
    ws = open_duckdb(dst, synthetic(Settings()))
    ws.backend.raw_sql("SET threads = 2")
    now = ws.data_range(until_now=False)[1]
    rules = [parse_rule(r) for r in RULES_1M]
    out: dict[str, float] = {"rules": len(rules)}
    # one rule at a time (cold first, then warm), then all together
    per_rule = {}
    for rule in rules:
        t = time.perf_counter()
        rep = evaluate(ws, now=now, rules=[rule])
        per_rule[rule.name] = time.perf_counter() - t
        assert not rep.errors, rep.errors
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        rep = evaluate(ws, now=now, rules=rules)
        runs.append(time.perf_counter() - t)
    out["all_rules_median_s"] = statistics.median(runs)
    out["all_rules_min_s"] = min(runs)
    for k, v in per_rule.items():
        out[f"first_{k}_s"] = v
    out["groups_judged"] = len(rep.observations)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--skip-1m", action="store_true")
    args = ap.parse_args()
    import os

    with tempfile.TemporaryDirectory() as d:
        res = {"load_1min": os.getloadavg()[0], "live": live_delay(args.trials, Path(d))}
        print(json.dumps(res["live"]), flush=True)
        if not args.skip_1m:
            res["eval_1m"] = eval_1m(Path(d))
        res["load_1min_after"] = os.getloadavg()[0]
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
