"""Fact tables kept in the workspace file must never serve stale numbers: new data and an updated
ticket bring the touched tickets (and their requesters' other tickets) up to date, a changed
schedule or a write around the store makes every table again, before the next answer."""

from __future__ import annotations

import pandas as pd

from conftest import build_workspace, msg, one, settings, status, ticket
from deskmetrics.engine.store import load
from deskmetrics.model import TABLES, SourceFrame, validate
from deskmetrics.query import compute, facts_frame


def _add(ws, table: str, rows: list[dict]) -> None:  # type: ignore[no-untyped-def]
    frame = validate(SourceFrame(TABLES[table], f"{table}.later", pd.DataFrame(rows)))
    assert not load(ws.backend.con, [frame], source="later").rejects


def _ws():  # type: ignore[no-untyped-def]
    # Mon 2026-03-02: created 10:00, replied 11:00 → 60 calendar and 60 business minutes
    ws = _small()
    ws.keep_facts_min_events = 0  # keep them however small the workspace
    return ws


def _add_ticket_answered_in_30_minutes(ws) -> None:  # type: ignore[no-untyped-def]
    """Ticket B, Tue 2026-03-03: created 10:00, replied 10:30 → 30 minutes."""
    _add(ws, "tickets", [ticket("B", "2026-03-03T10:00:00Z", channel="email")])
    _add(
        ws,
        "events",
        [
            msg("b1", "B", "2026-03-03T10:00:00Z", "customer"),
            msg("b2", "B", "2026-03-03T10:30:00Z", "agent", "x"),
        ],
    )


def _small(path: str = ":memory:"):  # type: ignore[no-untyped-def]
    return build_workspace(
        {
            "tickets": [ticket("A", "2026-03-02T10:00:00Z", channel="email")],
            "events": [
                msg("a1", "A", "2026-03-02T10:00:00Z", "customer"),
                msg("a2", "A", "2026-03-02T11:00:00Z", "agent", "x"),
            ],
        },
        path=path,
    )


def _kept_tables(ws) -> set[str]:  # type: ignore[no-untyped-def]
    rows = ws.backend.con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE '\\_facts\\_%' ESCAPE "
        "'\\' AND NOT temporary"
    ).fetchall()
    return {r[0] for r in rows}


def _count_full_builds(monkeypatch) -> list[int]:  # type: ignore[no-untyped-def]
    """A list that grows by one each time every kept table is made again."""
    from deskmetrics.engine import kept

    made: list[int] = []
    real = kept._make_all

    def counting(facts):  # type: ignore[no-untyped-def]
        made.append(1)
        real(facts)

    monkeypatch.setattr(kept, "_make_all", counting)
    return made


def test_facts_are_kept_in_the_workspace_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from deskmetrics.engine.workspace import open_duckdb

    path = tmp_path / "ws.duckdb"
    ws = _small(str(path))
    ws.keep_facts_min_events = 0
    assert one(compute(ws, "first_response_time"), metric="first_response_time")["value"] == 60
    assert {"_facts_tickets", "_facts_messages", "_facts_meta"} <= _kept_tables(ws)
    ws.backend.disconnect()
    # another process reads them as they are, even read-only
    again = open_duckdb(path, settings(), read_only=True)
    again.keep_facts_min_events = 0
    from deskmetrics.engine.kept import current_facts

    f = current_facts(again)
    assert f.kept
    assert one(compute(again, "first_response_time"), metric="first_response_time")["value"] == 60


def test_new_events_update_the_kept_facts_of_their_tickets_only(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ws = _ws()
    made = _count_full_builds(monkeypatch)
    compute(ws, "first_response_time")
    assert made == [1]
    # a second ticket answered after 30 minutes: mean (60 + 30) / 2 = 45
    _add_ticket_answered_in_30_minutes(ws)
    assert one(compute(ws, "first_response_time"), metric="first_response_time")["value"] == 45
    assert made == [1]  # brought up to date ticket by ticket, not made again
    # a later reply on ticket A alone changes nothing of its first reply: still 45; A's
    # replies go from 1 to 2, B's stay 1
    _add(ws, "events", [msg("a3", "A", "2026-03-02T12:00:00Z", "agent", "x")])
    assert one(compute(ws, "first_response_time"), metric="first_response_time")["value"] == 45
    assert facts_frame(ws)[["ticket_id", "replies"]].values.tolist() == [["A", 2], ["B", 1]]
    assert made == [1]


def test_an_import_that_touches_no_ticket_keeps_the_facts_as_they_are(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A survey answer is an import too: the kept facts are still current, nothing is derived
    again (not even the scope's events gathered) and the numbers stay: 60 minutes."""
    from deskmetrics.engine import kept

    ws = _ws()
    made = _count_full_builds(monkeypatch)
    compute(ws, "first_response_time")
    updates: list[int] = []
    monkeypatch.setattr(kept, "_update", lambda facts: updates.append(1))
    answer = {"response_id": "R1", "kind": "csat", "scale": "1-5", "score": "5"}
    _add(ws, "surveys", [{**answer, "ticket_id": "A", "answered_at": "2026-03-02T12:00:00Z"}])
    assert one(compute(ws, "first_response_time"), metric="first_response_time")["value"] == 60
    assert made == [1] and updates == []
    state = ws.backend.con.execute("SELECT state FROM _facts_meta").fetchone()
    assert state is not None  # current again, for the new import


def test_an_updated_ticket_updates_the_kept_facts(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ws = _ws()
    made = _count_full_builds(monkeypatch)
    assert one(compute(ws, "volume", by=["channel"]), channel="email")["n"] == 1
    # a later export moves ticket A to chat (same id, updated attributes)
    _add(ws, "tickets", [ticket("A", "2026-03-02T10:00:00Z", channel="chat")])
    df = compute(ws, "volume", by=["channel"])
    assert df["channel"].tolist() == ["chat"]
    assert made == [1]


def _solved_ticket(tid: str, day: str, requester: str) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    """A ticket opened 10:00, answered 10:30 and solved 11:00 on `day` (one reply)."""
    return [
        ("tickets", ticket(tid, f"{day}T10:00:00Z", requester=requester, status="solved")),
        ("events", msg(f"{tid}1", tid, f"{day}T10:00:00Z", "customer")),
        ("events", msg(f"{tid}2", tid, f"{day}T10:30:00Z", "agent", "x")),
        ("events", status(f"{tid}3", tid, f"{day}T11:00:00Z", "solved", "x")),
    ]


def _add_rows(ws, rows) -> None:  # type: ignore[no-untyped-def]
    for table in ("tickets", "events"):
        batch = [r for t, r in rows if t == table]
        if batch:
            _add(ws, table, batch)


def test_a_new_contact_updates_the_kept_fcr_of_the_requesters_earlier_ticket(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """FCR window 7 days (default). Ticket P (requester r1, Mon 2 March) is solved with one
    reply: FCR rate 1/1 = 100 %. Ticket Q from r1 on Wed 4 March (2 days later) makes P a
    repeat contact: P fails, Q passes → 1/2 = 50 %. Only Q was touched; the kept P must change
    although no row of P arrived."""
    ws = build_workspace(
        {
            "tickets": [r for t, r in _solved_ticket("P", "2026-03-02", "r1") if t == "tickets"],
            "events": [r for t, r in _solved_ticket("P", "2026-03-02", "r1") if t == "events"],
        }
    )
    ws.keep_facts_min_events = 0
    made = _count_full_builds(monkeypatch)
    assert one(compute(ws, "fcr_rate"), metric="fcr_rate")["value"] == 100.0
    _add_rows(ws, _solved_ticket("Q", "2026-03-04", "r1"))
    assert one(compute(ws, "fcr_rate"), metric="fcr_rate")["value"] == 50.0
    # Q moves to requester r2 (an updated ticket): P is no longer a repeat contact → 2/2 = 100 %
    _add(ws, "tickets", [ticket("Q", "2026-03-04T10:00:00Z", requester="r2", status="solved")])
    assert one(compute(ws, "fcr_rate"), metric="fcr_rate")["value"] == 100.0
    assert made == [1]


def test_a_contact_between_two_earlier_ones_updates_only_what_it_changes(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """FCR window 7 days. Requester r1: A on Mon 2 March, B on Thu 12 March (10 days later: A
    passes), C on Fri 13 March (B repeats), Z on Mon 2 February (a month earlier). All solved
    with one reply: FCR 3/4 = 75 % (B fails). D arrives Sat 7 March: A now repeats (5 days),
    D repeats (B 5 days later), B still repeats (C), C and Z pass → 2/5 = 40 %. Only D was
    touched: A is derived again although none of its rows arrived, D needs B (its next
    contact) to be read, and Z — outside every window — is neither read nor written."""
    rows = [
        r
        for tid, day in (("A", "2026-03-02"), ("B", "2026-03-12"), ("C", "2026-03-13"))
        for r in _solved_ticket(tid, day, "r1")
    ] + _solved_ticket("Z", "2026-02-02", "r1")
    ws = build_workspace(
        {
            "tickets": [r for t, r in rows if t == "tickets"],
            "events": [r for t, r in rows if t == "events"],
        }
    )
    ws.keep_facts_min_events = 0
    made = _count_full_builds(monkeypatch)
    assert one(compute(ws, "fcr_rate"), metric="fcr_rate")["value"] == 75.0
    from deskmetrics.engine import kept

    scopes: list[set[str]] = []
    real = kept._update

    def spying(facts):  # type: ignore[no-untyped-def]
        con = facts.ws.backend.con
        scopes.append({r[0] for r in con.execute("SELECT ticket_id FROM _facts_scope").fetchall()})
        real(facts)

    monkeypatch.setattr(kept, "_update", spying)
    _add_rows(ws, _solved_ticket("D", "2026-03-07", "r1"))
    df = compute(ws, "fcr_rate")
    assert one(df, metric="fcr_rate")["value"] == 40.0
    assert one(df, metric="fcr_rate")["n"] == 5
    assert scopes == [{"A", "D"}]
    fcr = facts_frame(ws).set_index("ticket_id")["fcr"].to_dict()
    assert fcr == {"A": False, "B": False, "C": True, "D": False, "Z": True}
    assert made == [1]


def test_a_write_that_bypasses_the_store_remakes_the_kept_facts(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ws = _ws()
    made = _count_full_builds(monkeypatch)
    compute(ws, "first_response_time")
    con = ws.backend.con
    # ticket B and its events written straight into the tables (no import log, nothing touched)
    con.execute(
        "INSERT INTO tickets (ticket_id, created_at, requester_id, channel) "
        "VALUES ('B', '2026-03-03 10:00:00', 'c1', 'email')"
    )
    con.execute(
        'INSERT INTO events (event_id, ticket_id, "at", "type", author_role, author_id, public) '
        "VALUES ('b1', 'B', '2026-03-03 10:00:00', 'message', 'customer', 'c1', true), "
        "('b2', 'B', '2026-03-03 10:30:00', 'message', 'agent', 'x', true)"
    )
    # (60 + 30) / 2 = 45
    assert one(compute(ws, "first_response_time"), metric="first_response_time")["value"] == 45
    assert made == [1, 1]


def test_a_changed_schedule_rebuilds_the_kept_facts() -> None:
    """Found while adding kept facts: the workspace kept its business calendar when its
    settings were replaced, so a changed schedule still measured with the old hours."""
    ws = _ws()
    df = compute(ws, "first_response_time_business")
    assert one(df, metric="first_response_time_business")["value"] == 60
    # open from 10:30 only: 10:00–11:00 holds 30 business minutes
    ws.settings = settings(
        {
            "schedules": {
                "late": {
                    "timezone": "UTC",
                    "hours": {d: "10:30-17:00" for d in ("mon", "tue", "wed", "thu", "fri")},
                    "default": True,
                }
            },
            "timezone": "UTC",
        }
    )
    df = compute(ws, "first_response_time_business")
    assert one(df, metric="first_response_time_business")["value"] == 30


def test_a_small_workspace_derives_facts_inside_each_query() -> None:
    ws = _small()
    assert one(compute(ws, "first_response_time"), metric="first_response_time")["value"] == 60
    assert not _kept_tables(ws)


def test_facts_kept_in_the_file_by_an_earlier_version_are_never_read(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Earlier versions wrote fact tables of other shapes into the workspace file: a workspace
    holding them gives the right numbers and replaces them."""
    path = tmp_path / "old.duckdb"
    ws = _small(str(path))
    ws.keep_facts_min_events = 0
    ws.backend.con.execute("CREATE TABLE _facts_tickets AS SELECT 1 AS stale")
    ws.backend.con.execute("CREATE TABLE _facts_meta (name VARCHAR, version VARCHAR)")
    assert one(compute(ws, "first_response_time"), metric="first_response_time")["value"] == 60
    cols = [c[0] for c in ws.backend.con.execute("DESCRIBE _facts_tickets").fetchall()]
    assert "stale" not in cols and "first_reply_minutes" in cols


def test_a_read_only_workspace_without_kept_facts_derives_them(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Read-only: nothing can be made, so the facts are derived in the query (60 minutes)."""
    from deskmetrics.engine.kept import current_facts
    from deskmetrics.engine.workspace import open_duckdb

    path = tmp_path / "ro.duckdb"
    _small(str(path)).backend.disconnect()
    ro = open_duckdb(path, settings(), read_only=True)
    ro.keep_facts_min_events = 0
    assert not current_facts(ro).kept
    assert one(compute(ro, "first_response_time"), metric="first_response_time")["value"] == 60


def test_reading_facts_writes_nothing_until_they_are_kept_explicitly() -> None:
    """Facts only read: deriving them in a query makes no table; `kept.refresh` (called by
    import and before a request) is the one step that writes them."""
    from deskmetrics.engine import kept
    from deskmetrics.engine.facts import Facts

    ws = _ws()
    f = Facts(ws)
    assert ws.backend.execute(f.tickets)["ticket_id"].tolist() == ["A"]
    assert not f.kept and not _kept_tables(ws)
    assert kept.refresh(ws)
    assert {"_facts_tickets", "_facts_meta"} <= _kept_tables(ws)


def test_a_read_only_workspace_with_stale_kept_facts_never_writes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Kept facts made for ticket A (60 minutes), then ticket B stored (30 minutes): read-only,
    the stale tables are not read (mean (60 + 30) / 2 = 45) and the file is not changed."""
    import hashlib

    from deskmetrics.engine.kept import current_facts, refresh
    from deskmetrics.engine.workspace import open_duckdb

    path = tmp_path / "stale.duckdb"
    ws = _small(str(path))
    ws.keep_facts_min_events = 0
    assert refresh(ws)
    _add_ticket_answered_in_30_minutes(ws)
    ws.backend.disconnect()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    files = sorted(p.name for p in tmp_path.iterdir())

    ro = open_duckdb(path, settings(), read_only=True)
    ro.keep_facts_min_events = 0
    assert not refresh(ro) and not current_facts(ro).kept
    assert one(compute(ro, "first_response_time"), metric="first_response_time")["value"] == 45
    assert facts_frame(ro)["ticket_id"].tolist() == ["A", "B"]
    ro.backend.disconnect()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == files
