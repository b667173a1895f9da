"""`deskmetrics connect fivetran-zendesk`: the canonical tables as views over Fivetran's Zendesk
tables give the same per-ticket facts and numbers as the same desk exported from Zendesk's API
and imported (tests/fivetran_fixture.py writes the desk both ways; its docstring tells the
story the hand-computed values below come from)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import ibis
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import settings
from deskmetrics.cli import app
from deskmetrics.engine import Workspace, open_duckdb
from deskmetrics.engine.store import load
from deskmetrics.engine.workspace import open_url
from deskmetrics.errors import BackendError
from deskmetrics.importers.zendesk import read_zendesk
from deskmetrics.model import validate
from deskmetrics.query import compute, facts_frame
from fivetran_fixture import (
    FIVETRAN_ROWS,
    airbyte_sql,
    fivetran_sql,
    with_bot_and_call,
    write_export,
)

CONFIG = (
    'timezone = "UTC"\n[schedules.office]\ntimezone = "UTC"\ndefault = true\n'
    "[schedules.office.hours]\n"
    + "".join(f'{d} = "09:00-17:00"\n' for d in ("mon", "tue", "wed", "thu", "fri"))
)
#: the per-ticket facts that differ by construction: none but the importer's column order
EVENT_COLUMNS = ["ticket_id", "at", "type", "author_role", "author_id", "public", "status",
                 "assignee_id", "group", "priority", "schedule_id"]  # fmt: skip


def _synced_duckdb(path: Path, instants: str = "TIMESTAMP") -> Path:
    con = duckdb.connect(str(path))
    for sql in fivetran_sql(instants=instants):
        con.execute(sql)
    con.close()
    return path


def _cli(db: str | Path, tmp_path: Path, *args: str) -> object:
    cfg = tmp_path / "deskmetrics.toml"
    cfg.write_text(CONFIG, encoding="utf-8")
    return CliRunner().invoke(app, ["--db", str(db), "--config", str(cfg), *args])


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The desk exported from Zendesk's API, imported as `deskmetrics import` does."""
    s = settings()
    ws = open_duckdb(":memory:", s)
    export = read_zendesk(write_export(tmp_path_factory.mktemp("export")))
    summary = load(ws.backend.con, [validate(f, limits=s.limits) for f in export.frames], "test")
    assert not summary.rejects, [str(r) for r in summary.rejects]
    return ws


@pytest.fixture(scope="module")
def connected(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The desk as Fivetran syncs it into schema `zendesk` of a DuckDB file, connected."""
    tmp = tmp_path_factory.mktemp("connected")
    db = _synced_duckdb(tmp / "desk.duckdb")
    res = _cli(db, tmp, "connect", "fivetran-zendesk", "--schema", "zendesk")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    return open_duckdb(db, settings(), read_only=True)


def _same_facts(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.ticket_id) == list(b.ticket_id)
    assert set(a.columns) == set(b.columns)
    pd.testing.assert_frame_equal(
        a[sorted(a.columns)].reset_index(drop=True),
        b[sorted(a.columns)].reset_index(drop=True),
        check_dtype=False,
    )


def _events(ws: Workspace) -> list[tuple[object, ...]]:
    df = ws.backend.execute(ws.table("events"))[EVENT_COLUMNS]
    df = df.astype(object).where(df.notna(), None)
    return sorted((tuple(r) for r in df.itertuples(index=False)), key=repr)


# --- DuckDB -------------------------------------------------------------------------------


def test_deleted_tickets_are_left_out(connected: Workspace) -> None:
    """Ticket 4 (deleted in Zendesk) and 5 (deleted by the connector), and their events."""
    tickets = connected.backend.execute(connected.table("tickets"))
    assert sorted(tickets.ticket_id) == ["1", "2", "3"]
    events = connected.backend.execute(connected.table("events"))
    assert set(events.ticket_id) == {"1", "2", "3"}
    assert "comment-1003" not in set(events.event_id)  # a comment the connector deleted


def test_views_give_the_importers_canonical_rows(connected: Workspace, imported: Workspace) -> None:
    assert _events(connected) == _events(imported)
    for table, key in (("tickets", "ticket_id"), ("surveys", "response_id"),
                       ("survey_requests", "request_id"), ("agents", "agent_id")):  # fmt: skip
        a = connected.backend.execute(connected.table(table)).sort_values(key)
        b = imported.backend.execute(imported.table(table)).sort_values(key)
        pd.testing.assert_frame_equal(
            a[sorted(b.columns)].reset_index(drop=True),
            b[sorted(b.columns)].reset_index(drop=True),
            check_dtype=False,
        )


def test_views_give_the_importers_facts(connected: Workspace, imported: Workspace) -> None:
    _same_facts(facts_frame(connected), facts_frame(imported))


def test_facts_computed_by_hand(connected: Workspace) -> None:
    """Ticket 1: customer 09:00, reply and solve 09:30. Ticket 2: customer 10:00, a private
    note 10:30, the admin's reply and solve 11:00, reopened 12:00, solved 13:00. Ticket 3: the
    agent's opening comment 14:00 (no reply), the trigger's 14:01 (automatic), the customer
    15:00, the agent's reply 15:30; pending."""
    f = facts_frame(connected).set_index("ticket_id")
    assert list(f.first_reply_minutes) == [30.0, 60.0, 90.0]
    assert list(f.reopens) == [0, 1, 0]
    assert list(f.first_resolution_minutes.iloc[:2]) == [30.0, 60.0]
    assert list(f.full_resolution_minutes.iloc[:2]) == [30.0, 180.0]
    assert list(f.created_by) == ["customer", "customer", "agent"]
    assert f.loc["3", "first_auto_reply_minutes"] == 1.0
    assert list(f.group.fillna("-")) == ["Billing", "Tech", "-"]


def _numbers(ws: Workspace) -> dict[str, float]:
    out = {}
    for metric in ("first_response_time", "reopens", "csat"):
        df = compute(ws, metric)
        out[metric] = float(df["value"].iloc[0])
    return out


def test_metrics_computed_by_hand(connected: Workspace, imported: Workspace) -> None:
    """First response (30 + 60 + 90) / 3 = 60 min; reopens per solved ticket (0 + 1) / 2;
    CSAT 1 good of 2 answered."""
    got = _numbers(connected)
    assert got == pytest.approx({"first_response_time": 60.0, "reopens": 0.5, "csat": 50.0})
    assert got == _numbers(imported)


def test_instants_with_a_time_zone_are_read_in_utc(tmp_path: Path, imported: Workspace) -> None:
    """A warehouse may keep the connector's instants with a time zone (TIMESTAMPTZ): the views
    give them as the canonical naive UTC instants (deskmetrics' sessions are in UTC)."""
    db = _synced_duckdb(tmp_path / "desk.duckdb", instants="TIMESTAMPTZ")
    assert _cli(db, tmp_path, "connect", "fivetran-zendesk", "--schema", "zendesk").exit_code == 0
    ws = open_duckdb(db, settings(), read_only=True)
    _same_facts(facts_frame(ws), facts_frame(imported))
    ws.backend.disconnect()


def test_ticket_schedule_gives_schedule_events(tmp_path: Path) -> None:
    """Fivetran's `ticket_schedule` (ticket, schedule, from when): a schedule event each, as the
    importer maps an audit's `schedule_id` change; a connector-deleted row is left out."""
    db = _synced_duckdb(tmp_path / "desk.duckdb")
    con = duckdb.connect(str(db))
    con.execute(
        "CREATE TABLE zendesk.ticket_schedule (ticket_id BIGINT, schedule_id BIGINT, "
        "created_at TIMESTAMP, _fivetran_synced TIMESTAMP, _fivetran_deleted BOOLEAN)"
    )
    con.execute(
        "INSERT INTO zendesk.ticket_schedule VALUES (1, 9001, '2026-03-02 09:00:00', NULL, "
        "FALSE), (2, 9002, '2026-03-02 10:00:00', NULL, TRUE), (4, 9001, '2026-03-02 09:05:00', "
        "NULL, FALSE)"
    )
    con.close()
    res = _cli(db, tmp_path, "connect", "fivetran-zendesk", "--schema", "zendesk")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    assert "not synced" not in res.output  # type: ignore[attr-defined]
    ws = open_duckdb(db, settings(), read_only=True)
    events = ws.table("events")
    e = ws.backend.execute(events.filter(events.type == "schedule"))
    assert [(r.ticket_id, str(r.at), r.schedule_id) for r in e.itertuples()] == [
        ("1", "2026-03-02 09:00:00", "9001")
    ]
    ws.backend.disconnect()


def test_views_follow_the_sync(tmp_path: Path) -> None:
    """A comment synced after `connect` is in the numbers at once: the facts of a connected
    file are derived in each query, never kept (kept facts would not know of the sync)."""
    db = _synced_duckdb(tmp_path / "desk.duckdb")
    assert _cli(db, tmp_path, "connect", "fivetran-zendesk", "--schema", "zendesk").exit_code == 0
    ws = open_duckdb(db, settings())  # writable: the store's tables are made around the views
    assert facts_frame(ws).set_index("ticket_id").loc["3", "replies"] == 1
    ws.backend.con.execute(
        "INSERT INTO zendesk.ticket_comment (id, ticket_id, user_id, created, public, body) "
        "VALUES (3005, 3, 20, '2026-03-02 16:00:00', TRUE, 'Anything else?')"
    )
    ws.backend.con.execute(
        "INSERT INTO zendesk.ticket_comment (id, ticket_id, user_id, created, "
        "public, body) VALUES (3006, 3, 11, '2026-03-02 15:45:00', TRUE, 'ok')"
    )
    assert facts_frame(ws).set_index("ticket_id").loc["3", "replies"] == 2
    ws.backend.disconnect()


def test_imported_rows_are_never_replaced(tmp_path: Path, imported: Workspace) -> None:
    db = tmp_path / "imported.duckdb"
    ws = open_duckdb(db, settings())
    ws.backend.con.execute("INSERT INTO tickets (ticket_id, created_at, requester_id) "
                           "VALUES ('x', '2026-03-01 10:00:00', 'c')")  # fmt: skip
    con = ws.backend.con
    for sql in fivetran_sql():
        con.execute(sql)
    ws.backend.disconnect()
    res = _cli(db, tmp_path, "connect", "fivetran-zendesk", "--schema", "zendesk")
    assert res.exit_code == 2
    assert "tickets already holds imported rows" in res.output  # type: ignore[attr-defined]
    assert "never drops data" in res.output  # type: ignore[attr-defined]
    con = duckdb.connect(str(db))
    assert con.execute("SELECT count(*) FROM tickets").fetchone() == (1,)
    con.close()


def test_the_empty_tables_of_a_new_workspace_give_way(tmp_path: Path) -> None:
    """A DuckDB workspace makes empty canonical tables the first time it is opened: connect
    replaces them (no row is lost) and says so."""
    db = _synced_duckdb(tmp_path / "desk.duckdb")
    open_duckdb(db, settings()).backend.disconnect()
    res = _cli(db, tmp_path, "connect", "fivetran-zendesk", "--schema", "zendesk")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    assert (
        "replaced the empty tables tickets, events, surveys, survey_requests, agents" in res.output  # type: ignore[attr-defined]
    )
    ws = open_duckdb(db, settings(), read_only=True)
    assert len(facts_frame(ws)) == 3
    ws.backend.disconnect()


def test_an_import_into_a_connected_workspace_is_refused(tmp_path: Path) -> None:
    db = _synced_duckdb(tmp_path / "desk.duckdb")
    assert _cli(db, tmp_path, "connect", "fivetran-zendesk", "--schema", "zendesk").exit_code == 0
    ws = open_duckdb(db, settings())
    export = read_zendesk(write_export(tmp_path / "export"))
    with pytest.raises(BackendError, match="tickets is a view over a connector's synced tables"):
        load(ws.backend.con, [validate(f) for f in export.frames], "test")
    ws.backend.disconnect()


def test_a_schema_without_the_connectors_tables_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "empty.duckdb"
    duckdb.connect(str(db)).close()
    res = _cli(db, tmp_path, "connect", "fivetran-zendesk", "--schema", "zendesk")
    assert res.exit_code == 2
    assert "no schema 'zendesk' with tables" in res.output  # type: ignore[attr-defined]
    con = duckdb.connect(str(db))
    con.execute("CREATE SCHEMA zendesk")
    con.execute("CREATE TABLE zendesk.ticket (id BIGINT)")
    con.close()
    res = _cli(db, tmp_path, "connect", "fivetran-zendesk", "--schema", "zendesk")
    out = res.output  # type: ignore[attr-defined]
    assert "lacks the connector's ticket_comment, ticket_field_history, user tables" in out


def test_report_from_the_cli_on_a_connected_file(tmp_path: Path) -> None:
    db = _synced_duckdb(tmp_path / "desk.duckdb")
    res = _cli(db, tmp_path, "connect", "fivetran-zendesk", "--schema", "zendesk")
    out = res.output  # type: ignore[attr-defined]
    assert "view events over zendesk.ticket, ticket_comment, ticket_field_history" in out
    assert "not synced in zendesk: ticket_schedule" in out
    res = _cli(db, tmp_path, "report", "first_response_time", "csat", "--format", "json")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    rows = {r["metric"]: r for r in json.loads(res.output)}  # type: ignore[attr-defined]
    assert rows["first_response_time"]["value"] == pytest.approx(60.0)
    assert rows["csat"]["value"] == pytest.approx(50.0)


# --- Airbyte -------------------------------------------------------------------------------


def test_airbyte_views_give_the_importers_rows_and_facts(
    tmp_path: Path, imported: Workspace
) -> None:
    """Airbyte syncs the API's records (audits with their events as JSON): the views give the
    importer's events with its ids and order, tags in Zendesk's order, agents' teams."""
    db = tmp_path / "desk.duckdb"
    con = duckdb.connect(str(db))
    for sql in airbyte_sql():
        con.execute(sql)
    con.close()
    res = _cli(db, tmp_path, "connect", "airbyte-zendesk", "--schema", "zendesk_airbyte")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    ws = open_duckdb(db, settings(), read_only=True)
    ids = ["event_id", "seq"]
    got = ws.backend.execute(ws.table("events"))[[*EVENT_COLUMNS, *ids]]
    want = imported.backend.execute(imported.table("events"))[[*EVENT_COLUMNS, *ids]]
    pd.testing.assert_frame_equal(
        got.sort_values("event_id").reset_index(drop=True),
        want.sort_values("event_id").reset_index(drop=True),
        check_dtype=False,
    )
    for table, key in (("tickets", "ticket_id"), ("surveys", "response_id"),
                       ("survey_requests", "request_id"), ("agents", "agent_id")):  # fmt: skip
        a = ws.backend.execute(ws.table(table)).sort_values(key)
        b = imported.backend.execute(imported.table(table)).sort_values(key)
        pd.testing.assert_frame_equal(
            a[sorted(b.columns)].reset_index(drop=True),
            b[sorted(b.columns)].reset_index(drop=True),
            check_dtype=False,
        )
    _same_facts(facts_frame(ws), facts_frame(imported))
    assert _numbers(ws) == pytest.approx(
        {"first_response_time": 60.0, "reopens": 0.5, "csat": 50.0}
    )
    ws.backend.disconnect()


def test_airbyte_tells_the_ai_agent_the_triggers_and_calls(tmp_path: Path) -> None:
    """What only audits tell (tests/fivetran_fixture.py `with_bot_and_call`): Answer Bot's
    reply is the AI agent's, a trigger's comment a bot's, an answered call an interaction;
    the same as the importer gives from the same audits."""
    export = with_bot_and_call()
    s = settings()
    ws_import = open_duckdb(":memory:", s)
    frames = read_zendesk(write_export(tmp_path / "export", export)).frames
    summary = load(ws_import.backend.con, [validate(f, limits=s.limits) for f in frames], "t")
    assert not summary.rejects, [str(r) for r in summary.rejects]
    db = tmp_path / "desk.duckdb"
    con = duckdb.connect(str(db))
    for sql in airbyte_sql(export=export):
        con.execute(sql)
    con.close()
    res = _cli(db, tmp_path, "connect", "airbyte-zendesk", "--schema", "zendesk_airbyte")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    ws = open_duckdb(db, s, read_only=True)
    events = ws.backend.execute(ws.table("events"))
    six = events[events.ticket_id == "6"].sort_values(["at", "event_id"])
    assert list(zip(six.type, six.author_role.fillna("-"), strict=True)) == [
        ("message", "customer"), ("status", "-"), ("message", "ai_agent"),
        ("interaction", "-"), ("message", "agent"), ("status", "-"), ("message", "bot"),
    ]  # fmt: skip
    call = six[six.type == "interaction"].iloc[0]
    assert (call.event_id, call.agent_id, call.talk_seconds) == ("63-6003-call", "20", 120.0)
    assert _events(ws) == _events(ws_import)
    f = facts_frame(ws).set_index("ticket_id")
    assert f.loc["6", "first_reply_minutes"] == 40.0  # the AI agent's reply is no person's
    assert (
        f.loc["6", "handled_by"]
        == facts_frame(ws_import).set_index("ticket_id").loc["6", "handled_by"]
    )
    _same_facts(facts_frame(ws), facts_frame(ws_import))
    ws.backend.disconnect()


# --- PostgreSQL ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    from backends.postgres_server import postgres, server_binaries

    if server_binaries() is None:
        pytest.skip("needs Debian's postgresql server (make test installs it)")
    pytest.importorskip("psycopg")
    with postgres() as url:
        con = ibis.connect(url)
        for sql in fivetran_sql():
            with con.raw_sql(sql):
                pass
        con.disconnect()
        yield url


def test_postgres_views_give_the_importers_facts(
    pg_url: str, imported: Workspace, tmp_path: Path
) -> None:
    res = _cli(pg_url, tmp_path, "connect", "fivetran-zendesk", "--schema", "zendesk")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    ws = open_url(pg_url, settings())
    assert _events(ws) == _events(imported)
    _same_facts(facts_frame(ws), facts_frame(imported))
    assert _numbers(ws) == pytest.approx(
        {"first_response_time": 60.0, "reopens": 0.5, "csat": 50.0}
    )
    # connecting again replaces the views (the connector's schema may have changed)
    res = _cli(pg_url, tmp_path, "connect", "fivetran-zendesk", "--schema", "zendesk")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    res = _cli(pg_url, tmp_path, "report", "reopens", "--format", "json")
    assert json.loads(res.output)[0]["value"] == 0.5  # type: ignore[attr-defined]


def test_postgres_airbyte_views_give_the_importers_facts(
    pg_url: str, imported: Workspace, tmp_path: Path
) -> None:
    """Airbyte's JSON columns as PostgreSQL keeps them (jsonb), read by the same views."""
    con = ibis.connect(pg_url)
    for sql in airbyte_sql(json_type="JSONB"):
        with con.raw_sql(sql):
            pass
    con.disconnect()
    res = _cli(pg_url, tmp_path, "connect", "airbyte-zendesk", "--schema", "zendesk_airbyte")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    ws = open_url(pg_url, settings())
    assert _events(ws) == _events(imported)
    _same_facts(facts_frame(ws), facts_frame(imported))


def test_the_fixture_follows_fivetrans_schema() -> None:
    """Tickets 4 and 5 are the deleted ones; every table names its rows' ticket by id."""
    statuses = {r["id"]: r["status"] for r in FIVETRAN_ROWS["ticket"]}
    assert statuses[4] == "deleted"
    assert [r["id"] for r in FIVETRAN_ROWS["ticket"] if r["_fivetran_deleted"]] == [5]
