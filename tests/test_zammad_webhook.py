"""The Zammad webhook adapter: `X-Hub-Signature` (HMAC-SHA1 of the raw body with the
webhook's signature token), and deliveries (a trigger's ticket and article) mapped to canonical
rows visible in the facts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import UTC_9_TO_5, build_workspace
from deskmetrics import accounts
from deskmetrics.api import create_app
from deskmetrics.api.zammad_events import check_signature, map_delivery, signature
from deskmetrics.query import facts_frame

SECRET = "a-long-random-zammad-token"
URL = "/api/webhooks/zammad"

TICKET = {
    "id": 4711, "number": "31011", "title": "The invoice is wrong", "group_id": 2,
    "group": {"id": 2, "name": "Billing"}, "state_id": 1, "state": "new", "priority_id": 2,
    "priority": "2 normal", "customer_id": 101, "owner_id": 1, "organization_id": None,
    "create_article_type": "email", "create_article_sender": "Customer",
    "created_at": "2026-03-02T09:00:00.000Z", "updated_at": "2026-03-02T09:00:00.000Z",
    "close_at": None, "first_response_at": None,
}  # fmt: skip


def article(aid: int, minute: str, sender: str, internal: bool = False) -> dict[str, Any]:
    """An article as a trigger's default payload carries it (names, not ids)."""
    by = {"Customer": 101, "Agent": 3, "System": 1}[sender]
    return {
        "id": aid, "ticket_id": 4711, "type": "email", "sender": sender, "internal": internal,
        "from": "x@example.org", "body": "…", "created_by_id": by,
        "created_at": f"2026-03-02T{minute}:00.000Z",
    }  # fmt: skip


def delivery(ticket: dict[str, Any], art: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"ticket": ticket} if art is None else {"ticket": ticket, "article": art}


@pytest.fixture
def client() -> TestClient:
    ws = build_workspace({}, {**UTC_9_TO_5, "web": {"sources": {"zammad": {"secret": SECRET}}}})
    c = TestClient(create_app(ws, secret="test-secret"))
    with c.app.state.service.using() as w:  # type: ignore[attr-defined]
        c.headers["Authorization"] = f"Bearer {accounts.create_token(w, 'bi', 'viewer')}"
    return c


def send(c: TestClient, doc: Any, secret: str | None = SECRET) -> Any:
    body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    headers = {"Content-Type": "application/json", "Authorization": ""}
    if secret is not None:
        headers["X-Hub-Signature"] = signature(secret, body)
    return c.post(URL, content=body, headers=headers)


def rejects(c: TestClient) -> list[tuple[Any, ...]]:
    with c.app.state.service.using() as ws:  # type: ignore[attr-defined]
        return ws.backend.con.execute('SELECT file, "column" FROM _rejects').fetchall()


def test_signed_deliveries_are_stored_and_visible_in_facts(client: TestClient) -> None:
    r = send(client, delivery(TICKET, article(1, "09:00", "Customer")))
    assert r.status_code == 200, r.text
    assert {s["table"] for s in r.json()["stored"]} == {"tickets", "events"}
    opened = {**TICKET, "state": "open", "owner_id": 3, "updated_at": "2026-03-02T09:20:00.000Z"}
    assert send(client, delivery(opened, article(2, "09:20", "Agent", internal=True))).is_success
    replied = {**opened, "updated_at": "2026-03-02T09:45:00.000Z"}
    assert send(client, delivery(replied, article(3, "09:45", "Agent"))).is_success
    closed = {**opened, "state": "closed", "updated_at": "2026-03-02T10:00:00.000Z"}
    assert send(client, delivery(closed)).is_success
    with client.app.state.service.using() as ws:  # type: ignore[attr-defined]
        f = facts_frame(ws).set_index("ticket_id")
        t = ws.backend.con.execute(
            'SELECT channel, priority, "group", assignee_id FROM tickets'
        ).fetchall()
    assert t == [("email", "normal", "Billing", "3")]
    # the internal note at 09:20 is no reply: first reply 09:45 → 45 minutes; closed 10:00
    assert f.loc["4711", "first_reply_minutes"] == 45.0
    assert f.loc["4711", "full_resolution_minutes"] == 60.0
    assert f.loc["4711", "status"] == "solved"


def test_a_redelivered_body_changes_nothing(client: TestClient) -> None:
    doc = delivery(TICKET, article(1, "09:00", "Customer"))
    assert send(client, doc).json()["stored"][1]["inserted"] == 2
    assert all(s["unchanged"] == s["received"] for s in send(client, doc).json()["stored"])


def test_a_wrong_or_missing_signature_is_401_and_stores_nothing(client: TestClient) -> None:
    assert send(client, delivery(TICKET), secret="guess").status_code == 401
    r = send(client, delivery(TICKET), secret=None)
    assert r.status_code == 401 and "X-Hub-Signature" in r.json()["detail"]
    body = json.dumps(delivery(TICKET)).encode()
    tampered = client.post(URL, content=body + b" ", headers={
        "Content-Type": "application/json", "Authorization": "",
        "X-Hub-Signature": signature(SECRET, body)})  # fmt: skip
    assert tampered.status_code == 401
    with client.app.state.service.using() as ws:  # type: ignore[attr-defined]
        assert ws.backend.con.execute("SELECT count(*) FROM tickets").fetchone() == (0,)


def test_a_malformed_delivery_is_422_and_kept_in_the_rejects(client: TestClient) -> None:
    r = send(client, delivery({**TICKET, "customer_id": None}))
    assert r.status_code == 422 and "ticket.customer_id" in r.json()["detail"]
    r = send(client, delivery({**TICKET, "state": "archived"}))
    assert r.status_code == 422 and r.json()["detail"].startswith("ticket.state:")
    r = send(client, delivery(TICKET, {**article(1, "09:00", "Customer"), "sender": "Robot"}))
    assert r.status_code == 422 and r.json()["detail"].startswith("article.sender:")
    assert send(client, b"[1, 2]").status_code == 422
    assert send(client, {"article": article(1, "09:00", "Customer")}).status_code == 422
    assert rejects(client) == [
        ("webhook:zammad", "ticket.customer_id"),
        ("webhook:zammad", "ticket.state"),
        ("webhook:zammad", "article.sender"),
        ("webhook:zammad", "body"),
        ("webhook:zammad", "ticket"),
    ]


def test_merged_tickets_are_acknowledged_and_ignored(client: TestClient) -> None:
    r = send(client, delivery({**TICKET, "state": "merged"}))
    assert r.status_code == 200 and "left out" in r.json()["ignored"]


def test_the_signature_check_and_the_mapping_alone() -> None:
    body = b'{"ticket": {}}'
    given = signature("s", body)
    assert given.startswith("sha1=") and len(given) == 45
    assert check_signature("s", given, body) is None
    assert check_signature("t", given, body) is not None
    assert check_signature("s", None, body) is not None
    m = map_delivery(delivery(TICKET, article(7, "09:01", "System")))
    assert [(e["event_id"], e["author_role"], e["author_id"]) for e in m.events[:1]] == [
        ("zm-a-7", "bot", "1")  # the export's id for the same article
    ]
    assert m.ticket is not None and m.ticket["assignee_id"] is None  # owner 1: nobody
    started = {**TICKET, "create_article_sender": "Agent"}
    out = map_delivery(delivery(started, article(8, "09:00", "Agent")))
    assert out.ticket is not None and out.ticket["created_by"] == "agent"
