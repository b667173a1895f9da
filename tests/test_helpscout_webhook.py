"""The Help Scout webhook adapter: deliveries signed as Help Scout signs them (base64 HMAC-SHA1
of the raw body under the secret key, the event named in X-HelpScout-Event), each carrying
the whole conversation with its threads in the webhook's Conversation shape, mapped to
canonical rows visible in the facts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import UTC_9_TO_5, build_workspace
from deskmetrics import accounts
from deskmetrics.api import create_app
from deskmetrics.api.helpscout_events import (
    EVENT_HEADER,
    SIGNATURE_HEADER,
    check_signature,
    map_delivery,
    signature,
)
from deskmetrics.query import facts_frame

SECRET = "a-long-random-helpscout-secret"
URL = "/api/webhooks/helpscout"


def thread(tid: int, kind: str, at: str, who: str, uid: int, status: str = "nochange") -> Any:
    return {"id": tid, "type": kind, "state": "published", "status": status, "createdAt": at,
            "createdBy": {"id": uid, "type": who, "email": f"{uid}@example.com"},
            "body": "…"}  # fmt: skip


OPENED = thread(1, "customer", "2026-03-02T09:00:00Z", "customer", 101, "active")
NOTE = thread(2, "note", "2026-03-02T09:20:00Z", "user", 501)
REPLY = thread(3, "message", "2026-03-02T09:45:00Z", "user", 501, "active")
CLOSED = thread(4, "lineitem", "2026-03-02T10:00:00Z", "user", 501, "closed")


def conversation(*threads: Any, status: str = "active", **extra: Any) -> dict[str, Any]:
    """The webhook's Conversation object (Help Scout lists the newest thread first)."""
    return {
        "id": 4711, "number": 12, "type": "email", "isDraft": False, "state": "published",
        "status": status, "subject": "Invoice is wrong",
        "owner": {"id": 501, "firstName": "Ana", "type": "user"},
        "mailbox": {"id": 71, "name": "Billing"},
        "customer": {"id": 101, "firstName": "Kim", "email": "kim@example.net"},
        "createdBy": {"id": 101, "type": "customer"},
        "source": {"type": "email", "via": "customer"},
        "createdAt": "2026-03-02T09:00:00Z", "modifiedAt": threads[-1]["createdAt"],
        "closedAt": "2026-03-02T10:00:00Z" if status == "closed" else None,
        "tags": ["billing"], "threads": list(reversed(threads)), **extra,
    }  # fmt: skip


@pytest.fixture
def client() -> TestClient:
    ws = build_workspace({}, {**UTC_9_TO_5, "web": {"sources": {"helpscout": {"secret": SECRET}}}})
    c = TestClient(create_app(ws, secret="test-secret"))
    with c.app.state.service.using() as w:  # type: ignore[attr-defined]
        c.headers["Authorization"] = f"Bearer {accounts.create_token(w, 'bi', 'viewer')}"
    return c


def send(c: TestClient, event: str | None, doc: Any, secret: str | None = SECRET) -> Any:
    body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    headers = {"Content-Type": "application/json", "Authorization": ""}
    if event is not None:
        headers[EVENT_HEADER] = event
    if secret is not None:
        headers[SIGNATURE_HEADER] = signature(secret, body)
    return c.post(URL, content=body, headers=headers)


def rejects(c: TestClient) -> list[tuple[Any, ...]]:
    with c.app.state.service.using() as ws:  # type: ignore[attr-defined]
        return ws.backend.con.execute('SELECT file, "column" FROM _rejects').fetchall()


def test_signed_deliveries_are_stored_and_visible_in_facts(client: TestClient) -> None:
    assert send(client, "convo.created", conversation(OPENED)).status_code == 200
    send(client, "convo.note.created", conversation(OPENED, NOTE))
    r = send(client, "convo.agent.reply.created", conversation(OPENED, NOTE, REPLY))
    assert r.status_code == 200, r.text
    r = send(client, "convo.status", conversation(OPENED, NOTE, REPLY, CLOSED, status="closed"))
    assert r.status_code == 200, r.text
    rating = {"id": 9, "customer": {"id": 101}, "ticketId": 4711, "threadId": 3,
              "mailbox": {"id": 71, "name": "Billing"}, "rating": "Great",
              "comments": "Thanks", "createdAt": "2026-03-02T11:00:00Z"}  # fmt: skip
    r = send(client, "satisfaction.ratings", rating)
    assert r.status_code == 200 and r.json()["stored"][0]["table"] == "surveys", r.text
    with client.app.state.service.using() as ws:  # type: ignore[attr-defined]
        f = facts_frame(ws).set_index("ticket_id")
        con = ws.backend.con
        t = con.execute('SELECT channel, "group", assignee_id, status FROM tickets').fetchall()
        s = con.execute("SELECT response_id, scale, score FROM surveys").fetchall()
    assert t == [("email", "Billing", "501", "solved")]
    assert s == [("helpscout-rating-3", "1-5", "5")]
    # the note at 09:20 is no reply: first reply 09:45 → 45 minutes; closed 10:00 → 60
    assert f.loc["4711", "first_reply_minutes"] == 45.0
    assert f.loc["4711", "full_resolution_minutes"] == 60.0
    assert f.loc["4711", "status"] == "solved"


def test_a_redelivered_body_changes_nothing(client: TestClient) -> None:
    doc = conversation(OPENED, REPLY)
    first = send(client, "convo.agent.reply.created", doc).json()["stored"]
    assert {s["table"]: s["inserted"] for s in first} == {"tickets": 1, "events": 3}
    again = send(client, "convo.agent.reply.created", doc).json()["stored"]
    assert all(s["inserted"] == s["updated"] == 0 for s in again)
    # Ana edits her reply in Help Scout: the next delivery keeps the stored text, adds the rest
    edited = conversation(OPENED, {**REPLY, "body": "edited"}, CLOSED, status="closed")
    r = send(client, "convo.status", edited)
    assert r.status_code == 200, r.text
    assert {s["table"]: s["inserted"] for s in r.json()["stored"]} == {"tickets": 0, "events": 1}


def test_a_wrong_or_missing_signature_is_401_and_stores_nothing(client: TestClient) -> None:
    assert send(client, "convo.created", conversation(OPENED), secret="guess").status_code == 401
    r = send(client, "convo.created", conversation(OPENED), secret=None)
    assert r.status_code == 401 and SIGNATURE_HEADER in r.json()["detail"]
    with client.app.state.service.using() as ws:  # type: ignore[attr-defined]
        assert ws.backend.con.execute("SELECT count(*) FROM tickets").fetchone() == (0,)


def test_a_malformed_delivery_is_422_and_kept_in_the_rejects(client: TestClient) -> None:
    r = send(client, "convo.created", conversation(OPENED, customer=None))
    assert r.status_code == 422 and r.json()["detail"].startswith("primaryCustomer.id:")
    r = send(client, "convo.status", conversation(OPENED, status="archived"))
    assert r.status_code == 422 and "unknown Help Scout status" in r.json()["detail"]
    r = send(client, "convo.created", conversation({**OPENED, "status": "snoozed"}))
    assert r.status_code == 422 and r.json()["detail"].startswith("threads[0].status:")
    assert send(client, None, conversation(OPENED)).status_code == 422
    assert send(client, "convo.created", b"[1, 2]").status_code == 422
    odd = {"id": 1, "ticketId": 4711, "threadId": 3, "rating": "Superb", "createdAt": "2026-03-02"}
    r = send(client, "satisfaction.ratings", odd)
    assert r.status_code == 422 and r.json()["detail"].startswith("rating:")
    assert rejects(client) == [
        ("webhook:helpscout", "primaryCustomer.id"),
        ("webhook:helpscout", "status"),
        ("webhook:helpscout", "threads[0].status"),
        ("webhook:helpscout", EVENT_HEADER),
        ("webhook:helpscout", "body"),
        ("webhook:helpscout", "rating"),
    ]
    with client.app.state.service.using() as ws:  # type: ignore[attr-defined]
        assert ws.backend.con.execute("SELECT count(*) FROM tickets").fetchone() == (0,)


def test_other_events_and_spam_are_acknowledged_and_ignored(client: TestClient) -> None:
    r = send(client, "customer.created", {"id": 101})
    assert r.status_code == 200 and "does not change any metric" in r.json()["ignored"]
    r = send(client, "convo.deleted", {"id": 4711})
    assert r.status_code == 200 and "not removed" in r.json()["ignored"]
    r = send(client, "convo.status", conversation(OPENED, status="spam"))
    assert r.status_code == 200 and "left out" in r.json()["ignored"]
    # a thread of a type Help Scout may add later is left out, the conversation stored
    r = send(client, "convo.created", conversation(OPENED, {**NOTE, "type": "sms"}))
    assert r.status_code == 200 and r.json()["stored"][1]["inserted"] == 2


def test_stored_agents_tell_the_assistant_from_an_agent(client: TestClient) -> None:
    with client.app.state.service.using() as ws:  # type: ignore[attr-defined]
        ws.backend.con.execute("INSERT INTO agents (agent_id, name) VALUES ('501', 'Ana')")
    bot = thread(5, "reply", "2026-03-02T09:01:00Z", "user", 777, "active")
    r = send(client, "convo.agent.reply.created", conversation(OPENED, bot, REPLY))
    assert r.status_code == 200, r.text
    with client.app.state.service.using() as ws:  # type: ignore[attr-defined]
        f = facts_frame(ws).set_index("ticket_id")
    # user 777 is no stored agent: its 09:01 answer is automatic, Ana's 09:45 the first reply
    assert f.loc["4711", "first_auto_reply_minutes"] == 1.0
    assert f.loc["4711", "first_reply_minutes"] == 45.0


def test_the_signature_check_and_the_mapping_alone() -> None:
    body = b'{"id": 1}'
    assert check_signature("s", body, signature("s", body)) is None
    assert check_signature("s", body, signature("t", body)) is not None
    assert check_signature("s", body, None) is not None
    # an AI answer: `system_user` (API v3 shapes) is a bot; an agent-started conversation
    bot = {**thread(5, "reply", "2026-03-02T09:01:00Z", "system_user", 9), "status": "active"}
    m = map_delivery("convo.created", conversation(OPENED, bot))
    assert [(e["type"], e.get("author_role")) for e in m.events] == [
        ("message", "customer"), ("status", None), ("message", "bot"),
    ]  # fmt: skip
    out = map_delivery(
        "convo.created",
        conversation(REPLY, createdBy={"id": 501, "type": "user"}, source={"type": "email",
                     "via": "user"}),
    )  # fmt: skip
    assert out.ticket is not None and out.ticket["created_by"] == "agent"
