"""`deskmetrics topics` end to end: fit, the table, rename, merge, and `report --by topic`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deskmetrics.cli import app
from test_ticket_topics import _workspace

runner = CliRunner()


def _db(tmp_path: Path) -> str:
    """The hand-labelled workspace of test_ticket_topics, in a file the CLI opens."""
    path = tmp_path / "ws.duckdb"
    mem = _workspace()
    mem.backend.con.execute(f"ATTACH '{path}' AS f")
    mem.backend.con.execute("COPY FROM DATABASE memory TO f")
    mem.backend.con.execute("DETACH f")
    return str(path)


def test_fit_then_the_topics_table_and_report_by_topic(tmp_path: Path) -> None:
    db = _db(tmp_path)
    r = runner.invoke(app, ["--db", db, "topics", "fit", "--seed", "0", "--min-size", "3"])
    assert r.exit_code == 0, r.output
    assert "3 topics over 18 tickets" in r.output

    r = runner.invoke(app, ["--db", db, "topics", "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = {row["topic"]: row for row in json.loads(r.stdout)}
    assert sorted(rows) == ["t1", "t2", "t3"]
    assert [rows[t]["tickets"] for t in ("t1", "t2", "t3")] == [6, 6, 6]
    assert rows["t1"]["share"] == pytest.approx(100 / 3)
    assert rows["t1"]["csat"] == 50.0  # B0 answered 5, B1 answered 2
    assert len(rows["t1"]["examples"].split(", ")) == 3

    r = runner.invoke(app, ["--db", db, "report", "csat", "--by", "topic", "--format", "json"])
    assert r.exit_code == 0, r.output
    by_topic = {row["topic"]: row for row in json.loads(r.stdout)}
    assert by_topic["t1"]["value"] == 50.0 and by_topic["t1"]["n"] == 2


def test_rename_and_merge_from_the_command_line(tmp_path: Path) -> None:
    db = _db(tmp_path)
    assert runner.invoke(app, ["--db", db, "topics", "fit", "--min-size", "3"]).exit_code == 0
    r = runner.invoke(app, ["--db", db, "topics", "rename", "t1", "Billing"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["--db", db, "topics", "merge", "t3", "t2"])
    assert r.exit_code == 0, r.output
    rows = json.loads(runner.invoke(app, ["--db", db, "topics", "--format", "json"]).stdout)
    assert {(row["topic"], row["topic_label"], row["tickets"]) for row in rows} >= {
        ("t1", "Billing", 6)
    }
    assert {row["topic"]: row["tickets"] for row in rows}["t2"] == 12
    r = runner.invoke(app, ["--db", db, "topics", "merge", "t9", "t2"])
    assert r.exit_code == 2 and "no topic 't9'" in r.output


def test_the_table_reads_as_people_read_numbers(tmp_path: Path) -> None:
    db = _db(tmp_path)
    assert runner.invoke(app, ["--db", db, "topics", "fit", "--min-size", "3"]).exit_code == 0
    r = runner.invoke(app, ["--db", db, "topics", "--wide"])
    assert r.exit_code == 0, r.output
    assert "33.3%" in r.stdout and "CSAT" in r.stdout and "50.0%" in r.stdout
