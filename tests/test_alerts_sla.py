"""SLA alerts: open tickets breaching their first-reply target, counted per group, through
deskmetrics.sla_query (the SLA states are computed there, not here)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from conftest import UTC_9_TO_5, build_workspace, msg, ticket
from deskmetrics.alerts import evaluate
from deskmetrics.alerts.store import history
from deskmetrics.engine.store import load
from deskmetrics.model import TABLES, SourceFrame, validate

NOW = datetime(2026, 3, 10, 12, 0)  # Tuesday, UTC


def test_breached_first_reply_per_group_fires_and_recovers_when_answered() -> None:
    # policy: first reply within 1 h of calendar time.
    # B1 (billing) created 10:00, no reply at 12:00 → overdue by 1 h → breached
    # B2 (billing) created 11:30, no reply → due 12:30 → not breached yet
    # T1 (tech) created 10:00, replied 10:20 → achieved
    ws = build_workspace(
        {
            "tickets": [
                ticket("B1", "2026-03-10T10:00:00Z", group="billing"),
                ticket("B2", "2026-03-10T11:30:00Z", group="billing"),
                ticket("T1", "2026-03-10T10:00:00Z", group="tech"),
            ],
            "events": [msg("T1-r", "T1", "2026-03-10T10:20:00Z", "agent")],
        },
        {
            **UTC_9_TO_5,
            "sla": {"policies": [{"name": "all", "first_reply": "1h", "calendar": True}]},
            "alerts": {
                "rules": [{"name": "sla-breach", "kind": "sla", "by": ["group"]}],
            },
        },
    )
    report = evaluate(ws, now=NOW)
    assert report.errors == {}
    assert report.fired == [("sla-breach", {"group": "billing"})]
    (obs,) = [o for o in report.observations if o.firing]
    assert obs.n == 1  # B1 only
    # at 12:45 B2 is overdue too: still the same episode, no second alert
    assert evaluate(ws, now=NOW + timedelta(minutes=45)).fired == []
    assert history(ws)[0]["event"] == "fired" and len(history(ws)) == 1

    # both billing tickets get their reply: nothing overdue any more → the episode recovers
    frame = validate(
        SourceFrame(
            TABLES["events"],
            "events.more",
            pd.DataFrame(
                [
                    msg("B1-r", "B1", "2026-03-10T12:50:00Z", "agent"),
                    msg("B2-r", "B2", "2026-03-10T12:50:00Z", "agent"),
                ]
            ),
        )
    )
    assert not load(ws.backend.con, [frame], source="more").rejects
    later = evaluate(ws, now=NOW + timedelta(minutes=55))
    assert later.recovered == [("sla-breach", {"group": "billing"})]
