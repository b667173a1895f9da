"""Exports are safe to open: text a spreadsheet would read as a formula (`=`, `+`, `-`, `@`,
tab, CR first) is neutralised in every CSV and XLSX writer; numbers stay numbers.

Data: one ticket whose subject is `=HYPERLINK("http://x")` and whose tag is `@SUM(1)`
(customer-typed text), answered once, with a CSAT comment `-1+1` and a negative number
nowhere but in text."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from conftest import build_workspace, msg, ticket
from deskmetrics import accounts
from deskmetrics.api import create_app
from deskmetrics.cli import app as cli_app
from deskmetrics.reports.safe_cells import frame_csv, safe_cell, write_xlsx

SUBJECT = '=HYPERLINK("http://x")'
TAG = "@SUM(1)"
ROWS: dict[str, list[dict[str, Any]]] = {
    "tickets": [
        ticket("T1", "2026-03-02T09:00:00Z", channel="email", subject=SUBJECT, tags=TAG),
    ],
    "events": [
        msg("E1", "T1", "2026-03-02T09:00:00Z", "customer"),
        msg("E2", "T1", "2026-03-02T09:30:00Z", "agent", "a1"),
    ],
}


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+33 1 23", "'+33 1 23"),
        ("-2", "'-2"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=1", "a=1"),
        ("", ""),
        (-2.5, -2.5),
        (-3, -3),
        (None, None),
    ],
)
def test_a_cell_is_neutralised_only_when_it_is_formula_like_text(value: Any, written: Any) -> None:
    assert safe_cell(value) == written


def test_frame_csv_keeps_numbers_and_quotes_formulas() -> None:
    df = pd.DataFrame({"subject": [SUBJECT, "fine"], "minutes": [-5.0, 30.0]})
    assert frame_csv(df) == 'subject,minutes\n"\'=HYPERLINK(""http://x"")",-5.0\nfine,30.0\n'


def _no_formula(path: Path | io.BytesIO) -> list[list[Any]]:
    book = openpyxl.load_workbook(path)
    rows = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (cell.coordinate, cell.value)
            rows.append([c.value for c in row])
    return rows


def test_xlsx_cells_are_text_never_formulas() -> None:
    buf = io.BytesIO()
    df = pd.DataFrame({"subject": [SUBJECT], "tags": [TAG], "minutes": [-5.0], "n": [3]})
    write_xlsx(df, buf)
    buf.seek(0)
    assert _no_formula(buf) == [["subject", "tags", "minutes", "n"], [SUBJECT, TAG, -5, 3]]


def test_cli_facts_csv_and_xlsx_are_safe(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    build_workspace(ROWS, path=str(db)).backend.con.close()
    runner = CliRunner()
    r = runner.invoke(cli_app, ["--db", str(db), "facts", "--format", "csv"])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(io.StringIO(r.stdout))
    assert df.loc[0, "subject"] == "'" + SUBJECT and df.loc[0, "tags"] == "'" + TAG
    assert df.loc[0, "first_reply_minutes"] == 30.0
    out = tmp_path / "facts.xlsx"
    r = runner.invoke(cli_app, ["--db", str(db), "facts", "--format", "xlsx", "--out", str(out)])
    assert r.exit_code == 0, r.output
    rows = _no_formula(out)
    header, first = rows[0], rows[1]
    assert first[header.index("subject")] == SUBJECT
    assert first[header.index("tags")] == TAG
    assert first[header.index("first_reply_minutes")] == 30
    # the CSV of any other command (report by tags) goes through the same writer
    r = runner.invoke(
        cli_app, ["--db", str(db), "report", "volume", "--by", "subject", "--format", "csv"]
    )
    assert r.exit_code == 0, r.output
    assert pd.read_csv(io.StringIO(r.stdout)).loc[0, "subject"] == "'" + SUBJECT


@pytest.fixture
def client() -> TestClient:
    ws = build_workspace(ROWS)
    c = TestClient(create_app(ws, secret="test-secret"))
    with c.app.state.service.using() as w:  # type: ignore[attr-defined]
        token = accounts.create_token(w, "bi", "viewer")
    c.headers["Authorization"] = f"Bearer {token}"
    return c


def test_api_csv_downloads_are_safe(client: TestClient) -> None:
    facts = client.get("/api/facts", params={"format": "csv"})
    assert facts.status_code == 200
    df = pd.read_csv(io.StringIO(facts.text))
    assert df.loc[0, "subject"] == "'" + SUBJECT and df.loc[0, "tags"] == "'" + TAG
    report = client.get(
        "/api/report", params={"metric": "volume", "by": "subject", "format": "csv"}
    )
    assert report.status_code == 200
    assert pd.read_csv(io.StringIO(report.text)).loc[0, "subject"] == "'" + SUBJECT
    # JSON is not a spreadsheet: values stay exactly as stored
    assert client.get("/api/facts").json()["rows"][0]["subject"] == SUBJECT


def test_dashboard_csv_downloads_are_safe(client: TestClient) -> None:
    r = client.get(
        "/dashboard/explain",
        params={"metric": "volume", "from": "2026-03-01", "to": "2026-03-07", "csv": "tickets"},
    )
    assert r.status_code == 200, r.text
    df = pd.read_csv(io.StringIO(r.text))
    assert df.loc[0, "subject"] == "'" + SUBJECT
