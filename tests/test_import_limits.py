"""Bounded, plausible input (issue 12): impossible instants and numbers, date-only values,
oversized cells, too many or reserved extra columns, and the reader's messages (file line
numbers, header case, extra fields, UTF-8, JSON depth). Each bad row is rejected with file,
row, column and reason; the other rows load."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from deskmetrics.config import LimitSettings, Settings
from deskmetrics.engine import Workspace, open_duckdb
from deskmetrics.errors import ImportDataError
from deskmetrics.importers import import_directory
from deskmetrics.model import DEFAULT_LIMITS, TABLES, SourceFrame, validate

HEAD = "ticket_id,created_at,requester_id\n"
T1 = "T1,2026-03-02T08:00:00Z,c1\n"
EVENT_HEAD = "event_id,ticket_id,at,type,author_role,talk_seconds,seq\n"
LATE = re.compile(
    r"after the latest plausible instant \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(now \+ 1 day\); fix "
    r"the source, or widen `recorded_ahead` in \[limits\] of deskmetrics\.toml"
)
EARLY = (
    "before the earliest plausible instant 1990-01-01T00:00:00Z; fix the source, or widen "
    "`earliest` in [limits] of deskmetrics.toml"
)


def write(folder: Path, **files: str | bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = folder / name.replace("_csv", ".csv").replace("_jsonl", ".jsonl")
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
    return folder


def workspace(tmp_path: Path, limits: dict[str, Any] | None = None) -> Workspace:
    s = Settings.model_validate({"limits": limits or {}})
    return open_duckdb(tmp_path / "w.duckdb", s)


def rejects(ws: Workspace) -> list[tuple[str, int, str, str]]:
    rows = ws.backend.con.execute(
        'SELECT file, "row", "column", reason FROM _rejects ORDER BY file, "row", "column"'
    ).fetchall()
    return [(f, int(r), c, reason) for f, r, c, reason in rows]


def column(ws: Workspace, sql: str) -> list[Any]:
    return [r[0] for r in ws.backend.con.execute(sql).fetchall()]


# --- defaults ---------------------------------------------------------------------------------


def test_the_model_defaults_are_the_settings_defaults() -> None:
    s = LimitSettings()
    for name in (
        "earliest",
        "recorded_ahead_seconds",
        "planned_ahead_seconds",
        "max_duration_seconds",
        "max_number",
        "max_extra_columns",
        "max_field_chars",
        "max_json_depth",
    ):
        assert getattr(DEFAULT_LIMITS, name) == getattr(s, name), name


# --- item 1: impossible instants ----------------------------------------------------------------


def test_impossible_instants_are_refused_with_the_reason(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    events = (
        EVENT_HEAD + "e1,T1,9999-12-31T00:00:00Z,message,agent,,\n"
        "e2,T1,0001-01-01T00:00:00Z,message,agent,,\n"
        "e3,T1,2026-03-02T09:00:00Z,message,agent,,\n"
    )
    s = import_directory(ws, write(tmp_path / "d", tickets_csv=HEAD + T1, events_csv=events))
    (f1, r1, c1, why1), second = rejects(ws)
    assert (f1, r1, c1) == ("events.csv", 2, "at") and LATE.fullmatch(why1)
    assert second == ("events.csv", 3, "at", EARLY)
    assert s.tables["events"].inserted == 1
    assert [str(x) for x in column(ws, 'SELECT "at" FROM events')] == ["2026-03-02 09:00:00"]


def test_planned_instants_may_lie_years_ahead_but_not_for_ever(tmp_path: Path) -> None:
    # a subscription ending 2030 and a cost period of next year are plans: accepted; the
    # "never ends" sentinel 9999-12-31 is refused and told to stay empty
    ws = workspace(tmp_path)
    subs = (
        "subscription_id,customer_id,started_at,ended_at,mrr\n"
        "s1,c1,2026-01-01T00:00:00Z,2030-01-01T00:00:00Z,10\n"
        "s2,c1,2026-01-01T00:00:00Z,9999-12-31T00:00:00Z,10\n"
    )
    costs = "period_start,period_end,amount\n2027-01-01,2027-12-31,1000\n"
    import_directory(
        ws, write(tmp_path / "d", tickets_csv=HEAD + T1, subscriptions_csv=subs, costs_csv=costs)
    )
    [(f, row, col, why)] = rejects(ws)
    assert (f, row, col) == ("subscriptions.csv", 3, "ended_at")
    assert re.fullmatch(
        r"after the latest plausible instant \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(now \+ 3660 "
        r"days\); leave ended_at empty when there is none yet; fix the source, or widen "
        r"`planned_ahead` in \[limits\] of deskmetrics\.toml",
        why,
    )
    assert column(ws, "SELECT subscription_id FROM subscriptions") == ["s1"]
    assert column(ws, "SELECT amount FROM costs") == [1000.0]


def test_the_plausible_range_comes_from_the_settings(tmp_path: Path) -> None:
    ws = workspace(tmp_path, {"earliest": "2026-03-02"})
    tickets = HEAD + T1 + "T0,2026-03-01T23:59:59Z,c1\n"
    import_directory(ws, write(tmp_path / "d", tickets_csv=tickets))
    assert rejects(ws) == [
        (
            "tickets.csv",
            3,
            "created_at",
            "before the earliest plausible instant 2026-03-02T00:00:00Z; fix the source, or "
            "widen `earliest` in [limits] of deskmetrics.toml",
        )
    ]


def test_the_api_refuses_an_impossible_instant_with_a_422() -> None:
    from fastapi.testclient import TestClient

    from conftest import UTC_9_TO_5, build_workspace, msg, ticket
    from deskmetrics.api import create_app
    from deskmetrics.api.ingest import signed_headers

    config = {**UTC_9_TO_5, "web": {"sources": {"crm": {"secret": "s3"}}}}
    ws = build_workspace({"tickets": [ticket("T1", "2026-03-02T09:00:00Z")]}, config)
    c = TestClient(create_app(ws, secret="test-secret"))
    body = json.dumps([msg("E9", "T1", "9999-12-31T00:00:00Z", "agent")]).encode()
    r = c.post("/api/events", content=body, headers=signed_headers("crm", "s3", body))
    assert r.status_code == 422
    [problem] = r.json()["detail"]
    assert (problem["row"], problem["field"]) == (0, "at")
    assert problem["msg"].startswith("events row 0, field 'at': after the latest plausible")
    assert LATE.fullmatch(problem["msg"].removeprefix("events row 0, field 'at': "))
    assert int(ws.backend.con.execute("SELECT count(*) FROM events").fetchone()[0]) == 0


# --- item 6: impossible values ------------------------------------------------------------------


def test_durations_and_numbers_must_be_finite_and_plausible(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    events = (
        EVENT_HEAD + "e1,T1,2026-03-02T09:00:00Z,interaction,,-600,\n"
        "e2,T1,2026-03-02T09:00:00Z,interaction,,inf,\n"
        "e3,T1,2026-03-02T09:00:00Z,interaction,,1e308,\n"
        "e4,T1,2026-03-02T09:00:00Z,interaction,,604801,\n"
        "e5,T1,2026-03-02T09:00:00Z,interaction,,600,-inf\n"
        "e6,T1,2026-03-02T09:00:00Z,interaction,,604800,7\n"
    )
    import_directory(ws, write(tmp_path / "d", tickets_csv=HEAD + T1, events_csv=events))
    how = "in [limits] of deskmetrics.toml"
    assert rejects(ws) == [
        ("events.csv", 2, "talk_seconds", "talk_seconds cannot be negative"),
        ("events.csv", 3, "talk_seconds", "not a finite number"),
        (
            "events.csv",
            4,
            "talk_seconds",
            f"larger than the largest plausible number 9.0072e+15; fix the source, or raise "
            f"`max_number` {how}",
        ),
        (
            "events.csv",
            5,
            "talk_seconds",
            "talk_seconds is longer than the longest plausible 7 days (604800 s); fix the "
            f"source, or raise `max_duration` {how}",
        ),
        ("events.csv", 6, "seq", "not a finite number"),
    ]
    assert column(ws, "SELECT talk_seconds FROM events") == [604800.0]


def test_numbers_from_parquet_are_checked_too(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "post_id": ["p1", "p2", "p3"],
            "posted_at": ["2026-03-02T09:00:00Z"] * 3,
            "likes": [float("inf"), -1.0, 5.0],
        }
    )
    vf = validate(SourceFrame(TABLES["social_posts"], "social_posts.parquet", frame))
    assert [(r.row, r.column, r.reason) for r in vf.rejects] == [
        (1, "likes", "not a finite number"),
        (2, "likes", "likes cannot be negative"),
    ]
    assert vf.frame["post_id"].tolist() == ["p3"]


def test_a_date_alone_is_midnight_in_the_assumed_zone_and_refused_without_one(
    tmp_path: Path,
) -> None:
    tickets = HEAD + "T1,2026-03-04,c1\nT2,2026-03-04 10:00,c2\n"
    ws = workspace(tmp_path)
    import_directory(ws, write(tmp_path / "d", tickets_csv=tickets))
    assert rejects(ws) == [
        (
            "tickets.csv",
            2,
            "created_at",
            "a date without a time of day has no UTC offset; give the instant with an offset "
            "(e.g. 2026-03-04T00:00:00Z) or import with --assume-tz ZONE (a date is then "
            "midnight there)",
        ),
        (
            "tickets.csv",
            3,
            "created_at",
            "timestamp has no UTC offset; add one (e.g. Z or +01:00) or import with "
            "--assume-tz ZONE",
        ),
    ]
    ws2 = open_duckdb(tmp_path / "w2.duckdb", Settings())
    import_directory(ws2, tmp_path / "d", assume_tz="America/New_York")
    # midnight in New York (UTC-5 in March) is 05:00 UTC, never the offset -04 read off "-04"
    assert [str(x) for x in column(ws2, "SELECT created_at FROM tickets ORDER BY 1")] == [
        "2026-03-04 05:00:00",
        "2026-03-04 15:00:00",
    ]


# --- item 2: bounded input ------------------------------------------------------------------


def test_a_too_long_text_cell_is_refused(tmp_path: Path) -> None:
    ws = workspace(tmp_path, {"max_field_chars": 10})
    tickets = "ticket_id,created_at,requester_id,subject,region\n"
    tickets += "T1,2026-03-02T08:00:00Z,c1,short,EU\n"
    tickets += "T2,2026-03-02T08:00:00Z,c2," + "x" * 11 + ",EU\n"
    tickets += "T3,2026-03-02T08:00:00Z,c3,short," + "y" * 11 + "\n"
    import_directory(ws, write(tmp_path / "d", tickets_csv=tickets))
    why = (
        "text longer than 10 characters; shorten it, or raise `max_field_chars` in [limits] of "
        "deskmetrics.toml"
    )
    assert rejects(ws) == [
        ("tickets.csv", 3, "subject", why),
        ("tickets.csv", 4, "region", why),
    ]
    assert column(ws, "SELECT ticket_id FROM tickets") == ["T1"]


def test_too_many_extra_columns_refuse_the_file_with_the_reason(tmp_path: Path) -> None:
    ws = workspace(tmp_path, {"max_extra_columns": 2})
    fine = "ticket_id,created_at,requester_id,a,b\nT1,2026-03-02T08:00:00Z,c1,1,2\n"
    s = import_directory(ws, write(tmp_path / "ok", tickets_csv=fine))
    assert s.rejects == [] and s.tables["tickets"].inserted == 1
    many = "ticket_id,created_at,requester_id,a,b,c\nT2,2026-03-02T08:00:00Z,c1,1,2,3\n"
    s = import_directory(ws, write(tmp_path / "many", tickets_csv=many))
    assert [(r.file, r.row, r.column, r.reason) for r in s.rejects] == [
        (
            "tickets.csv",
            2,
            "c",
            "tickets.csv brings 3 extra columns to tickets, more than the 2 kept ([limits] "
            "max_extra_columns; each is kept for ever); drop the columns you do not need, or "
            "raise the limit in deskmetrics.toml",
        )
    ]
    assert column(ws, "SELECT ticket_id FROM tickets") == ["T1"]


def test_an_extra_column_named_like_deskmetrics_own_is_refused(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    tickets = "ticket_id,created_at,requester_id,_row\nT1,2026-03-02T08:00:00Z,c1,7\n"
    s = import_directory(ws, write(tmp_path / "d", tickets_csv=tickets))
    assert [(r.row, r.column, r.reason) for r in s.rejects] == [
        (
            2,
            "_row",
            "column '_row' starts with '_', which deskmetrics keeps for its own columns (_row, "
            "_file …); rename it (e.g. 'x_row') or drop it from tickets.csv",
        )
    ]


def test_a_deeply_nested_json_value_is_a_reject_not_a_crash(tmp_path: Path) -> None:
    deep = "[" * 5000 + "]" * 5000
    lines = [
        json.dumps({"ticket_id": "T1", "created_at": "2026-03-02T08:00:00Z", "requester_id": "c1"}),
        '{"ticket_id": "T2", "created_at": "2026-03-02T08:00:00Z", "requester_id": "c2", '
        f'"tags": {deep}}}',
        json.dumps({"ticket_id": "T3", "created_at": "2026-03-02T08:00:00Z", "requester_id": "c3",
                    "subject": "[[[ brackets in text do not nest ]]]" * 30}),
    ]  # fmt: skip
    ws = workspace(tmp_path)
    summary = import_directory(ws, write(tmp_path / "d", tickets_jsonl="\n".join(lines) + "\n"))
    tc = summary.tables["tickets"]
    assert (tc.read, tc.inserted, tc.rejected, tc.balanced) == (3, 2, 1, True)
    assert rejects(ws) == [
        (
            "tickets.jsonl",
            2,
            "*",
            "a JSON value nests deeper than 64 levels; flatten it, or raise `max_json_depth` in "
            "[limits] of deskmetrics.toml",
        )
    ]
    assert column(ws, "SELECT ticket_id FROM tickets ORDER BY 1") == ["T1", "T3"]


# --- item 8: the reader's messages --------------------------------------------------------------


def test_reject_rows_are_file_lines_after_a_multi_line_field(tmp_path: Path) -> None:
    tickets = (
        "ticket_id,created_at,requester_id,subject\n"
        'T1,2026-03-02T08:00:00Z,c1,"first line\nsecond line\nthird line"\n'
        "T2,not a time,c2,x\n"
        "\n"
        "T3,2026-03-02T08:00:00Z,,y\n"
    )
    ws = workspace(tmp_path)
    import_directory(ws, write(tmp_path / "d", tickets_csv=tickets))
    assert [(f, r, c) for f, r, c, _ in rejects(ws)] == [
        ("tickets.csv", 5, "created_at"),
        ("tickets.csv", 7, "requester_id"),
    ]
    assert column(ws, "SELECT subject FROM tickets") == ["first line\nsecond line\nthird line"]


def test_a_row_with_more_fields_than_the_header_is_rejected_alone(tmp_path: Path) -> None:
    # the first data row especially: pandas would have shifted every column by one
    tickets = HEAD + "T1,2026-03-02T08:00:00Z,c1,surplus\nT2,2026-03-02T09:00:00Z,c2\n"
    tickets += "T3,2026-03-02T10:00:00Z,c3,a,b\nT4,2026-03-02T11:00:00Z\n"
    ws = workspace(tmp_path)
    summary = import_directory(ws, write(tmp_path / "d", tickets_csv=tickets))
    # the rows the reader refused were read too: every row counted once (read 4 = 1 + 3)
    tc = summary.tables["tickets"]
    assert (tc.read, tc.inserted, tc.rejected, tc.balanced) == (4, 1, 3, True)
    assert rejects(ws) == [
        (
            "tickets.csv",
            2,
            "*",
            "this row has 4 fields but the header names 3 columns; quote values that hold a comma",
        ),
        (
            "tickets.csv",
            4,
            "*",
            "this row has 5 fields but the header names 3 columns; quote values that hold a comma",
        ),
        ("tickets.csv", 5, "requester_id", "required value 'requester_id' is empty"),
    ]
    rows = ws.backend.con.execute("SELECT ticket_id, requester_id FROM tickets").fetchall()
    assert rows == [("T2", "c2")]


def test_headers_that_differ_only_in_case_are_a_clear_error(tmp_path: Path) -> None:
    tickets = "ticket_id,created_at,requester_id,subject,Subject\nT1,2026-03-02T08:00:00Z,c1,a,b\n"
    ws = workspace(tmp_path)
    with pytest.raises(ImportDataError) as err:
        import_directory(ws, write(tmp_path / "d", tickets_csv=tickets))
    assert str(err.value) == (
        "tickets.csv, line 1: columns 'subject' and 'Subject' name the same column (column "
        "names ignore case); rename or remove one"
    )


def test_json_keys_that_differ_only_in_case_reject_the_rows(tmp_path: Path) -> None:
    row = {"ticket_id": "T1", "created_at": "2026-03-02T08:00:00Z", "requester_id": "c1"}
    lines = [json.dumps({**row, "region": "EU"}), json.dumps({**row, "Region": "US"})]
    ws = workspace(tmp_path)
    s = import_directory(ws, write(tmp_path / "d", tickets_jsonl="\n".join(lines) + "\n"))
    why = (
        "columns 'region' and 'Region' of tickets.jsonl name the same column (column names "
        "ignore case); rename or remove one"
    )
    assert [(r.row, r.column, r.reason) for r in s.rejects] == [
        (1, "Region", why),
        (2, "Region", why),
    ]


def test_a_canonical_column_in_another_case_is_that_column(tmp_path: Path) -> None:
    tickets = "Ticket_ID,Created_At,Requester_Id,Subject\nT1,2026-03-02T08:00:00Z,c1,hello\n"
    ws = workspace(tmp_path)
    s = import_directory(ws, write(tmp_path / "d", tickets_csv=tickets))
    assert s.rejects == []
    assert ws.backend.con.execute("SELECT ticket_id, subject FROM tickets").fetchall() == [
        ("T1", "hello")
    ]


def test_invalid_utf8_names_the_file_and_line(tmp_path: Path) -> None:
    csv = (HEAD + T1).encode() + b"T2,2026-03-02T08:00:00Z,caf\xe9\n"
    ws = workspace(tmp_path)
    with pytest.raises(ImportDataError) as err:
        import_directory(ws, write(tmp_path / "c", tickets_csv=csv))
    assert str(err.value) == (
        "tickets.csv, line 3: not UTF-8 (byte 0xe9); save the file as UTF-8 and import it again"
    )
    jsonl = b'{"ticket_id": "T1", "created_at": "2026-03-02T08:00:00Z", "requester_id": "c1"}\n'
    jsonl += b'{"ticket_id": "T2", "created_at": "2026-03-02T08:00:00Z", "requester_id": "\xff"}\n'
    with pytest.raises(ImportDataError) as err:
        import_directory(ws, write(tmp_path / "j", tickets_jsonl=jsonl))
    assert str(err.value) == (
        "tickets.jsonl, line 2: not UTF-8 (byte 0xff); save the file as UTF-8 and import it again"
    )
    assert column(ws, "SELECT count(*) FROM tickets") == [0]


def test_columns_a_table_does_not_keep_are_named_in_a_note(tmp_path: Path) -> None:
    events = "event_id,ticket_id,at,type,author_role,mood,_x\n"
    events += "e1,T1,2026-03-02T09:00:00Z,message,customer,angry,1\n"
    ws = workspace(tmp_path)
    s = import_directory(ws, write(tmp_path / "d", tickets_csv=HEAD + T1, events_csv=events))
    assert s.rejects == []
    assert (
        "events.csv: columns 'mood', '_x' not kept (events keeps its canonical columns only)"
        in (s.notes)
    )


@pytest.mark.parametrize("chunk_rows", [250_000, 1])
def test_a_quoted_file_names_lines_and_rejects_rows_with_too_many_fields(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk_rows: int
) -> None:
    # every field quoted (as many exports write them), one record per line: pandas reads it;
    # a value holding a comma is one field, a row with a fourth field is rejected on its line
    from deskmetrics.importers import canonical

    monkeypatch.setattr(canonical, "CHUNK_ROWS", chunk_rows)
    tickets = (
        '"ticket_id","created_at","requester_id"\n'
        '"T1","2026-03-02T08:00:00Z","c1"\n'
        '"T2","2026-03-02T08:00:00Z","c2","surplus"\n'
        '"T3","not a time","c3"\n'
        '"T4","2026-03-02T08:00:00Z","c,4"\n'
    )
    ws = workspace(tmp_path)
    import_directory(ws, write(tmp_path / "d", tickets_csv=tickets))
    assert rejects(ws) == [
        (
            "tickets.csv",
            3,
            "*",
            "this row has 4 fields but the header names 3 columns; quote values that hold a comma",
        ),
        ("tickets.csv", 4, "created_at", "not an ISO 8601 timestamp (e.g. 2026-03-01T09:30:00Z)"),
    ]
    rows = ws.backend.con.execute("SELECT ticket_id, requester_id FROM tickets ORDER BY 1")
    assert rows.fetchall() == [("T1", "c1"), ("T4", "c,4")]


def test_a_quoted_first_row_with_too_many_fields_shifts_nothing(tmp_path: Path) -> None:
    tickets = (
        '"ticket_id","created_at","requester_id"\n'
        '"T1","2026-03-02T08:00:00Z","c1","surplus"\n'
        '"T2","2026-03-02T08:00:00Z","c2"\n'
    )
    ws = workspace(tmp_path)
    import_directory(ws, write(tmp_path / "d", tickets_csv=tickets))
    assert [(f, r, c) for f, r, c, _ in rejects(ws)] == [("tickets.csv", 2, "*")]
    rows = ws.backend.con.execute("SELECT ticket_id, requester_id FROM tickets").fetchall()
    assert rows == [("T2", "c2")]


def test_the_cli_prints_a_reject_reason_as_written(tmp_path: Path) -> None:
    """A reason naming `[limits]` (or a subject '[bold]…') is data, never terminal markup: the
    CLI once printed "widen `recorded_ahead` in  of deskmetrics.toml"."""
    from typer.testing import CliRunner

    from deskmetrics.cli import app

    folder = write(tmp_path / "d", tickets_csv=HEAD + "T9,9999-01-01T00:00:00Z,c9\n")
    db = str(tmp_path / "cli.duckdb")
    r = CliRunner().invoke(app, ["--db", db, "import", str(folder)])
    assert r.exit_code == 0, r.output
    assert "widen `recorded_ahead` in [limits] of deskmetrics.toml" in r.output


def test_extra_columns_are_capped_counting_those_stored(tmp_path: Path) -> None:
    """Each file within the cap, together past it: the second import stores nothing (the
    table would keep 4 extra columns for ever, the cap is 3)."""
    ws = workspace(tmp_path, {"max_extra_columns": 3})
    first = HEAD.rstrip("\n") + ",plan,region\n" + "T1,2026-03-02T08:00:00Z,c1,pro,eu\n"
    import_directory(ws, write(tmp_path / "a", tickets_csv=first))
    second = HEAD.rstrip("\n") + ",seats,tier\n" + "T2,2026-03-02T09:00:00Z,c2,5,gold\n"
    with pytest.raises(ImportDataError) as err:
        import_directory(ws, write(tmp_path / "b", tickets_csv=second))
    assert str(err.value) == (
        "tickets would hold 4 extra columns (2 stored, 2 new, e.g. 'seats', 'tier'), more than "
        "max_extra_columns = 3; nothing was stored. Leave out the columns you do not report by, "
        "or raise `max_extra_columns` in [limits] of deskmetrics.toml"
    )
    assert column(ws, "SELECT ticket_id FROM tickets") == ["T1"]
    names = column(
        ws,
        "SELECT column_name FROM information_schema.columns WHERE table_name = "
        "'tickets' AND column_name IN ('plan', 'region', 'seats', 'tier') ORDER BY 1",
    )
    assert names == ["plan", "region"]  # fmt: skip
