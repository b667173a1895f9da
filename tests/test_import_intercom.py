"""Intercom export import (`--from intercom`): the same history written as canonical CSV files
and as Intercom API pages (tests/fixtures/intercom, written after Intercom's REST API 2.x
reference: conversation list pages with their `pages` cursor, conversations with their parts,
statistics and rating; admins and teams lists) gives the same per-ticket facts and metrics.

The history (Monday 2026-03-02, UTC, office hours 09:00–17:00):
- 1001, Messenger: customer c-101 writes 09:00; Fin answers 09:01 (bot); assigned to Ana
  (5001) 09:05; Ana's private note 09:10; Ana replies 09:20; closed 09:30; rated 5 at 09:40.
- 1002, email opened by teammate Ben (5002) at 10:00 (agent-created); the customer answers
  10:30; assigned to team Billing 10:31; Ben replies 10:45; snoozed 10:50 (pending); the
  customer writes 11:50 (back to open); Ben replies 12:00; closed 12:10; the customer writes
  13:00 (a reopen); Ben replies 13:30; closed 13:40; rated 2 at 14:00.
- 1003, Messenger: lead c-103 writes 15:00; Fin answers 15:01 and assigns team Billing; open.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import UTC_9_TO_5, one, settings
from deskmetrics.cli import app as cli_app
from deskmetrics.engine import Workspace, open_duckdb
from deskmetrics.errors import ImportDataError
from deskmetrics.importers import SOURCES, import_directory
from deskmetrics.importers.intercom import read_intercom
from deskmetrics.query import compute, facts_frame

FIXTURES = Path(__file__).parent / "fixtures" / "intercom"

TICKETS = """\
ticket_id,created_at,requester_id,channel,priority,group,assignee_id,created_by,tags,status,updated_at
1001,2026-03-02T09:00:00Z,c-101,conversation,normal,,5001,customer,invoice,solved,2026-03-02T09:40:00Z
1002,2026-03-02T10:00:00Z,c-102,email,high,Billing,5002,agent,,solved,2026-03-02T14:00:00Z
1003,2026-03-02T15:00:00Z,c-103,conversation,normal,Billing,,customer,,open,2026-03-02T15:02:00Z
"""
EVENTS = """\
event_id,ticket_id,at,type,author_role,author_id,public,status,assignee_id,group
m1,1001,2026-03-02T09:00:00Z,message,customer,c-101,true,,,
m2,1001,2026-03-02T09:01:00Z,message,bot,9001,true,,,
a1,1001,2026-03-02T09:05:00Z,assignment,,5001,,,5001,
n1,1001,2026-03-02T09:10:00Z,message,agent,5001,false,,,
m3,1001,2026-03-02T09:20:00Z,message,agent,5001,true,,,
s1,1001,2026-03-02T09:30:00Z,status,,5001,,solved,,
m4,1002,2026-03-02T10:00:00Z,message,agent,5002,true,,,
m5,1002,2026-03-02T10:30:00Z,message,customer,c-102,true,,,
a2,1002,2026-03-02T10:31:00Z,assignment,,5002,,,,Billing
m6,1002,2026-03-02T10:45:00Z,message,agent,5002,true,,,
s2,1002,2026-03-02T10:50:00Z,status,,5002,,pending,,
s3,1002,2026-03-02T11:50:00Z,status,,c-102,,open,,
m7,1002,2026-03-02T11:50:00Z,message,customer,c-102,true,,,
m8,1002,2026-03-02T12:00:00Z,message,agent,5002,true,,,
s4,1002,2026-03-02T12:10:00Z,status,,5002,,solved,,
s5,1002,2026-03-02T13:00:00Z,status,,c-102,,open,,
m9,1002,2026-03-02T13:00:00Z,message,customer,c-102,true,,,
m10,1002,2026-03-02T13:30:00Z,message,agent,5002,true,,,
s6,1002,2026-03-02T13:40:00Z,status,,5002,,solved,,
m11,1003,2026-03-02T15:00:00Z,message,customer,c-103,true,,,
m12,1003,2026-03-02T15:01:00Z,message,bot,9001,true,,,
a3,1003,2026-03-02T15:02:00Z,assignment,,9001,,,,Billing
"""
SURVEYS = """\
response_id,kind,scale,score,answered_at,customer_id,ticket_id,agent_id,comment
r1,csat,1-5,5,2026-03-02T09:40:00Z,c-101,1001,5001,Quick!
r2,csat,1-5,2,2026-03-02T14:00:00Z,c-102,1002,5002,
"""
AGENTS = """\
agent_id,name,team
5001,Ana Ops,
5002,Ben Billing,Billing
"""
WEEK = {"start": "2026-03-02", "end": "2026-03-09"}


def write(folder: Path, **files: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        text = content if isinstance(content, str) else json.dumps(content)
        (folder / name.replace("_json", ".json").replace("_csv", ".csv")).write_text(text)
    return folder


def imported(folder: Path, source: str) -> Workspace:
    ws = open_duckdb(":memory:", settings(UTC_9_TO_5))
    summary = import_directory(ws, folder, source)
    assert summary.rejects == [], [str(r) for r in summary.rejects]
    return ws


def count(ws: Workspace, table: str) -> int:
    return int(ws.backend.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def comparable(ws: Workspace) -> pd.DataFrame:
    """The per-ticket facts, without the columns that only name a source's own ids, nor those
    read from what customers wrote (the canonical files here carry no message bodies, the
    Intercom export does)."""
    f = facts_frame(ws).set_index("ticket_id").sort_index()
    text = ("subject", "topic", "topic_label", "sentiment_first", "sentiment_last")
    text += ("sentiment_mean", "sentiment_shift")
    return f.drop(columns=[c for c in text if c in f.columns])


# --- round trip --------------------------------------------------------------------------


def test_the_same_history_gives_the_same_facts_and_metrics(tmp_path: Path) -> None:
    canonical = imported(
        write(tmp_path / "canonical", tickets_csv=TICKETS, events_csv=EVENTS,
              surveys_csv=SURVEYS, agents_csv=AGENTS),
        "canonical",
    )  # fmt: skip
    intercom = imported(FIXTURES, "intercom")
    a, b = comparable(canonical), comparable(intercom)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)

    # by hand: 1001 created 09:00, Fin (bot) at 09:01 and the note at 09:10 do not count, Ana
    # replies at 09:20 → 20 min; 1002 was opened by Ben (his 10:00 message is not a reply), his
    # first reply is at 10:45 → 45 min after creation; 1003 is unanswered
    f = b
    assert f.loc["1001", "first_reply_minutes"] == 20.0
    assert f.loc["1002", "first_reply_minutes"] == 45.0
    assert pd.isna(f.loc["1003", "first_reply_minutes"])
    assert list(f["replies"]) == [1, 3, 0]
    assert list(f["reopens"]) == [0, 1, 0]
    for ws in (canonical, intercom):
        # mean of 20 and 45 → 32.5 minutes
        frt = one(compute(ws, "first_response_time", **WEEK))
        assert frt["value"] == pytest.approx(32.5)
        # solved 1001 and 1002; 1002 reopened once → 1/2
        assert one(compute(ws, "reopen_rate", **WEEK))["value"] == pytest.approx(50.0)
        # ratings 5 (satisfied, ≥ 4) and 2 → 1/2
        assert one(compute(ws, "csat", **WEEK))["value"] == pytest.approx(50.0)
        # 1002 waited on the customer from 10:50 (snoozed) to 11:50, 60 min; 1001 0 → mean 30
        assert one(compute(ws, "agent_wait_time", **WEEK))["value"] == pytest.approx(30.0)


def test_the_mapping_names_bots_notes_and_agent_created_tickets() -> None:
    x = read_intercom(FIXTURES)
    t = x.frame("tickets")
    assert t is not None and list(t.frame["created_by"]) == ["customer", "agent", "customer"]
    assert list(t.frame["status"]) == ["solved", "solved", "open"]  # closed is solved
    e = x.frame("events")
    assert e is not None
    msgs = e.frame[e.frame["type"] == "message"].set_index("event_id")
    assert msgs.loc["ic-part-110001", "author_role"] == "bot"  # Fin
    assert (msgs.loc["ic-part-110003", "author_role"], msgs.loc["ic-part-110003", "public"]) == (
        "agent",
        "false",
    )  # a note
    assert msgs.loc["ic-1002-source", "author_role"] == "agent"
    # parts that are not ticket history are counted, not dropped silently
    assert x.skipped == {
        "conversations.json: parts of type conversation_rating_changed (not ticket history)": 1,
        "conversations.json: parts of type participant_added (not ticket history)": 1,
    }
    assert x.notes == []  # statistics agree with the parts


# --- statistics: fallback and cross-check ------------------------------------------------

T9 = 1772442000  # 2026-03-02T09:00:00Z


def _bare(cid: str, **more: Any) -> dict[str, Any]:
    return {
        "type": "conversation", "id": cid, "created_at": T9, "updated_at": T9 + 3600,
        "state": "closed", "priority": "not_priority", "admin_assignee_id": 0,
        "team_assignee_id": None, "tags": {"type": "tag.list", "tags": []},
        "source": {"type": "conversation", "id": "1", "delivered_as": "customer_initiated",
                   "subject": "", "body": "<p>Hi</p>",
                   "author": {"type": "user", "id": "c-1", "name": None, "email": None}},
        "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": "c-1"}]},
        "conversation_rating": None,
        "statistics": {"type": "conversation_statistics", "first_admin_reply_at": T9 + 600,
                       "last_close_at": T9 + 1800, "last_closed_by_id": 5001,
                       "count_reopens": 2},
        **more,
    }  # fmt: skip


def test_a_conversation_without_parts_falls_back_on_its_statistics(tmp_path: Path) -> None:
    """A list page holds no parts: the first reply (09:10) and the last close (09:30) come from
    the statistics; the two reopens they count cannot be placed in time, so they are unknown."""
    folder = write(tmp_path, conversations_json={"type": "conversation.list",
                                                 "conversations": [_bare("1")]})  # fmt: skip
    ws = open_duckdb(":memory:", settings(UTC_9_TO_5))
    summary = import_directory(ws, folder, "intercom")
    assert summary.rejects == []
    assert any("without their parts" in n for n in summary.notes)
    f = facts_frame(ws).set_index("ticket_id")
    assert f.loc["1", "first_reply_minutes"] == 10.0
    assert f.loc["1", "first_resolution_minutes"] == 30.0
    assert f.loc["1", "reopens"] == 0


def test_statistics_that_disagree_with_the_parts_are_noted(tmp_path: Path) -> None:
    parts = {"type": "conversation_part.list", "total_count": 700, "conversation_parts": [
        {"type": "conversation_part", "id": "9", "part_type": "comment", "created_at": T9 + 300,
         "author": {"type": "admin", "id": "5001"}, "body": "<p>Hello</p>"},
        {"type": "conversation_part", "id": "10", "part_type": "close", "created_at": T9 + 1800,
         "author": {"type": "admin", "id": "5001"}, "body": None},
    ]}  # fmt: skip
    folder = write(tmp_path, conversations_json=[_bare("1", conversation_parts=parts)])
    summary = import_directory(open_duckdb(":memory:", settings(UTC_9_TO_5)), folder, "intercom")
    notes = " | ".join(summary.notes)
    assert "1 conversations have more parts than exported" in notes
    assert "1 conversations show a different number of reopens" in notes
    assert "1 conversations have a first teammate reply" in notes


# --- shapes ------------------------------------------------------------------------------


def test_json_lines_and_repeated_versions(tmp_path: Path) -> None:
    """JSON Lines of single conversations (as GET /conversations/{id} returns them); a
    conversation listed twice counts once, in its version updated last."""
    old = _bare("1", state="open", updated_at=T9 + 60)
    new = _bare("1")
    lines = "\n".join(json.dumps(c) for c in (old, new, _bare("2"))) + "\n"
    x = read_intercom(write(tmp_path, conversations_jsonl=lines.replace("\n\n", "\n")))
    t = x.frame("tickets")
    assert t is not None and list(t.frame["ticket_id"]) == ["1", "2"]
    assert list(t.frame["status"]) == ["solved", "solved"]
    assert x.skipped == {"conversations.jsonl: older versions of a conversation": 1}


def test_a_folder_without_conversations_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportDataError, match=r"no conversations\.json"):
        read_intercom(write(tmp_path, admins_json={"admins": []}))


# --- bad input ---------------------------------------------------------------------------


def _bad_folder(tmp_path: Path) -> Path:
    good = _bare("1")
    no_time = _bare("2", created_at=None)  # a required field missing
    odd_state = _bare("3", state="archived")  # an unknown status
    visitor = {"type": "conversation_part", "id": "41", "part_type": "comment",
               "created_at": T9 + 60, "author": {"type": "visitor", "id": "x"}}  # fmt: skip
    no_author = _bare("4", conversation_parts={"conversation_parts": [visitor]})
    return write(
        tmp_path / "bad",
        conversations_json={"conversations": [good, no_time, odd_state, no_author]},
    )


def test_bad_records_are_rejected_naming_file_record_and_field(tmp_path: Path) -> None:
    ws = open_duckdb(":memory:", settings(UTC_9_TO_5))
    summary = import_directory(ws, _bad_folder(tmp_path), "intercom")
    got = sorted({(r.file, r.row, r.column) for r in summary.rejects})
    assert got == [
        ("conversations.json", 2, "created_at"),
        # the messages of conversations 2 and 3 name a conversation that was not stored
        ("conversations.json", 2, "ticket_id"),
        ("conversations.json", 3, "state"),
        ("conversations.json", 3, "ticket_id"),
        ("conversations.json", 4, "conversation_parts[0].author.type"),
    ]
    reasons = {r.column: r.reason for r in summary.rejects}
    assert "names no row of tickets" in reasons["ticket_id"]
    assert "'archived' is not open, closed or snoozed" in reasons["state"]
    # 1: its message and the statistics' first reply and close; 4: its message
    assert (count(ws, "tickets"), count(ws, "events")) == (2, 4)


def test_a_strict_import_stores_nothing_and_a_reimport_changes_nothing(tmp_path: Path) -> None:
    ws = open_duckdb(":memory:", settings(UTC_9_TO_5))
    s = import_directory(ws, _bad_folder(tmp_path), "intercom", strict=True)
    assert not s.committed
    assert (count(ws, "tickets"), count(ws, "events")) == (0, 0)

    folder = tmp_path / "copy"
    shutil.copytree(FIXTURES, folder)
    import_directory(ws, folder, "intercom")
    before = {t: count(ws, t) for t in ("tickets", "events", "surveys", "agents")}
    assert before == {"tickets": 3, "events": 22, "surveys": 2, "agents": 2}
    again = import_directory(ws, folder, "intercom")
    assert {t: count(ws, t) for t in before} == before
    assert all(c.inserted == 0 and c.updated == 0 for c in again.tables.values())


def test_a_broken_file_stores_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    shutil.copytree(FIXTURES, folder)
    (folder / "admins.json").write_text('{"admins": [{"id": "1"},')
    ws = open_duckdb(":memory:", settings(UTC_9_TO_5))
    with pytest.raises(ImportDataError, match=r"admins\.json"):
        import_directory(ws, folder, "intercom")
    assert count(ws, "tickets") == 0


def test_the_cli_imports_an_intercom_folder(tmp_path: Path) -> None:
    db = tmp_path / "ws.duckdb"
    out = CliRunner().invoke(
        cli_app, ["--db", str(db), "import", "--from", "intercom", str(FIXTURES)]
    )
    assert out.exit_code == 0, out.output
    assert "intercom" in SOURCES


def test_odd_but_valid_records_map_as_documented() -> None:
    """tests/fixtures/intercom_odd: times as digit strings, no statistics, an empty contact
    list, a team author, a redacted part, a part type Intercom added later, an unassignment,
    parts listed out of order, an empty rating, an automated outbound message."""
    x = read_intercom(FIXTURES.parent / "intercom_odd")
    t = x.frame("tickets")
    assert t is not None
    tickets = t.frame.set_index("ticket_id")
    # 3001: the lead who wrote the first message is the requester; snoozed is pending
    assert tickets.loc["3001", "requester_id"] == "c-31"
    assert tickets.loc["3001", "created_at"] == "2026-03-02T09:00:00Z"
    assert (tickets.loc["3001", "status"], tickets.loc["3001", "channel"]) == (
        "pending",
        "whatsapp",
    )
    assert tickets.loc["3001", "tags"] == "vip;loose-tag"
    assert tickets.loc["3001", "assignee_id"] is None  # 0 is nobody
    # 3002: an automated message opens it (agent-created, a bot message); priority → high
    assert (tickets.loc["3002", "created_by"], tickets.loc["3002", "priority"]) == ("agent", "high")
    e = x.frame("events")
    assert e is not None
    rows = e.frame.set_index("event_id")
    # parts in time order whatever order they are listed in; seq is the part id
    assert [i for i in rows.index if i.startswith("ic-part-31")] == [
        "ic-part-310001", "ic-part-310003-assignment", "ic-part-310004-status",
    ]  # fmt: skip
    assert rows.loc["ic-part-310001", "author_role"] == "agent"  # a team writes as an agent
    assert rows.loc["ic-part-310004-status", "status"] == "pending"
    assert rows.loc["ic-3002-source", "author_role"] == "bot"
    assert rows.loc["ic-part-320002-status", "status"] == "solved"
    assert x.frame("surveys") is None  # an empty rating is no answer
    assert x.skipped == {
        "conversations.jsonl: parts of type custom_action_finished (not ticket history)": 1
    }
    # the source of 3001 has no body but an author: still its first message
    assert rows.loc["ic-3001-source", "author_role"] == "customer"
    # and the whole import takes them without a reject; 3002 was solved 2 hours after creation
    f = facts_frame(imported(FIXTURES.parent / "intercom_odd", "intercom")).set_index("ticket_id")
    assert f.loc["3002", "first_resolution_minutes"] == 120.0
    assert f.loc["3001", "status"] == "pending"


# --- the AI agent (Fin) ---------------------------------------------------------------------


def _part(pid: str, minutes: int, author: dict[str, Any], kind: str = "comment") -> dict[str, Any]:
    return {"type": "conversation_part", "id": pid, "part_type": kind, "body": "<p>…</p>",
            "created_at": T9 + 60 * minutes, "updated_at": T9 + 60 * minutes,
            "notified_at": T9 + 60 * minutes, "assigned_to": None, "author": author,
            "attachments": [], "external_id": None, "redacted": False}  # fmt: skip


def _roles(tmp_path: Path, *conversations: dict[str, Any]) -> dict[str, str]:
    folder = write(tmp_path, conversations_json={"type": "conversation.list",
                                                 "conversations": list(conversations)})  # fmt: skip
    e = read_intercom(folder).frame("events")
    assert e is not None
    msgs = e.frame[e.frame["type"] == "message"]
    return dict(zip(msgs["event_id"], msgs["author_role"], strict=True))


def test_fin_answers_are_ai_agent_messages_and_a_workflow_greeting_stays_bot(
    tmp_path: Path,
) -> None:
    """Newer API versions: the author of each part says whether the AI agent sent it. In one
    conversation: the workflow's greeting (a bot, both flags false) 09:00, Fin's answer 09:01
    (from_ai_agent and is_ai_answer true), Fin's hand-over line 09:03 (from_ai_agent true, a
    custom answer: is_ai_answer false), Ana 09:20, and a note by Fin (notes keep their role)."""
    greeting = {"type": "bot", "id": "9001", "name": "Operator", "email": None,
                "from_ai_agent": False, "is_ai_answer": False}  # fmt: skip
    fin = {"type": "bot", "id": "9002", "name": "Fin", "email": None,
           "from_ai_agent": True, "is_ai_answer": True}  # fmt: skip
    handover = {**fin, "is_ai_answer": False}
    ana = {"type": "admin", "id": "5001", "name": "Ana", "email": "ana@example.com",
           "from_ai_agent": False, "is_ai_answer": False}  # fmt: skip
    parts = {"type": "conversation_part.list", "total_count": 5, "conversation_parts": [
        _part("11", 0, greeting), _part("12", 1, fin), _part("13", 3, handover),
        _part("14", 4, fin, kind="note"), _part("15", 20, ana),
    ]}  # fmt: skip
    convo = _bare("1", conversation_parts=parts, ai_agent_participated=True,
                  ai_agent={"source_type": "workflow", "source_title": "Fin over Messenger",
                            "last_answer_type": "ai_answer", "resolution_state": "routed_to_team",
                            "rating": None, "rating_remark": None})  # fmt: skip
    assert _roles(tmp_path, convo) == {
        "ic-1-source": "customer",
        "ic-part-11": "bot",
        "ic-part-12": "ai_agent",
        "ic-part-13": "ai_agent",
        "ic-part-14": "bot",
        "ic-part-15": "agent",
    }


def test_without_part_flags_the_conversation_says_whether_fin_took_part(tmp_path: Path) -> None:
    """Older API versions: no flags on the authors. A bot message of a conversation with
    `ai_agent_participated: true` is the AI agent's; of one with false (or null), a bot's."""
    bot = {"type": "bot", "id": "9002", "name": "Fin", "email": None}

    def convo(cid: str, participated: Any) -> dict[str, Any]:
        parts = {"type": "conversation_part.list", "total_count": 1,
                 "conversation_parts": [_part(f"{cid}1", 1, bot)]}  # fmt: skip
        return _bare(cid, conversation_parts=parts, ai_agent_participated=participated)

    roles = _roles(tmp_path, convo("1", True), convo("2", False), convo("3", None))
    assert (roles["ic-part-11"], roles["ic-part-21"], roles["ic-part-31"]) == (
        "ai_agent",
        "bot",
        "bot",
    )
