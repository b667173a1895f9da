"""Fact tables kept in the workspace between requests must never serve stale numbers: new data,
an updated ticket and a changed schedule each rebuild them before the next answer."""

from __future__ import annotations

import pandas as pd

from conftest import build_workspace, msg, one, settings, ticket
from deskmetrics.engine.store import load
from deskmetrics.model import TABLES, SourceFrame, validate
from deskmetrics.query import compute


def _add(ws, table: str, rows: list[dict]) -> None:  # type: ignore[no-untyped-def]
    frame = validate(SourceFrame(TABLES[table], f"{table}.later", pd.DataFrame(rows)))
    assert not load(ws.backend.con, [frame], source="later").rejects


def _ws():  # type: ignore[no-untyped-def]
    # Mon 2026-03-02: created 10:00, replied 11:00 → 60 calendar and 60 business minutes
    ws = _small()
    ws.keep_facts_min_events = 0  # keep them however small the workspace
    ws.facts_settle_seconds = 0  # and rebuild them as soon as data changes
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


def _small():  # type: ignore[no-untyped-def]
    return build_workspace(
        {
            "tickets": [ticket("A", "2026-03-02T10:00:00Z", channel="email")],
            "events": [
                msg("a1", "A", "2026-03-02T10:00:00Z", "customer"),
                msg("a2", "A", "2026-03-02T11:00:00Z", "agent", "x"),
            ],
        }
    )


def test_facts_are_kept_between_requests() -> None:
    ws = _ws()
    assert one(compute(ws, "first_response_time"), metric="first_response_time")["value"] == 60
    assert "tickets" in ws.kept_versions
    # kept in the session, not written into the workspace file
    n = ws.backend.con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = '_facts_tickets' AND temporary"
    ).fetchone()
    assert n == (1,)


def test_new_events_rebuild_the_kept_facts() -> None:
    ws = _ws()
    compute(ws, "first_response_time")
    # a second ticket answered after 30 minutes: mean (60 + 30) / 2 = 45
    _add_ticket_answered_in_30_minutes(ws)
    assert one(compute(ws, "first_response_time"), metric="first_response_time")["value"] == 45


def test_an_updated_ticket_rebuilds_the_kept_facts() -> None:
    ws = _ws()
    assert one(compute(ws, "volume", by=["channel"]), channel="email")["n"] == 1
    # a later export moves ticket A to chat (same id, updated attributes)
    _add(ws, "tickets", [ticket("A", "2026-03-02T10:00:00Z", channel="chat")])
    df = compute(ws, "volume", by=["channel"])
    assert df["channel"].tolist() == ["chat"]


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
    assert not ws.keeps_facts
    assert one(compute(ws, "first_response_time"), metric="first_response_time")["value"] == 60
    assert not ws.kept_versions
    assert not any(t.startswith("_facts_") for t in ws.backend.list_tables())


def test_while_data_is_arriving_facts_are_derived_in_the_query_not_rebuilt() -> None:
    """Live ingestion: stale kept facts are not rebuilt before every request; the request
    derives them itself (right numbers), and the kept tables catch up once data settles."""
    ws = _ws()
    compute(ws, "first_response_time")
    kept_before = dict(ws.kept_versions)
    ws.facts_settle_seconds = 3600  # data has just arrived: not settled
    _add_ticket_answered_in_30_minutes(ws)
    # (60 + 30) / 2 = 45, from facts derived inside the query
    assert one(compute(ws, "first_response_time"), metric="first_response_time")["value"] == 45
    assert ws.kept_versions == kept_before
    ws.facts_settle_seconds = 0  # settled: the next request rebuilds and keeps them
    assert one(compute(ws, "first_response_time"), metric="first_response_time")["value"] == 45
    assert ws.kept_versions != kept_before


def test_facts_kept_in_the_file_by_an_earlier_version_are_dropped(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Earlier versions wrote fact tables into the workspace file: their columns may not be
    today's, so opening the workspace drops them rather than ever reading them."""
    from deskmetrics.engine.workspace import open_duckdb

    path = tmp_path / "old.duckdb"
    ws = open_duckdb(path)
    ws.backend.con.execute("CREATE TABLE _facts_tickets AS SELECT 1 AS stale")
    ws.backend.con.execute("CREATE TABLE _facts_meta (name VARCHAR, version VARCHAR)")
    ws.backend.disconnect()
    again = open_duckdb(path)
    assert not [t for t in again.backend.list_tables() if t.startswith("_facts")]
