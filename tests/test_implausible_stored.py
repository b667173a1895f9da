"""A workspace made by an older version may hold instants no import accepts any more
(9999-12-31, 0001-01-01): every query leaves those rows out (or reads the instant as unknown)
instead of failing, and `explain` and `report` name them so they can be deleted.

Data (UTC, business hours Mon–Fri 09–17 UTC; 2026-03-02 is a Monday), loaded as an import
would, then the bad rows written with raw SQL as an older version could have:
  T1 created Mon 09:00, customer 09:00, agent reply 09:30          → first response 30 min
  T2 created Mon 10:00, agent reply 11:30                          → first response 90 min
  T3 created Tue 09:00, never answered                             → left out of FRT
  E9 agent message on T1 at 9999-12-31, E0 customer message on T1 at 0001-01-01,
  T9 created 9999-12-31 (with its message E10)                     → left out everywhere
  T3's updated_at 9999-12-31                                       → read as unknown
Without the bad rows: volume 3, first response time mean (30 + 90) / 2 = 60 min.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from conftest import build_workspace, msg, settings, ticket
from deskmetrics import accounts
from deskmetrics.api import create_app
from deskmetrics.cli import app
from deskmetrics.engine import open_duckdb
from deskmetrics.query import compute

runner = CliRunner()
CONFIG = {
    "timezone": "UTC",
    "schedules": {"office": {"timezone": "UTC", "hours": {"mon": "09:00-17:00"}}},
}
ROWS: dict[str, list[dict[str, Any]]] = {
    "tickets": [
        ticket("T1", "2026-03-02T09:00:00Z", channel="email"),
        ticket("T2", "2026-03-02T10:00:00Z", "c2", channel="chat"),
        ticket("T3", "2026-03-03T09:00:00Z", "c3", channel="email", status="open"),
    ],
    "events": [
        msg("E1", "T1", "2026-03-02T09:00:00Z", "customer"),
        msg("E2", "T1", "2026-03-02T09:30:00Z", "agent", "a1"),
        msg("E3", "T2", "2026-03-02T11:30:00Z", "agent", "a1"),
    ],
}
BAD_SQL = (
    'INSERT INTO events (event_id, ticket_id, "at", "type", author_role, author_id, public) '
    "VALUES ('E9', 'T1', TIMESTAMP '9999-12-31 00:00:00', 'message', 'agent', 'a1', true), "
    "('E0', 'T1', TIMESTAMP '0001-01-01 00:00:00', 'message', 'customer', 'c1', true), "
    "('E10', 'T9', TIMESTAMP '2026-03-02 09:00:00', 'message', 'customer', 'c9', true)",
    "INSERT INTO tickets (ticket_id, created_at, requester_id, created_by) "
    "VALUES ('T9', TIMESTAMP '9999-12-31 00:00:00', 'c9', 'customer')",
    "UPDATE tickets SET updated_at = TIMESTAMP '9999-12-31 00:00:00' WHERE ticket_id = 'T3'",
)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    ws = build_workspace(ROWS, CONFIG, path=str(path))
    for sql in BAD_SQL:
        ws.backend.con.execute(sql)
    accounts.set_user(ws, "lead", "correct horse", "viewer")
    ws.backend.disconnect()
    return path


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    p = tmp_path / "deskmetrics.toml"
    p.write_text(
        'timezone = "UTC"\n[schedules.office]\ntimezone = "UTC"\nhours = { mon = "09:00-17:00" }\n'
    )
    return p


def _cli(db: Path, cfg: Path, *args: str) -> Any:
    r = runner.invoke(app, ["--db", str(db), "--config", str(cfg), *args])
    assert r.exit_code == 0, r.output
    return r


def test_report_leaves_the_rows_out_and_says_so_on_stderr(db: Path, cfg: Path) -> None:
    r = _cli(db, cfg, "report", "volume", "first_response_time", "--format", "json")
    rows = {row["metric"]: row for row in json.loads(r.stdout)}
    assert rows["volume"]["value"] == 3.0
    assert rows["first_response_time"]["value"] == pytest.approx(60.0)
    assert rows["first_response_time"]["n"] == 2
    assert (
        "note: 2 events rows (E0, E9) with at outside the plausible range ([limits] of "
        "deskmetrics.toml): left out of every number; delete them with `deskmetrics delete "
        "events --id ID`, or fix and import again"
    ) in r.stderr
    assert "1 tickets row (T9) with created_at outside" in r.stderr
    assert "1 tickets row (T3) with updated_at outside" in r.stderr
    assert "read with updated_at unknown" in r.stderr


def test_explain_lists_the_rows_among_those_left_out(db: Path, cfg: Path) -> None:
    r = _cli(db, cfg, "explain", "volume", "--format", "json")
    body = json.loads(r.stdout)
    assert body["counted"] == 3
    left = {x["reason"].split(" with ")[0]: (x["count"], x["ids"]) for x in body["left_out"]}
    assert left["2 events rows (E0, E9)"] == (2, ["E0", "E9"])
    assert left["1 tickets row (T9)"] == (1, ["T9"])
    assert left["1 tickets row (T3)"] == (1, ["T3"])


def test_sla_and_facts_work_on_the_other_rows(db: Path, cfg: Path) -> None:
    _cli(db, cfg, "sla", "--format", "json")
    r = _cli(db, cfg, "facts", "--format", "csv")
    lines = r.stdout.strip().splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == ["T1", "T2", "T3"]


def test_the_api_reports_explains_and_lists_facts_and_the_sla_queue(db: Path) -> None:
    c = TestClient(create_app(db, settings(CONFIG), secret="test-secret"))
    assert c.post("/api/session", json={"name": "lead", "password": "correct horse"}).status_code
    r = c.get("/api/report", params={"metric": ["volume", "first_response_time"]})
    assert r.status_code == 200
    rows = {row["metric"]: row["value"] for row in r.json()}
    assert rows == {"volume": 3.0, "first_response_time": pytest.approx(60.0)}
    r = c.get("/api/explain/first_response_time")
    assert r.status_code == 200
    counts = {x["reason"].split(" with ")[0]: x["count"] for x in r.json()["left_out"]}
    assert counts["2 events rows (E0, E9)"] == 2
    assert counts["unanswered tickets have no first response"] == 1
    # CSV: the JSON page fails on main for this data already (a Decimal count; left alone)
    r = c.get("/api/facts", params={"format": "csv"})
    assert r.status_code == 200
    assert [line.split(",")[0] for line in r.text.strip().splitlines()[1:]] == ["T1", "T2", "T3"]
    assert c.get("/api/sla").status_code == 200
    for page in ("/dashboard", "/dashboard/trends", "/dashboard/breakdowns", "/dashboard/heatmap"):
        assert c.get(page).status_code == 200, page


def test_the_data_range_ignores_the_rows(db: Path) -> None:
    ws = open_duckdb(db, settings(CONFIG))
    lo, hi = ws.data_range(until_now=False)
    assert (str(lo), str(hi)) == ("2026-03-02 09:00:00", "2026-03-03 09:00:00")
    df = compute(ws, ["volume"])
    assert df["value"].tolist() == [3.0]


def test_a_narrower_earliest_leaves_older_rows_out_of_reading(tmp_path: Path) -> None:
    # [limits] earliest = 2026-03-03: T1 and T2 (created 2026-03-02) are left out, T3 counts
    ws = build_workspace(ROWS, CONFIG)
    ws.settings = settings({**CONFIG, "limits": {"earliest": "2026-03-03"}})
    assert compute(ws, ["volume"])["value"].tolist() == [1.0]
    found = [(b.table, b.column, b.left_out, b.count, b.ids) for b in ws.implausible()]
    assert found == [
        ("tickets", "created_at", True, 2, ["T1", "T2"]),
        ("events", "at", True, 3, ["E1", "E2", "E3"]),
    ]
