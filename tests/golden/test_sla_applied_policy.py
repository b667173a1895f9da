"""A ticket's applied SLA policy comes from its export where the export names it (Zendesk
audits' `sla_policy`): the policy standing for it (`source_policy`) is taken, matched on priority
only, before any `when`; tickets naming no policy are matched by `when`."""

from __future__ import annotations

from datetime import datetime

from conftest import UTC_9_TO_5, build_workspace, msg, one, ticket
from deskmetrics.sla_query import sla_state

CONFIG = {
    **UTC_9_TO_5,
    "sla": {
        "policies": [
            # converted from Zendesk: VIP by tag, with urgent and normal targets only
            {"name": "VIP (urgent)", "source_policy": ["VIP", "72"],
             "when": {"priority": "urgent", "tags": "vip"}, "first_reply": "1h"},
            {"name": "VIP (normal)", "source_policy": ["VIP", "72"],
             "when": {"priority": "normal", "tags": "vip"}, "first_reply": "4h"},
            {"name": "Everyone else", "source_policy": ["Everyone else", "71"],
             "first_reply": "8h"},
        ]
    },
}  # fmt: skip
CREATED = "2026-03-02T10:00:00Z"  # Mon


def test_the_applied_policy_named_by_the_export_wins_over_conditions():
    tickets = [
        # named VIP by the export, urgent, but no vip tag (the tag was removed later): VIP
        ticket("A", CREATED, priority="urgent", sla_policy="VIP"),
        # named by id
        ticket("B", CREATED, priority="normal", sla_policy="72"),
        # names no policy: `when` decides (no vip tag → Everyone else)
        ticket("C", CREATED, priority="urgent"),
        # names no policy but has the tag: VIP (urgent) by `when`
        ticket("D", CREATED, priority="urgent", tags="vip"),
        # named VIP, priority low: VIP has no low targets → no target (as in Zendesk)
        ticket("E", CREATED, priority="low", sla_policy="VIP"),
        # names a policy none stands for: `when` decides → Everyone else
        ticket("F", CREATED, priority="urgent", sla_policy="Legacy"),
        # names "Everyone else" although it carries the vip tag: Everyone else
        ticket("G", CREATED, priority="urgent", tags="vip", sla_policy="Everyone else"),
    ]
    events = [msg(f"{t['ticket_id']}-c", t["ticket_id"], CREATED, "customer") for t in tickets]
    ws = build_workspace({"tickets": tickets, "events": events}, CONFIG)
    state = sla_state(ws, now=datetime(2026, 3, 2, 10, 30))
    policy = {tid: one(state, ticket_id=tid)["policy"] for tid in "ABCDFG"}
    assert policy == {
        "A": "VIP (urgent)",
        "B": "VIP (normal)",
        "C": "Everyone else",
        "D": "VIP (urgent)",
        "F": "Everyone else",
        "G": "Everyone else",
    }
    assert "E" not in set(state["ticket_id"])
    # A runs on VIP's 1 h first-reply target: due 11:00
    assert one(state, ticket_id="A")["due_at"].isoformat() == "2026-03-02T11:00:00"
