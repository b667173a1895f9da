"""Help Scout export import: one small history written both as canonical files and in Help
Scout's Mailbox API 2.0 shapes (tests/fixtures/helpscout/) gives the same per-ticket facts and
metrics; what Help Scout cannot tell takes the documented fallback; bad records are rejected
naming file, record and field; imports are all-or-nothing and idempotent.

The history (UTC; users 501 Ana and 502 Ben; mailboxes 71 Billing and 72 Sales; user 777 is
Help Scout's AI assistant, not a mailbox user):
- 3001 email from customer 101, Mon 09:00; Ana replies 10:00, marks it closed 11:00 (a
  lineitem); rated great 12:00;
- 3002 outgoing email by Ben to 102, Mon 09:30 (agent-created: his message is no reply); 102
  answers 10:30, Ben replies 11:30; active (his unsent draft of 12:00 is skipped);
- 3003 Beacon message from 103, Tue 09:00; the assistant answers 09:01, Ana's note 09:10, Ana
  replies 09:30, marks it closed 10:00; 103 writes again 11:00 (reopened), Ana replies and
  closes 11:30;
- 3004 chat from 104, Mon 13:00; Ben answers 13:15, marks it pending 13:20, closed 15:20;
  rated not good 16:00.
The export also holds a spam conversation and a deleted one (left out), an older version of
3002, a team among the users, a rating listed twice, one of the spam conversation and one
`unknown` (skipped)."""

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
from deskmetrics.importers.helpscout import hal_records, read_helpscout, stream_helpscout
from deskmetrics.query import compute, facts_frame

FIXTURES = Path(__file__).parent / "fixtures" / "helpscout"
WEEK = {"start": "2026-03-02", "end": "2026-03-09"}

CANONICAL = {
    "tickets.csv": "ticket_id,created_at,requester_id,channel,group,assignee_id,created_by,"
    """subject,tags,status,updated_at
3001,2026-03-02T09:00:00Z,101,email,Billing,501,customer,Invoice is twice the agreed amount,billing,solved,2026-03-02T11:00:00Z
3002,2026-03-02T09:30:00Z,102,email,Sales,502,agent,Renewal quote,,open,2026-03-02T11:30:00Z
3003,2026-03-03T09:00:00Z,103,beacon,Billing,501,customer,Cannot sign in,,solved,2026-03-03T11:30:00Z
3004,2026-03-02T13:00:00Z,104,chat,Sales,502,customer,Chat with Ben,,solved,2026-03-02T15:20:00Z
""",  # noqa: E501
    "events.csv": """event_id,ticket_id,at,type,author_role,author_id,public,status
a1,3001,2026-03-02T09:00:00Z,message,customer,101,true,
a2,3001,2026-03-02T09:00:00Z,status,,,,open
a3,3001,2026-03-02T10:00:00Z,message,agent,501,true,
a4,3001,2026-03-02T11:00:00Z,status,,,,solved
b1,3002,2026-03-02T09:30:00Z,message,agent,502,true,
b2,3002,2026-03-02T09:30:00Z,status,,,,open
b3,3002,2026-03-02T10:30:00Z,message,customer,102,true,
b4,3002,2026-03-02T11:30:00Z,message,agent,502,true,
c1,3003,2026-03-03T09:00:00Z,message,customer,103,true,
c2,3003,2026-03-03T09:00:00Z,status,,,,open
c3,3003,2026-03-03T09:01:00Z,message,bot,777,true,
c4,3003,2026-03-03T09:10:00Z,message,agent,501,false,
c5,3003,2026-03-03T09:30:00Z,message,agent,501,true,
c6,3003,2026-03-03T10:00:00Z,status,,,,solved
c7,3003,2026-03-03T11:00:00Z,message,customer,103,true,
c8,3003,2026-03-03T11:00:00Z,status,,,,open
c9,3003,2026-03-03T11:30:00Z,message,agent,501,true,
c10,3003,2026-03-03T11:30:00Z,status,,,,solved
d1,3004,2026-03-02T13:00:00Z,message,customer,104,true,
d2,3004,2026-03-02T13:00:00Z,status,,,,open
d3,3004,2026-03-02T13:15:00Z,message,agent,502,true,
d4,3004,2026-03-02T13:20:00Z,status,,,,pending
d5,3004,2026-03-02T15:20:00Z,status,,,,solved
""",
    "surveys.csv": """response_id,kind,scale,score,answered_at,customer_id,ticket_id,agent_id
r1,csat,1-5,5,2026-03-02T12:00:00Z,101,3001,501
r2,csat,1-5,1,2026-03-02T16:00:00Z,104,3004,502
""",
    "agents.csv": """agent_id,name,active
501,Ana Ruiz,true
502,Ben Okafor,true
""",
}


def workspace() -> Workspace:
    return open_duckdb(":memory:", settings(UTC_9_TO_5))


def imported(folder: Path, source: str) -> Workspace:
    ws = workspace()
    summary = import_directory(ws, folder, source)
    assert summary.rejects == [], [str(r) for r in summary.rejects]
    return ws


def facts(ws: Workspace) -> pd.DataFrame:
    return facts_frame(ws).set_index("ticket_id").sort_index()


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, Workspace]:
    folder = tmp_path_factory.mktemp("canonical")
    for name, text in CANONICAL.items():
        (folder / name).write_text(text, encoding="utf-8")
    return imported(folder, "canonical"), imported(FIXTURES, "helpscout")


def test_the_same_history_gives_the_same_facts(both: tuple[Workspace, Workspace]) -> None:
    canonical, helpscout = facts(both[0]), facts(both[1])
    assert list(helpscout.index) == ["3001", "3002", "3003", "3004"]  # spam, deleted left out
    shared = [c for c in canonical.columns if c in helpscout.columns]
    assert {"first_reply_minutes", "reopens", "replies", "agent_wait_minutes"} <= set(shared)
    for column in shared:
        if column in TEXT_COLUMNS:
            continue  # read from message texts, which the canonical files do not carry
        pd.testing.assert_series_equal(
            canonical[column], helpscout[column], check_dtype=False, obj=column
        )
    # by hand: first reply 3001 60, 3002 120 (Ben's opening message is no reply), 3003 30 (the
    # assistant and the note do not count), 3004 15; 3003 reopened once; 3004 pending 2 hours
    assert list(helpscout["first_reply_minutes"]) == [60.0, 120.0, 30.0, 15.0]
    assert list(helpscout["replies"]) == [1, 1, 2, 1]
    assert list(helpscout["reopens"]) == [0, 0, 1, 0]
    assert helpscout.loc["3003", "first_auto_reply_minutes"] == pytest.approx(1.0)
    assert helpscout.loc["3003", "first_resolution_minutes"] == 60.0  # the first close, 10:00
    assert helpscout.loc["3003", "full_resolution_minutes"] == 150.0  # the last, 11:30
    assert helpscout.loc["3004", "agent_wait_minutes"] == 120.0
    assert list(helpscout["priority"].isna()) == [True] * 4  # Help Scout has no priority


def test_metrics_agree_with_hand_computed_values(both: tuple[Workspace, Workspace]) -> None:
    for ws in both:
        # first response: (60 + 120 + 30 + 15) / 4 = 56.25 minutes
        frt = one(compute(ws, "first_response_time", **WEEK))
        assert frt["value"] == pytest.approx(56.25)
        # solved 3001, 3003, 3004; 3003 reopened → 1 / 3
        assert one(compute(ws, "reopen_rate", **WEEK))["value"] == pytest.approx(100 / 3)
        # great → 5 satisfied, not good → 1 not → 50 %
        assert one(compute(ws, "csat", **WEEK))["value"] == pytest.approx(50.0)
    # Help Scout exports only answered ratings: no survey requests, response rate unknown
    con = both[1].backend.con
    assert con.execute("SELECT count(*) FROM survey_requests").fetchone() == (0,)


def test_the_export_maps_roles_notes_skips_and_agents() -> None:
    x = read_helpscout(FIXTURES)
    t, a = x.frame("tickets"), x.frame("agents")
    assert t is not None and a is not None
    assert list(t.frame["created_by"]) == ["customer", "customer", "customer", "agent"]
    assert list(t.frame["number"]) == ["41", "43", "44", "42"]
    assert list(t.row_numbers()) == [2, 3, 4, 7]  # 3002's older version (record 1) skipped
    assert list(zip(a.frame["agent_id"], a.frame["name"], strict=True)) == [
        ("501", "Ana Ruiz"), ("502", "Ben Okafor"),
    ]  # fmt: skip
    e = x.frame("events")
    assert e is not None
    messages = e.frame[e.frame["type"] == "message"]
    roles = dict(zip(messages["event_id"], messages["author_role"], strict=True))
    assert (roles["hs-thread-90022"], roles["hs-thread-90024"]) == ("bot", "agent")
    assert list(messages.loc[messages["public"] == "false", "event_id"]) == ["hs-thread-90024"]
    assert "hs-thread-90014" not in set(e.frame["event_id"])  # the draft
    assert x.skipped == {
        "conversations.jsonl: older versions of a conversation": 1,
        "conversations.jsonl: spam conversations": 1,
        "conversations.jsonl: deleted conversations": 1,
        "conversations.jsonl: draft threads (never sent)": 1,
        "ratings.jsonl: records listed again": 1,
        "ratings.jsonl: ratings of spam, deleted, draft or rejected conversations": 1,
        "ratings.jsonl: ratings without an answer (unknown)": 1,
        "users.json: teams (not agents)": 1,
    }
    assert x.noted == {}


# --- what Help Scout cannot tell ------------------------------------------------------------


def test_without_users_the_assistant_reads_as_an_agent(tmp_path: Path) -> None:
    """API v2 reports Help Scout's AI assistant as a `user`: only users.json tells it apart.
    Without it, its 09:01 answer is 3003's first reply (1 minute, not 30)."""
    folder = tmp_path / "x"
    shutil.copytree(FIXTURES, folder)
    (folder / "users.json").unlink()
    f = facts(imported(folder, "helpscout"))
    assert f.loc["3003", "first_reply_minutes"] == 1.0
    assert pd.isna(f.loc["3003", "first_auto_reply_minutes"])
    x = read_helpscout(folder)
    # the users' written threads: 3001 one reply, 3002 two, 3003 three and a note, 3004 one
    assert x.noted == {
        "conversations.jsonl: threads by users read as agents (no users.json: bots unknown)": 8
    }


def test_a_conversation_without_threads_keeps_its_current_status_at_closed_at(
    tmp_path: Path,
) -> None:
    """A page fetched without `embed=threads` (and no threads.json): no messages, and only the
    current status, placed at `closedAt` — so a conversation closed twice shows its last close
    as its first resolution (3003: 11:30, not 10:00)."""
    folder = tmp_path / "x"
    folder.mkdir()
    lines = []
    for line in (FIXTURES / "conversations.jsonl").read_text().splitlines():
        page = json.loads(line)
        for c in page["_embedded"]["conversations"]:
            del c["_embedded"]
        lines.append(json.dumps(page))
    (folder / "conversations.jsonl").write_text("\n".join(lines) + "\n")
    f = facts(imported(folder, "helpscout"))
    assert str(f.loc["3003", "first_solved_at"]) == "2026-03-03 11:30:00"
    assert f.loc["3003", "reopens"] == 0
    assert list(f["is_solved"]) == [True, False, True, True]
    assert bool(f.loc["3001", "solve_time_known"])
    assert read_helpscout(folder).noted == {
        "conversations.jsonl: conversations without threads (current status only)": 4,
        "conversations.jsonl: conversations whose current status is placed at "
        "closedAt/userUpdatedAt": 4,
    }


def test_threads_listed_apart_give_the_same_facts(
    tmp_path: Path, both: tuple[Workspace, Workspace]
) -> None:
    """GET /v2/conversations/{id}/threads pages saved in threads.json, each page naming its
    conversation (`conversationId`), stand for the embedded threads."""
    folder = tmp_path / "x"
    folder.mkdir()
    shutil.copy(FIXTURES / "users.json", folder)
    shutil.copy(FIXTURES / "mailboxes.json", folder)
    lines, threads = [], []
    for line in (FIXTURES / "conversations.jsonl").read_text().splitlines():
        page = json.loads(line)
        for c in page["_embedded"]["conversations"]:
            listed = c.pop("_embedded")["threads"]
            threads.append({"conversationId": c["id"], "_embedded": {"threads": listed},
                            "page": {"size": 50, "number": 1}})  # fmt: skip
        lines.append(json.dumps(page))
    (folder / "conversations.jsonl").write_text("\n".join(lines) + "\n")
    (folder / "threads.jsonl").write_text("\n".join(map(json.dumps, threads)) + "\n")
    x = read_helpscout(folder)
    left_out = "threads.jsonl: threads of spam, deleted, draft or rejected conversations"
    assert x.skipped[left_out] == 2
    got, want = facts(imported(folder, "helpscout")), facts(both[1])
    for column in ("first_reply_minutes", "replies", "reopens", "first_solved_at",
                   "full_resolution_minutes", "agent_wait_minutes"):  # fmt: skip
        pd.testing.assert_series_equal(got[column], want[column], obj=column)


def test_a_phone_conversation_is_the_customers_and_its_call_an_interaction(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "x"
    folder.mkdir()
    call = {
        "id": 7, "number": 8, "type": "phone", "status": "closed", "state": "published",
        "createdAt": "2026-03-02T09:00:00Z", "closedAt": "2026-03-02T09:10:00Z",
        "createdBy": {"id": 501, "type": "user"}, "source": {"type": "phone", "via": "user"},
        "primaryCustomer": {"id": 9}, "mailboxId": 71,
        "_embedded": {"threads": [
            {"id": 1, "type": "phone", "status": "closed", "state": "published",
             "createdAt": "2026-03-02T09:10:00Z", "createdBy": {"id": 501, "type": "user"},
             "body": "Called about the refund"},
        ]},
    }  # fmt: skip
    (folder / "conversations.json").write_text(json.dumps([call]))
    x = read_helpscout(folder)
    t, e = x.frame("tickets"), x.frame("events")
    assert t is not None and e is not None
    assert list(t.frame["created_by"]) == ["customer"]
    assert list(zip(e.frame["type"], e.frame["agent_id"], e.frame["status"], strict=True)) == [
        ("interaction", "501", None), ("status", None, "solved"),
    ]  # fmt: skip


def test_every_page_shape_reads_the_same_records(tmp_path: Path) -> None:
    """JSON Lines of HAL pages or of records, an array of records or of pages, one pretty
    page: the same records, numbered alike (pages do not count)."""
    recs = [{"id": n, "firstName": f"U{n}", "type": "user"} for n in (1, 2, 3)]
    pages = [{"_embedded": {"users": recs[:2]}, "page": {"number": 1}},
             {"_embedded": {"users": recs[2:]}, "page": {"number": 2}},
             {"page": {"number": 3, "totalElements": 3}, "_links": {}}]  # fmt: skip
    shapes = {
        "hal-lines": "\n".join(map(json.dumps, pages)) + "\n",
        "record-lines": "\n".join(map(json.dumps, recs)) + "\n",
        "array": json.dumps(recs, indent=2),
        "array-of-pages": json.dumps(pages, indent=2),
        "one-page": json.dumps({"_embedded": {"users": recs}, "page": {"number": 1}}, indent=2),
    }
    for name, text in shapes.items():
        path = tmp_path / f"{name}.json"
        path.write_text(text)
        got = [(item.row, item.data["id"] if item.data else None)
               for item, _ in hal_records(path, ("users",))]  # fmt: skip
        assert got == [(1, 1), (2, 2), (3, 3)], name


def test_chunks_of_any_size_give_the_same_rows() -> None:
    whole = read_helpscout(FIXTURES)
    parts = list(stream_helpscout(FIXTURES, chunk_rows=3))
    assert sum(sf.table.name == "events" for sf in parts) >= 3  # several chunks
    for table in ("tickets", "events", "surveys", "agents"):
        got = pd.concat([sf.frame for sf in parts if sf.table.name == table], ignore_index=True)
        want = whole.frame(table)
        assert want is not None
        pd.testing.assert_frame_equal(got, want.frame, obj=table)


# --- bad input -------------------------------------------------------------------------------


def _bad_export(folder: Path) -> Path:
    """The good export plus a third page: a conversation without primaryCustomer (record 8),
    one with status `archived` (record 9), one whose second thread has status `snoozed` and
    whose third is of a type Help Scout may add later, `sms` (record 10: skipped, not rejected);
    and threads.jsonl: two threads of conversation 9999, which no file holds, the first without
    createdAt (record 1), the second whole (record 2)."""
    shutil.copytree(FIXTURES, folder)
    first = json.loads((FIXTURES / "conversations.jsonl").read_text().splitlines()[0])
    base: dict[str, Any] = first["_embedded"]["conversations"][1]  # 3001
    no_customer = {**base, "id": 8, "primaryCustomer": None, "_embedded": {"threads": []}}
    archived = {**base, "id": 9, "status": "archived", "_embedded": {"threads": []}}
    listed = base["_embedded"]["threads"]
    odd = {**base, "id": 10, "_embedded": {"threads": [
        {**listed[0], "id": 95010}, {**listed[1], "id": 95011, "status": "snoozed"},
        {**listed[1], "id": 95012, "type": "sms"},
    ]}}  # fmt: skip
    page = {"_embedded": {"conversations": [no_customer, archived, odd]}, "page": {"number": 3}}
    with (folder / "conversations.jsonl").open("a") as f:
        f.write(json.dumps(page) + "\n")
    thread = {**listed[-1], "id": 95001, "conversationId": 9999}  # 3001's customer thread
    lines = [{**thread, "createdAt": None}, {**thread, "id": 95002, "conversationId": 9999}]
    (folder / "threads.jsonl").write_text("\n".join(map(json.dumps, lines)) + "\n")
    return folder


def test_bad_records_are_rejected_naming_file_record_and_field(tmp_path: Path) -> None:
    ws = workspace()
    summary = import_directory(ws, _bad_export(tmp_path / "bad"), "helpscout")
    got = sorted((r.file, r.row, r.column) for r in summary.rejects)
    assert got == [
        ("conversations.jsonl", 8, "primaryCustomer.id"),
        ("conversations.jsonl", 9, "status"),
        ("conversations.jsonl", 10, "_embedded.threads[1].status"),
        ("threads.jsonl", 1, "createdAt"),
        ("threads.jsonl", 2, "ticket_id"),  # the store's check names the canonical column
    ]
    reasons = {r.column: r.reason for r in summary.rejects}
    assert "unknown Help Scout status" in reasons["status"]
    assert "unknown Help Scout thread status" in reasons["_embedded.threads[1].status"]
    assert "skipped 1 conversations.jsonl: threads of type 'sms' (not ticket history)" in (
        summary.notes
    )
    assert "names no row of tickets" in reasons["ticket_id"]
    # conversation 10 is kept with its good thread (3001's lineitem: closed at 11:00)
    f = facts(ws)
    assert str(f.loc["10", "first_solved_at"]) == "2026-03-02 11:00:00"
    assert "8" not in f.index and "9" not in f.index


def test_a_strict_import_stores_nothing_and_reimports_change_nothing(tmp_path: Path) -> None:
    ws = workspace()
    strict = import_directory(ws, _bad_export(tmp_path / "bad"), "helpscout", strict=True)
    assert not strict.committed
    con = ws.backend.con
    assert con.execute("SELECT count(*) FROM tickets").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM events").fetchone() == (0,)

    first = import_directory(ws, FIXTURES, "helpscout")
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone() for t in
              ("tickets", "events", "surveys", "agents")}  # fmt: skip
    assert counts == {"tickets": (4,), "events": (23,), "surveys": (2,), "agents": (2,)}
    again = import_directory(ws, FIXTURES, "helpscout")
    assert all(tc.inserted == tc.updated == 0 for tc in again.tables.values())
    assert {t: con.execute(f"SELECT count(*) FROM {t}").fetchone() for t in counts} == counts
    assert first.tables["events"].inserted == 23


def test_pages_decoded_in_part_map_as_pages_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first pass reads each page's conversations' ids and times only, the second the
    fields the mapping reads; a page they cannot read so (a conversation or thread that is not
    an object, NaN) is read whole. Frames, rows, rejects, skips and notes are those of every
    page read whole."""
    from deskmetrics.importers import helpscout

    folder = _bad_export(tmp_path / "bad")
    first = json.loads((FIXTURES / "conversations.jsonl").read_text().splitlines()[0])
    base: dict[str, Any] = first["_embedded"]["conversations"][1]
    again = {**base, "userUpdatedAt": "2026-03-09T00:00:00Z", "subject": "listed again"}
    odd_thread = {**base, "id": 11, "_embedded": {"threads": ["not a thread"]}}
    with (folder / "conversations.jsonl").open("a") as f:
        f.write(json.dumps({"_embedded": {"conversations": [again, "not a record"]}}) + "\n")
        f.write(json.dumps({"_embedded": {"conversations": [odd_thread]}}) + "\n")
        f.write('{"_embedded": {"conversations": [{"id": 12, "number": NaN}]}}\n')

    def read() -> tuple[list[tuple[Any, ...]], dict[str, int], dict[str, int]]:
        stream = helpscout.stream_helpscout(folder)
        frames = [(sf.table.name, sf.file, sf.frame, sf.row_numbers().tolist(), sf.rejects)
                  for sf in stream]  # fmt: skip
        return frames, dict(stream.skipped), dict(stream.noted)

    fast = read()
    monkeypatch.setattr(helpscout, "conversation_heads", lambda line: None)
    monkeypatch.setattr(helpscout, "mapped_conversations", lambda line: None)
    whole = read()
    assert fast[1:] == whole[1:]
    # the fixture lists one conversation twice, the page above 3001 again
    assert fast[1]["conversations.jsonl: older versions of a conversation"] == 2
    assert len(fast[0]) == len(whole[0])
    for got, want in zip(fast[0], whole[0], strict=True):
        assert got[:2] == want[:2] and got[3:] == want[3:]
        pd.testing.assert_frame_equal(got[2], want[2], obj=f"{got[0]} {got[1]}")
    rejected = {(r.row, r.column) for f in fast[0] for r in f[4]}
    assert (12, "id") in rejected  # "not a record" (records 8-10 are _bad_export's, 11 3001)
    assert (13, "_embedded.threads[0]") in rejected  # conversation 11's thread
