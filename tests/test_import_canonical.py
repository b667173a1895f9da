"""Canonical file imports: every bad-input case is rejected with file, row, column and reason,
kept in the rejects table and counted; an import is all-or-nothing; re-imports change nothing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from deskmetrics.config import Settings
from deskmetrics.engine import Workspace, open_duckdb
from deskmetrics.errors import ImportDataError
from deskmetrics.importers import import_directory

TICKETS = """ticket_id,created_at,requester_id,channel,priority,group,region
T1,2026-03-02T08:00:00Z,c1,email,normal,billing,EU
T2,2026-03-02T09:30:00+01:00,c2,chat,high,tech,US
"""
EVENTS = """event_id,ticket_id,at,type,author_role,author_id,public,status
e1,T1,2026-03-02T08:00:00Z,message,customer,c1,true,
e2,T1,2026-03-02T10:00:00Z,message,agent,a1,true,
e3,T1,2026-03-02T11:00:00Z,status,,a1,,solved
"""


def write(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name.replace("_csv", ".csv")).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return open_duckdb(tmp_path / "w.duckdb", Settings())


def rejects(ws: Workspace) -> list[tuple[str, int, str, str]]:
    rows = ws.backend.con.execute(
        'SELECT file, "row", "column", reason FROM _rejects ORDER BY file, "row", "column"'
    ).fetchall()
    return [(f, int(r), c, reason) for f, r, c, reason in rows]


def count(ws: Workspace, table: str) -> int:
    return int(ws.backend.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_good_files_load_and_keep_extra_columns(ws: Workspace, tmp_path: Path) -> None:
    s = import_directory(ws, write(tmp_path / "d", tickets_csv=TICKETS, events_csv=EVENTS))
    assert s.rejects == []
    assert (s.tables["tickets"].inserted, s.tables["events"].inserted) == (2, 3)
    df = ws.backend.con.execute("SELECT ticket_id, created_at, region FROM tickets ORDER BY 1").df()
    # 09:30+01:00 is 08:30 UTC
    assert str(df.created_at[1]) == "2026-03-02 08:30:00"
    assert list(df.region) == ["EU", "US"]


def test_reimporting_the_same_files_changes_nothing(ws: Workspace, tmp_path: Path) -> None:
    d = write(tmp_path / "d", tickets_csv=TICKETS, events_csv=EVENTS)
    import_directory(ws, d)
    s = import_directory(ws, d)
    assert (s.tables["tickets"].inserted, s.tables["tickets"].unchanged) == (0, 2)
    assert (s.tables["events"].inserted, s.tables["events"].unchanged) == (0, 3)
    assert (count(ws, "tickets"), count(ws, "events")) == (2, 3)


def test_missing_required_column_rejects_every_row(ws: Workspace, tmp_path: Path) -> None:
    bad = (
        "ticket_id,created_at,channel\n"
        "T1,2026-03-02T08:00:00Z,email\nT2,2026-03-02T08:00:00Z,chat\n"
    )
    s = import_directory(ws, write(tmp_path / "d", tickets_csv=bad))
    assert s.rejected == 2
    assert s.tables["tickets"].rejected == 2
    r = rejects(ws)
    assert [(f, row, col) for f, row, col, _ in r] == [
        ("tickets.csv", 2, "requester_id"),
        ("tickets.csv", 3, "requester_id"),
    ]
    assert "required column 'requester_id' is missing" in r[0][3]
    assert count(ws, "tickets") == 0


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("yesterday", "not an ISO 8601 timestamp"),
        ("2026-03-02 08:00", "timestamp has no UTC offset"),
    ],
)
def test_bad_timestamp_is_rejected(ws: Workspace, tmp_path: Path, value: str, reason: str) -> None:
    text = TICKETS.replace("2026-03-02T08:00:00Z", value)
    s = import_directory(ws, write(tmp_path / "d", tickets_csv=text))
    assert s.tables["tickets"].inserted == 1
    [(f, row, col, why)] = rejects(ws)
    assert (f, row, col) == ("tickets.csv", 2, "created_at")
    assert reason in why


def test_assume_tz_reads_local_timestamps(ws: Workspace, tmp_path: Path) -> None:
    text = TICKETS.replace("2026-03-02T08:00:00Z", "2026-03-02 09:00")
    s = import_directory(ws, write(tmp_path / "d", tickets_csv=text), assume_tz="Europe/Berlin")
    assert s.rejects == []
    got = ws.backend.con.execute("SELECT created_at FROM tickets WHERE ticket_id='T1'").fetchone()
    assert str(got[0]) == "2026-03-02 08:00:00"  # 09:00 in Berlin (UTC+1 in March) = 08:00 UTC


def test_assume_tz_rejects_a_time_that_does_not_exist(ws: Workspace, tmp_path: Path) -> None:
    # 2026-03-29 02:30 does not exist in Berlin: clocks jump from 02:00 to 03:00
    text = TICKETS.replace("2026-03-02T08:00:00Z", "2026-03-29 02:30")
    import_directory(ws, write(tmp_path / "d", tickets_csv=text), assume_tz="Europe/Berlin")
    [(_, row, col, why)] = rejects(ws)
    assert (row, col) == (2, "created_at")
    assert "daylight-saving" in why


def test_unknown_status_and_event_type_are_rejected(ws: Workspace, tmp_path: Path) -> None:
    events = EVENTS + "e4,T1,2026-03-02T12:00:00Z,status,,a1,,archived\n"
    events += "e5,T1,2026-03-02T12:00:00Z,telepathy,,a1,,\n"
    s = import_directory(ws, write(tmp_path / "d", tickets_csv=TICKETS, events_csv=events))
    assert s.tables["events"].rejected == 2
    r = rejects(ws)
    assert [(f, row, col) for f, row, col, _ in r] == [
        ("events.csv", 5, "status"),
        ("events.csv", 6, "type"),
    ]
    assert r[0][3].startswith("unknown status")
    assert r[1][3].startswith("unknown type")


def test_event_for_unknown_ticket_is_rejected(ws: Workspace, tmp_path: Path) -> None:
    events = EVENTS + "e9,T404,2026-03-02T12:00:00Z,message,customer,c1,true,\n"
    s = import_directory(ws, write(tmp_path / "d", tickets_csv=TICKETS, events_csv=events))
    assert s.tables["events"].inserted == 3
    [(f, row, col, why)] = rejects(ws)
    assert (f, row, col) == ("events.csv", 5, "ticket_id")
    assert "T404" in why and "names no row of tickets" in why


def test_events_of_a_rejected_ticket_are_rejected_too(ws: Workspace, tmp_path: Path) -> None:
    text = TICKETS.replace("T1,2026-03-02T08:00:00Z", "T1,not-a-time")
    s = import_directory(ws, write(tmp_path / "d", tickets_csv=text, events_csv=EVENTS))
    assert s.tables["events"].inserted == 0
    assert s.tables["events"].rejected == 3
    assert count(ws, "events") == 0


def test_duplicate_id_with_different_content_in_one_file(ws: Workspace, tmp_path: Path) -> None:
    text = TICKETS + "T1,2026-03-02T08:00:00Z,c9,email,normal,billing,EU\n"
    s = import_directory(ws, write(tmp_path / "d", tickets_csv=text))
    # both versions of T1 are rejected: nothing silently picks a winner
    assert s.tables["tickets"].inserted == 1
    r = rejects(ws)
    assert [(row, col) for _, row, col, _ in r] == [(2, "ticket_id"), (4, "ticket_id")]
    assert "appears again with different content" in r[0][3]


def test_identical_duplicate_rows_collapse(ws: Workspace, tmp_path: Path) -> None:
    text = TICKETS + "T1,2026-03-02T08:00:00Z,c1,email,normal,billing,EU\n"
    s = import_directory(ws, write(tmp_path / "d", tickets_csv=text))
    assert s.rejects == [] and count(ws, "tickets") == 2


def test_stored_event_with_different_content_is_rejected(ws: Workspace, tmp_path: Path) -> None:
    import_directory(ws, write(tmp_path / "a", tickets_csv=TICKETS, events_csv=EVENTS))
    changed = EVENTS.replace("e2,T1,2026-03-02T10:00:00Z", "e2,T1,2026-03-02T10:05:00Z")
    s = import_directory(ws, write(tmp_path / "b", tickets_csv=TICKETS, events_csv=changed))
    assert s.tables["events"].rejected == 1
    at = ws.backend.con.execute("SELECT \"at\" FROM events WHERE event_id='e2'").fetchone()[0]
    assert str(at) == "2026-03-02 10:00:00"


def test_reexported_ticket_updates_its_attributes(ws: Workspace, tmp_path: Path) -> None:
    import_directory(ws, write(tmp_path / "a", tickets_csv=TICKETS))
    s = import_directory(ws, write(tmp_path / "b", tickets_csv=TICKETS.replace("normal", "urgent")))
    assert (s.tables["tickets"].updated, s.tables["tickets"].unchanged) == (1, 1)
    got = ws.backend.con.execute("SELECT priority FROM tickets WHERE ticket_id='T1'").fetchone()
    assert got[0] == "urgent"


def test_strict_import_stores_nothing_when_a_row_is_rejected(ws: Workspace, tmp_path: Path) -> None:
    events = EVENTS + "e9,T404,2026-03-02T12:00:00Z,message,customer,c1,true,\n"
    s = import_directory(
        ws, write(tmp_path / "d", tickets_csv=TICKETS, events_csv=events), strict=True
    )
    assert not s.committed
    assert (count(ws, "tickets"), count(ws, "events")) == (0, 0)
    assert len(rejects(ws)) == 1  # the reject is kept so the user can fix it


def test_a_failing_import_rolls_back_everything(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from deskmetrics.engine import store

    real = store._load_table

    def boom(con, table, *rest):  # type: ignore[no-untyped-def]
        if table.name == "events":
            raise RuntimeError("disk full")
        return real(con, table, *rest)

    monkeypatch.setattr(store, "_load_table", boom)
    with pytest.raises(RuntimeError):
        import_directory(ws, write(tmp_path / "d", tickets_csv=TICKETS, events_csv=EVENTS))
    assert count(ws, "tickets") == 0  # tickets were loaded first, then rolled back


def test_every_reject_is_kept_with_its_import(ws: Workspace, tmp_path: Path) -> None:
    # issue 12: rejects were de-duplicated on (file, row, column, reason), so Tuesday's bad row
    # vanished behind Monday's; each run's rejects are kept, told apart by their import id
    d = write(tmp_path / "d", tickets_csv=TICKETS.replace("2026-03-02T08:00:00Z", "bad"))
    monday = import_directory(ws, d)
    tuesday = import_directory(ws, d)
    got = ws.backend.con.execute(
        'SELECT import_id, file, "row", "column" FROM _rejects ORDER BY import_id'
    ).fetchall()
    assert got == [
        (monday.import_id, "tickets.csv", 2, "created_at"),
        (tuesday.import_id, "tickets.csv", 2, "created_at"),
    ]


def test_folder_without_tickets_says_what_is_expected(ws: Workspace, tmp_path: Path) -> None:
    with pytest.raises(ImportDataError, match=r"no tickets file .* tickets\.csv"):
        import_directory(ws, write(tmp_path / "d", events_csv=EVENTS))


def test_parquet_and_jsonl_files_load(ws: Workspace, tmp_path: Path) -> None:
    d = tmp_path / "d"
    d.mkdir()
    frame = pd.DataFrame(
        {
            "ticket_id": ["P1"],
            "created_at": pd.to_datetime(["2026-03-02T08:00:00Z"], utc=True),
            "requester_id": ["c1"],
        }
    )
    frame.to_parquet(d / "tickets.parquet")
    (d / "events.jsonl").write_text(
        '{"event_id": "j1", "ticket_id": "P1", "at": "2026-03-02T08:05:00Z", '
        '"type": "message", "author_role": "customer"}\n'
        '{"event_id": "j2", "ticket_id": "P1", "at": "later", "type": "message", '
        '"author_role": "agent"}\n',
        encoding="utf-8",
    )
    s = import_directory(ws, d)
    assert (s.tables["tickets"].inserted, s.tables["events"].inserted) == (1, 1)
    assert [(f, row, col) for f, row, col, _ in rejects(ws)] == [("events.jsonl", 2, "at")]
