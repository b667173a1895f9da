"""`deskmetrics --db postgres://… import`: the import runs as on the DuckDB file (validation,
rejects, updates, the same data again changing nothing) on a working copy, and what changed
reaches PostgreSQL in one transaction, with the per-ticket facts kept there."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ibis
import pandas as pd
import pytest
from test_postgres_cli import CONFIG
from typer.testing import CliRunner

from conftest import msg
from deskmetrics.cli import app
from deskmetrics.config import Settings
from deskmetrics.engine import remote
from deskmetrics.engine.kept import current_facts
from deskmetrics.engine.workspace import open_url
from deskmetrics.errors import BackendError
from deskmetrics.importers import import_directory
from golden.test_ai_agents import _rows

DATA = ("tickets", "events", "surveys")


@pytest.fixture()
def pg_url() -> Iterator[str]:
    """An empty database of a PostgreSQL server started for the test."""
    from postgres_server import postgres, server_binaries

    if server_binaries() is None:
        pytest.skip("needs Debian's postgresql server (make test installs it)")
    pytest.importorskip("psycopg")
    with postgres() as url:
        yield url


def _folder(path: Path, rows: dict[str, list[dict[str, Any]]]) -> Path:
    """The rows as canonical CSV files, one per table."""
    path.mkdir(parents=True, exist_ok=True)
    for name, table in rows.items():
        pd.DataFrame(table).to_csv(path / f"{name}.csv", index=False)
    return path


def _cli(url: str, tmp_path: Path, *args: str) -> Any:
    cfg = tmp_path / "deskmetrics.toml"
    cfg.write_text(CONFIG, encoding="utf-8")
    res = CliRunner().invoke(app, ["--db", url, "--config", str(cfg), *args])
    return res


def _stored(url: str) -> dict[str, pd.DataFrame]:
    """The data tables as PostgreSQL holds them (sorted by id, store columns left out)."""
    con = ibis.connect(url)
    out = {}
    for name in DATA:
        df = con.table(name).execute()
        key = {"tickets": "ticket_id", "events": "event_id", "surveys": "response_id"}[name]
        out[name] = df.sort_values(key).reset_index(drop=True)
    con.disconnect()
    return out


def _import(url: str, tmp_path: Path, folder: Path) -> dict[str, Any]:
    res = _cli(url, tmp_path, "import", str(folder), "--format", "json")
    assert res.exit_code == 0, res.output
    summary: dict[str, Any] = json.loads(res.stdout)
    return summary


def test_import_into_postgres_then_report(pg_url: str, tmp_path: Path) -> None:
    """Hand-computed in tests/golden/test_ai_agents.py: first response (32 + 30 + 20 + 3860)
    / 4 min over 4 tickets, automated resolution 1 of 7; 10 tickets, 33 events, 5 answers."""
    summary = _import(pg_url, tmp_path, _folder(tmp_path / "in", _rows()))
    assert summary["committed"]
    inserted = {t: c["inserted"] for t, c in summary["tables"].items()}
    assert inserted == {"tickets": 10, "events": 33, "surveys": 5}
    stored = _stored(pg_url)
    assert [len(stored[t]) for t in DATA] == [10, 33, 5]
    res = _cli(pg_url, tmp_path, "report", "first_response_time", "automated_resolution_rate",
               "--format", "json")  # fmt: skip
    assert res.exit_code == 0, res.output
    rows = {r["metric"]: r for r in json.loads(res.stdout)}
    assert rows["first_response_time"]["n"] == 4
    assert rows["first_response_time"]["value"] == pytest.approx((32 + 30 + 20 + 3860) / 4)
    assert rows["automated_resolution_rate"]["value"] == pytest.approx(100 / 7)


def test_facts_are_kept_in_postgres_and_read_when_current(pg_url: str, tmp_path: Path) -> None:
    _import(pg_url, tmp_path, _folder(tmp_path / "in", _rows()))
    settings = Settings.model_validate(__import__("tomllib").loads(CONFIG))
    ws = open_url(pg_url, settings)
    facts = current_facts(ws)
    assert facts.kept, "the facts the import made should be read from PostgreSQL"
    kept = ws.backend.table("_facts_tickets").execute().set_index("ticket_id")
    assert len(kept) == 10
    assert kept.loc["T4", "first_reply_minutes"] == pytest.approx(30)
    # another FCR window: the kept facts are not for these settings, the query derives its own
    other = settings.model_copy(update={"fcr": settings.fcr.model_copy(update={"window_days": 3})})
    assert not current_facts(open_url(pg_url, other)).kept


def test_the_same_import_again_changes_nothing(pg_url: str, tmp_path: Path) -> None:
    folder = _folder(tmp_path / "in", _rows())
    assert open_url(pg_url, read_only=False).data_version() is None  # nothing imported yet
    first = _import(pg_url, tmp_path, folder)
    before = _stored(pg_url)
    # what the service's result cache keys on: the last import and how many there were
    assert open_url(pg_url).data_version() == f"{first['import_id']}#1"
    again = _import(pg_url, tmp_path, folder)
    assert open_url(pg_url).data_version() == f"{again['import_id']}#2"
    assert {t: c["inserted"] + c["updated"] for t, c in again["tables"].items()} == {
        "tickets": 0,
        "events": 0,
        "surveys": 0,
    }
    after = _stored(pg_url)
    for name in DATA:
        pd.testing.assert_frame_equal(before[name], after[name])
    con = ibis.connect(pg_url)
    assert con.table("_imports").count().execute() == 2
    assert not [n for n in con.list_tables() if n.endswith(remote.INCOMING)]


def test_a_later_export_updates_a_ticket_and_adds_a_reply(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """T8's agent reply Monday 09:10 after Friday 16:50 (3,860 min); a later export moves T6
    to the web channel and adds an agent reply to T6 at 10:30 (30 min after it was asked at 10:00):
    first response then averages (32 + 30 + 20 + 3860 + 30) / 5 min over 5 tickets."""
    _import(pg_url, tmp_path, _folder(tmp_path / "one", _rows()))
    later = _rows()
    later["tickets"] = [dict(t, channel="web") if t["ticket_id"] == "T6" else t
                        for t in later["tickets"]]  # fmt: skip
    reply = msg("t6c", "T6", "2026-03-02T10:30:00Z", "agent", "a2")
    later["events"] = [*later["events"], reply]
    sent: list[remote.Change] = []
    real = remote._send_in_transaction

    def recording(engine: Any, con: Any, changes: list[remote.Change]) -> None:
        sent.extend(changes)
        real(engine, con, changes)

    monkeypatch.setattr(remote, "_send_in_transaction", recording)
    summary = _import(pg_url, tmp_path, _folder(tmp_path / "two", later))
    # only what changed goes back: T6's row (by ticket id), one new event, T6's kept facts
    by_table = {ch.name: ch for ch in sent}
    assert not any(ch.whole for ch in sent if not ch.name.startswith("_facts_meta"))
    assert (by_table["tickets"].key, by_table["tickets"].groups) == ("ticket_id", 1)
    assert (by_table["events"].key, by_table["events"].groups) == (None, 1)
    assert by_table["_facts_tickets"].groups == 1
    assert summary["tables"]["tickets"]["updated"] == 1
    assert summary["tables"]["events"]["inserted"] == 1
    stored = _stored(pg_url)
    assert stored["tickets"].set_index("ticket_id").loc["T6", "channel"] == "web"
    assert len(stored["events"]) == 34
    res = _cli(pg_url, tmp_path, "report", "first_response_time", "--format", "json")
    row = json.loads(res.stdout)[0]
    assert row["n"] == 5
    assert row["value"] == pytest.approx((32 + 30 + 20 + 3860 + 30) / 5)
    settings = Settings.model_validate(__import__("tomllib").loads(CONFIG))
    assert current_facts(open_url(pg_url, settings)).kept


def test_rejected_rows_are_kept_in_postgres(pg_url: str, tmp_path: Path) -> None:
    rows = _rows()
    stray = msg("x1", "T99", "2026-03-02T10:00:00Z", "agent", "a1")
    rows["events"] = [*rows["events"], stray]
    summary = _import(pg_url, tmp_path, _folder(tmp_path / "in", rows))
    assert summary["tables"]["events"]["inserted"] == 33
    assert summary["tables"]["events"]["rejected"] == 1
    rejects = ibis.connect(pg_url).table("_rejects").execute()
    assert len(rejects) == 1
    r = rejects.iloc[0]
    assert (r["table"], r["column"], r["value"]) == ("events", "ticket_id", "T99")
    # the file's line: its header, 33 events, then the stray one
    assert r["file"].endswith("events.csv") and r["row"] == 35
    assert "names no row of tickets" in r["reason"]
    listed = _cli(pg_url, tmp_path, "rejects", "--format", "json")
    assert listed.exit_code == 0, listed.output
    assert [(x["table"], x["row"]) for x in json.loads(listed.stdout)] == [("events", 35)]


def test_a_failure_while_sending_stores_nothing(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The send is one transaction: a failure after some tables were written leaves
    PostgreSQL as it was."""
    _import(pg_url, tmp_path, _folder(tmp_path / "one", _rows()))
    before = _stored(pg_url)
    later = _rows()
    later["tickets"] = [*later["tickets"], {"ticket_id": "T11", "created_at":
                        "2026-03-03T10:00:00Z", "requester_id": "r11"}]  # fmt: skip
    real = remote._copy_rows
    calls = {"n": 0}

    def failing(*args: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("connection lost")
        real(*args)

    monkeypatch.setattr(remote, "_copy_rows", failing)
    settings = Settings.model_validate(__import__("tomllib").loads(CONFIG))
    ws = open_url(pg_url, settings, read_only=False)
    with pytest.raises(BackendError, match="rolled back there, nothing was stored"):
        import_directory(ws, _folder(tmp_path / "two", later))
    assert calls["n"] == 3
    after = _stored(pg_url)
    for name in DATA:
        pd.testing.assert_frame_equal(before[name], after[name])
    assert ibis.connect(pg_url).table("_imports").count().execute() == 1


def test_topics_fitted_on_postgres_are_those_of_the_file(pg_url: str, tmp_path: Path) -> None:
    """`topics fit` and `topics rename` on a PostgreSQL workspace run on a working copy and send
    the text job's tables back: each ticket is in the topic the same fit gives on a DuckDB file."""
    from datetime import UTC, datetime

    from deskmetrics.sample import generate

    folder = tmp_path / "sample"
    generate(folder, tickets=300, seed=3, end=datetime(2026, 3, 1, tzinfo=UTC))
    db = str(tmp_path / "file.duckdb")
    for where in (pg_url, db):
        assert _cli(where, tmp_path, "import", str(folder)).exit_code == 0
        res = _cli(where, tmp_path, "topics", "fit", "--seed", "0")
        assert res.exit_code == 0, res.output
        assert _cli(where, tmp_path, "topics", "rename", "t1", "Billing").exit_code == 0

    def placed(backend: Any) -> pd.DataFrame:
        df = backend.table("ticket_topics").select("ticket_id", "topic_id").execute()
        return df.sort_values("ticket_id").reset_index(drop=True)

    on_pg, on_file = ibis.connect(pg_url), ibis.duckdb.connect(db)
    assert len(placed(on_pg)) == 300
    pd.testing.assert_frame_equal(placed(on_pg), placed(on_file))
    names = on_pg.table("topic_names").execute().set_index("topic_id")
    assert names.loc["t1", "label"] == "Billing"
    # the topics table reads there too (names, examples: every engine)
    shown = _cli(pg_url, tmp_path, "topics", "--format", "json")
    assert shown.exit_code == 0, shown.output
    assert "Billing" in {r["topic_label"] for r in json.loads(shown.stdout)}


def test_the_engine_url_can_come_from_the_settings(pg_url: str, tmp_path: Path) -> None:
    """`[engine] url` in deskmetrics.toml: no --db needed; --db on the command line wins."""
    cfg = tmp_path / "deskmetrics.toml"
    cfg.write_text(CONFIG + f'[engine]\nurl = "{pg_url}"\n', encoding="utf-8")
    runner = CliRunner()
    folder = _folder(tmp_path / "in", _rows())
    res = runner.invoke(app, ["--config", str(cfg), "import", str(folder)])
    assert res.exit_code == 0, res.output
    assert ibis.connect(pg_url).table("tickets").count().execute() == 10
    res = runner.invoke(app, ["--config", str(cfg), "report", "first_response_time",
                              "--format", "json"])  # fmt: skip
    assert json.loads(res.stdout)[0]["n"] == 4
    file = tmp_path / "other.duckdb"
    res = runner.invoke(app, ["--config", str(cfg), "--db", str(file), "import", str(folder)])
    assert res.exit_code == 0 and file.exists()
    cfg.write_text(CONFIG + '[engine]\nurl = "support.duckdb"\n', encoding="utf-8")
    res = runner.invoke(app, ["--config", str(cfg), "report", "volume"])
    assert res.exit_code != 0
    assert "is not an engine URL" in res.output + str(res.exception)


def test_delete_on_postgres(pg_url: str, tmp_path: Path) -> None:
    """Deleting T7 (answered by a person after 20 min) on PostgreSQL: its 4 events go with
    it there, and first response becomes (32 + 30 + 3860) / 3 min over 3 tickets."""
    _import(pg_url, tmp_path, _folder(tmp_path / "in", _rows()))
    res = _cli(pg_url, tmp_path, "delete", "tickets", "--id", "T7", "--yes")
    assert res.exit_code == 0, res.output
    stored = _stored(pg_url)
    assert "T7" not in set(stored["tickets"]["ticket_id"])
    assert len(stored["events"]) == 33 - 4
    row = json.loads(_cli(pg_url, tmp_path, "report", "first_response_time",
                          "--format", "json").stdout)[0]  # fmt: skip
    assert row["n"] == 3
    assert row["value"] == pytest.approx((32 + 30 + 3860) / 3)
    settings = Settings.model_validate(__import__("tomllib").loads(CONFIG))
    assert current_facts(open_url(pg_url, settings)).kept


def test_odd_text_reaches_postgres(pg_url: str, tmp_path: Path) -> None:
    """A NUL character (valid in JSON and in the DuckDB file; PostgreSQL's text cannot hold it)
    no longer fails the whole import: it is stored as U+FFFD. A 300,000-character body goes
    through whole."""
    rows = _rows()
    rows["tickets"] = [dict(t, subject="nul\x00here") if t["ticket_id"] == "T1" else t
                       for t in rows["tickets"]]  # fmt: skip
    long = dict(msg("t1z", "T1", "2026-03-02T10:06:00Z", "agent", "a1"), body="x" * 300_000)
    rows["events"] = [*rows["events"], long]
    summary = _import(pg_url, tmp_path, _folder(tmp_path / "in", rows))
    assert summary["tables"]["tickets"]["inserted"] == 10
    stored = _stored(pg_url)
    assert stored["tickets"].set_index("ticket_id").loc["T1", "subject"] == "nul\ufffdhere"
    assert len(stored["events"].set_index("event_id").loc["t1z", "body"]) == 300_000
