"""Zendesk export fidelity: each mapping choice pinned through the real import
(`import_directory`) and the per-ticket facts and metrics, with the expected numbers computed by
hand in the comments. Exports are written per test in the shapes of Zendesk's API reference
(Tickets, Ticket Audits with their events, Users, Satisfaction Ratings, Incremental Exports)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import UTC_9_TO_5, one, settings
from deskmetrics.engine import Workspace, open_duckdb
from deskmetrics.engine.facts import Facts
from deskmetrics.importers import import_directory
from deskmetrics.importers.zendesk import DEFAULT_CHANNEL_MAP, read_zendesk
from deskmetrics.query import compute, explain

WEB = {"channel": "web", "source": {"from": {}, "to": {}, "rel": None}}
TRIGGER = {"channel": "rule", "source": {"to": {}, "from": {"id": 77, "title": "Auto-reply"},
                                         "rel": "trigger"}}  # fmt: skip


def ticket(tid: int, created: str, requester: int, submitter: int, status: str, updated: str,
           via: Any = "web", **more: Any) -> dict[str, Any]:  # fmt: skip
    """A ticket as GET /api/v2/tickets returns it (the fields the importer reads)."""
    return {
        "url": f"https://acme.zendesk.com/api/v2/tickets/{tid}.json", "id": tid,
        "via": {"channel": via, "source": {"from": {}, "to": {}, "rel": None}},
        "created_at": created, "updated_at": updated, "type": "question",
        "subject": f"Ticket {tid}", "raw_subject": f"Ticket {tid}", "priority": "normal",
        "status": status, "requester_id": requester, "submitter_id": submitter,
        "assignee_id": None, "organization_id": None, "group_id": None, "tags": [],
        "brand_id": 5001, "is_public": True, **more,
    }  # fmt: skip


def audit(aid: int, tid: int, at: str, author: int, *events: dict[str, Any],
          via: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    """A ticket audit: one update of the ticket, its events in the order they happened."""
    return {"id": aid, "ticket_id": tid, "created_at": at, "author_id": author,
            "metadata": {"system": {}, "custom": {}}, "via": via or WEB,
            "events": list(events)}  # fmt: skip


def comment(eid: int, author: int, body: str, public: bool = True,
            via: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    c = {"id": eid, "type": "Comment", "author_id": author, "body": body,
         "html_body": f"<p>{body}</p>", "plain_body": body, "public": public,
         "attachments": []}  # fmt: skip
    return {**c, "via": via} if via else c


def change(eid: int, field: str, value: Any, previous: Any = None,
           kind: str = "Change") -> dict[str, Any]:  # fmt: skip
    out = {"id": eid, "type": kind, "field_name": field, "value": value}
    return out if kind == "Create" else {**out, "previous_value": previous}


def call(eid: int, agent: int, seconds: int, public: bool = True) -> dict[str, Any]:
    """A Talk voice comment of an answered call (its `data` as the audit events reference)."""
    return {"id": eid, "type": "VoiceComment", "author_id": agent, "public": public,
            "body": "Inbound call", "formatted_from": "+49 30 1", "formatted_to": "+49 30 2",
            "data": {"from": "+49301", "to": "+49302", "call_duration": seconds,
                     "answered_by_id": agent, "answered_by_name": "Agent",
                     "started_at": "2026-03-02T10:00:00Z", "location": "Berlin",
                     "recording_url": None}}  # fmt: skip


def user(uid: int, role: str) -> dict[str, Any]:
    return {"id": uid, "name": f"User {uid}", "role": role, "active": True,
            "default_group_id": None, "updated_at": "2026-01-01T00:00:00Z"}  # fmt: skip


def write(folder: Path, **files: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        text = content if isinstance(content, str) else json.dumps(content)
        (folder / name.replace("_json", ".json")).write_text(text, encoding="utf-8")
    return folder


def imported(folder: Path, source: str = "zendesk") -> Workspace:
    ws = open_duckdb(":memory:", settings(UTC_9_TO_5))
    summary = import_directory(ws, folder, source)  # type: ignore[arg-type]
    assert summary.rejects == [], [str(r) for r in summary.rejects]
    return ws


def facts(ws: Workspace) -> pd.DataFrame:
    return Facts(ws).tickets.execute().set_index("ticket_id").sort_index()


USERS = {"users": [user(1001, "end-user"), user(1002, "end-user"), user(2001, "agent"),
                   user(2002, "admin")]}  # fmt: skip


# --- 1. who wrote a comment ----------------------------------------------------------------


def test_an_admin_requester_writes_agent_comments(tmp_path: Path) -> None:
    """Ticket 1: admin 2002 opens a ticket for themself at 09:00 (opening comment) and replies
    publicly at 09:02 (Zendesk's first reply time: 2 minutes). As the requester, the admin's
    comments were customer messages: the first reply came from no one (or days later)."""
    write(
        tmp_path,
        tickets_json={"tickets": [
            ticket(1, "2026-03-02T09:00:00Z", 2002, 2002, "solved", "2026-03-02T09:10:00Z"),
            ticket(2, "2026-03-02T09:00:00Z", 1001, 1001, "open", "2026-03-02T09:30:00Z"),
        ]},
        users_json=USERS,
        ticket_audits_json={"audits": [
            audit(11, 1, "2026-03-02T09:00:00Z", 2002, comment(111, 2002, "Printer down"),
                  change(112, "status", "new", kind="Create")),
            audit(12, 1, "2026-03-02T09:02:00Z", 2002, comment(121, 2002, "Restarted it")),
            audit(13, 1, "2026-03-02T09:10:00Z", 2002, change(131, "status", "solved", "new")),
            # ticket 2: the customer writes; the system user's and a trigger's comments are
            # bot messages; agent 2001 adds a private note, then replies at 09:30
            audit(21, 2, "2026-03-02T09:00:00Z", 1001, comment(211, 1001, "Help"),
                  change(212, "status", "new", kind="Create")),
            audit(22, 2, "2026-03-02T09:00:05Z", -1, comment(221, -1, "We got it")),
            audit(23, 2, "2026-03-02T09:01:00Z", 2001,
                  comment(231, 2001, "Auto: see FAQ", via=TRIGGER)),
            audit(24, 2, "2026-03-02T09:05:00Z", 2001, comment(241, 2001, "note", public=False)),
            audit(25, 2, "2026-03-02T09:30:00Z", 2001, comment(251, 2001, "Fixed"),
                  change(252, "status", "open", "new")),
        ]},
    )  # fmt: skip
    x = read_zendesk(tmp_path)
    t = x.frame("tickets")
    assert t is not None and list(t.frame["created_by"]) == ["agent", "customer"]
    e = x.frame("events")
    assert e is not None
    msgs = e.frame[e.frame["type"] == "message"]
    assert list(zip(msgs["event_id"], msgs["author_role"], strict=True)) == [
        ("11-111", "agent"), ("12-121", "agent"), ("21-211", "customer"), ("22-221", "bot"),
        ("23-231", "bot"), ("24-241", "agent"), ("25-251", "agent"),
    ]  # fmt: skip
    f = facts(imported(tmp_path))
    # 1: created 09:00, the opening comment is not a reply, the reply at 09:02 → 2 minutes
    # 2: created 09:00; bots (09:00:05, 09:01) and the private note (09:05) do not count; the
    #    reply at 09:30 → 30 minutes; first automated response 5 s = 1/12 minute
    assert list(f["first_reply_minutes"]) == [2.0, 30.0]
    assert list(f["replies"]) == [1, 1]
    assert f.loc["2", "first_auto_reply_minutes"] == pytest.approx(5 / 60)


def test_a_private_comment_by_an_unknown_author_is_an_agent_note(tmp_path: Path) -> None:
    """No users list: the requester's public comment is a customer message; a private comment
    (the requester's id on an internal note) is an agent's note, never a customer message."""
    write(
        tmp_path,
        tickets_json=[ticket(1, "2026-03-02T09:00:00Z", 1001, 1001, "open",
                             "2026-03-02T09:10:00Z")],
        ticket_audits_json=[
            audit(11, 1, "2026-03-02T09:00:00Z", 1001, comment(111, 1001, "Hi")),
            audit(12, 1, "2026-03-02T09:10:00Z", 1001, comment(121, 1001, "x", public=False)),
        ],
    )  # fmt: skip
    e = read_zendesk(tmp_path).frame("events")
    assert e is not None
    assert list(e.frame["author_role"]) == ["customer", "agent"]


# --- 2. current state from the ticket itself -------------------------------------------------


def _closed_without_history(folder: Path) -> Path:
    """C closed (as of Wed 03-04 09:00) and O open, created Mon 03-02 10:00 and 11:00, with no
    status audits (a tickets-only export); D was deleted."""
    return write(
        folder,
        tickets_json={"tickets": [
            ticket(1, "2026-03-02T10:00:00Z", 1001, 1001, "closed", "2026-03-04T09:00:00Z"),
            ticket(2, "2026-03-02T11:00:00Z", 1002, 1002, "open", "2026-03-03T10:00:00Z"),
            ticket(3, "2026-03-02T12:00:00Z", 1002, 1002, "deleted", "2026-03-03T10:00:00Z"),
        ], "next_page": None, "end_time": 1772618400, "count": 3, "end_of_stream": True},
    )  # fmt: skip


def test_a_closed_ticket_without_status_audits_is_solved(tmp_path: Path) -> None:
    ws = imported(_closed_without_history(tmp_path))
    f = facts(ws)
    assert (f.loc["1", "status"], bool(f.loc["1", "is_solved"])) == ("closed", True)
    assert (f.loc["2", "status"], bool(f.loc["2", "is_solved"])) == ("open", False)
    # resolution rate over the week: created 2 (the deleted one is not stored), solved 1 → 50 %
    rr = one(compute(ws, "resolution_rate", start="2026-03-02", end="2026-03-09"))
    assert rr["value"] == pytest.approx(50.0)
    # backlog at the end of the week: only the open ticket 2 → 1
    assert one(compute(ws, "backlog", start="2026-03-02", end="2026-03-09"))["value"] == 1.0
    # first resolution time: the closed ticket's solve instant is unknown → left out, named
    _, ex = explain(ws, "first_resolution_time", start="2026-03-02", end="2026-03-09")
    reasons = dict(ex.left_out)
    unknown = next(r for r in reasons if "does not give" in r)
    assert (reasons[unknown], list(ex.left_out_ids[unknown])) == (1, ["1"])


def test_deleted_tickets_are_counted_in_the_import_report(tmp_path: Path) -> None:
    from deskmetrics.cli import app

    folder = _closed_without_history(tmp_path / "export")
    r = CliRunner().invoke(
        app, ["--db", str(tmp_path / "z.duckdb"), "import", "--from", "zendesk", str(folder)]
    )
    assert r.exit_code == 0, r.output
    assert "skipped 1 tickets.json: deleted tickets" in r.output


# --- 3. satisfaction wherever Zendesk puts it ------------------------------------------------


def test_ratings_from_audits_and_ratings_file_one_per_ticket(tmp_path: Path) -> None:
    """Ticket 1: the survey is offered at 10:00 (an automation changes satisfaction_score to
    offered), rated good with a comment at 11:00, changed to bad at 12:00 (audits only).
    Ticket 2: a SatisfactionRating audit event says bad at 10:30; satisfaction_ratings.json
    holds its later version, good at 13:00, and an older rating record (good, 09:00).
    Ticket 3: offered at 10:00 (satisfaction_ratings.json), never answered."""
    auto = {"channel": "rule", "source": {"from": {"id": 9, "title": "Send survey"},
                                          "rel": "automation"}}  # fmt: skip
    write(
        tmp_path,
        tickets_json=[
            ticket(n, "2026-03-02T09:00:00Z", 1001, 1001, "solved", "2026-03-02T13:00:00Z")
            for n in (1, 2, 3)
        ],
        users_json=USERS,
        ticket_audits_json=[
            audit(11, 1, "2026-03-02T10:00:00Z", -1,
                  change(111, "satisfaction_score", "offered", "unoffered"), via=auto),
            audit(12, 1, "2026-03-02T11:00:00Z", 1001,
                  change(121, "satisfaction_score", "good", "offered"),
                  change(122, "satisfaction_comment", "Quick, thanks")),
            audit(13, 1, "2026-03-02T12:00:00Z", 1001,
                  change(131, "satisfaction_score", "bad", "good")),
            audit(21, 2, "2026-03-02T10:30:00Z", 1001,
                  {"id": 211, "type": "SatisfactionRating", "score": "bad",
                   "assignee_id": 2001, "body": "Slow"}),
        ],
        satisfaction_ratings_json={"satisfaction_ratings": [
            {"id": 70, "ticket_id": 2, "requester_id": 1001, "assignee_id": 2001,
             "group_id": None, "score": "good", "comment": None,
             "created_at": "2026-03-02T08:55:00Z", "updated_at": "2026-03-02T09:00:00Z"},
            {"id": 71, "ticket_id": 2, "requester_id": 1001, "assignee_id": 2001,
             "group_id": None, "score": "good", "comment": "Better now", "reason": None,
             "created_at": "2026-03-02T10:00:00Z", "updated_at": "2026-03-02T13:00:00Z"},
            {"id": 72, "ticket_id": 3, "requester_id": 1001, "assignee_id": 2001,
             "group_id": None, "score": "offered", "comment": None,
             "created_at": "2026-03-02T10:00:00Z", "updated_at": "2026-03-02T10:00:00Z"},
        ], "next_page": None, "previous_page": None, "count": 3},
    )  # fmt: skip
    x = read_zendesk(tmp_path)
    answers = pd.concat([f.frame for f in x.frames if f.table.name == "surveys"])
    got = answers.set_index("response_id")[["score", "answered_at", "comment"]]
    assert got.to_dict("index") == {
        "zendesk-csat-1": {"score": "bad", "answered_at": "2026-03-02T12:00:00Z", "comment": None},
        "zendesk-csat-2": {"score": "good", "answered_at": "2026-03-02T13:00:00Z",
                           "comment": "Better now"},
    }  # fmt: skip
    assert x.skipped["ticket_audits.json: earlier ratings of the same ticket"] == 2  # 1 good, 2 bad
    assert x.skipped["satisfaction_ratings.json: earlier ratings of the same ticket"] == 1
    ws = imported(tmp_path)
    # CSAT: one answer per ticket, 1 bad and 2 good → 50 %, n 2
    c = one(compute(ws, "csat", start="2026-03-02", end="2026-03-03"))
    assert (c["value"], c["n"]) == (50.0, 2)
    # requests: 1 (offered 10:00, audits), 2 (first offered 08:55, its older rating record),
    # 3 (offered 10:00); answered 1 and 2 → 2 / 3
    rr = one(compute(ws, "survey_response_rate", start="2026-03-02", end="2026-03-03"))
    assert (rr["value"], rr["n"]) == (pytest.approx(200 / 3), 3)


# --- 4. side-loaded users, calls, incremental pages ------------------------------------------


def test_sideloaded_users_calls_and_cursor_pages(tmp_path: Path) -> None:
    """No users.json: the roles come from `include=users` side-loads. Tickets come as cursor-
    based incremental pages, one per line; ticket 1 appears again on page 2, solved (newer
    updated_at). Ticket 2 is a phone call answered at 10:00 (a public voice comment, 312 s of
    talk) and the agent's written answer at 10:45."""
    v1 = ticket(1, "2026-03-02T09:00:00Z", 1001, 1001, "open", "2026-03-02T09:00:00Z")
    v2 = {**v1, "status": "solved", "updated_at": "2026-03-02T09:40:00Z"}
    t2 = ticket(2, "2026-03-02T10:00:00Z", 1002, 2001, "solved", "2026-03-02T11:00:00Z",
                via="voice")  # fmt: skip
    after = "https://acme.zendesk.com/api/v2/incremental/tickets/cursor.json?cursor=MTU"
    pages = [
        {"tickets": [v1], "users": [user(1001, "end-user")], "after_url": after,
         "after_cursor": "MTU", "before_url": None, "before_cursor": None,
         "end_of_stream": False},
        {"tickets": [v2, t2], "users": [user(1002, "end-user"), user(2001, "agent")],
         "after_url": None, "after_cursor": None, "before_url": None, "before_cursor": None,
         "end_of_stream": True},
    ]  # fmt: skip
    write(
        tmp_path,
        tickets_json="\n".join(json.dumps(p) for p in pages) + "\n",
        ticket_audits_json=[{"audits": [
            audit(11, 1, "2026-03-02T09:00:00Z", 1001, comment(111, 1001, "Hello")),
            audit(12, 1, "2026-03-02T09:20:00Z", 2001, comment(121, 2001, "Hi!")),
        ], "users": [user(2001, "agent")], "next_page": "…?page=2", "count": 4},
            {"audits": [
            audit(21, 2, "2026-03-02T10:00:00Z", 2001, call(211, 2001, 312)),
            audit(22, 2, "2026-03-02T10:45:00Z", 2001, comment(221, 2001, "Summary")),
        ], "users": [user(1002, "end-user")], "next_page": None, "count": 4}],
    )  # fmt: skip
    x = read_zendesk(tmp_path)
    assert x.skipped == {"tickets.json: older versions of a record": 1}
    agents = x.frame("agents")
    assert agents is not None and list(agents.frame["agent_id"]) == ["2001"]
    f = facts(imported(tmp_path))
    # 1: the newer version (solved) counts; reply 09:00 → 09:20 = 20 minutes
    # 2: the call does not end first reply time: created 10:00 → written answer 10:45
    assert list(f["first_reply_minutes"]) == [20.0, 45.0]
    assert list(f["status"]) == ["solved", "solved"]
    assert list(f["interactions"]) == [0, 1]
    assert list(f["replies"]) == [1, 1]


@pytest.mark.parametrize("shape", ["array-of-pages", "json-lines"])
def test_time_based_pages_are_stitched(tmp_path: Path, shape: str) -> None:
    """Time-based incremental pages (next_page, end_time, count, end_of_stream): ticket 1 is
    listed on both pages, the later version (pending, 10:00) replaces the earlier."""
    v1 = ticket(1, "2026-03-02T09:00:00Z", 1001, 1001, "open", "2026-03-02T09:00:00Z")
    v2 = {**v1, "status": "pending", "updated_at": "2026-03-02T10:00:00Z"}
    t2 = ticket(2, "2026-03-02T09:30:00Z", 1002, 1002, "new", "2026-03-02T09:30:00Z")
    pages = [
        {"tickets": [v1, t2], "next_page": "…start_time=1772442000", "end_time": 1772442000,
         "count": 2, "end_of_stream": False},
        {"tickets": [v2], "next_page": None, "end_time": 1772445600, "count": 1,
         "end_of_stream": True},
    ]  # fmt: skip
    text = json.dumps(pages) if shape == "array-of-pages" else "\n".join(map(json.dumps, pages))
    t = read_zendesk(write(tmp_path, tickets_json=text)).frame("tickets")
    assert t is not None
    assert sorted(zip(t.frame["ticket_id"], t.frame["status"], strict=True)) == [
        ("1", "pending"), ("2", "new")
    ]  # fmt: skip


# --- 5. open vocabularies --------------------------------------------------------------------


def test_channels_are_kept_as_zendesk_names_them(tmp_path: Path) -> None:
    vias = ["voice", "whatsapp", "native_messaging", 4, "Web", "carrier_pigeon"]
    write(
        tmp_path,
        tickets_json=[
            ticket(n, "2026-03-02T09:00:00Z", 1001, 1001, "new", "2026-03-02T09:00:00Z",
                   via=v, priority="P1" if n == 1 else "normal")
            for n, v in enumerate(vias, 1)
        ],
    )  # fmt: skip
    ws = imported(tmp_path)
    stored = dict(ws.backend.con.execute("SELECT ticket_id, channel FROM tickets").fetchall())
    # via id 4 is the via type "mail"; nothing is mapped at import, nothing rejected
    assert stored == {"1": "voice", "2": "whatsapp", "3": "native_messaging", "4": "mail",
                      "5": "web", "6": "carrier_pigeon"}  # fmt: skip
    assert DEFAULT_CHANNEL_MAP["voice"] == "phone"
    assert DEFAULT_CHANNEL_MAP["mail"] == "email"
    assert DEFAULT_CHANNEL_MAP["whatsapp"] == "chat"
    assert set(DEFAULT_CHANNEL_MAP.values()) == {"email", "web", "chat", "phone", "social", "api"}


# --- 6. schedules and SLA policy -------------------------------------------------------------


def test_schedule_changes_and_sla_policy_from_audits(tmp_path: Path) -> None:
    write(
        tmp_path,
        tickets_json=[ticket(1, "2026-03-02T09:00:00Z", 1001, 1001, "open",
                             "2026-03-02T12:00:00Z")],
        users_json=USERS,
        ticket_audits_json=[
            audit(11, 1, "2026-03-02T09:00:00Z", 1001, comment(111, 1001, "Hi"),
                  change(112, "schedule_id", "360001", kind="Create", ),
                  change(113, "sla_policy", {"id": 55, "title": "Gold"}, kind="Create"),
                  via=TRIGGER),
            audit(12, 1, "2026-03-02T12:00:00Z", -1,
                  change(121, "schedule_id", "360002", "360001"),
                  change(122, "sla_policy", "Platinum", "Gold"), via=TRIGGER),
        ],
    )  # fmt: skip
    ws = imported(tmp_path)
    got = ws.backend.con.execute(
        "SELECT event_id, \"at\", schedule_id FROM events WHERE type = 'schedule' ORDER BY 2"
    ).fetchall()
    assert [(e, str(a), s) for e, a, s in got] == [
        ("11-112", "2026-03-02 09:00:00", "360001"),
        ("12-121", "2026-03-02 12:00:00", "360002"),
    ]
    # the latest SLA policy the audits name, as a ticket column
    sla = ws.backend.con.execute("SELECT sla_policy FROM tickets").fetchone()
    assert sla == ("Platinum",)


# --- 7. same-instant ordering ----------------------------------------------------------------


def test_same_second_events_keep_zendesk_order_not_file_or_text_order(tmp_path: Path) -> None:
    """Ticket created 10:00 by the customer (audit 998). At 10:30:00 the customer writes again
    (audit 999) and an agent replies (audit 1000), in the same second. The all-audits list
    endpoint gives the newest first, so the file lists 1000 before 999 (and "1000-…" sorts
    before "999-…" as text). In Zendesk's order the reply answers both messages: replies after
    30 and 0 minutes → average reply time 15 (n 2). The reply put first would leave the 10:30
    message unanswered: 30 (n 1)."""
    write(
        tmp_path,
        tickets_json=[ticket(1, "2026-03-02T10:00:00Z", 1001, 1001, "open",
                             "2026-03-02T10:30:00Z")],
        users_json=USERS,
        ticket_audits_json={"audits": [
            audit(1000, 1, "2026-03-02T10:30:00Z", 2001, comment(10001, 2001, "Done")),
            audit(999, 1, "2026-03-02T10:30:00Z", 1001, comment(9991, 1001, "Any news?")),
            audit(998, 1, "2026-03-02T10:00:00Z", 1001, comment(9981, 1001, "Help"),
                  change(9982, "status", "open", kind="Create")),
        ], "after_cursor": None, "end_of_stream": True},
    )  # fmt: skip
    e = read_zendesk(tmp_path).frame("events")
    assert e is not None and e.frame["seq"].notna().all()
    ws = imported(tmp_path)
    art = one(compute(ws, "average_reply_time", start="2026-03-02", end="2026-03-03"))
    assert (art["value"], art["n"]) == (15.0, 2)
    assert facts(ws).loc["1", "first_reply_minutes"] == 30.0


# --- 8. round trip ---------------------------------------------------------------------------

ROUND_TRIP_TICKETS = """ticket_id,created_at,requester_id,channel,created_by,status
1,2026-03-02T09:00:00Z,1001,web,customer,solved
2,2026-03-02T09:00:00Z,1002,web,agent,solved
3,2026-03-02T09:00:00Z,1001,web,customer,solved
4,2026-03-02T09:00:00Z,1002,web,customer,solved
5,2026-03-02T09:00:00Z,1001,voice,customer,solved
"""
ROUND_TRIP_EVENTS = """\
event_id,ticket_id,at,type,author_role,author_id,public,status,agent_id,talk_seconds
c1,1,2026-03-02T09:00:00Z,message,customer,1001,true,,,
s1,1,2026-03-02T09:00:00Z,status,,1001,,new,,
b1,1,2026-03-02T09:00:05Z,message,bot,-1,true,,,
r1,1,2026-03-02T09:40:00Z,message,agent,2001,true,,,
x1,1,2026-03-02T10:00:00Z,status,,2001,,solved,,
o2,2,2026-03-02T09:00:00Z,message,agent,2001,true,,,
s2,2,2026-03-02T09:00:00Z,status,,2001,,pending,,
c2,2,2026-03-02T09:20:00Z,message,customer,1002,true,,,
y2,2,2026-03-02T09:20:00Z,status,,1002,,open,,
r2,2,2026-03-02T09:50:00Z,message,agent,2001,true,,,
x2,2,2026-03-02T09:50:00Z,status,,2001,,solved,,
c3,3,2026-03-02T09:00:00Z,message,customer,1001,true,,,
r3,3,2026-03-02T09:10:00Z,message,agent,2001,true,,,
x3,3,2026-03-02T09:10:00Z,status,,2001,,solved,,
d3,3,2026-03-02T11:00:00Z,message,customer,1001,true,,,
o3,3,2026-03-02T11:00:00Z,status,,1001,,open,,
e3,3,2026-03-02T11:30:00Z,message,agent,2001,true,,,
z3,3,2026-03-02T11:30:00Z,status,,2001,,solved,,
c4,4,2026-03-02T09:00:00Z,message,customer,1002,true,,,
n4,4,2026-03-02T09:05:00Z,message,agent,2001,false,,,
r4,4,2026-03-02T09:25:00Z,message,agent,2001,true,,,
p4,4,2026-03-02T09:25:00Z,status,,2001,,pending,,
x4,4,2026-03-02T12:00:00Z,status,,2001,,solved,,
k5,5,2026-03-02T09:00:00Z,interaction,,,,,2001,300
r5,5,2026-03-02T09:30:00Z,message,agent,2001,true,,,
x5,5,2026-03-02T09:30:00Z,status,,2001,,solved,,
"""


def _round_trip_export(folder: Path) -> Path:
    """The five tickets of ROUND_TRIP_* as Zendesk gives them: 1 with a trigger's auto-reply,
    2 created by agent 2001 for customer 1002, 3 solved and reopened, 4 with an internal note,
    5 a phone call answered at creation (its voice comment) and a written answer."""

    def at(hm: str) -> str:
        return f"2026-03-02T{hm}:00Z"

    def new(n: int, who: int, first: dict[str, Any], status: str = "new") -> dict[str, Any]:
        return audit(n * 10, n, at("09:00"), who, first, change(n * 100, "status", status,
                     kind="Create"))  # fmt: skip

    audits = [
        new(1, 1001, comment(101, 1001, "Hello")),
        audit(11, 1, "2026-03-02T09:00:05Z", -1, comment(111, -1, "Got it"), via=TRIGGER),
        audit(12, 1, at("09:40"), 2001, comment(121, 2001, "Here you go")),
        audit(13, 1, at("10:00"), 2001, change(131, "status", "solved", "open")),
        new(2, 2001, comment(201, 2001, "Your sync broke"), "pending"),
        audit(21, 2, at("09:20"), 1002, comment(211, 1002, "Thanks"),
              change(212, "status", "open", "pending")),
        audit(22, 2, at("09:50"), 2001, comment(221, 2001, "Fixed"),
              change(222, "status", "solved", "open")),
        new(3, 1001, comment(301, 1001, "Bug")),
        audit(31, 3, at("09:10"), 2001, comment(311, 2001, "Fixed"),
              change(312, "status", "solved", "new")),
        audit(32, 3, at("11:00"), 1001, comment(321, 1001, "Back again"),
              change(322, "status", "open", "solved")),
        audit(33, 3, at("11:30"), 2001, comment(331, 2001, "Now fixed"),
              change(332, "status", "solved", "open")),
        new(4, 1002, comment(401, 1002, "Invoice?")),
        audit(41, 4, at("09:05"), 2001, comment(411, 2001, "ask billing", public=False)),
        audit(42, 4, at("09:25"), 2001, comment(421, 2001, "Attached"),
              change(422, "status", "pending", "new")),
        audit(43, 4, at("12:00"), -1, change(431, "status", "solved", "pending"), via=TRIGGER),
        new(5, 2001, call(501, 2001, 300)),
        audit(51, 5, at("09:30"), 2001, comment(511, 2001, "As discussed"),
              change(512, "status", "solved", "new")),
    ]  # fmt: skip
    tickets = [
        ticket(1, at("09:00"), 1001, 1001, "solved", at("10:00")),
        ticket(2, at("09:00"), 1002, 2001, "solved", at("09:50")),
        ticket(3, at("09:00"), 1001, 1001, "solved", at("11:30")),
        ticket(4, at("09:00"), 1002, 1002, "solved", at("12:00")),
        # Talk makes the answering agent the submitter; the customer called in (rel inbound)
        {
            **ticket(5, at("09:00"), 1001, 2001, "solved", at("09:30")),
            "via": {
                "channel": "voice",
                "source": {"rel": "inbound", "from": {"phone": "+4930"}, "to": {"phone": "+4931"}},
            },
        },
    ]
    return write(folder, tickets_json={"tickets": tickets}, users_json=USERS,
                 ticket_audits_json={"audits": audits})  # fmt: skip


def test_round_trip_canonical_csv_and_zendesk_give_the_same_facts(tmp_path: Path) -> None:
    canonical = write(tmp_path / "csv", **{"tickets.csv": ROUND_TRIP_TICKETS,
                                           "events.csv": ROUND_TRIP_EVENTS})  # fmt: skip
    columns = [
        "created_by", "status", "first_reply_minutes", "first_auto_reply_minutes", "replies",
        "reopens", "interactions", "first_resolution_minutes", "full_resolution_minutes",
    ]  # fmt: skip
    from_csv = facts(imported(canonical, "canonical"))[columns]
    from_zendesk = facts(imported(_round_trip_export(tmp_path / "zd")))[columns]
    pd.testing.assert_frame_equal(from_zendesk, from_csv, check_dtype=False)
    # and by hand: FRT 40 (the bot does not count), 50 (the agent's opening is no reply), 10,
    # 25 (the note does not count), 30 (the call does not end it); 3 was reopened once
    assert list(from_csv["first_reply_minutes"]) == [40.0, 50.0, 10.0, 25.0, 30.0]
    assert list(from_csv["reopens"]) == [0, 0, 1, 0, 0]
    assert list(from_csv["replies"]) == [1, 1, 2, 1, 1]
    assert list(from_csv["full_resolution_minutes"]) == [60.0, 50.0, 150.0, 180.0, 30.0]
