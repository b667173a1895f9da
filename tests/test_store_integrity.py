"""Issue 12 in the store: nothing is silently lost (every row read is counted once, every reject
kept, identical keyless rows kept apart), an older version never replaces a newer one, an event
never precedes its ticket, and stored rows can be deleted (by id or by import) and come back."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from conftest import build_workspace, msg, one, ticket
from deskmetrics.config import Settings
from deskmetrics.engine import Workspace, open_duckdb
from deskmetrics.engine.store import (
    ROW_HASH,
    DeleteError,
    ImportSummary,
    NothingToDelete,
    delete,
    load,
    plan_delete,
)
from deskmetrics.importers import import_directory
from deskmetrics.model import TABLES, SourceFrame, validate
from deskmetrics.query import compute, facts_frame

TICKETS = """ticket_id,created_at,requester_id,priority
T1,2026-03-02T08:00:00Z,c1,normal
T2,2026-03-02T10:00:00Z,c2,high
"""
EVENTS = """event_id,ticket_id,at,type,author_role,author_id,public
e1,T1,2026-03-02T08:00:00Z,message,customer,c1,true
e2,T1,2026-03-02T08:30:00Z,message,agent,a1,true
e3,T2,2026-03-02T10:00:00Z,message,customer,c2,true
e4,T2,2026-03-02T11:00:00Z,message,agent,a1,true
"""
COSTS = """period_start,period_end,amount,currency,category
2026-03-01,2026-03-31,100,EUR,tools
2026-03-01,2026-03-31,100,EUR,tools
2026-03-01,2026-03-31,250,EUR,staff
"""


def write(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name.replace("_csv", ".csv")).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return open_duckdb(tmp_path / "w.duckdb", Settings())


def rows(ws: Workspace, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    return ws.backend.con.execute(sql).fetchall()


def counts(s: ImportSummary, table: str) -> dict[str, int]:
    return {k: v for k, v in vars(s.tables[table]).items() if v}


def balanced(s: ImportSummary) -> None:
    """read = inserted + updated + unchanged + rejected + duplicate + rolled_back, per table."""
    for name, tc in s.tables.items():
        assert tc.balanced, (name, vars(tc))


def store(ws: Workspace, table: str, rows_: list[dict], file: str = "x.test") -> ImportSummary:  # type: ignore[type-arg]
    return store_files(ws, [(table, file, rows_)])


def store_files(
    ws: Workspace,
    files: list[tuple[str, str, list[dict]]],  # type: ignore[type-arg]
    strict: bool = False,
) -> ImportSummary:
    """One import run of several files: (table, file name, rows)."""
    frames = [validate(SourceFrame(TABLES[t], f, pd.DataFrame(r))) for t, f, r in files]
    return load(ws.backend.con, frames, "test", strict=strict)


# --- item 5: nothing silently lost ----------------------------------------------------------


def test_two_identical_charges_are_two_rows_and_a_reimport_changes_nothing(
    ws: Workspace, tmp_path: Path
) -> None:
    d = write(tmp_path / "d", tickets_csv=TICKETS, costs_csv=COSTS)
    s = import_directory(ws, d)
    assert counts(s, "costs") == {"read": 3, "inserted": 3}
    got = rows(ws, "SELECT amount, category FROM costs ORDER BY amount")
    assert got == [(100.0, "tools"), (100.0, "tools"), (250.0, "staff")]
    again = import_directory(ws, d)
    assert counts(again, "costs") == {"read": 3, "unchanged": 3}
    assert rows(ws, "SELECT sum(amount) FROM costs") == [(450.0,)]


def test_first_identical_row_keeps_the_digest_older_versions_stored(
    ws: Workspace, tmp_path: Path
) -> None:
    # an older workspace stored the two charges as one, under the bare content digest: the
    # same file imported again keeps that row and adds the second charge, nothing else
    content = "2026-03-01 00:00:00\x1f2026-03-31 00:00:00\x1f100.0\x1fEUR\x1ftools"
    digest = hashlib.sha1(content.encode()).hexdigest()
    import_directory(ws, write(tmp_path / "a", tickets_csv=TICKETS))
    ws.backend.con.execute(
        f"INSERT INTO costs (period_start, period_end, amount, currency, category, {ROW_HASH}) "
        "VALUES ('2026-03-01', '2026-03-31', 100, 'EUR', 'tools', ?)",
        [digest],
    )
    s = import_directory(ws, write(tmp_path / "b", tickets_csv=TICKETS, costs_csv=COSTS))
    assert counts(s, "costs") == {"read": 3, "inserted": 2, "unchanged": 1}
    assert rows(ws, f"SELECT {ROW_HASH} FROM costs WHERE amount = 100 ORDER BY 1") == [
        (digest,),
        (digest + "#2",),
    ]


def test_identical_rows_in_two_files_of_one_run_are_counted_as_duplicates(
    ws: Workspace,
) -> None:
    t1, t2 = ticket("T1", "2026-03-02T08:00:00Z"), ticket("T2", "2026-03-02T10:00:00Z")
    s = store_files(ws, [("tickets", "a.csv", [t1, t2, t2]), ("tickets", "b.csv", [t1, t2])])
    # 3 rows in a.csv (T2 twice) + 2 in b.csv: 2 stored, 3 copies
    assert counts(s, "tickets") == {"read": 5, "inserted": 2, "duplicate": 3}
    balanced(s)


def test_every_import_summary_adds_up(ws: Workspace, tmp_path: Path) -> None:
    bad_tickets = TICKETS + "T3,not-a-time,c3,low\nT4,2026-03-02T12:00:00Z,,low\n"
    bad_events = EVENTS + (
        "e5,T404,2026-03-02T12:00:00Z,message,customer,c1,true\n"  # no such ticket
        "e6,T3,2026-03-02T12:00:00Z,message,customer,c1,true\n"  # its ticket was rejected
        "e7,T1,yesterday,telepathy,customer,c1,true\n"  # two rejects, one row
    )
    s = import_directory(ws, write(tmp_path / "a", tickets_csv=bad_tickets, events_csv=bad_events))
    assert counts(s, "tickets") == {"read": 4, "inserted": 2, "rejected": 2}
    assert counts(s, "events") == {"read": 7, "inserted": 4, "rejected": 3}
    assert (s.rejected, len(s.rejects)) == (5, 6)  # rows rejected, problems found
    balanced(s)
    # an id with two contents in two files, an identical copy, a stored event with other
    # content, a re-imported unchanged event
    t1 = ticket("T1", "2026-03-02T08:00:00Z", priority="normal")
    t2 = ticket("T2", "2026-03-02T10:00:00Z", requester="c2", priority="high")
    s = store_files(
        ws,
        [
            ("tickets", "a.csv", [t1, t2]),
            ("tickets", "b.csv", [t1, {**t2, "priority": "urgent"}]),
            (
                "events",
                "e.csv",
                [
                    msg("e1", "T1", "2026-03-02T08:00:00Z", "customer", "c1"),
                    msg("e2", "T1", "2026-03-02T08:40:00Z", "agent", "a1"),
                ],
            ),
        ],
    )
    assert counts(s, "tickets") == {"read": 4, "unchanged": 1, "rejected": 2, "duplicate": 1}
    assert counts(s, "events") == {"read": 2, "unchanged": 1, "rejected": 1}
    balanced(s)
    # strict: what would have been stored is counted as rolled back
    s = store_files(
        ws,
        [
            (
                "tickets",
                "c.csv",
                [
                    ticket("T9", "bad"),
                    ticket("T8", "2026-03-03T08:00:00Z"),
                    {**t1, "priority": "low"},
                ],
            )
        ],
        strict=True,
    )
    assert not s.committed
    assert counts(s, "tickets") == {"read": 3, "rejected": 1, "rolled_back": 2}
    balanced(s)


def test_an_import_summary_shows_its_counts_in_the_log(ws: Workspace, tmp_path: Path) -> None:
    s = import_directory(ws, write(tmp_path / "d", tickets_csv=TICKETS, costs_csv=COSTS))
    [(logged,)] = rows(ws, f"SELECT summary FROM _imports WHERE import_id = '{s.import_id}'")
    assert json.loads(logged)["tables"]["costs"]["inserted"] == 3
    assert json.loads(logged)["tables"]["costs"]["duplicate"] == 0


# --- item 3: updated_at wins ------------------------------------------------------------------


def test_an_older_ticket_version_never_replaces_a_newer_one(ws: Workspace) -> None:
    v1 = ticket("T1", "2026-03-02T08:00:00Z", priority="normal", updated_at="2026-03-02T09:00:00Z")
    v2 = {**v1, "priority": "urgent", "updated_at": "2026-03-02T12:00:00Z"}
    assert counts(store(ws, "tickets", [v2]), "tickets") == {"read": 1, "inserted": 1}
    s = store(ws, "tickets", [v1])  # the old signed body sent again
    assert counts(s, "tickets") == {"read": 1, "unchanged": 1}
    assert s.notes == [
        "1 tickets rows kept as stored: the stored version is newer (updated_at), e.g. "
        "ticket_id 'T1': stored 2026-03-02T12:00:00Z, imported 2026-03-02T09:00:00Z"
    ]
    assert rows(ws, "SELECT priority FROM tickets") == [("urgent",)]
    # the same instant, or later, replaces; a version without updated_at cannot prove it is newer
    v3 = {**v2, "priority": "low"}
    assert counts(store(ws, "tickets", [v3]), "tickets") == {"read": 1, "updated": 1}
    undated = {**v3, "priority": "high", "updated_at": None}
    assert counts(store(ws, "tickets", [undated]), "tickets") == {"read": 1, "unchanged": 1}
    assert rows(ws, "SELECT priority FROM tickets") == [("low",)]


def test_a_ticket_without_updated_at_is_replaced_by_any_later_import(ws: Workspace) -> None:
    store(ws, "tickets", [ticket("T1", "2026-03-02T08:00:00Z", priority="normal")])
    dated = ticket("T1", "2026-03-02T08:00:00Z", priority="high", updated_at="2026-03-01T00:00Z")
    assert counts(store(ws, "tickets", [dated]), "tickets") == {"read": 1, "updated": 1}
    assert rows(ws, "SELECT priority FROM tickets") == [("high",)]


# --- item 6: no event before its ticket --------------------------------------------------------


def test_an_event_before_its_ticket_is_rejected_and_frt_is_unaffected(
    ws: Workspace, tmp_path: Path
) -> None:
    tickets = "ticket_id,created_at,requester_id\nT1,2026-03-02T10:00:00Z,c1\n"
    events = (
        "event_id,ticket_id,at,type,author_role,author_id,public\n"
        "e1,T1,2026-03-02T10:00:00Z,message,customer,c1,true\n"
        "e2,T1,2026-03-02T09:00:00Z,message,agent,a1,true\n"
        "e3,T1,2026-03-02T10:20:00Z,message,agent,a1,true\n"
    )
    s = import_directory(ws, write(tmp_path / "d", tickets_csv=tickets, events_csv=events))
    assert [(r.file, r.row, r.column, r.reason) for r in s.rejects] == [
        (
            "events.csv",
            3,
            "at",
            "at 2026-03-02T09:00:00Z is before its ticket 'T1' was created "
            "(2026-03-02T10:00:00Z); an event cannot precede its ticket: fix the event's time or "
            "the ticket's created_at",
        )
    ]
    assert counts(s, "events") == {"read": 3, "inserted": 2, "rejected": 1}
    assert one(compute(ws, "first_response_time"))["value"] == 20.0  # not −60


def test_an_event_seconds_before_its_ticket_is_stored_at_the_ticket_creation(
    ws: Workspace,
) -> None:
    store(ws, "tickets", [ticket("T1", "2026-03-02T10:00:00Z")])
    s = store(ws, "events", [msg("e1", "T1", "2026-03-02T09:59:30Z", "agent", "a1")])
    assert (counts(s, "events"), s.rejects) == ({"read": 1, "inserted": 1}, [])
    assert s.notes == [
        "1 events dated less than 60 s before their ticket's creation were stored at the "
        "ticket's creation (clocks of two systems)"
    ]
    assert str(rows(ws, 'SELECT "at" FROM events')[0][0]) == "2026-03-02 10:00:00"
    # the same file again changes nothing (it is clamped the same way)
    again = store(ws, "events", [msg("e1", "T1", "2026-03-02T09:59:30Z", "agent", "a1")])
    assert (counts(again, "events"), again.rejects) == ({"read": 1, "unchanged": 1}, [])


def test_a_schedule_set_before_creation_is_stored_as_given(ws: Workspace) -> None:
    # the schedule in force at creation (DECISIONS: a change at or before creation applies
    # from creation): not an event of the ticket's life, so not refused
    store(ws, "tickets", [ticket("T1", "2026-03-02T10:00:00Z")])
    early = {"event_id": "s1", "ticket_id": "T1", "at": "2026-03-02T08:00:00Z",
             "type": "schedule", "schedule_id": "always"}  # fmt: skip
    s = store(ws, "events", [early])
    assert (counts(s, "events"), s.rejects, s.notes) == ({"read": 1, "inserted": 1}, [], [])
    assert str(rows(ws, 'SELECT "at" FROM events')[0][0]) == "2026-03-02 08:00:00"


def test_a_ticket_created_after_its_stored_events_is_rejected(ws: Workspace) -> None:
    store(ws, "tickets", [ticket("T1", "2026-03-02T10:00:00Z")])
    store(ws, "events", [msg("e1", "T1", "2026-03-02T10:05:00Z", "customer")])
    s = store(ws, "tickets", [ticket("T1", "2026-03-02T11:00:00Z")], file="tickets.csv")
    assert [(r.file, r.row, r.column, r.reason) for r in s.rejects] == [
        (
            "tickets.csv",
            1,
            "created_at",
            "created_at 2026-03-02T11:00:00Z is after the ticket's stored event 'e1' "
            "(2026-03-02T10:05:00Z); fix created_at, or delete the ticket (`deskmetrics delete "
            "tickets --id T1`) and import it again",
        )
    ]
    assert counts(s, "tickets") == {"read": 1, "rejected": 1}
    assert str(rows(ws, "SELECT created_at FROM tickets")[0][0]) == "2026-03-02 10:00:00"


# --- item 1: delete --------------------------------------------------------------------------


def _story() -> Workspace:
    return build_workspace(
        {
            "tickets": [
                ticket("T1", "2026-03-02T10:00:00Z"),
                ticket("T2", "2026-03-02T11:00:00Z", requester="c2"),
            ],
            "events": [
                msg("e1", "T1", "2026-03-02T10:00:00Z", "customer"),
                msg("e2", "T1", "2026-03-02T10:30:00Z", "agent", "a1"),
                msg("e3", "T2", "2026-03-02T11:00:00Z", "customer"),
                msg("e4", "T2", "2026-03-02T12:00:00Z", "agent", "a1"),
            ],
            "surveys": [
                {
                    "response_id": "r1",
                    "kind": "csat",
                    "scale": "1-5",
                    "score": "5",
                    "answered_at": "2026-03-03T10:00:00Z",
                    "ticket_id": "T2",
                }
            ],
        }
    )


def test_an_event_dated_9999_is_deleted_and_reports_work_again() -> None:
    ws = _story()
    # written by an older version, which stored it (validation now refuses it on write)
    ws.backend.con.execute(
        'INSERT INTO events (event_id, ticket_id, "at", "type", author_role, author_id, public) '
        "VALUES ('e9', 'T2', '9999-12-31 00:00:00', 'message', 'customer', 'c2', true)"
    )
    # left out of every number (an older version crashed here with OverflowError) and named
    assert one(compute(ws, "first_response_time"))["value"] == 45.0
    [found] = ws.implausible()
    assert (found.table, found.ids) == ("events", ["e9"])
    s = delete(ws.backend.con, "events", ids=["e9"], by="alice")
    assert {n: vars(tc)["deleted"] for n, tc in s.tables.items()} == {"events": 1}
    assert s.notes == ["deleted events by id: e9"]
    assert one(compute(ws, "first_response_time"))["value"] == 45.0  # (30 + 60) / 2
    [(source, committed, summary)] = rows(
        ws, f"SELECT source, committed, summary FROM _imports WHERE import_id = '{s.import_id}'"
    )
    logged = json.loads(summary)
    assert (source, committed, logged["by"]) == ("delete:events", True, "alice")
    assert logged["tables"]["events"]["deleted"] == 1


def test_deleting_a_ticket_deletes_its_events_keeps_its_survey_and_kept_facts_follow() -> None:
    ws = _story()
    ws.keep_facts_min_events = 0  # keep per-ticket facts however small the workspace
    assert sorted(facts_frame(ws).ticket_id) == ["T1", "T2"]
    plan = plan_delete(ws.backend.con, "tickets", ids=["T2"])
    assert (plan.rows, plan.kept) == ({"tickets": 1, "events": 2}, {"surveys": 1})
    assert rows(ws, "SELECT count(*) FROM tickets") == [(2,)]  # a plan deletes nothing
    s = delete(ws.backend.con, "tickets", ids=["T2"])
    assert {n: tc.deleted for n, tc in s.tables.items()} == {"tickets": 1, "events": 2}
    assert s.notes == ["deleted tickets by id: T2", "1 surveys naming deleted tickets are kept"]
    assert rows(ws, "SELECT ticket_id FROM tickets") == [("T1",)]
    assert rows(ws, "SELECT event_id FROM events ORDER BY 1") == [("e1",), ("e2",)]
    assert rows(ws, "SELECT response_id FROM surveys") == [("r1",)]
    # the kept facts were brought up to date: T2 is gone from them
    assert list(facts_frame(ws).ticket_id) == ["T1"]
    assert rows(ws, "SELECT ticket_id FROM _facts_tickets") == [("T1",)]
    assert one(compute(ws, "first_response_time"))["value"] == 30.0


def test_a_deleted_row_comes_back_when_imported_again(ws: Workspace, tmp_path: Path) -> None:
    d = write(tmp_path / "d", tickets_csv=TICKETS, events_csv=EVENTS)
    import_directory(ws, d)
    delete(ws.backend.con, "tickets", ids=["T1"])
    s = import_directory(ws, d)
    assert counts(s, "tickets") == {"read": 2, "inserted": 1, "unchanged": 1}
    assert counts(s, "events") == {"read": 4, "inserted": 2, "unchanged": 2}


def test_delete_everything_one_import_stored(ws: Workspace, tmp_path: Path) -> None:
    first = import_directory(ws, write(tmp_path / "a", tickets_csv=TICKETS, costs_csv=COSTS))
    later = "ticket_id,created_at,requester_id\nT3,2026-03-03T08:00:00Z,c3\n"
    second = import_directory(ws, write(tmp_path / "b", tickets_csv=later))
    plan = plan_delete(ws.backend.con, "all", import_id=first.import_id)
    assert plan.rows == {"tickets": 2, "costs": 3}
    s = delete(ws.backend.con, "tickets", import_id=second.import_id)
    assert {n: tc.deleted for n, tc in s.tables.items()} == {"tickets": 1}
    assert s.notes == [f"deleted the tickets rows import {second.import_id} stored"]
    s = delete(ws.backend.con, "all", import_id=first.import_id)
    assert {n: tc.deleted for n, tc in s.tables.items()} == {"tickets": 2, "costs": 3}
    assert rows(ws, "SELECT count(*) FROM tickets") == [(0,)]


@pytest.mark.parametrize(
    ("table", "ids", "import_id", "error", "message"),
    [
        ("tickets", [], None, DeleteError, "either by their ids or by the import that stored them"),
        ("tickets", ["T1"], "x", DeleteError, "either by their ids"),
        ("all", ["T1"], None, DeleteError, "'all' goes with an import only"),
        ("ticket", ["T1"], None, NothingToDelete, "unknown table 'ticket'; tables: tickets,"),
        ("tickets", ["T1", "T404"], None, NothingToDelete, "no tickets row with ticket_id 'T404'"),
        ("tickets", [], "2020", NothingToDelete, "no stored import '2020' in the import log"),
    ],
)
def test_a_delete_that_names_nothing_deletes_nothing(
    table: str, ids: list[str], import_id: str | None, error: type[Exception], message: str
) -> None:
    ws = _story()
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        delete(ws.backend.con, table, ids=ids, import_id=import_id)
    assert rows(ws, "SELECT count(*) FROM tickets") == [(2,)]
    assert rows(ws, "SELECT count(*) FROM _imports WHERE source LIKE 'delete:%'") == [(0,)]


def test_rows_stored_before_import_ids_were_recorded_are_deleted_by_id(ws: Workspace) -> None:
    s = store(ws, "tickets", [ticket("T1", "2026-03-02T10:00:00Z")])
    ws.backend.con.execute("UPDATE tickets SET _import_id = NULL")  # as an older version left it
    with pytest.raises(NothingToDelete, match="delete them by id"):
        delete(ws.backend.con, "tickets", import_id=s.import_id)
    assert delete(ws.backend.con, "tickets", ids=["T1"]).tables["tickets"].deleted == 1


def test_a_refused_delivery_with_two_problems_is_one_row_read_and_rejected(
    tmp_path: Path,
) -> None:
    from deskmetrics.engine.store import log_rejects
    from deskmetrics.model import Reject

    ws = open_duckdb(tmp_path / "w.duckdb")
    con = ws.backend.con
    import_id = log_rejects(
        con,
        "webhook:zendesk",
        [
            Reject("events", "delivery", 0, "time", "required value 'time' is missing"),
            Reject("events", "delivery", 0, "detail.id", "required value 'detail.id' is missing"),
        ],
    )
    [(summary,)] = con.execute(
        "SELECT summary FROM _imports WHERE import_id = ?", [import_id]
    ).fetchall()
    counts = json.loads(summary)["tables"]["events"]
    assert (counts["read"], counts["rejected"]) == (1, 1)
    kept = con.execute("SELECT count(*) FROM _rejects WHERE import_id = ?", [import_id]).fetchone()
    assert kept == (2,)  # both problems kept
