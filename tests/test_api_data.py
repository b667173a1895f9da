"""DELETE /api/data/{table}: managers delete bad rows (by id or by import), all or nothing,
logged with who did it; others get 401/403, a delete naming nothing 404, a malformed one 400.

Data (UTC, Mon 2026-03-02): T1 created 09:00, reply 09:30 (30 min); T2 created 10:00, reply
11:00 (60 min); an event e9 of T2 dated 9999-12-31, stored by an older version."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from conftest import build_workspace, msg, ticket
from deskmetrics import accounts
from deskmetrics.api import create_app


@pytest.fixture
def client() -> TestClient:
    ws = build_workspace(
        {
            "tickets": [
                ticket("T1", "2026-03-02T09:00:00Z"),
                ticket("T2", "2026-03-02T10:00:00Z", "c2"),
            ],
            "events": [
                msg("E1", "T1", "2026-03-02T09:00:00Z", "customer"),
                msg("E2", "T1", "2026-03-02T09:30:00Z", "agent", "a1"),
                msg("E3", "T2", "2026-03-02T10:00:00Z", "customer"),
                msg("E4", "T2", "2026-03-02T11:00:00Z", "agent", "a1"),
            ],
        }
    )
    ws.backend.con.execute(
        'INSERT INTO events (event_id, ticket_id, "at", "type", author_role, author_id, public) '
        "VALUES ('e9', 'T2', '9999-12-31 00:00:00', 'message', 'customer', 'c2', true)"
    )
    return TestClient(create_app(ws, secret="test-secret"))


def auth(c: TestClient, role: str) -> dict[str, str]:
    ws = c.app.state.service.workspace  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {accounts.create_token(ws, f'{role}-bot', role)}"}


def count(c: TestClient, table: str) -> int:
    ws = c.app.state.service.workspace  # type: ignore[attr-defined]
    return int(ws.backend.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_a_manager_deletes_the_9999_event_and_reports_work_again(client: TestClient) -> None:
    r = client.delete("/api/data/events", params={"id": "e9"}, headers=auth(client, "manager"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["deleted"], body["kept"], body["dry_run"]) == ({"events": 1}, {}, False)
    assert body["notes"] == ["deleted events by id: e9"]
    ws = client.app.state.service.workspace  # type: ignore[attr-defined]
    [(source, summary)] = ws.backend.con.execute(
        "SELECT source, summary FROM _imports WHERE import_id = ?", [body["import_id"]]
    ).fetchall()
    assert (source, json.loads(summary)["by"]) == ("delete:events", "manager-bot")
    viewer = auth(client, "viewer")
    r = client.get("/api/report", params={"metric": "first_response_time"}, headers=viewer)
    assert r.status_code == 200, r.text
    assert r.json()[0]["value"] == 45.0  # (30 + 60) / 2


def test_a_dry_run_says_what_would_go_and_deletes_nothing(client: TestClient) -> None:
    r = client.delete(
        "/api/data/tickets",
        params={"id": ["T2"], "dry_run": "true"},
        headers=auth(client, "manager"),
    )
    assert r.status_code == 200, r.text
    assert (r.json()["deleted"], r.json()["import_id"]) == ({"tickets": 1, "events": 3}, None)
    assert (count(client, "tickets"), count(client, "events")) == (2, 5)


@pytest.mark.parametrize(
    ("role", "path", "params", "code", "detail"),
    [
        (None, "/api/data/events", {"id": "e9"}, 401, "sign in"),
        ("viewer", "/api/data/events", {"id": "e9"}, 403, "this needs the manager role"),
        ("manager", "/api/data/events", {"id": ["e9", "x"]}, 404, "no events row with event_id"),
        ("manager", "/api/data/event", {"id": "e9"}, 404, "unknown table 'event'"),
        ("manager", "/api/data/events", {"import_id": "2020"}, 404, "no stored import '2020'"),
        ("manager", "/api/data/events", {}, 400, "either by their ids or by the import"),
        ("manager", "/api/data/events", {"id": list(map(str, range(1001)))}, 400, "at most 1,000"),
        ("manager", "/api/data/events", {"id": "e9", "dry_run": "perhaps"}, 422, None),
    ],
)  # fmt: skip
def test_a_refused_delete_deletes_nothing(
    client: TestClient,
    role: str | None,
    path: str,
    params: dict[str, object],
    code: int,
    detail: str | None,
) -> None:
    headers = auth(client, role) if role else {}
    r = client.delete(path, params=params, headers=headers)  # type: ignore[arg-type]
    assert r.status_code == code, r.text
    if detail is not None:
        assert detail in r.json()["detail"]
    assert count(client, "events") == 5
