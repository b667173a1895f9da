"""How an import holds its rows before they are stored: chunks staged as files beside the
workspace and removed afterwards (stored or not), DuckDB's memory capped while storing and
given back, extra columns of some chunks only, and events numbered in their order of arrival."""

from __future__ import annotations

from pathlib import Path

import pytest

from deskmetrics.config import Settings
from deskmetrics.engine import Workspace, open_duckdb
from deskmetrics.errors import ImportDataError
from deskmetrics.importers import import_directory
from deskmetrics.importers.pipeline import _bytes

TICKETS = """ticket_id,created_at,requester_id,channel
T1,2026-03-02T08:00:00Z,c1,email
T2,2026-03-02T09:00:00Z,c2,chat
"""
#: the same ticket file's columns plus a region that only this file brings
MORE_TICKETS = """ticket_id,created_at,requester_id,channel,region
T3,2026-03-02T10:00:00Z,c3,email,EU
"""
EVENTS = """event_id,ticket_id,at,type,author_role,author_id,public
e2,T1,2026-03-02T08:00:00Z,message,customer,c1,true
e1,T1,2026-03-02T08:00:00Z,message,agent,a1,true
e3,T2,2026-03-02T09:00:00Z,message,customer,c2,true
"""


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return open_duckdb(tmp_path / "w.duckdb", Settings())


def write(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name.replace("_csv", ".csv")).write_text(text, encoding="utf-8")
    return folder


def leftovers(tmp_path: Path) -> list[str]:
    """Staging folders left beside the workspace file."""
    return sorted(p.name for p in tmp_path.iterdir() if ".import-" in p.name)


def memory_limit(ws: Workspace) -> str:
    return str(ws.backend.con.execute("SELECT current_setting('memory_limit')").fetchone()[0])


def test_staged_chunks_are_removed_and_the_memory_limit_given_back(
    ws: Workspace, tmp_path: Path
) -> None:
    before = memory_limit(ws)
    s = import_directory(ws, write(tmp_path / "d", tickets_csv=TICKETS, events_csv=EVENTS))
    assert (s.tables["tickets"].inserted, s.tables["events"].inserted) == (2, 3)
    assert leftovers(tmp_path) == []
    assert memory_limit(ws) == before


def test_a_lower_memory_limit_of_the_workspace_stays(ws: Workspace, tmp_path: Path) -> None:
    ws.backend.con.execute("SET memory_limit = '256MiB'")
    import_directory(ws, write(tmp_path / "d", tickets_csv=TICKETS))
    assert memory_limit(ws) == "256.0 MiB"


def test_a_refused_import_leaves_no_staged_chunks(ws: Workspace, tmp_path: Path) -> None:
    data = write(tmp_path / "d", tickets_csv=TICKETS)
    # the tickets are staged before the events file turns out not to be UTF-8
    (data / "events.csv").write_bytes(b"event_id,ticket_id,at,type\ne1,T1,\xff,message\n")
    with pytest.raises(ImportDataError, match="not UTF-8"):
        import_directory(ws, data)
    assert leftovers(tmp_path) == []
    assert ws.backend.con.execute("SELECT count(*) FROM tickets").fetchone() == (0,)


def test_an_extra_column_of_one_file_is_null_for_the_other(ws: Workspace, tmp_path: Path) -> None:
    # one run, two ticket files: only the JSON Lines file brings `region`
    data = write(tmp_path / "d", tickets_csv=TICKETS)
    (data / "tickets.jsonl").write_text(
        '{"ticket_id": "T3", "created_at": "2026-03-02T10:00:00Z", "requester_id": "c3", '
        '"channel": "email", "region": "EU"}\n',
        encoding="utf-8",
    )
    s = import_directory(ws, data)
    assert s.tables["tickets"].inserted == 3
    rows = ws.backend.con.execute("SELECT ticket_id, region FROM tickets ORDER BY 1").fetchall()
    assert rows == [("T1", None), ("T2", None), ("T3", "EU")]


def test_events_are_numbered_in_the_order_they_arrive(ws: Workspace, tmp_path: Path) -> None:
    import_directory(ws, write(tmp_path / "d", tickets_csv=TICKETS, events_csv=EVENTS))
    rows = ws.backend.con.execute("SELECT event_id, _arrival FROM events ORDER BY 2").fetchall()
    # file order, not id order: e2 came first
    assert rows == [("e2", 1), ("e1", 2), ("e3", 3)]


@pytest.mark.parametrize(
    ("size", "n"),
    [("18.8 GiB", int(18.8 * 2**30)), ("2GB", 2 * 10**9), ("1536MiB", 1536 * 2**20), ("?", None)],
)
def test_memory_sizes_are_read_as_duckdb_writes_them(size: str, n: int | None) -> None:
    assert _bytes(size) == n
