"""Bad query input is a 4xx (API) or a message and a nonzero exit (CLI), never a 500 or a
traceback: a ticket without events in facts (DuckDB sums come back as Decimal), an overlong or
unknown time zone, dates far outside any data, a grained range of millions of periods.

Data: T1 answered (customer message, agent reply), T2 with no events at all."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from conftest import build_workspace, msg, ticket
from deskmetrics import accounts
from deskmetrics.api import create_app
from deskmetrics.cli import app as cli_app

ROWS: dict[str, list[dict[str, Any]]] = {
    "tickets": [
        ticket("T1", "2026-03-02T09:00:00Z", channel="email"),
        ticket("T2", "2026-03-02T10:00:00Z", "c2", channel="chat"),
    ],
    "events": [
        msg("E1", "T1", "2026-03-02T09:00:00Z", "customer"),
        msg("E2", "T1", "2026-03-02T09:30:00Z", "agent", "a1"),
    ],
}
LONG_TZ = "A" * 5000


@pytest.fixture(scope="module")
def client() -> TestClient:
    ws = build_workspace(ROWS)
    c = TestClient(create_app(ws, secret="test-secret"), raise_server_exceptions=False)
    with c.app.state.service.using() as w:  # type: ignore[attr-defined]
        token = accounts.create_token(w, "bi", "viewer")
    c.headers["Authorization"] = f"Bearer {token}"
    return c


def test_facts_of_a_ticket_without_events_are_json(client: TestClient) -> None:
    r = client.get("/api/facts")
    assert r.status_code == 200, r.text
    rows = {row["ticket_id"]: row for row in r.json()["rows"]}
    assert rows["T1"]["customer_messages"] == 1
    assert rows["T2"]["customer_messages"] is None
    assert rows["T2"]["replies"] == 0


@pytest.mark.parametrize(
    ("path", "params", "says"),
    [
        ("/api/report", {"metric": "volume", "tz": LONG_TZ}, "unknown time zone"),
        ("/api/explain/volume", {"tz": LONG_TZ}, "unknown time zone"),
        ("/api/report", {"metric": "volume", "tz": "Europe/../etc/passwd"}, "unknown time zone"),
        (
            "/api/report",
            {"metric": "volume", "from": "0001-01-01", "to": "9999-12-31"},
            "out of range: use a date between 1900-01-01 and 2200-12-31",
        ),
        ("/api/explain/volume", {"to": "9999-12-31"}, "out of range"),
        (
            "/api/report",
            {"metric": "volume", "grain": "hour", "from": "1900-01-01", "to": "2200-12-31"},
            "at most 100,000 periods",
        ),
    ],
)
def test_api_refuses_bad_zones_and_ranges_with_a_400(
    client: TestClient, path: str, params: dict[str, str], says: str
) -> None:
    r = client.get(path, params=params)
    assert r.status_code == 400, r.text
    assert says in r.json()["detail"]
    assert len(r.json()["detail"]) < 300  # the 5,000 characters are not echoed back


def test_a_long_zone_message_names_its_length(client: TestClient) -> None:
    r = client.get("/api/report", params={"metric": "volume", "tz": LONG_TZ})
    assert r.json()["detail"] == (
        f"tz: unknown time zone {'A' * 40!r}… (5,000 characters): use an IANA name such as "
        "'Europe/Berlin' or 'UTC'"
    )


def test_dashboard_refuses_an_implausible_date_with_a_400(client: TestClient) -> None:
    r = client.get("/dashboard", params={"from": "0001-01-01", "to": "9999-12-31"})
    assert r.status_code == 400
    assert "out of range" in r.text


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "w.duckdb"
    build_workspace(ROWS, path=str(path)).backend.con.close()
    return path


def test_cli_facts_json_of_a_ticket_without_events(db: Path) -> None:
    r = CliRunner().invoke(cli_app, ["--db", str(db), "facts", "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = {row["ticket_id"]: row for row in json.loads(r.stdout)}
    assert rows["T1"]["customer_messages"] == 1 and rows["T2"]["customer_messages"] is None


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["report", "volume", "--tz", LONG_TZ], "unknown time zone"),
        (["explain", "volume", "--tz", LONG_TZ], "unknown time zone"),
        (["report", "volume", "--from", "0001-01-01", "--to", "9999-12-31"], "out of range"),
        (["explain", "volume", "--from", "0001-01-01", "--to", "9999-12-31"], "out of range"),
        (
            ["report", "volume", "--grain", "hour", "--from", "1900-01-01", "--to", "2200-01-01"],
            "at most 100,000 periods",
        ),
    ],
)
def test_cli_refuses_bad_zones_and_ranges_without_a_traceback(
    db: Path, args: list[str], says: str
) -> None:
    r = CliRunner().invoke(cli_app, ["--db", str(db), *args])
    assert r.exit_code != 0
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    assert says in " ".join(r.output.split())
    assert "Traceback" not in r.output
