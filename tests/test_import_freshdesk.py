"""Freshdesk export import: one small history written both as canonical files and in
Freshdesk's API v2 shapes (tests/fixtures/freshdesk/) gives the same per-ticket facts and
metrics, except where Freshdesk cannot tell (no status history: the documented fallback);
bad records are rejected naming file, record and field; imports are all-or-nothing and
idempotent.

The history (UTC; agents 501 Ana/Billing and 502 Ben/Sales; user 777 is a bot):
- T1 email from 101, Mon 09:00; Ana replies 10:00 (logs 30 min), resolved 11:00; CSAT 103;
- T2 outbound email by Ben to 102, Mon 09:30 (agent-created: his opening is no reply);
  102 answers 10:30, Ben replies 11:30; open;
- T3 portal from 103, Tue 09:00; bot answers 09:01, Ana's private note 09:10, Ana replies
  09:30, resolved 10:00, 103 writes again 11:00 (reopened), Ana replies 11:30, resolved 12:00;
- T4 chat from 104, Mon 13:00; Ben replies 13:15, pending 13:20 → resolved 15:20; CSAT -101.
The export also holds a spam ticket and a deleted one (left out), an older version of T2, a
running timer and a second survey question (skipped)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from conftest import UTC_9_TO_5, one, settings
from deskmetrics.engine import Workspace, open_duckdb
from deskmetrics.engine.text_columns import TEXT_COLUMNS
from deskmetrics.importers import import_directory
from deskmetrics.importers.freshdesk import read_freshdesk
from deskmetrics.query import compute, facts_frame

FIXTURES = Path(__file__).parent / "fixtures" / "freshdesk"
WEEK = {"start": "2026-03-02", "end": "2026-03-09"}

CANONICAL = {
    "tickets.csv": "ticket_id,created_at,requester_id,channel,priority,group,assignee_id,"
    """created_by,status,updated_at
1,2026-03-02T09:00:00Z,101,email,normal,Billing,501,customer,solved,2026-03-02T11:00:00Z
2,2026-03-02T09:30:00Z,102,outbound_email,high,Sales,502,agent,open,2026-03-02T11:30:00Z
3,2026-03-03T09:00:00Z,103,portal,low,Billing,501,customer,solved,2026-03-03T12:00:00Z
4,2026-03-02T13:00:00Z,104,chat,urgent,Sales,502,customer,solved,2026-03-02T15:20:00Z
""",
    "events.csv": "event_id,ticket_id,at,type,author_role,author_id,public,status,agent_id,"
    """talk_seconds
o1,1,2026-03-02T09:00:00Z,message,customer,101,true,,,
m1,1,2026-03-02T10:00:00Z,message,agent,501,true,,,
i1,1,2026-03-02T10:00:00Z,interaction,,,,,501,1800
s1,1,2026-03-02T11:00:00Z,status,,,,solved,,
o2,2,2026-03-02T09:30:00Z,message,agent,502,true,,,
s2,2,2026-03-02T09:30:00Z,status,,,,open,,
m2,2,2026-03-02T10:30:00Z,message,customer,102,true,,,
m3,2,2026-03-02T11:30:00Z,message,agent,502,true,,,
o3,3,2026-03-03T09:00:00Z,message,customer,103,true,,,
m4,3,2026-03-03T09:01:00Z,message,bot,777,true,,,
m5,3,2026-03-03T09:10:00Z,message,agent,501,false,,,
m6,3,2026-03-03T09:30:00Z,message,agent,501,true,,,
s3,3,2026-03-03T10:00:00Z,status,,,,solved,,
m7,3,2026-03-03T11:00:00Z,message,customer,103,true,,,
s4,3,2026-03-03T11:00:00Z,status,,,,open,,
m8,3,2026-03-03T11:30:00Z,message,agent,501,true,,,
s5,3,2026-03-03T12:00:00Z,status,,,,solved,,
o4,4,2026-03-02T13:00:00Z,message,customer,104,true,,,
m9,4,2026-03-02T13:15:00Z,message,agent,502,true,,,
s6,4,2026-03-02T13:20:00Z,status,,,,pending,,
s7,4,2026-03-02T15:20:00Z,status,,,,solved,,
""",
    "surveys.csv": """response_id,kind,scale,score,answered_at,customer_id,ticket_id,agent_id
r1,csat,1-7,7,2026-03-02T12:00:00Z,101,1,501
r2,csat,1-7,3,2026-03-02T16:00:00Z,104,4,502
""",
    "agents.csv": """agent_id,name,team,active
501,Ana,Billing,true
502,Ben,Sales,true
""",
}

#: what Freshdesk cannot tell about T3: its first resolution (10:00) is not kept, only the
#: latest (12:00) and the reopen (11:00); the fallback places it at the reopen
FALLBACK = {
    "first_resolution_minutes": (60.0, 120.0),
    "first_resolution_business_minutes": (60.0, 120.0),
    # new/open stretches: 09:00–10:00 and 11:00–12:00 truly; 09:00–11:00 and 11:00–12:00 here
    "requester_wait_minutes": (120.0, 180.0),
    "requester_wait_business_minutes": (120.0, 180.0),
}

#: ... and the instants of that first resolution
SOLVED_AT = ("first_solved_at", "first_seen_solved_at")


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
    for name, text in CANONICAL.items():
        (folder / name).write_text(text, encoding="utf-8")
    return imported(folder, "canonical"), imported(FIXTURES, "freshdesk")


def facts(ws: Workspace) -> pd.DataFrame:
    return facts_frame(ws).set_index("ticket_id").sort_index()


def test_the_same_history_gives_the_same_facts(both: tuple[Workspace, Workspace]) -> None:
    canonical, freshdesk = facts(both[0]), facts(both[1])
    assert list(freshdesk.index) == ["1", "2", "3", "4"]  # spam 5 and deleted 6 left out
    shared = [c for c in canonical.columns if c in freshdesk.columns]
    assert {"first_reply_minutes", "reopens", "replies", "agent_wait_minutes"} <= set(shared)
    for column in shared:
        if column in FALLBACK or column in (*SOLVED_AT, "subject", *TEXT_COLUMNS):
            continue  # the subject (nor message texts) is not written in the canonical files
        pd.testing.assert_series_equal(
            canonical[column], freshdesk[column], check_dtype=False, obj=column
        )
    # the facts by hand: first reply T1 60, T2 120 (Ben's opening is no reply), T3 30 (the
    # bot and the private note do not count), T4 15; T3 reopened once; T4 pending 2 hours
    assert list(freshdesk["first_reply_minutes"]) == [60.0, 120.0, 30.0, 15.0]
    assert list(freshdesk["replies"]) == [1, 1, 2, 1]
    assert list(freshdesk["reopens"]) == [0, 0, 1, 0]
    assert freshdesk.loc["3", "first_auto_reply_minutes"] == pytest.approx(1.0)
    assert freshdesk.loc["4", "agent_wait_minutes"] == 120.0
    assert freshdesk.loc["1", "interactions"] == 1  # the time entry


def test_what_freshdesk_cannot_tell_takes_the_documented_fallback(
    both: tuple[Workspace, Workspace],
) -> None:
    canonical, freshdesk = facts(both[0]), facts(both[1])
    for column, (truth, fallback) in FALLBACK.items():
        assert (canonical.loc["3", column], freshdesk.loc["3", column]) == (truth, fallback)
        # the other tickets' history is fully known
        assert list(canonical[column].drop("3").fillna(-1)) == list(
            freshdesk[column].drop("3").fillna(-1)
        )
    for column in SOLVED_AT:
        assert (str(canonical.loc["3", column]), str(freshdesk.loc["3", column])) == (
            "2026-03-03 10:00:00", "2026-03-03 11:00:00",
        )  # fmt: skip
    # full resolution (the latest solve, which Freshdesk keeps) is exact: 09:00 → 12:00
    full = "full_resolution_minutes"
    assert freshdesk.loc["3", full] == canonical.loc["3", full] == 180.0


def test_metrics_agree_with_hand_computed_values(both: tuple[Workspace, Workspace]) -> None:
    for ws in both:
        # first response: (60 + 120 + 30 + 15) / 4 = 56.25 minutes
        frt = one(compute(ws, "first_response_time", **WEEK))
        assert frt["value"] == pytest.approx(56.25)
        # solved T1, T3, T4; T3 reopened → 1 / 3
        assert one(compute(ws, "reopen_rate", **WEEK))["value"] == pytest.approx(100 / 3)
        # CSAT on 1-7 (satisfied from 6): 103 → 7 satisfied, -101 → 3 not → 50 %
        assert one(compute(ws, "csat", **WEEK))["value"] == pytest.approx(50.0)


def test_the_export_maps_roles_notes_and_channels() -> None:
    x = read_freshdesk(FIXTURES)
    t = x.frame("tickets")
    assert t is not None
    assert list(t.frame["created_by"]) == ["customer", "agent", "customer", "customer"]
    assert list(t.frame["priority"]) == ["normal", "high", "low", "urgent"]  # T2's latest
    e = x.frame("events", "conversations.json")
    assert e is not None
    notes = e.frame[e.frame["public"] == "false"]
    assert list(notes["event_id"]) == ["1005"]
    assert x.skipped["tickets.jsonl: spam tickets"] == 1
    assert x.skipped["tickets.jsonl: deleted tickets"] == 1
    assert x.skipped["conversations.json: conversations of spam, deleted or rejected tickets"] == 1
    assert [k for k in x.noted] == [
        "tickets.jsonl: tickets solved again after a reopen: the earlier resolution, whose "
        "instant Freshdesk does not keep, is placed at the reopen"
    ]


# --- bad input -------------------------------------------------------------------------------


def _bad_export(folder: Path) -> Path:
    """The good export plus: a ticket without requester (record 8), a ticket with status 1
    (record 9), a conversation without created_at (record 11), a conversation of ticket 99
    which no export holds (record 12), a time entry whose time_spent is "1h" (record 3)."""
    shutil.copytree(FIXTURES, folder)
    base: dict[str, Any] = json.loads((FIXTURES / "tickets.jsonl").read_text().splitlines()[1])[0]
    no_requester = {**base, "id": 8, "requester_id": None, "requester": None}
    status_one = {**base, "id": 9, "status": 1}
    with (folder / "tickets.jsonl").open("a") as f:
        f.write(json.dumps([no_requester, status_one]) + "\n")
    convs = json.loads((folder / "conversations.json").read_text())
    first = convs[0]
    convs.append({**first, "id": 1011, "created_at": None})
    convs.append({**first, "id": 1012, "ticket_id": 99})
    (folder / "conversations.json").write_text(json.dumps(convs))
    entries = json.loads((folder / "time_entries.json").read_text())
    entries.append({**entries[0], "id": 7003, "time_spent": "1h"})
    (folder / "time_entries.json").write_text(json.dumps(entries))
    return folder


def test_bad_records_are_rejected_naming_file_record_and_field(tmp_path: Path) -> None:
    ws = workspace()
    summary = import_directory(ws, _bad_export(tmp_path / "bad"), "freshdesk")
    got = sorted((r.file, r.row, r.column) for r in summary.rejects)
    assert got == [
        ("conversations.json", 11, "created_at"),
        ("conversations.json", 12, "ticket_id"),
        ("tickets.jsonl", 8, "requester_id"),
        ("tickets.jsonl", 9, "status"),
        ("time_entries.json", 3, "time_spent"),
    ]
    reasons = {r.column: r.reason for r in summary.rejects}
    assert "unknown Freshdesk status code '1'" in reasons["status"]
    assert "names no row of tickets" in reasons["ticket_id"]


def test_a_strict_import_stores_nothing_and_reimports_change_nothing(tmp_path: Path) -> None:
    ws = workspace()
    strict = import_directory(ws, _bad_export(tmp_path / "bad"), "freshdesk", strict=True)
    assert not strict.committed
    con = ws.backend.con
    assert con.execute("SELECT count(*) FROM tickets").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM events").fetchone() == (0,)

    first = import_directory(ws, FIXTURES, "freshdesk")
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone() for t in
              ("tickets", "events", "surveys", "agents")}  # fmt: skip
    assert counts == {"tickets": (4,), "events": (21,), "surveys": (2,), "agents": (2,)}
    again = import_directory(ws, FIXTURES, "freshdesk")
    assert all(tc.inserted == tc.updated == 0 for tc in again.tables.values())
    assert {t: con.execute(f"SELECT count(*) FROM {t}").fetchone() for t in counts} == counts
    assert first.tables["events"].inserted == 21


def test_a_custom_status_is_hold_and_a_missing_stats_object_keeps_the_current_status(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "x"
    folder.mkdir()
    base: dict[str, Any] = json.loads((FIXTURES / "tickets.jsonl").read_text().splitlines()[1])[0]
    tickets = [{**base, "id": 1, "status": 6}, {**base, "id": 2, "status": 5, "stats": None}]
    (folder / "tickets.json").write_text(json.dumps(tickets))
    x = read_freshdesk(folder)
    t, e = x.frame("tickets"), x.frame("events")
    assert t is not None and e is not None
    assert list(t.frame["status"]) == ["hold", "closed"]
    status = e.frame[e.frame["type"] == "status"]
    # T1: resolved 11:00 (stats), then the custom status since status_updated_at 11:00
    assert list(zip(status["ticket_id"], status["status"], strict=True)) == [
        ("1", "solved"), ("1", "hold"),
    ]  # fmt: skip
    ws = imported(folder, "freshdesk")
    f = facts(ws)
    # T2 closed with no stats: solved, at an instant Freshdesk does not give
    assert (bool(f.loc["2", "is_solved"]), bool(f.loc["2", "solve_time_known"])) == (True, False)


def test_every_page_shape_reads_the_same_records(tmp_path: Path) -> None:
    """A JSON array, JSON Lines of records, search pages: the same tickets, numbered alike."""
    base: dict[str, Any] = json.loads((FIXTURES / "tickets.jsonl").read_text().splitlines()[1])[0]
    tickets = [{**base, "id": n} for n in (1, 2, 3)]
    shapes = {
        "array": json.dumps(tickets),
        "lines": "\n".join(json.dumps(t) for t in tickets) + "\n",
        "search": json.dumps({"results": tickets, "total": 3}),
    }
    for name, text in shapes.items():
        folder = tmp_path / name
        folder.mkdir()
        (folder / "tickets.json").write_text(text)
        t = read_freshdesk(folder).frame("tickets")
        assert t is not None
        assert (list(t.frame["ticket_id"]), list(t.row_numbers())) == (["1", "2", "3"], [1, 2, 3])


def test_without_agents_an_outgoing_reply_by_someone_else_is_rejected(tmp_path: Path) -> None:
    folder = tmp_path / "x"
    folder.mkdir()
    shutil.copy(FIXTURES / "tickets.jsonl", folder)
    shutil.copy(FIXTURES / "conversations.json", folder)
    x = read_freshdesk(folder)
    e = x.frame("events", "conversations.json")
    assert e is not None
    # agent replies (501, 502) and the bot's (777) cannot be told apart without agents.json;
    # private notes and incoming messages can: rows 2, 5 and 7 stay
    assert sorted((r.row, r.column, r.value) for r in e.rejects) == [
        (1, "user_id", "501"), (3, "user_id", "502"), (4, "user_id", "777"),
        (6, "user_id", "501"), (8, "user_id", "501"), (9, "user_id", "502"),
    ]  # fmt: skip
    assert list(e.frame["event_id"]) == ["1002", "1005", "1007"]


def test_first_passes_decoding_a_few_fields_find_what_reading_whole_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first passes (the latest version of each ticket and record) decode only ids, update
    times and requesters of JSON Lines pages; a line they cannot read so (a search page, a
    value that is not an object, NaN) is read whole. Frames, rows, rejects, skips and notes are
    those of every line read whole."""
    from deskmetrics.importers import freshdesk

    folder = tmp_path / "x"
    shutil.copytree(FIXTURES, folder)
    lines = (FIXTURES / "tickets.jsonl").read_text().splitlines()
    page = json.loads(lines[2])
    newer = {**page[0], "updated_at": "2026-04-01T00:00:00Z", "subject": "listed again"}
    with (folder / "tickets.jsonl").open("a") as f:
        f.write(json.dumps([newer, "not a ticket"]) + "\n")
        f.write(json.dumps({"results": [page[1]], "total": 1}) + "\n")
        f.write('[{"id": 77, "updated_at": "2026-04-01T00:00:00Z", "priority": NaN}]\n')
    conversations = json.loads((FIXTURES / "conversations.json").read_text())
    (folder / "conversations.json").unlink()
    with (folder / "conversations.jsonl").open("w") as f:
        for i in range(0, len(conversations), 3):
            f.write(json.dumps(conversations[i : i + 3]) + "\n")
        f.write(json.dumps([{**conversations[0], "body_text": "edited", "updated_at":
                             "2026-04-01T00:00:00Z"}]) + "\n")  # fmt: skip

    def read() -> tuple[list[tuple[Any, ...]], dict[str, int], dict[str, int]]:
        stream = freshdesk.stream_freshdesk(folder)
        frames = [(sf.table.name, sf.file, sf.frame, sf.row_numbers().tolist(), sf.rejects)
                  for sf in stream]  # fmt: skip
        return frames, dict(stream.skipped), dict(stream.noted)

    fast = read()
    monkeypatch.setattr(freshdesk, "record_heads", lambda line: None)
    whole = read()
    assert fast[1:] == whole[1:]
    assert fast[1]["conversations.jsonl: older versions of a record"] == 1
    assert len(fast[0]) == len(whole[0])
    for got, want in zip(fast[0], whole[0], strict=True):
        assert got[:2] == want[:2] and got[3:] == want[3:]
        pd.testing.assert_frame_equal(got[2], want[2], obj=f"{got[0]} {got[1]}")
    tickets = next(f[2] for f in fast[0] if f[0] == "tickets")
    assert "listed again" in tickets["subject"].tolist()
