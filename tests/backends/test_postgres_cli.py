"""The CLI reads a workspace whose canonical tables live in PostgreSQL (`--db postgres://…`):
the same numbers as on the DuckDB file, and a clear refusal for what writes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import ibis
import pytest
from typer.testing import CliRunner

from conftest import UTC_9_TO_5, build_workspace
from deskmetrics.cli import app
from deskmetrics.model import TABLES
from deskmetrics.query import compute
from golden.test_ai_agents import _rows

CONFIG = (
    'timezone = "UTC"\n[schedules.office]\ntimezone = "UTC"\ndefault = true\n'
    "[schedules.office.hours]\n"
    + "".join(f'{d} = "09:00-17:00"\n' for d in ("mon", "tue", "wed", "thu", "fri"))
)


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    from postgres_server import postgres, server_binaries

    if server_binaries() is None:
        pytest.skip("needs Debian's postgresql server (make test installs it)")
    pytest.importorskip("psycopg")
    ws = build_workspace(_rows(), UTC_9_TO_5)
    with postgres() as url:
        con = ibis.connect(url)
        for name in TABLES:
            if ws.has(name):
                con.create_table(name, ws.backend.to_pyarrow(ws.table(name)))
        con.disconnect()
        yield url


def _cli(url: str, tmp_path: Path, *args: str) -> object:
    cfg = tmp_path / "deskmetrics.toml"
    cfg.write_text(CONFIG, encoding="utf-8")
    return CliRunner().invoke(app, ["--db", url, "--config", str(cfg), *args])


def test_report_on_postgres_gives_the_duckdb_numbers(pg_url: str, tmp_path: Path) -> None:
    """Hand-computed in tests/golden/test_ai_agents.py: first response 985.5 min over 4
    tickets; automated resolution 1/7; CSAT by handled_by."""
    res = _cli(pg_url, tmp_path, "report", "first_response_time", "automated_resolution_rate",
               "--format", "json")  # fmt: skip
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    rows = {r["metric"]: r for r in json.loads(res.output)}  # type: ignore[attr-defined]
    assert rows["first_response_time"]["n"] == 4
    assert rows["first_response_time"]["value"] == pytest.approx((32 + 30 + 20 + 3860) / 4)
    assert rows["automated_resolution_rate"]["value"] == pytest.approx(100 / 7)
    res = _cli(pg_url, tmp_path, "report", "csat", "--by", "handled_by", "--format", "json")
    got = {r["handled_by"]: r["value"] for r in json.loads(res.output)}  # type: ignore[attr-defined]
    local = compute(build_workspace(_rows(), UTC_9_TO_5), "csat", by=["handled_by"])
    assert got == dict(zip(local["handled_by"], local["value"], strict=True))


def test_writing_to_postgres_is_refused_with_what_to_do(pg_url: str, tmp_path: Path) -> None:
    # (users and tokens are app state, kept in the local --state file: see
    # test_postgres_service.py; a survey link is stored with the canonical survey data)
    res = _cli(pg_url, tmp_path, "survey-link", "--ticket", "T1")
    assert res.exit_code != 0
    assert "only reads" in res.output  # type: ignore[attr-defined]


def test_a_wrong_url_says_what_to_check(tmp_path: Path) -> None:
    res = _cli("postgres://dm:secret@127.0.0.1:1/nowhere", tmp_path, "report", "volume")
    assert res.exit_code != 0
    out = res.output  # type: ignore[attr-defined]
    assert "cannot connect to postgres://dm:***@127.0.0.1:1/nowhere" in out
    assert "secret" not in out


def test_a_missing_driver_names_the_package(tmp_path: Path) -> None:
    res = _cli("snowflake://dm:secret@account/db/schema", tmp_path, "report", "volume")
    assert res.exit_code != 0
    out = res.output  # type: ignore[attr-defined]
    assert "pip install 'ibis-framework[snowflake]'" in out.replace("\n", "")
    assert "secret" not in out
