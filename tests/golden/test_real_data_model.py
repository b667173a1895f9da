"""Real exports, right numbers: the canonical model's open vocabularies, the source's order of
same-instant events, a ticket's current status when its history is missing, schedule events
and changed survey answers. Every expected value is computed by hand in the comment above it.
"""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import UTC_9_TO_5, build_workspace, msg, one, settings, status, ticket
from deskmetrics.engine.facts import Facts
from deskmetrics.engine.store import load
from deskmetrics.model import TABLES, SourceFrame, validate
from deskmetrics.query import compute, explain


def _store(ws, name: str, rows: list[dict], file: str = "more.test"):
    vf = validate(SourceFrame(TABLES[name], file, pd.DataFrame(rows)))
    return load(ws.backend.con, [vf], source="test")


# --- open vocabularies ------------------------------------------------------------------


def test_unknown_channel_and_priority_are_kept_never_rejected():
    # Zendesk `voice` and `WhatsApp`, a home-made `fax`, priority `P1`: all stored as given
    # (lower-cased); the old closed list rejected 206 tickets and their events for `voice`
    ws = build_workspace(
        {
            "tickets": [
                ticket("v1", "2026-03-02T10:00:00Z", channel="voice", priority="P1"),
                ticket("w1", "2026-03-02T10:00:00Z", channel="WhatsApp"),
                ticket("f1", "2026-03-02T11:00:00Z", channel="fax"),
                ticket("e1", "2026-03-02T12:00:00Z", channel="email"),
            ],
            "events": [],
        }
    )
    stored = dict(ws.backend.con.execute("SELECT ticket_id, channel FROM tickets").fetchall())
    assert stored == {"v1": "voice", "w1": "whatsapp", "f1": "fax", "e1": "email"}
    assert (
        ws.backend.con.execute("SELECT priority FROM tickets WHERE ticket_id = 'v1'").fetchone()[0]
        == "p1"
    )
    # reported by the built-in mapping: voice → phone, whatsapp → chat; fax as given
    df = compute(ws, "volume", by=["channel"])
    assert dict(zip(df["channel"], df["value"], strict=True)) == {
        "phone": 1.0,
        "chat": 1.0,
        "fax": 1.0,
        "email": 1.0,
    }


def test_channel_mapping_in_settings_overrides_the_defaults():
    # [channels] whatsapp = "messaging"; voice = "voice" keeps the source's name
    config = {**UTC_9_TO_5, "channels": {"WhatsApp": "Messaging", "voice": "voice"}}
    ws = build_workspace(
        {
            "tickets": [
                ticket("v1", "2026-03-02T10:00:00Z", channel="voice"),
                ticket("w1", "2026-03-02T10:00:00Z", channel="whatsapp"),
                ticket("w2", "2026-03-02T10:30:00Z", channel="whatsapp"),
            ],
            "events": [],
        },
        config,
    )
    df = compute(ws, "volume", by=["channel"])
    assert dict(zip(df["channel"], df["value"], strict=True)) == {"voice": 1.0, "messaging": 2.0}
    # a filter names the reported channel
    assert one(compute(ws, "volume", filters={"channel": "messaging"}))["value"] == 2.0


def test_status_and_author_role_stay_closed():
    # what cannot be measured is still refused: a status or author role outside the model
    rows = [
        {"event_id": "x1", "ticket_id": "t", "at": "2026-03-02T10:00:00Z", "type": "status",
         "status": "waiting-on-moon"},
        {"event_id": "x2", "ticket_id": "t", "at": "2026-03-02T10:00:00Z", "type": "message",
         "author_role": "martian"},
    ]  # fmt: skip
    vf = validate(SourceFrame(TABLES["events"], "events.csv", pd.DataFrame(rows)))
    assert {(r.row, r.column) for r in vf.rejects} == {(1, "status"), (2, "author_role")}


# --- same-instant ordering --------------------------------------------------------------


def _same_second_workspace(first_id: str, second_id: str, extra: dict | None = None):
    """Ticket T created 10:00; at 10:30:00 the customer writes (file row 1) and an agent
    replies (file row 2), both in the same second; at 11:00:00 the ticket is solved (row 3)
    and reopened by the customer (row 4), again in one second."""
    extra = extra or {}
    return build_workspace(
        {
            "tickets": [ticket("T", "2026-03-02T10:00:00Z")],
            "events": [
                {**msg(first_id, "T", "2026-03-02T10:30:00Z", "customer", "c1"),
                 **extra.get(first_id, {})},
                {**msg(second_id, "T", "2026-03-02T10:30:00Z", "agent", "a1"),
                 **extra.get(second_id, {})},
                status(f"{first_id}-s", "T", "2026-03-02T11:00:00Z", "solved", "a1"),
                status(f"{second_id}-s", "T", "2026-03-02T11:00:00Z", "open", "c1"),
            ],
        }
    )  # fmt: skip


def test_same_second_events_keep_file_order_not_text_order_of_ids():
    # ids s999 (customer) and s1000 (agent): as text "s1000" < "s999", which would put the
    # reply before the customer's message (message unanswered) and the reopen before the solve
    # (ticket solved, no reopen). In file order: the reply answers the message in 0 minutes,
    # the ticket was solved at 11:00 and reopened: open now, 1 reopen
    ws = _same_second_workspace("s999", "s1000")
    art = one(compute(ws, "average_reply_time"))
    assert (art["value"], art["n"]) == (0.0, 1)
    t = Facts(ws).tickets.execute().set_index("ticket_id").loc["T"]
    assert t["status"] == "open"
    assert t["reopens"] == 1
    assert t["first_reply_minutes"] == 30.0


def test_explicit_seq_orders_same_second_events():
    # the source says the agent's message came first (seq 1) and the customer's second (seq 2):
    # the customer's message is then unanswered (no reply after it) → no reply time counted
    ws = _same_second_workspace("m1", "m2", {"m1": {"seq": 2}, "m2": {"seq": 1}})
    assert one(compute(ws, "average_reply_time"))["n"] == 0


def test_same_second_events_of_later_imports_follow_earlier_ones():
    # import 1 holds the solve (id z2), import 2 the reopen (id z10) at the same second:
    # arrival order puts the reopen last (text order would put "z10" first) → open, 1 reopen
    ws = build_workspace(
        {
            "tickets": [ticket("T", "2026-03-02T10:00:00Z")],
            "events": [status("z2", "T", "2026-03-02T11:00:00Z", "solved", "a1")],
        }
    )
    _store(ws, "events", [status("z10", "T", "2026-03-02T11:00:00Z", "open", "c1")])
    t = Facts(ws).tickets.execute().set_index("ticket_id").loc["T"]
    assert (t["status"], t["reopens"]) == ("open", 1)


# --- current state from the ticket itself -----------------------------------------------


def _status_only_workspace():
    """An export with no status history for C1, C2, O1 (the ticket's status only):
    - C1 created Mon 03-02 10:00, status closed as of Wed 03-04 09:00
    - C2 created Mon 03-02 11:00, status solved, updated_at missing
    - O1 created Mon 03-02 12:00, status open as of Tue 03-03 10:00
    - H1 created Mon 03-02 13:00 with a history (solved Tue 03-03 13:00) and a stale ticket
      status `open`: the history wins
    """
    return build_workspace(
        {
            "tickets": [
                ticket("C1", "2026-03-02T10:00:00Z", status="closed",
                       updated_at="2026-03-04T09:00:00Z"),
                ticket("C2", "2026-03-02T11:00:00Z", status="solved"),
                ticket("O1", "2026-03-02T12:00:00Z", status="open",
                       updated_at="2026-03-03T10:00:00Z"),
                ticket("H1", "2026-03-02T13:00:00Z", status="open",
                       updated_at="2026-03-03T13:00:00Z"),
            ],
            "events": [status("h1s", "H1", "2026-03-03T13:00:00Z", "solved", "a1")],
        }
    )  # fmt: skip


def test_closed_ticket_without_history_counts_as_solved():
    ws = _status_only_workspace()
    facts = Facts(ws).tickets.execute().set_index("ticket_id")
    assert facts.loc["C1", "status"] == "closed" and facts.loc["C1", "is_solved"]
    assert facts.loc["C2", "status"] == "solved" and facts.loc["C2", "is_solved"]
    assert facts.loc["O1", "status"] == "open" and not facts.loc["O1", "is_solved"]
    assert facts.loc["H1", "status"] == "solved"
    # resolution rate over the week: created 4; solved 3 (C1 when last seen, Wed; C2 at its
    # creation, the only instant known; H1 Tue) → 75 %
    rr = one(compute(ws, "resolution_rate", start="2026-03-02", end="2026-03-09"))
    assert rr["value"] == pytest.approx(75.0)
    # backlog at the end of the range (Mon 03-09 00:00): only O1 is unsolved → 1
    # (before: C1 and C2 counted as open backlog for ever → 3)
    assert one(compute(ws, "backlog", start="2026-03-02", end="2026-03-09"))["value"] == 1.0
    # at each day's end (C2 solved at its creation; C1 closed as of Wed 09:00; H1 solved Tue
    # 13:00): Mon end C1, O1, H1 → 3; Tue end C1, O1 → 2; Wed end O1 → 1; Thu end O1 → 1
    daily = compute(ws, "backlog", grain="day", start="2026-03-02", end="2026-03-05")
    assert list(daily["value"]) == [3.0, 2.0, 1.0, 1.0]


def test_unknown_solve_instant_is_left_out_of_durations_with_its_reason():
    ws = _status_only_workspace()
    # first resolution time: only H1 has a known solve, 24 h = 1440 min after creation
    frt = one(compute(ws, "first_resolution_time"))
    assert (frt["value"], frt["n"]) == (1440.0, 1)
    _, ex = explain(ws, "first_resolution_time", start="2026-03-02", end="2026-03-09")
    reasons = dict(ex.left_out)
    unknown = next(r for r in reasons if "does not give" in r)
    assert reasons[unknown] == 2
    assert sorted(ex.left_out_ids[unknown]) == ["C1", "C2"]


# --- schedule events --------------------------------------------------------------------


def test_schedule_event_needs_its_schedule():
    rows = [
        {"event_id": "s1", "ticket_id": "t", "at": "2026-03-02T10:00:00Z", "type": "schedule"},
        {"event_id": "s2", "ticket_id": "t", "at": "2026-03-02T10:00:00Z", "type": "schedule",
         "schedule_id": "night"},
    ]  # fmt: skip
    vf = validate(SourceFrame(TABLES["events"], "events.csv", pd.DataFrame(rows)))
    assert [(r.row, r.column) for r in vf.rejects] == [(1, "schedule_id")]
    assert list(vf.frame["schedule_id"]) == ["night"]


# --- survey answers: the latest wins ----------------------------------------------------


def _answer(score: str, at: str) -> dict:
    return {"response_id": "zendesk-csat-T", "kind": "csat", "scale": "good-bad",
            "score": score, "answered_at": at, "ticket_id": "T"}  # fmt: skip


def test_changed_rating_replaces_the_earlier_and_an_older_copy_changes_nothing():
    ws = build_workspace({"tickets": [ticket("T", "2026-03-02T10:00:00Z")], "events": []})
    _store(ws, "surveys", [_answer("good", "2026-03-03T10:00:00Z")])
    assert one(compute(ws, "csat"))["value"] == 100.0
    # the customer changes the rating to bad a day later: one answer, bad → CSAT 0 %, n 1
    s = _store(ws, "surveys", [_answer("bad", "2026-03-04T10:00:00Z")])
    assert (s.tables["surveys"].updated, s.rejects) == (1, [])
    c = one(compute(ws, "csat"))
    assert (c["value"], c["n"]) == (0.0, 1)
    # the first export imported again (older answer): nothing changes
    s = _store(ws, "surveys", [_answer("good", "2026-03-03T10:00:00Z")])
    assert (s.tables["surveys"].updated, s.tables["surveys"].unchanged) == (0, 1)
    assert one(compute(ws, "csat"))["value"] == 0.0


def test_settings_reject_an_empty_channel_name():
    with pytest.raises(ValueError, match="empty"):
        settings({**UTC_9_TO_5, "channels": {"voice": " "}})


def test_a_far_future_updated_at_never_loses_the_ticket_status():
    # a closed ticket whose export says updated_at 9999-12-31 (bad clock upstream): before the
    # fix its inferred stretch fell outside the business calendar and the ticket counted as
    # open backlog for ever. Such values are now refused on import (issue 12): the ticket and
    # an event with an infinite `seq` are stored as an older version could have (raw SQL), and
    # still break nothing: the updated_at is read as unknown, so the stretch starts at
    # creation; the infinite seq orders last. Resolution rate 1 solved / 1 created.
    ws = build_workspace(
        {
            "tickets": [ticket("F1", "2026-03-02T10:00:00Z", status="closed")],
            "events": [msg("f1c", "F1", "2026-03-02T10:00:00Z", "customer")],
        }
    )
    con = ws.backend.con
    con.execute("UPDATE tickets SET updated_at = TIMESTAMP '9999-12-31 00:00:00'")
    con.execute("UPDATE events SET seq = 'inf'::DOUBLE")
    df = compute(ws, ["resolution_rate", "backlog"])
    assert one(df, metric="resolution_rate")["value"] == pytest.approx(100.0)
    assert one(df, metric="backlog")["value"] == 0.0
    refused = _store(
        ws,
        "tickets",
        [ticket("F2", "2026-03-02T10:00:00Z", status="closed", updated_at="9999-12-31T00:00:00Z")],
    )
    assert [(r.row, r.column) for r in refused.rejects] == [(1, "updated_at")]
    refused = _store(
        ws, "events", [{**msg("f1d", "F1", "2026-03-02T10:00:00Z", "agent"), "seq": "inf"}]
    )
    assert [(r.row, r.column, r.reason) for r in refused.rejects] == [
        (1, "seq", "not a finite number")
    ]


def test_an_updated_at_after_the_present_never_loses_the_ticket_status():
    # the same, with an updated_at a few hours ahead of the clock (accepted: within a day)
    soon = (pd.Timestamp.now(tz="UTC") + pd.Timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ws = build_workspace(
        {
            "tickets": [ticket("F1", "2026-03-02T10:00:00Z", status="closed", updated_at=soon)],
            "events": [msg("f1c", "F1", "2026-03-02T10:00:00Z", "customer")],
        }
    )
    df = compute(ws, ["resolution_rate", "backlog"])
    assert one(df, metric="resolution_rate")["value"] == pytest.approx(100.0)
    assert one(df, metric="backlog")["value"] == 0.0
