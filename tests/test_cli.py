"""The command line end to end: import files, then report as JSON, explain, facts, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from deskmetrics.cli import app

runner = CliRunner()

TICKETS = """ticket_id,created_at,requester_id,channel,priority,group
T1,2026-03-02T08:00:00Z,c1,email,normal,billing
T2,2026-03-02T10:00:00Z,c2,chat,high,tech
T3,2026-03-03T10:00:00Z,c3,email,normal,tech
"""
EVENTS = """event_id,ticket_id,at,type,author_role,author_id,public,status
e1,T1,2026-03-02T08:00:00Z,message,customer,c1,true,
e2,T1,2026-03-02T08:01:00Z,message,bot,bot,true,
e3,T1,2026-03-02T10:00:00Z,message,agent,a1,true,
e4,T1,2026-03-02T11:00:00Z,status,,a1,,solved
e5,T2,2026-03-02T10:00:00Z,message,customer,c2,true,
e6,T2,2026-03-02T10:30:00Z,message,agent,a2,false,
e7,T2,2026-03-02T10:45:00Z,message,agent,a2,true,
e8,T3,2026-03-03T10:00:00Z,message,customer,c3,true,
"""


def setup(tmp_path: Path) -> tuple[Path, Path]:
    data = tmp_path / "data"
    data.mkdir()
    (data / "tickets.csv").write_text(TICKETS)
    (data / "events.csv").write_text(EVENTS)
    cfg = tmp_path / "deskmetrics.toml"
    cfg.write_text(
        'timezone = "UTC"\n[schedules.office]\ntimezone = "UTC"\n'
        'hours = { mon = "09:00-17:00", tue = "09:00-17:00" }\n'
    )
    return data, cfg


def test_import_then_report_json(tmp_path: Path) -> None:
    data, cfg = setup(tmp_path)
    db = str(tmp_path / "w.duckdb")
    r = runner.invoke(app, ["--db", db, "--config", str(cfg), "import", str(data)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        app,
        [
            "--db",
            db,
            "--config",
            str(cfg),
            "report",
            "first_response_time",
            "first_response_time_business",
            "--by",
            "channel",
            "--format",
            "json",
        ],
    )
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    got = {(x["metric"], x["channel"]): (x["value"], x["n"]) for x in rows}
    # T1 email: 08:00 → 10:00 = 120 min; business 09:00 → 10:00 = 60 (the bot reply at 08:01
    # does not count). T2 chat: the internal note at 10:30 is not a reply; 10:00 → 10:45 = 45.
    # T3 is unanswered and left out.
    assert got == {
        ("first_response_time", "chat"): (45.0, 1),
        ("first_response_time", "email"): (120.0, 1),
        ("first_response_time_business", "chat"): (45.0, 1),
        ("first_response_time_business", "email"): (60.0, 1),
    }
    assert rows[0]["unit"] == "minutes"


def test_report_with_grain_filter_and_csv(tmp_path: Path) -> None:
    data, cfg = setup(tmp_path)
    db = str(tmp_path / "w.duckdb")
    runner.invoke(app, ["--db", db, "--config", str(cfg), "import", str(data)])
    r = runner.invoke(
        app,
        [
            "--db",
            db,
            "--config",
            str(cfg),
            "report",
            "volume",
            "--grain",
            "day",
            "--from",
            "2026-03-02",
            "--to",
            "2026-03-04",
            "--where",
            "channel=email",
            "--format",
            "csv",
        ],
    )
    assert r.exit_code == 0, r.output
    lines = r.stdout.strip().splitlines()
    assert lines[0].startswith("metric,period,value")
    # email tickets: T1 on 03-02, T3 on 03-03, none on 03-04 (an empty day is 0)
    assert [ln.split(",")[2] for ln in lines[1:]] == ["1.0", "1.0", "0.0"]


def test_explain_names_left_out_tickets(tmp_path: Path) -> None:
    data, cfg = setup(tmp_path)
    db = str(tmp_path / "w.duckdb")
    runner.invoke(app, ["--db", db, "--config", str(cfg), "import", str(data)])
    r = runner.invoke(
        app,
        ["--db", db, "--config", str(cfg), "explain", "first_response_time", "--format", "json"],
    )
    out = json.loads(r.stdout)
    # the number itself: T1 120 min, T2 45 min → 82.5 min over n = 2
    assert (out["value"], out["n"]) == (82.5, 2)
    assert out["counted"] == 2
    assert out["ids"] == ["T1", "T2"]
    assert out["left_out"] == [
        {"reason": "unanswered tickets have no first response", "count": 1, "ids": ["T3"]}
    ]


def test_facts_export(tmp_path: Path) -> None:
    data, cfg = setup(tmp_path)
    db = str(tmp_path / "w.duckdb")
    runner.invoke(app, ["--db", db, "--config", str(cfg), "import", str(data)])
    out = tmp_path / "facts.parquet"
    r = runner.invoke(
        app, ["--db", db, "--config", str(cfg), "facts", "--format", "parquet", "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    df = pd.read_parquet(out)
    assert list(df.ticket_id) == ["T1", "T2", "T3"]
    assert list(df.replies) == [1, 1, 0]
    assert df.first_reply_minutes.tolist()[:2] == [120.0, 45.0]
    xlsx = tmp_path / "facts.xlsx"
    r = runner.invoke(
        app, ["--db", db, "--config", str(cfg), "facts", "--format", "xlsx", "--out", str(xlsx)]
    )
    assert r.exit_code == 0 and xlsx.stat().st_size > 0


def test_errors_say_what_to_do(tmp_path: Path) -> None:
    db = str(tmp_path / "none.duckdb")
    r = runner.invoke(app, ["--db", db, "report", "first_response_time"])
    assert r.exit_code == 2
    assert "deskmetrics import" in r.output
    data, cfg = setup(tmp_path)
    db = str(tmp_path / "w.duckdb")
    runner.invoke(app, ["--db", db, "--config", str(cfg), "import", str(data)])
    r = runner.invoke(app, ["--db", db, "--config", str(cfg), "report", "first_reponse_time"])
    assert r.exit_code == 2 and "deskmetrics metrics" in r.output
    r = runner.invoke(app, ["--db", db, "--config", str(cfg), "report", "volume", "--by", "nope"])
    assert r.exit_code == 2 and "cannot be grouped" in r.output


def test_metrics_lists_the_registry() -> None:
    r = runner.invoke(app, ["metrics", "--format", "json"])
    names = {row["metric"] for row in json.loads(r.stdout)}
    assert {"first_response_time", "fcr_rate", "backlog", "cost_per_contact"} <= names


def test_import_zendesk_export(tmp_path: Path) -> None:
    fixtures = Path(__file__).parent / "fixtures" / "zendesk"
    db = str(tmp_path / "z.duckdb")
    r = runner.invoke(app, ["--db", db, "import", "--from", "zendesk", str(fixtures)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["--db", db, "report", "volume", "--format", "json"])
    assert json.loads(r.stdout)[0]["value"] == 7.0  # the fixture export holds 7 tickets


def test_import_brings_the_kept_facts_up_to_date(tmp_path: Path) -> None:
    """A workspace large enough to keep facts (over 20,000 events) has them made by `import`
    itself, and a later import brings them up to date, so that no report pays for it."""
    import duckdb

    data = tmp_path / "sample"
    db = str(tmp_path / "w.duckdb")
    end = ["--end", "2026-03-01T00:00:00Z"]  # pinned: the same data whenever it runs
    r = runner.invoke(app, ["sample", "--tickets", "4000", "--seed", "3", "--out", str(data), *end])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["--db", db, "import", str(data)])
    assert r.exit_code == 0, r.output

    def state() -> dict:  # type: ignore[type-arg]
        con = duckdb.connect(db, read_only=True)
        try:
            row = con.execute("SELECT state FROM _facts_meta").fetchone()
            assert row is not None
            return dict(json.loads(row[0]))
        finally:
            con.close()

    assert state()["tickets"] == 4000
    more = tmp_path / "more"
    more.mkdir()
    (more / "tickets.csv").write_text(
        "ticket_id,created_at,requester_id,channel\nNEW1,2026-03-02T08:00:00Z,c1,email\n"
    )
    r = runner.invoke(app, ["--db", db, "import", str(more)])
    assert r.exit_code == 0, r.output
    assert state()["tickets"] == 4001


def test_report_by_agent_names_the_agents(tmp_path: Path) -> None:
    data, cfg = setup(tmp_path)
    (data / "tickets.csv").write_text(
        "ticket_id,created_at,requester_id,channel,assignee_id\n"
        "T1,2026-03-02T08:00:00Z,c1,email,a1\n"
        "T2,2026-03-02T10:00:00Z,c2,chat,a2\n"
        "T3,2026-03-03T10:00:00Z,c3,email,a1\n"
    )
    (data / "agents.csv").write_text(
        "agent_id,name,team\na1,Ana Lima,billing\na2,Ben Okafor,tech\n"
    )
    db = str(tmp_path / "w.duckdb")
    r = runner.invoke(app, ["--db", db, "--config", str(cfg), "import", str(data)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        app,
        ["--db", db, "--config", str(cfg), "report", "first_response_time", "--by", "agent",
         "--format", "json"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    # by assignee: a1's T1 answered after 120 min (T3 unanswered), a2's T2 after 45 min (the
    # internal note is no reply)
    got = {(x["agent"], x["agent_name"]): x["value"] for x in rows}
    assert got == {("a1", "Ana Lima"): 120.0, ("a2", "Ben Okafor"): 45.0}


def test_import_is_stored_even_when_its_facts_cannot_be_made(tmp_path: Path) -> None:
    """A settings mistake that only the facts notice (fcr.same names no ticket column) must not
    make a committed import look failed: the summary is printed, the rows are stored, and the
    problem is named."""
    import duckdb

    data = tmp_path / "sample"
    cfg = tmp_path / "deskmetrics.toml"
    cfg.write_text('[fcr]\nsame = ["no_such_column"]\n')
    db = str(tmp_path / "w.duckdb")
    sample = ["sample", "--tickets", "4000", "--out", str(data), "--end", "2026-03-01T00:00:00Z"]
    assert runner.invoke(app, sample).exit_code == 0
    r = runner.invoke(app, ["--db", db, "--config", str(cfg), "import", str(data)])
    assert r.exit_code == 0, r.output
    assert "the import is stored" in r.output and "no_such_column" in r.output
    con = duckdb.connect(db, read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM tickets").fetchone() == (4000,)
    finally:
        con.close()


def test_import_lists_its_rejects_and_counts_duplicates(tmp_path: Path) -> None:
    data, cfg = setup(tmp_path)
    (data / "tickets.csv").write_text(TICKETS + "T2,2026-03-02T10:00:00Z,c2,chat,high,tech\n")
    orphan = "e9,T404,2026-03-02T12:00:00Z,message,customer,c1,true,\n"
    (data / "events.csv").write_text(EVENTS + orphan)
    db = str(tmp_path / "w.duckdb")
    r = runner.invoke(app, ["--db", db, "--config", str(cfg), "import", str(data)])
    assert r.exit_code == 0, r.output
    assert "duplicate" in r.stdout
    # the rejects are listed (not only when the facts could not be made)
    assert "1 rows rejected" in r.stderr
    assert "events.csv, row 10, column 'ticket_id': ticket_id 'T404' names no row" in r.stderr
    r = runner.invoke(app, ["--db", db, "import", str(data), "--format", "json"])
    tables = json.loads(r.stdout)["tables"]
    assert tables["tickets"] == {
        "read": 4, "inserted": 0, "updated": 0, "unchanged": 3, "rejected": 0, "duplicate": 1,
        "rolled_back": 0, "deleted": 0,
    }  # fmt: skip


def test_delete_previews_asks_and_is_logged(tmp_path: Path) -> None:
    data, cfg = setup(tmp_path)
    db = str(tmp_path / "w.duckdb")
    runner.invoke(app, ["--db", db, "--config", str(cfg), "import", str(data)])
    args = ["--db", db, "--config", str(cfg), "delete", "tickets", "--id", "T2"]
    r = runner.invoke(app, args, input="n\n")
    assert r.exit_code == 1
    assert "1 tickets ids" in r.stderr and "3 events" in r.stderr
    assert "nothing was deleted" in r.stderr
    r = runner.invoke(app, [*args, "--yes", "--format", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["source"] == "delete:tickets"
    assert {t: c["deleted"] for t, c in out["tables"].items()} == {"tickets": 1, "events": 3}
    r = runner.invoke(
        app, ["--db", db, "--config", str(cfg), "report", "volume", "--format", "json"]
    )
    assert sum(x["value"] for x in json.loads(r.stdout)) == 2
    # the same id again: it is gone, and the error says which
    r = runner.invoke(app, [*args, "--yes"])
    assert r.exit_code == 2
    assert "no tickets row with ticket_id 'T2'; nothing was deleted" in r.stderr
    r = runner.invoke(app, ["--db", db, "delete", "ticket", "--id", "T1", "--yes"])
    assert r.exit_code == 2 and "unknown table 'ticket'" in r.stderr


def test_explain_prints_the_definition_as_written(tmp_path: Path) -> None:
    """A definition naming a setting (`[surveys] csat_satisfied`) is text, not terminal markup:
    the table name once vanished from the printed definition."""
    data, cfg = setup(tmp_path)
    db = str(tmp_path / "w.duckdb")
    runner.invoke(app, ["--db", db, "--config", str(cfg), "import", str(data)])
    r = runner.invoke(app, ["--db", db, "--config", str(cfg), "explain", "csat"])
    assert r.exit_code == 0, r.output
    assert "`[surveys] csat_satisfied`" in " ".join(r.stdout.split())


def test_explain_prints_the_number_first(tmp_path: Path) -> None:
    data, cfg = setup(tmp_path)
    db = str(tmp_path / "w.duckdb")
    runner.invoke(app, ["--db", db, "--config", str(cfg), "import", str(data)])
    r = runner.invoke(app, ["--db", db, "--config", str(cfg), "explain", "first_response_time"])
    assert r.exit_code == 0, r.output
    # 82.5 min reads in hours, as on the dashboard (60 min and more: hours, one decimal)
    assert r.stdout.splitlines()[0] == "First response time: 1.4 h (n = 2)"


# tables that fit the terminal ---------------------------------------------------------------


def _report_table(tmp_path: Path, monkeypatch, width: int, *extra: str) -> str:  # type: ignore[no-untyped-def]
    from rich.console import Console

    import deskmetrics.cli as cli

    data, cfg = setup(tmp_path)
    db = str(tmp_path / "w.duckdb")
    imported = runner.invoke(app, ["--db", db, "--config", str(cfg), "import", str(data)])
    assert imported.exit_code == 0
    monkeypatch.setattr(cli, "console", Console(width=width))
    args = ["--db", db, "--config", str(cfg), "report", "first_response_time", "--by", "channel"]
    r = runner.invoke(app, [*args, *extra])
    assert r.exit_code == 0, r.output
    return r.output


def test_report_tables_fit_the_terminal_keeping_value_and_n(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # first response: T1 120 min (email), T2 45 min (chat; the private note does not count)
    out = _report_table(tmp_path, monkeypatch, 60)
    lines = [ln for ln in out.splitlines() if ln.strip()]
    table = [ln for ln in lines if ln[0] in "┏┃┡│└"]
    assert all(len(ln) <= 60 for ln in table), out
    header = table[1]
    assert "value" in header and "n" in header and "p90" not in header and "benchmark" not in header
    assert any("email" in ln and "2.0 h" in ln for ln in table)  # 120 min, readable as on the page
    assert any("chat" in ln and "45 min" in ln for ln in table)
    note = " ".join(out.split())
    assert "(not shown to fit 60 columns: benchmark, p90; --wide shows every column)" in note


def test_report_wide_shows_every_column(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    out = _report_table(tmp_path, monkeypatch, 60, "--wide")
    header = next(ln for ln in out.splitlines() if ln.startswith("┃"))
    for col in ("value", "n", "p50", "p90", "benchmark"):
        assert col in header
    assert "--wide" not in out


def test_report_sort_orders_each_metrics_rows(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    out = _report_table(tmp_path, monkeypatch, 200, "--sort", "value")
    rows = [ln for ln in out.splitlines() if ln.startswith("│")]
    assert ["chat" in rows[0], "email" in rows[1]] == [True, True]  # 45 min, then 120 min
    (tmp_path / "2").mkdir()
    out = _report_table(tmp_path / "2", monkeypatch, 200, "--sort", "value", "--desc")
    rows = [ln for ln in out.splitlines() if ln.startswith("│")]
    assert ["email" in rows[0], "chat" in rows[1]] == [True, True]
    (tmp_path / "3").mkdir()
    data, cfg = setup(tmp_path / "3")
    db = str(tmp_path / "3" / "w.duckdb")
    runner.invoke(app, ["--db", db, "--config", str(cfg), "import", str(data)])
    r = runner.invoke(app, ["--db", db, "--config", str(cfg), "report", "volume", "--sort", "size"])
    assert r.exit_code == 2 and "--sort 'size'" in r.output and "value" in r.output


def test_help_texts_keep_their_words() -> None:
    """A help text naming a settings section ([email]) prints it, not an empty markup tag."""
    r = runner.invoke(app, ["send-report", "--help"])
    assert r.exit_code == 0 and "through [email]" in " ".join(r.output.split())
    r = runner.invoke(app, ["report", "--help"])
    assert "through [email]" in " ".join(r.output.split())


def test_a_comparison_with_last_year_is_named_so(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # T1, T2 on Mon 2 Mar 2026 and T3 on Tue 3 Mar; nothing a year earlier → +3
    out = _report_table(tmp_path, monkeypatch, 200)  # imports the data; then ask again
    assert "vs a year earlier" not in out
    db = str(tmp_path / "w.duckdb")
    cfg = str(tmp_path / "deskmetrics.toml")
    args = ["--db", db, "--config", cfg, "report", "volume", "--from", "2026-03-02", "--to",
            "2026-03-08", "--compare", "year"]  # fmt: skip
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    header = next(ln for ln in r.output.splitlines() if ln.startswith("┃"))
    assert "vs a year earlier" in header and "vs previous" not in header
    assert "+3" in r.output
