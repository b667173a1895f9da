"""Chatwoot export import: one small history written both as canonical files and in
Chatwoot's API shapes (tests/fixtures/chatwoot/) gives the same per-ticket facts and metrics;
where Chatwoot cannot tell (no activity message for a status change) the documented fallback;
bad records are rejected naming file, record and field; imports are all-or-nothing and
idempotent.

The history (UTC; agents 1 Ana/Billing and 2 Ben/Sales; agent bot 9):
- C1 email from contact 101, Mon 09:00; Ana replies 10:00, resolved 11:00; CSAT 5 (asked);
- C2 email started by Ben to 102, Mon 09:30 (agent-created: his opening is no reply);
  102 answers 10:30, Ben replies 11:30; open (listed twice: the later listing kept);
- C3 web widget from 103, Tue 09:00; the inbox's greeting (a template, `bot`) and the agent
  bot's answer (`ai_agent`) 09:01, Ana's private note 09:10, Ana
  replies 09:30, resolved 10:00, 103 writes again 11:00 (reopened), Ana replies 11:30,
  resolved 12:00;
- C4 WhatsApp from 104, Mon 13:00; Ben replies 13:15, snoozed 13:20 → resolved 15:20; CSAT 2.
The export also holds an assignment activity and a deleted message (skipped)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from conftest import UTC_9_TO_5, one, settings
from deskmetrics.engine import Workspace, open_duckdb
from deskmetrics.engine.text_columns import TEXT_COLUMNS
from deskmetrics.importers import import_directory
from deskmetrics.importers.chatwoot import author_role, read_chatwoot
from deskmetrics.query import compute, facts_frame

FIXTURES = Path(__file__).parent / "fixtures" / "chatwoot"
WEEK = {"start": "2026-03-02", "end": "2026-03-09"}

CANONICAL = {
    "tickets.csv": "ticket_id,created_at,requester_id,channel,priority,group,assignee_id,"
    """created_by,status,updated_at
1,2026-03-02T09:00:00Z,101,email,,Billing,1,customer,solved,2026-03-02T11:00:05Z
2,2026-03-02T09:30:00Z,102,email,high,Sales,2,agent,open,2026-03-02T11:30:00Z
3,2026-03-03T09:00:00Z,103,chat,low,Billing,1,customer,solved,2026-03-03T12:00:00Z
4,2026-03-02T13:00:00Z,104,chat,urgent,Sales,2,customer,solved,2026-03-02T16:00:00Z
""",
    "events.csv": """event_id,ticket_id,at,type,author_role,author_id,public,status
o1,1,2026-03-02T09:00:00Z,message,customer,101,true,
m1,1,2026-03-02T10:00:00Z,message,agent,1,true,
s1,1,2026-03-02T11:00:00Z,status,,,,solved
o2,2,2026-03-02T09:30:00Z,message,agent,2,true,
m2,2,2026-03-02T10:30:00Z,message,customer,102,true,
m3,2,2026-03-02T11:30:00Z,message,agent,2,true,
o3,3,2026-03-03T09:00:00Z,message,customer,103,true,
g3,3,2026-03-03T09:01:00Z,message,bot,,true,
m4,3,2026-03-03T09:01:00Z,message,ai_agent,9,true,
m5,3,2026-03-03T09:10:00Z,message,agent,1,false,
m6,3,2026-03-03T09:30:00Z,message,agent,1,true,
s3,3,2026-03-03T10:00:00Z,status,,,,solved
m7,3,2026-03-03T11:00:00Z,message,customer,103,true,
s4,3,2026-03-03T11:00:00Z,status,,,,open
m8,3,2026-03-03T11:30:00Z,message,agent,1,true,
s5,3,2026-03-03T12:00:00Z,status,,,,solved
o4,4,2026-03-02T13:00:00Z,message,customer,104,true,
m9,4,2026-03-02T13:15:00Z,message,agent,2,true,
s6,4,2026-03-02T13:20:00Z,status,,,,pending
s7,4,2026-03-02T15:20:00Z,status,,,,solved
""",
    "surveys.csv": """response_id,kind,scale,score,answered_at,customer_id,ticket_id,agent_id
r1,csat,1-5,5,2026-03-02T12:00:00Z,101,1,1
r2,csat,1-5,2,2026-03-02T16:00:00Z,104,4,2
""",
    "survey_requests.csv": """request_id,kind,sent_at,customer_id,ticket_id
q1,csat,2026-03-02T11:00:05Z,101,1
q2,csat,2026-03-02T15:20:05Z,104,4
""",
    "agents.csv": """agent_id,name,active
1,Ana,true
2,Ben,true
""",
}


def workspace() -> Workspace:
    return open_duckdb(":memory:", settings(UTC_9_TO_5))


def imported(folder: Path, source: str) -> Workspace:
    ws = workspace()
    summary = import_directory(ws, folder, source)
    assert summary.rejects == [], [str(r) for r in summary.rejects]
    return ws


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, Workspace]:
    folder = tmp_path_factory.mktemp("canonical")
    for name, content in CANONICAL.items():
        (folder / name).write_text(content, encoding="utf-8")
    return imported(folder, "canonical"), imported(FIXTURES, "chatwoot")


def facts(ws: Workspace) -> pd.DataFrame:
    return facts_frame(ws).set_index("ticket_id").sort_index()


def test_the_same_history_gives_the_same_facts(both: tuple[Workspace, Workspace]) -> None:
    canonical, chatwoot = facts(both[0]), facts(both[1])
    assert list(chatwoot.index) == ["1", "2", "3", "4"]
    shared = [c for c in canonical.columns if c in chatwoot.columns]
    assert {"first_reply_minutes", "reopens", "replies", "agent_wait_minutes"} <= set(shared)
    for column in shared:
        if column in ("subject", "tags", "updated_at", *TEXT_COLUMNS):
            continue  # not written in the canonical files (nor are message texts)
        pd.testing.assert_series_equal(
            canonical[column], chatwoot[column], check_dtype=False, obj=column
        )
    # by hand: first reply C1 60, C2 120 (Ben's opening is no reply), C3 30 (the bot and the
    # private note do not count), C4 15; C3 reopened once; C4 snoozed (pending) 2 hours
    assert list(chatwoot["first_reply_minutes"]) == [60.0, 120.0, 30.0, 15.0]
    assert list(chatwoot["replies"]) == [1, 1, 2, 1]
    assert list(chatwoot["reopens"]) == [0, 0, 1, 0]
    assert chatwoot.loc["3", "first_auto_reply_minutes"] == pytest.approx(1.0)
    assert chatwoot.loc["4", "agent_wait_minutes"] == 120.0
    assert chatwoot.loc["3", "full_resolution_minutes"] == 180.0


def test_metrics_agree_with_hand_computed_values(both: tuple[Workspace, Workspace]) -> None:
    for ws in both:
        # first response: (60 + 120 + 30 + 15) / 4 = 56.25 minutes
        frt = one(compute(ws, "first_response_time", **WEEK))
        assert frt["value"] == pytest.approx(56.25)
        # solved C1, C3, C4; C3 reopened → 1 / 3
        assert one(compute(ws, "reopen_rate", **WEEK))["value"] == pytest.approx(100 / 3)
        # CSAT on 1-5 (satisfied from 4): 5 satisfied, 2 not → 50 %
        assert one(compute(ws, "csat", **WEEK))["value"] == pytest.approx(50.0)


def test_the_export_maps_roles_notes_channels_and_skips() -> None:
    x = read_chatwoot(FIXTURES)
    t = x.frame("tickets")
    assert t is not None
    assert list(t.frame["ticket_id"]) == ["1", "3", "4", "2"]  # C2's later listing, record 5
    assert list(t.frame["created_by"]) == ["customer", "customer", "customer", "agent"]
    assert list(t.frame["channel"]) == ["email", "chat", "chat", "email"]
    assert list(t.frame["tags"]) == ["invoice", None, "vip;whatsapp", None]
    e = x.frame("events")
    assert e is not None
    notes = e.frame[e.frame["public"] == "false"]
    assert list(notes["event_id"]) == ["cw-1012"]
    assert list(e.frame[e.frame["author_role"] == "bot"]["event_id"]) == ["cw-1090"]  # greeting
    assert list(e.frame[e.frame["author_role"] == "ai_agent"]["author_id"]) == ["9"]  # agent bot
    assert x.skipped == {
        "conversations.jsonl: conversations listed again (the later one kept)": 1,
        "messages.jsonl: activity messages that are no status change": 1,
        "messages.jsonl: deleted messages": 1,
    }


def test_without_activity_messages_a_conversation_keeps_only_its_current_status(
    tmp_path: Path,
) -> None:
    """The documented fallback: no activity message, no status history — a resolved
    conversation is solved at an instant Chatwoot does not give, and counts no reopen."""
    folder = tmp_path / "x"
    folder.mkdir()
    shutil.copy(FIXTURES / "conversations.jsonl", folder)
    lines = (FIXTURES / "messages.jsonl").read_text().splitlines()
    pages = [json.loads(line) for line in lines]
    for page in pages:
        page["payload"] = [m for m in page["payload"] if m["message_type"] != 2]
    (folder / "messages.jsonl").write_text("\n".join(json.dumps(p) for p in pages) + "\n")
    f = facts(imported(folder, "chatwoot"))
    assert (bool(f.loc["3", "is_solved"]), bool(f.loc["3", "solve_time_known"])) == (True, False)
    assert f.loc["3", "reopens"] == 0  # the reopen is not known
    assert list(f["first_reply_minutes"]) == [60.0, 120.0, 30.0, 15.0]  # replies are


# --- bad input -------------------------------------------------------------------------------


def _bad_export(folder: Path) -> Path:
    """The good export plus: a conversation without meta.sender (record 6), one with status
    "archived" (record 7), a message without created_at (record 24) and a message of
    conversation 99 which the export does not hold (record 25)."""
    shutil.copytree(FIXTURES, folder)
    first = json.loads((FIXTURES / "conversations.jsonl").read_text().splitlines()[0])
    base = first["data"]["payload"][0]
    no_sender = {**base, "id": 8, "meta": {**base["meta"], "sender": None}}
    archived = {**base, "id": 9, "status": "archived"}
    with (folder / "conversations.jsonl").open("a") as f:
        f.write(json.dumps({"data": {"meta": {}, "payload": [no_sender, archived]}}) + "\n")
    msg = json.loads((FIXTURES / "messages.jsonl").read_text().splitlines()[0])["payload"][0]
    with (folder / "messages.jsonl").open("a") as f:
        bad = [{**msg, "id": 2001, "created_at": None}, {**msg, "id": 2002, "conversation_id": 99}]
        f.write(json.dumps({"meta": {}, "payload": bad}) + "\n")
    return folder


def test_bad_records_are_rejected_naming_file_record_and_field(tmp_path: Path) -> None:
    ws = workspace()
    summary = import_directory(ws, _bad_export(tmp_path / "bad"), "chatwoot")
    got = sorted((r.file, r.row, r.column) for r in summary.rejects)
    assert got == [
        ("conversations.jsonl", 6, "meta.sender.id"),
        ("conversations.jsonl", 7, "status"),
        ("messages.jsonl", 25, "created_at"),
        ("messages.jsonl", 26, "conversation_id"),
    ]
    reasons = {r.column: r.reason for r in summary.rejects}
    assert "unknown Chatwoot status 'archived'" in reasons["status"]
    assert "conversation 99 is not in conversations.json" in reasons["conversation_id"]


def test_a_strict_import_stores_nothing_and_reimports_change_nothing(tmp_path: Path) -> None:
    ws = workspace()
    strict = import_directory(ws, _bad_export(tmp_path / "bad"), "chatwoot", strict=True)
    assert not strict.committed
    con = ws.backend.con
    assert con.execute("SELECT count(*) FROM tickets").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM events").fetchone() == (0,)

    first = import_directory(ws, FIXTURES, "chatwoot")
    tables = ("tickets", "events", "surveys", "survey_requests", "agents")
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone() for t in tables}
    assert counts == {"tickets": (4,), "events": (20,), "surveys": (2,),
                      "survey_requests": (2,), "agents": (2,)}  # fmt: skip
    again = import_directory(ws, FIXTURES, "chatwoot")
    assert all(tc.inserted == tc.updated == 0 for tc in again.tables.values())
    assert {t: con.execute(f"SELECT count(*) FROM {t}").fetchone() for t in tables} == counts
    assert first.tables["events"].inserted == 20


def test_every_page_shape_reads_the_same_records(tmp_path: Path) -> None:
    """JSON Lines of pages, one pretty-printed page, a JSON array, JSON Lines of records:
    the same conversations, numbered alike."""
    first = json.loads((FIXTURES / "conversations.jsonl").read_text().splitlines()[0])
    base = first["data"]["payload"][0]
    convs = [{**base, "id": n} for n in (1, 2, 3)]
    page = {"data": {"meta": {"all_count": 3}, "payload": convs}}
    shapes = {
        "pages": json.dumps(page) + "\n",
        "pretty": json.dumps(page, indent=2),
        "array": json.dumps(convs),
        "lines": "\n".join(json.dumps(c) for c in convs) + "\n",
    }
    for name, content in shapes.items():
        folder = tmp_path / name
        folder.mkdir()
        (folder / "conversations.json").write_text(content)
        t = read_chatwoot(folder).frame("tickets")
        assert t is not None, name
        got = (list(t.frame["ticket_id"]), list(t.row_numbers()))
        assert got == (["1", "2", "3"], [1, 2, 3]), name


@pytest.mark.parametrize(
    ("mtype", "sender_type", "private", "role"),
    [
        (1, "AgentBot", False, "ai_agent"),  # an agent bot (Dialogflow, Rasa, a webhook bot)
        (1, "Captain::Assistant", False, "ai_agent"),  # Chatwoot's Captain
        (1, None, False, "bot"),  # an automation rule's message: no sender
        (3, None, False, "bot"),  # a template: greeting, away message
        (1, "User", False, "agent"),
        (1, "User", True, "agent"),  # a private note: never public, never a reply
        (1, "Captain::Assistant", True, "ai_agent"),  # Captain's private draft: not a person's
        (0, "Contact", False, "customer"),
    ],
)
def test_who_wrote_a_message(mtype: int, sender_type: str | None, private: bool, role: str) -> None:
    assert author_role(mtype, sender_type, private) == role
