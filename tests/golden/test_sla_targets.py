"""Every SLA target of every ticket (`deskmetrics sla --all`, GET /api/sla/targets), by hand.

Schedule: Monday–Friday 09:00–17:00 UTC. Policy `standard`: first reply within 2 business
hours, resolution within 8 calendar hours. Measured as of Mon 2026-03-09 12:00 UTC.

- A: created Fri 03-06 16:00, agent reply Mon 09:30, solved Mon 11:00.
  first_reply: business 60 (Fri 16–17) + 30 (Mon 9–9:30) = 90 ≤ 120 → achieved; calendar
  Fri 16:00 → Mon 09:30 = 3930 min. resolution: calendar Fri 16:00 → Mon 11:00 = 4020 >
  480 → breached, due (and settled) Sat 03-07 00:00; business 60 + 120 = 180.
- C: created Mon 11:30, unanswered: both targets running 30 minutes (business and calendar);
  first reply due 13:30 (business), resolution due 19:30 (calendar)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from conftest import UTC_9_TO_5, build_workspace, msg, settings, status, ticket
from deskmetrics import accounts
from deskmetrics.api import create_app
from deskmetrics.cli import app

NOW = "2026-03-09T12:00:00Z"
CONFIG = {
    **UTC_9_TO_5,
    "sla": {
        "policies": [
            {
                "name": "standard",
                "first_reply": "2h",
                "resolution": "8h",
                "calendar": ["resolution"],
            }
        ]
    },
}
TOML = """timezone = "UTC"
[schedules.office]
timezone = "UTC"
default = true
hours = { mon = "09:00-17:00", tue = "09:00-17:00", wed = "09:00-17:00", thu = "09:00-17:00", fri = "09:00-17:00" }
[[sla.policies]]
name = "standard"
first_reply = "2h"
resolution = "8h"
calendar = ["resolution"]
"""  # noqa: E501
COLUMNS = [
    "ticket_id",
    "policy",
    "sla_target",
    "status",
    "time",
    "target_minutes",
    "elapsed_business_minutes",
    "elapsed_calendar_minutes",
    "due_at",
    "started_at",
    "stopped_at",
    "settled_at",
]
# ticket, target, status, time, target, business, calendar, due, started, stopped, settled
EXPECTED = [
    ("A", "first_reply", "achieved", "business", 120, 90, 3930, None,
     "2026-03-06 16:00:00", "2026-03-09 09:30:00", "2026-03-09 09:30:00"),
    ("A", "resolution", "breached", "calendar", 480, 180, 4020, "2026-03-07 00:00:00",
     "2026-03-06 16:00:00", "2026-03-09 11:00:00", "2026-03-07 00:00:00"),
    ("C", "first_reply", "running", "business", 120, 30, 30, "2026-03-09 13:30:00",
     "2026-03-09 11:30:00", None, None),
    ("C", "resolution", "running", "calendar", 480, 30, 30, "2026-03-09 19:30:00",
     "2026-03-09 11:30:00", None, None),
]  # fmt: skip


@pytest.fixture
def ws_file(tmp_path: Path) -> tuple[Path, Path]:
    path = tmp_path / "ws.duckdb"
    ws = build_workspace(
        {
            "tickets": [
                ticket("A", "2026-03-06T16:00:00Z"),
                ticket("C", "2026-03-09T11:30:00Z", "c3"),
            ],
            "events": [
                msg("A1", "A", "2026-03-06T16:00:00Z", "customer"),
                msg("A2", "A", "2026-03-09T09:30:00Z", "agent", "ana"),
                status("A3", "A", "2026-03-09T11:00:00Z", "solved", "ana"),
                msg("C1", "C", "2026-03-09T11:30:00Z", "customer"),
            ],
        },
        CONFIG,
        path=str(path),
    )
    accounts.set_user(ws, "viewer", "correct horse", "viewer")
    ws.backend.disconnect()
    toml = tmp_path / "deskmetrics.toml"
    toml.write_text(TOML, encoding="utf-8")
    return path, toml


def _rows(df: pd.DataFrame) -> list[tuple[object, ...]]:
    def cell(v: object) -> object:
        if pd.isna(v):  # type: ignore[call-overload]
            return None
        return v

    return [tuple(cell(v) for v in r) for r in df.itertuples(index=False)]


def test_cli_sla_all_csv(ws_file: tuple[Path, Path]) -> None:
    path, toml = ws_file
    args = ["--db", str(path), "--config", str(toml), "sla", "--all", "--now", NOW]
    out = CliRunner().invoke(app, [*args, "--format", "csv"])
    assert out.exit_code == 0, out.output
    df = pd.read_csv(io.StringIO(out.stdout), dtype=str)
    assert list(df.columns) == COLUMNS
    df = df.drop(columns="policy").astype(object)
    for col in ("target_minutes", "elapsed_business_minutes", "elapsed_calendar_minutes"):
        df[col] = [float(v) for v in df[col]]
    assert _rows(df) == [tuple(v for v in row) for row in EXPECTED]
    assert set(pd.read_csv(io.StringIO(out.stdout))["policy"]) == {"standard"}
    # the same moment, the same rows
    assert CliRunner().invoke(app, [*args, "--format", "csv"]).stdout == out.stdout
    table = CliRunner().invoke(app, args)
    assert table.exit_code == 0 and "4 SLA targets as of 2026-03-09 12:00 UTC" in table.stdout


def test_api_sla_targets_returns_the_same_rows(ws_file: tuple[Path, Path]) -> None:
    path, toml = ws_file
    cli = CliRunner().invoke(
        app, ["--db", str(path), "--config", str(toml), "sla", "--all", "--now", NOW,
              "--format", "json"],
    )  # fmt: skip
    expected = json.loads(cli.stdout)
    client = TestClient(create_app(path, settings(CONFIG), secret="test-secret"))
    assert client.get("/api/sla/targets", params={"now": NOW}).status_code == 401
    client.post("/api/session", json={"name": "viewer", "password": "correct horse"})
    body = client.get("/api/sla/targets", params={"now": NOW}).json()
    assert body["now"] == "2026-03-09T12:00:00"
    assert (body["total"], body["next_offset"]) == (4, None)
    assert body["rows"] == expected
    assert body["rows"][1]["due_at"] == "2026-03-07T00:00:00"
    page = client.get("/api/sla/targets", params={"now": NOW, "limit": 3}).json()
    assert (page["next_offset"], page["rows"]) == (3, expected[:3])
    rest = client.get("/api/sla/targets", params={"now": NOW, "limit": 3, "offset": 3}).json()
    assert (rest["next_offset"], rest["rows"]) == (None, expected[3:])
    csv = client.get("/api/sla/targets", params={"now": NOW, "format": "csv"})
    assert csv.headers["content-disposition"] == 'attachment; filename="sla-targets.csv"'
    got = pd.read_csv(io.StringIO(csv.text))
    assert list(got.columns) == COLUMNS
    assert got["elapsed_calendar_minutes"].tolist() == [3930, 4020, 30, 30]
    bad = client.get("/api/sla/targets", params={"now": "2026-03-09T12:00:00"})
    # 400 as on every query route (was 422 before issue 12)
    assert bad.status_code == 400 and "now '2026-03-09T12:00:00' has no offset" in bad.text
    # the live queue as of the same moment: A's resolution is no longer running (solved)
    queue = client.get("/api/sla", params={"now": NOW}).json()
    assert queue["now"] == "2026-03-09T12:00:00" and queue["items"] == []
