"""`deskmetrics alerts run --now`: evaluate the rules as of a past moment (catching up on an
evaluation the service missed, or the demo's outage two days ago); the history records it
then, and the next evaluation at the current time continues from there."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from deskmetrics.cli import app

runner = CliRunner()
TICKETS = """ticket_id,created_at,requester_id,channel
T1,2026-03-02T08:00:00Z,c1,email
T2,2026-03-02T09:00:00Z,c2,email
T3,2026-03-02T10:00:00Z,c3,chat
"""
RULE = """timezone = "UTC"
[[alerts.rules]]
name = "busy-day"
metric = "volume"
above = 2
window_hours = 24
min_n = 0
"""


def test_alerts_run_as_of_a_past_moment_then_now(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "tickets.csv").write_text(TICKETS)
    cfg = tmp_path / "deskmetrics.toml"
    cfg.write_text(RULE)
    ws = ["--db", str(tmp_path / "w.duckdb"), "--config", str(cfg)]
    assert runner.invoke(app, [*ws, "import", str(data)]).exit_code == 0
    # 2 March 12:00: three tickets in the last 24 hours, above 2 → fired then
    r = runner.invoke(app, [*ws, "alerts", "run", "--now", "2026-03-02T13:00:00+01:00"])
    assert r.exit_code == 0, r.output
    assert "fired busy-day" in r.output
    # now: none in the last 24 hours → recovered
    r = runner.invoke(app, [*ws, "alerts", "run"])
    assert r.exit_code == 0, r.output
    assert "recovered busy-day" in r.output
    r = runner.invoke(app, [*ws, "alerts", "history", "--format", "json"])
    rows = json.loads(r.stdout)
    assert [(x["event"], x["value"]) for x in rows] == [("recovered", 0.0), ("fired", 3.0)]
    assert str(rows[1]["at"]).startswith("2026-03-02 12:00:00")  # UTC


def test_alerts_run_refuses_a_future_or_naive_moment(tmp_path: Path) -> None:
    ws = ["--db", str(tmp_path / "w.duckdb")]
    r = runner.invoke(app, [*ws, "alerts", "run", "--now", "2199-01-01T00:00:00Z"])
    assert r.exit_code != 0 and "in the future" in r.output
    r = runner.invoke(app, [*ws, "alerts", "run", "--now", "2026-03-02T12:00"])
    assert r.exit_code != 0 and "has no offset" in r.output
