"""App state (deskmetrics.appstate): one versioned schema for the surfaces' tables, made when the
workspace opens, each migration step applied once."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from deskmetrics import accounts, appstate
from deskmetrics.alerts.rules import stored_rules
from deskmetrics.engine.workspace import Workspace, duckdb_connection, open_duckdb
from deskmetrics.errors import BackendError
from deskmetrics.notify.delivery import delivery_log

#: the tables as the ad-hoc code before versioning made them (each feature on first use)
OLD_DDL = (
    "CREATE TABLE _users (name VARCHAR PRIMARY KEY, role VARCHAR NOT NULL, "
    "password_hash VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL)",
    "CREATE TABLE _service (key VARCHAR PRIMARY KEY, value VARCHAR)",
    "CREATE TABLE _alert_rules (name VARCHAR PRIMARY KEY, body VARCHAR NOT NULL, "
    "created_by VARCHAR, created_at TIMESTAMP NOT NULL)",
    "CREATE TABLE _outbox (message_id VARCHAR PRIMARY KEY, channel VARCHAR NOT NULL, "
    "target VARCHAR NOT NULL, subject VARCHAR, payload VARCHAR NOT NULL, source VARCHAR, "
    "created_at TIMESTAMP NOT NULL, status VARCHAR NOT NULL, attempts INTEGER NOT NULL, "
    "next_attempt_at TIMESTAMP, last_attempt_at TIMESTAMP, last_error VARCHAR, "
    "sent_at TIMESTAMP)",
)
T0 = datetime(2026, 3, 1, 9, 0)


#: the versions a workspace has once every step ran (1 … VERSION)
EVERY_STEP = list(range(1, appstate.VERSION + 1))


def _tables(ws: Workspace) -> set[str]:
    return set(ws.backend.list_tables())


def _versions(ws: Workspace) -> list[int]:
    rows = duckdb_connection(ws).execute("SELECT version FROM _schema_version ORDER BY 1")
    return [r[0] for r in rows.fetchall()]


def test_a_fresh_workspace_gets_every_app_table_and_the_current_version(tmp_path: Path) -> None:
    ws = open_duckdb(tmp_path / "w.duckdb")
    assert appstate.version(ws) == 0
    assert appstate.ensure(ws) == EVERY_STEP
    assert appstate.VERSION == 3
    assert set(appstate.TABLES) <= _tables(ws)
    # eleven app tables (step 2: _alert_mutes, _alert_checks) and _schema_version
    assert len(appstate.TABLES) == 14
    assert appstate.version(ws) == appstate.VERSION
    assert _versions(ws) == EVERY_STEP


def test_a_workspace_made_before_versioning_is_migrated_keeping_its_rows(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    ws = open_duckdb(db)
    con = duckdb_connection(ws)
    for sql in OLD_DDL:
        con.execute(sql)
    con.execute("INSERT INTO _users VALUES ('ada', 'admin', 'h', ?)", [T0])
    con.execute("INSERT INTO _service VALUES ('secret', 'kept-secret')")
    con.execute(
        "INSERT INTO _alert_rules VALUES ('slow', ?, 'ada', ?)",
        ['{"name": "slow", "metric": "first_response_time", "above": 60}', T0],
    )
    con.execute(
        "INSERT INTO _outbox VALUES ('m1', 'webhook', 'ops', 'hi', '{}', 'alert:slow', ?, "
        "'sent', 1, NULL, ?, NULL, ?)",
        [T0, T0, T0],
    )
    ws.backend.disconnect()

    ws = open_duckdb(db)
    assert appstate.version(ws) == 0
    assert appstate.ensure(ws) == EVERY_STEP
    assert accounts.list_users(ws) == [("ada", accounts.Role.admin)]
    assert accounts.service_secret(ws, None) == "kept-secret"
    assert [r.name for r in stored_rules(ws)] == ["slow"]
    assert [(m["message_id"], m["status"]) for m in delivery_log(ws)] == [("m1", "sent")]
    # the tables the old code had not made yet exist now
    assert {"_api_tokens", "_sessions", "_alert_episodes", "_report_runs"} <= _tables(ws)
    assert {"_alert_mutes", "_alert_checks"} <= _tables(ws)
    assert _versions(ws) == EVERY_STEP


def test_opening_twice_applies_nothing_twice(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    ws = open_duckdb(db)
    assert appstate.ensure(ws) == EVERY_STEP
    assert appstate.ensure(ws) == []
    accounts.set_user(ws, "ada", "long enough", "admin")
    ws.backend.disconnect()

    ws = open_duckdb(db)  # a new connection: checked once, nothing to apply
    assert appstate.ensure(ws) == []
    assert _versions(ws) == EVERY_STEP
    assert accounts.user_exists(ws, "ada")


def test_a_new_step_is_applied_once_to_a_workspace_at_the_previous_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "w.duckdb"
    ws = open_duckdb(db)
    appstate.ensure(ws)
    accounts.set_user(ws, "ada", "long enough", "viewer")
    ws.backend.disconnect()

    step = ("ALTER TABLE _users ADD COLUMN email VARCHAR",)
    nxt = appstate.VERSION + 1
    monkeypatch.setattr(appstate, "MIGRATIONS", (*appstate.MIGRATIONS, step))
    monkeypatch.setattr(appstate, "VERSION", nxt)
    ws = open_duckdb(db)
    assert appstate.ensure(ws) == [nxt]
    ws.backend.disconnect()
    ws = open_duckdb(db)
    assert appstate.ensure(ws) == []
    assert _versions(ws) == [*EVERY_STEP, nxt]
    row = duckdb_connection(ws).execute("SELECT name, role, email FROM _users").fetchall()
    assert row == [("ada", "viewer", None)]


def test_a_failed_step_leaves_the_workspace_at_its_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = open_duckdb(tmp_path / "w.duckdb")
    bad = ("CREATE TABLE _half (a INTEGER)", "NOT SQL")
    monkeypatch.setattr(appstate, "MIGRATIONS", (*appstate.MIGRATIONS, bad))
    monkeypatch.setattr(appstate, "VERSION", appstate.VERSION + 1)
    with pytest.raises(Exception, match="syntax"):
        appstate.ensure(ws)
    assert _versions(ws) == EVERY_STEP
    assert "_half" not in _tables(ws)


def test_a_workspace_made_by_a_newer_version_is_refused(tmp_path: Path) -> None:
    ws = open_duckdb(tmp_path / "w.duckdb")
    appstate.ensure(ws)
    duckdb_connection(ws).execute(
        "INSERT INTO _schema_version VALUES (?, ?)", [appstate.VERSION + 1, T0]
    )
    ws.backend.disconnect()
    with pytest.raises(BackendError, match="newer deskmetrics"):
        appstate.ensure(open_duckdb(tmp_path / "w.duckdb"))


def test_a_read_only_workspace_is_left_as_it_is(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    open_duckdb(db).backend.disconnect()
    ws = open_duckdb(db, read_only=True)
    assert appstate.ensure(ws) == []
    assert appstate.version(ws) == 0


def test_the_service_and_the_commands_make_the_app_tables_when_they_open(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from deskmetrics.api import create_app
    from deskmetrics.cli import app

    served = open_duckdb(tmp_path / "served.duckdb")
    create_app(served, secret="test-secret")
    assert appstate.version(served) == appstate.VERSION
    assert set(appstate.TABLES) <= _tables(served)

    db = tmp_path / "cli.duckdb"
    r = CliRunner().invoke(app, ["--db", str(db), "users", "list"])
    assert r.exit_code == 0, r.output
    ws = open_duckdb(db)
    assert appstate.version(ws) == appstate.VERSION
    assert _versions(ws) == EVERY_STEP


def test_a_sessions_last_seen_is_not_a_credential_change(tmp_path: Path) -> None:
    """The service remembers checked credentials while `appstate.writes()` is unchanged: a
    session's `last_seen` (written every few minutes per session) must not make every
    remembered credential be checked again; ending the session must."""
    ws = open_duckdb(tmp_path / "w.duckdb")
    accounts.set_user(ws, "lead", "correct horse", "viewer")
    who = accounts.user(ws, "lead")
    assert who is not None
    sid = accounts.start_session(ws, who, hours=8)
    old = datetime(2026, 1, 1)
    ws.backend.con.execute("UPDATE _sessions SET last_seen = ?", [old])
    before = appstate.writes()
    assert accounts.session_user(ws, sid) == who
    [(seen,)] = ws.backend.con.execute("SELECT last_seen FROM _sessions").fetchall()
    assert seen > old  # written
    assert appstate.writes() == before  # and not counted
    accounts.end_session(ws, sid)
    assert appstate.writes() == before + 1
    assert accounts.session_user(ws, sid) is None
