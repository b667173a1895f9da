"""Zammad export import: one small history written both as canonical files and in Zammad's
REST API shapes (tests/fixtures/zammad/) gives the same per-ticket facts and metrics; where
Zammad cannot tell (no CSAT survey; no state history exported) the documented fallback; bad
records are rejected naming file, record and field; imports are all-or-nothing and idempotent.

The history (UTC; agents 3 Ana/Billing and 4 Ben/Sales; Zammad's system user 1):
- T1 email from customer 101, Mon 09:00; Ana replies 10:00 (new → open), closed 11:00;
  CSAT 5 in the canonical files only (Zammad has no CSAT survey);
- T2 phone call logged by Ben with 102, Mon 09:30 (agent-created: his opening is no reply);
  102 answers 10:30, Ben replies 11:30; open (listed twice: the later listing kept);
- T3 web form from 103, Tue 09:00; a trigger's automatic reply 09:01 (System: a bot), Ana's
  internal note 09:10, Ana replies 09:30 (open), closed 10:00, 103 writes again 11:00
  (reopened), Ana replies 11:30, closed 12:00;
- T4 chat from 104, Mon 13:00; Ben replies 13:15 (open), pending reminder 13:20 → closed
  15:20; CSAT 2 in the canonical files only.
- T5 merged into T4 (left out, with its history); history of titles and articles skipped."""

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
from deskmetrics.importers.zammad import read_zammad
from deskmetrics.query import compute, facts_frame

FIXTURES = Path(__file__).parent / "fixtures" / "zammad"
WEEK = {"start": "2026-03-02", "end": "2026-03-09"}

CANONICAL = {
    "tickets.csv": "ticket_id,created_at,requester_id,channel,priority,group,assignee_id,"
    """created_by,status,updated_at
1,2026-03-02T09:00:00Z,101,email,normal,Billing,3,customer,solved,2026-03-02T11:00:00Z
2,2026-03-02T09:30:00Z,102,phone,high,Sales,4,agent,open,2026-03-02T11:30:00Z
3,2026-03-03T09:00:00Z,103,web,low,Billing,3,customer,solved,2026-03-03T12:00:00Z
4,2026-03-02T13:00:00Z,104,chat,high,Sales,4,customer,solved,2026-03-02T15:20:00Z
""",
    "events.csv": """event_id,ticket_id,at,type,author_role,author_id,public,status
o1,1,2026-03-02T09:00:00Z,message,customer,101,true,
m1,1,2026-03-02T10:00:00Z,message,agent,3,true,
s0,1,2026-03-02T10:00:00Z,status,,,,open
s1,1,2026-03-02T11:00:00Z,status,,,,solved
o2,2,2026-03-02T09:30:00Z,message,agent,4,true,
m2,2,2026-03-02T10:30:00Z,message,customer,102,true,
m3,2,2026-03-02T11:30:00Z,message,agent,4,true,
o3,3,2026-03-03T09:00:00Z,message,customer,103,true,
m4,3,2026-03-03T09:01:00Z,message,bot,1,true,
m5,3,2026-03-03T09:10:00Z,message,agent,3,false,
m6,3,2026-03-03T09:30:00Z,message,agent,3,true,
s2,3,2026-03-03T09:30:00Z,status,,,,open
s3,3,2026-03-03T10:00:00Z,status,,,,solved
m7,3,2026-03-03T11:00:00Z,message,customer,103,true,
s4,3,2026-03-03T11:00:00Z,status,,,,open
m8,3,2026-03-03T11:30:00Z,message,agent,3,true,
s5,3,2026-03-03T12:00:00Z,status,,,,solved
o4,4,2026-03-02T13:00:00Z,message,customer,104,true,
m9,4,2026-03-02T13:15:00Z,message,agent,4,true,
s8,4,2026-03-02T13:15:00Z,status,,,,open
s6,4,2026-03-02T13:20:00Z,status,,,,pending
s7,4,2026-03-02T15:20:00Z,status,,,,solved
""",
    "agents.csv": """agent_id,name,active
3,Ana,true
4,Ben,true
""",
}
SURVEYS = {
    "surveys.csv": """response_id,kind,scale,score,answered_at,customer_id,ticket_id,agent_id
r1,csat,1-5,5,2026-03-02T12:00:00Z,101,1,3
r2,csat,1-5,2,2026-03-02T16:00:00Z,104,4,4
""",
    "survey_requests.csv": """request_id,kind,sent_at,customer_id,ticket_id
q1,csat,2026-03-02T11:00:05Z,101,1
q2,csat,2026-03-02T15:20:05Z,104,4
""",
}
#: facts that come from surveys (Zammad has none) or columns the canonical files leave empty
#: not written in the canonical files (nor are message texts, which topics and sentiment read)
NOT_COMPARED = {"subject", "tags", "updated_at", *TEXT_COLUMNS}


def workspace() -> Workspace:
    return open_duckdb(":memory:", settings(UTC_9_TO_5))


def imported(folder: Path, source: str) -> Workspace:
    ws = workspace()
    summary = import_directory(ws, folder, source)
    assert summary.rejects == [], [str(r) for r in summary.rejects]
    return ws


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_text(content, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, Workspace]:
    folder = write(tmp_path_factory.mktemp("canonical"), CANONICAL)
    return imported(folder, "canonical"), imported(FIXTURES, "zammad")


def facts(ws: Workspace) -> pd.DataFrame:
    return facts_frame(ws).set_index("ticket_id").sort_index()


def test_the_same_history_gives_the_same_facts(both: tuple[Workspace, Workspace]) -> None:
    canonical, zammad = facts(both[0]), facts(both[1])
    assert list(zammad.index) == ["1", "2", "3", "4"]  # T5 (merged) left out
    shared = [c for c in canonical.columns if c in zammad.columns and c not in NOT_COMPARED]
    assert {"first_reply_minutes", "reopens", "replies", "agent_wait_minutes"} <= set(shared)
    for column in shared:
        pd.testing.assert_series_equal(
            canonical[column], zammad[column], check_dtype=False, obj=column
        )
    # by hand: first reply T1 60, T2 120 (Ben's logged call is no reply), T3 30 (the System
    # auto reply and the internal note do not count), T4 15; T3 reopened once; T4 pending 2 h
    assert list(zammad["first_reply_minutes"]) == [60.0, 120.0, 30.0, 15.0]
    assert list(zammad["replies"]) == [1, 1, 2, 1]
    assert list(zammad["reopens"]) == [0, 0, 1, 0]
    assert zammad.loc["3", "first_auto_reply_minutes"] == pytest.approx(1.0)
    assert zammad.loc["4", "agent_wait_minutes"] == 120.0
    assert zammad.loc["3", "full_resolution_minutes"] == 180.0


def test_metrics_agree_with_hand_computed_values(both: tuple[Workspace, Workspace]) -> None:
    for ws in both:
        # first response: (60 + 120 + 30 + 15) / 4 = 56.25 minutes
        frt = one(compute(ws, "first_response_time", **WEEK))
        assert frt["value"] == pytest.approx(56.25)
        # solved T1, T3, T4; T3 reopened → 1 / 3
        assert one(compute(ws, "reopen_rate", **WEEK))["value"] == pytest.approx(100 / 3)


def test_zammad_has_no_csat_and_survey_answers_come_from_another_source(
    both: tuple[Workspace, Workspace], tmp_path: Path
) -> None:
    """Zammad has no built-in CSAT: the metric stays empty; the same answers imported as
    canonical survey files next to the tickets give the canonical value, 50 % (5 satisfied,
    2 not, on 1-5 with satisfied from 4)."""
    assert pd.isna(one(compute(both[1], "csat", **WEEK))["value"])
    folder = write(tmp_path / "canonical", {**CANONICAL, **SURVEYS})
    assert one(compute(imported(folder, "canonical"), "csat", **WEEK))["value"] == 50.0


def test_the_export_maps_roles_notes_channels_and_skips() -> None:
    x = read_zammad(FIXTURES)
    t = x.frame("tickets")
    assert t is not None
    assert list(t.frame["ticket_id"]) == ["1", "3", "4", "2"]  # T2's later listing, record 6
    assert list(t.frame["created_by"]) == ["customer", "customer", "customer", "agent"]
    assert list(t.frame["channel"]) == ["email", "web", "chat", "phone"]
    assert list(t.frame["subject"])[-1] == "Renewal call"
    e = x.frame("events", "ticket_articles.jsonl")
    assert e is not None
    notes = e.frame[e.frame["public"] == "false"]
    assert list(notes["event_id"]) == ["zm-a-33"]
    assert list(e.frame[e.frame["author_role"] == "bot"]["author_id"]) == ["1"]
    a = x.frame("agents")
    assert a is not None and list(a.frame["agent_id"]) == ["3", "4"]
    assert x.skipped == {
        "tickets.jsonl: tickets listed again (the later one kept)": 1,
        "tickets.jsonl: merged tickets": 1,
        "ticket_history.jsonl: history of other changes than a ticket's state": 7,
        "ticket_history.jsonl: history of merged or removed tickets": 1,
    }


def test_without_state_history_a_closed_ticket_is_solved_at_its_last_close(
    tmp_path: Path,
) -> None:
    """The documented fallback: no ticket_history.json — a closed ticket is solved at
    `last_close_at` (else `close_at`), and its reopens and pending stretches are unknown."""
    folder = tmp_path / "x"
    folder.mkdir()
    for name in ("tickets.jsonl", "ticket_articles.jsonl", "users.json"):
        shutil.copy(FIXTURES / name, folder)
    ws = workspace()
    summary = import_directory(ws, folder, "zammad")
    assert summary.rejects == []
    assert "3 closed tickets without state history: solved at close_at" in summary.notes
    f = facts(ws)
    assert list(f["reopens"]) == [0, 0, 0, 0]  # T3's reopen is not known
    assert f.loc["3", "full_resolution_minutes"] == 180.0  # last_close_at 12:00
    assert f.loc["4", "full_resolution_minutes"] == 140.0  # close_at 15:20
    assert f.loc["4", "agent_wait_minutes"] == 0.0  # the pending stretch is not known
    assert list(f["first_reply_minutes"]) == [60.0, 120.0, 30.0, 15.0]  # replies are


# --- bad input -------------------------------------------------------------------------------


def _bad_export(folder: Path) -> Path:
    """The good export plus: a ticket without customer_id (record 7), one in state
    "archived" (record 8), an article without created_at (record 14), an article of ticket
    99 which the export does not hold (record 15) and a history entry to state "frozen"
    (record 18)."""
    shutil.copytree(FIXTURES, folder)
    base = json.loads((FIXTURES / "tickets.jsonl").read_text().splitlines()[0])[0]
    no_customer = {**base, "id": 8, "customer_id": None}
    archived = {**base, "id": 9, "state": "archived", "state_id": 42}
    with (folder / "tickets.jsonl").open("a") as f:
        f.write(json.dumps([no_customer, archived]) + "\n")
    art = json.loads((FIXTURES / "ticket_articles.jsonl").read_text().splitlines()[0])[0]
    with (folder / "ticket_articles.jsonl").open("a") as f:
        bad = [{**art, "id": 2001, "created_at": None}, {**art, "id": 2002, "ticket_id": 99}]
        f.write(json.dumps(bad) + "\n")
    page = json.loads((FIXTURES / "ticket_history.jsonl").read_text().splitlines()[0])
    entry = {**page["history"][1], "id": 3001, "value_to": "frozen"}
    with (folder / "ticket_history.jsonl").open("a") as f:
        f.write(json.dumps({"history": [entry], "assets": {}}) + "\n")
    return folder


def test_bad_records_are_rejected_naming_file_record_and_field(tmp_path: Path) -> None:
    ws = workspace()
    summary = import_directory(ws, _bad_export(tmp_path / "bad"), "zammad")
    got = sorted((r.file, r.row, r.column) for r in summary.rejects)
    assert got == [
        ("ticket_articles.jsonl", 14, "created_at"),
        ("ticket_articles.jsonl", 15, "ticket_id"),
        ("ticket_history.jsonl", 18, "value_to"),
        ("tickets.jsonl", 7, "customer_id"),
        ("tickets.jsonl", 8, "state"),
    ]
    reasons = {r.column: r.reason for r in summary.rejects}
    assert "unknown Zammad state 'archived'" in reasons["state"]
    assert "unknown Zammad state 'frozen'" in reasons["value_to"]
    assert "ticket 99 is not in tickets.json" in reasons["ticket_id"]


def test_a_strict_import_stores_nothing_and_reimports_change_nothing(tmp_path: Path) -> None:
    ws = workspace()
    strict = import_directory(ws, _bad_export(tmp_path / "bad"), "zammad", strict=True)
    assert not strict.committed
    con = ws.backend.con
    assert con.execute("SELECT count(*) FROM tickets").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM events").fetchone() == (0,)

    first = import_directory(ws, FIXTURES, "zammad")
    tables = ("tickets", "events", "agents")
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone() for t in tables}
    assert counts == {"tickets": (4,), "events": (22,), "agents": (2,)}  # 13 articles + 9
    again = import_directory(ws, FIXTURES, "zammad")
    assert all(tc.inserted == tc.updated == 0 for tc in again.tables.values())
    assert {t: con.execute(f"SELECT count(*) FROM {t}").fetchone() for t in tables} == counts
    assert first.tables["events"].inserted == 22


def test_every_page_shape_reads_the_same_records(tmp_path: Path) -> None:
    """JSON Lines of pages (arrays), a JSON array, JSON Lines of records: the same tickets,
    numbered alike."""
    base = json.loads((FIXTURES / "tickets.jsonl").read_text().splitlines()[0])[0]
    tickets = [{**base, "id": n} for n in (1, 2, 3)]
    shapes = {
        "pages": json.dumps(tickets[:2]) + "\n" + json.dumps(tickets[2:]) + "\n",
        "array": json.dumps(tickets, indent=2),
        "lines": "\n".join(json.dumps(t) for t in tickets) + "\n",
    }
    for name, content in shapes.items():
        folder = tmp_path / name
        folder.mkdir()
        (folder / "tickets.json").write_text(content)
        t = read_zammad(folder).frame("tickets")
        assert t is not None, name
        got = (list(t.frame["ticket_id"]), list(t.row_numbers()))
        assert got == (["1", "2", "3"], [1, 2, 3]), name
