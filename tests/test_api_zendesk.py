"""The Zendesk webhook adapter: signature (base64 HMAC-SHA256 of timestamp + body), and ticket
event deliveries mapped to canonical rows. Fixtures are written by hand after Zendesk's
webhook reference ("Ticket events", event version 2022-11-06)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import UTC_9_TO_5, build_workspace
from deskmetrics import accounts
from deskmetrics.api import create_app
from deskmetrics.api.zendesk_events import map_delivery, zendesk_signature

SECRET = "dGhpcyBpcyBhIHNpZ25pbmcgc2VjcmV0"
REQUESTER, AGENT = "8447388090494", "8447388090495"

DETAIL = {
    "actor_id": REQUESTER,
    "assignee_id": None,
    "brand_id": "8447346621310",
    "created_at": "2026-03-02T09:00:00Z",
    "custom_status": "8447388090499",
    "description": "The app logs me out",
    "external_id": None,
    "form_id": "8646151517822",
    "group_id": "8447320466430",
    "id": "5158",
    "is_public": True,
    "organization_id": None,
    "priority": "NORMAL",
    "requester_id": REQUESTER,
    "status": "NEW",
    "subject": "Cannot log in to the mobile app",
    "submitter_id": REQUESTER,
    "tags": ["mobile", "login"],
    "type": "QUESTION",
    "updated_at": "2026-03-02T09:00:00Z",
    "via": {"channel": "web_form"},
}


def delivery(kind: str, time: str, event: dict[str, Any], uid: str, **detail: Any) -> Any:
    return {
        "account_id": 22129848,
        "detail": {**DETAIL, **detail},
        "event": event,
        "id": uid,
        "subject": "zen:ticket:5158",
        "time": time,
        "type": f"zen:event-type:ticket.{kind}",
        "zendesk_event_version": "2022-11-06",
    }


CREATED = delivery("created", "2026-03-02T09:00:00.123Z", {}, "01HQ-created")


def comment(cid: str, time: str, author: str, staff: bool, public: bool = True) -> Any:
    return delivery(
        "comment_added",
        time,
        {
            "comment": {
                "id": cid,
                "body": "Thanks, we are looking into it.",
                "is_public": public,
                "author": {"id": author, "is_staff": staff, "name": "Sam"},
            }
        },
        f"01HQ-{cid}",
        actor_id=author,
        status="OPEN",
    )


@pytest.fixture
def client() -> TestClient:
    ws = build_workspace({}, {**UTC_9_TO_5, "web": {"sources": {"zendesk": {"secret": SECRET}}}})
    c = TestClient(create_app(ws, secret="test-secret"))
    with c.app.state.service.using() as w:  # type: ignore[attr-defined]
        c.headers["Authorization"] = f"Bearer {accounts.create_token(w, 'bi', 'viewer')}"
    return c


def send(c: TestClient, doc: Any, secret: str = SECRET, skew: timedelta = timedelta(0)) -> Any:
    body = json.dumps(doc).encode()
    ts = (datetime.now(UTC) - skew).strftime("%Y-%m-%dT%H:%M:%SZ")
    headers = {
        "Content-Type": "application/json",
        "X-Zendesk-Webhook-Signature": zendesk_signature(secret, ts, body),
        "X-Zendesk-Webhook-Signature-Timestamp": ts,
    }
    # Zendesk sends no bearer token: the signature alone authenticates it
    return c.post("/api/webhooks/zendesk", content=body, headers={**headers, "Authorization": ""})


def events(c: TestClient) -> list[tuple[Any, ...]]:
    with c.app.state.service.using() as ws:  # type: ignore[attr-defined]
        return ws.backend.con.execute(
            "SELECT event_id, type, author_role, public, status, priority FROM events "
            'ORDER BY "at", event_id'
        ).fetchall()


def test_signature_is_base64_hmac_of_timestamp_and_body() -> None:
    # computed independently: python -c "import hmac,hashlib,base64;
    #   print(base64.b64encode(hmac.new(b'k', b'2026-01-01T00:00:00Z{}', hashlib.sha256).digest()))"
    import base64
    import hashlib
    import hmac

    want = base64.b64encode(
        hmac.new(b"k", b"2026-01-01T00:00:00Z{}", hashlib.sha256).digest()
    ).decode()
    assert zendesk_signature("k", "2026-01-01T00:00:00Z", b"{}") == want


def test_a_ticket_conversation_becomes_canonical_rows(client: TestClient) -> None:
    r = send(client, CREATED)
    assert r.status_code == 200, r.text
    assert r.json()["ticket_id"] == "5158"
    send(client, comment("901", "2026-03-02T09:00:05Z", REQUESTER, staff=False))
    send(client, comment("902", "2026-03-02T09:20:00Z", AGENT, staff=True, public=False))
    send(client, comment("903", "2026-03-02T09:45:00Z", AGENT, staff=True))
    send(
        client,
        delivery(
            "status_changed",
            "2026-03-02T10:00:00Z",
            {"current": "SOLVED", "previous": "OPEN"},
            "01HQ-st",
        ),
    )
    send(
        client,
        delivery(
            "priority_changed",
            "2026-03-02T09:50:00Z",
            {"current": "HIGH", "previous": "NORMAL"},
            "01HQ-pr",
        ),
    )
    assert events(client) == [
        ("zd-5158-created", "status", None, True, "new", None),
        ("zd-comment-901", "message", "customer", True, None, None),
        ("zd-comment-902", "message", "agent", False, None, None),
        ("zd-comment-903", "message", "agent", True, None, None),
        ("zd-01HQ-pr", "assignment", None, True, None, "high"),
        ("zd-01HQ-st", "status", None, True, "solved", None),
    ]
    with client.app.state.service.using() as ws:  # type: ignore[attr-defined]
        t = ws.backend.con.execute(
            'SELECT channel, priority, created_by, tags, "group" FROM tickets'
        ).fetchall()
    # the tickets row keeps the priority the ticket was created with; the channel is Zendesk's
    # own name for it (an open vocabulary), lower-cased
    assert t == [("web_form", "normal", "customer", "mobile;login", "8447320466430")]
    rows = client.get(
        "/api/report", params={"metric": ["first_response_time", "full_resolution_time"]}
    ).json()
    # the private note at 09:20 is no reply: first public agent reply 09:45 → 45 minutes
    assert rows[0]["value"] == 45.0
    # created 09:00, solved 10:00 → 60 minutes
    assert rows[1]["value"] == 60.0


def test_redelivery_changes_nothing(client: TestClient) -> None:
    send(client, CREATED)
    first = send(client, comment("903", "2026-03-02T09:45:00Z", AGENT, staff=True))
    again = send(client, comment("903", "2026-03-02T09:45:00Z", AGENT, staff=True))
    assert first.json()["stored"][0]["inserted"] == 1
    assert again.json()["stored"][0]["unchanged"] == 1
    assert len(events(client)) == 2


def test_an_event_for_a_ticket_never_seen_brings_its_ticket(client: TestClient) -> None:
    r = send(client, comment("903", "2026-03-02T09:45:00Z", AGENT, staff=True))
    assert r.status_code == 200, r.text
    assert {s["table"] for s in r.json()["stored"]} == {"tickets", "events"}


def test_other_event_types_are_acknowledged_and_ignored(client: TestClient) -> None:
    doc = delivery("tags_changed", "2026-03-02T09:45:00Z", {"current": ["x"]}, "01HQ-t")
    r = send(client, doc)
    assert r.status_code == 200 and "does not change any metric" in r.json()["ignored"]
    user = {**CREATED, "type": "zen:event-type:user.active_changed"}
    assert "not a ticket event" in send(client, user).json()["ignored"]
    assert events(client) == []


def test_a_delivery_that_breaks_a_rule_is_422_and_stores_nothing(client: TestClient) -> None:
    # priority is an open vocabulary now (any value is kept), so the broken rule is the instant
    doc = delivery("priority_changed", "yesterday at noon", {"current": "HIGH"}, "01HQ-p2")
    r = send(client, doc)
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == "at"
    with client.app.state.service.using() as ws:  # type: ignore[attr-defined]
        assert ws.backend.con.execute("SELECT count(*) FROM tickets").fetchone()[0] == 0


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [({"secret": "not-the-secret"}, 401), ({"skew": timedelta(hours=1)}, 401)],
)
def test_forged_or_stale_signatures_are_refused(
    client: TestClient, kwargs: dict[str, Any], status: int
) -> None:
    assert send(client, CREATED, **kwargs).status_code == status
    assert events(client) == []


def test_missing_signature_headers_are_401(client: TestClient) -> None:
    r = client.post(
        "/api/webhooks/zendesk", content=json.dumps(CREATED), headers={"Authorization": ""}
    )
    assert r.status_code == 401 and "X-Zendesk-Webhook-Signature" in r.json()["detail"]


def test_a_viewer_token_cannot_post_webhooks(client: TestClient) -> None:
    body = json.dumps(CREATED).encode()
    ts = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    r = client.post(
        "/api/webhooks/zendesk",
        content=body,
        headers={
            "X-Zendesk-Webhook-Signature": zendesk_signature(SECRET, ts, body),
            "X-Zendesk-Webhook-Signature-Timestamp": ts,
        },
    )
    assert r.status_code == 403


def test_mapping_of_authors() -> None:
    bot = map_delivery(comment("1", "2026-03-02T09:00:00Z", "-1", staff=True))
    assert bot.events[0]["author_role"] == "bot"
    staff_requester = map_delivery(comment("2", "2026-03-02T09:00:00Z", REQUESTER, staff=True))
    # the author's role decides first: staff who requested the ticket themselves write as agents
    assert staff_requester.events[0]["author_role"] == "agent"
    cc = map_delivery(comment("3", "2026-03-02T09:00:00Z", "777", staff=False))
    assert cc.events[0]["author_role"] == "customer"
    by_agent = map_delivery({**CREATED, "detail": {**DETAIL, "submitter_id": AGENT}})
    assert by_agent.ticket is not None and by_agent.ticket["created_by"] == "agent"


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ([1, 2], "body"),
        ({**CREATED, "detail": {}, "subject": ""}, "detail.id"),
        (delivery("comment_added", "2026-03-02T09:45:00Z", {}, "01HQ-c"), "event.comment"),
        (
            delivery("status_changed", "2026-03-02T09:45:00Z", {"current": "ON_FIRE"}, "01HQ-s"),
            "event.current",
        ),
    ],
)
def test_a_malformed_delivery_is_rejected_and_kept_not_dropped(
    client: TestClient, doc: Any, field: str
) -> None:
    """A broken delivery is not 'ignored': 422 naming the field and reason, and a reject row."""
    r = send(client, doc)
    assert r.status_code == 422 and r.json()["detail"].startswith(f"{field}: ")
    assert events(client) == []
    with client.app.state.service.using() as ws:  # type: ignore[attr-defined]
        rows = ws.backend.con.execute('SELECT file, "column", reason FROM _rejects').fetchall()
        log = ws.backend.con.execute("SELECT source FROM _imports WHERE NOT committed").fetchall()
    assert [(f, c) for f, c, _ in rows] == [("webhook:zendesk", field)]
    assert log == [("api:zendesk",)]  # counted in the import log as a run that stored nothing


# --- who wrote a comment, messaging, required fields, schedules, channels, order, CSAT -------


def authored(author: dict[str, Any], public: bool = True, **comment_extra: Any) -> Any:
    """A comment_added delivery whose comment has exactly this author object."""
    body = {"id": "950", "body": "…", "is_public": public, "author": author, **comment_extra}
    return delivery("comment_added", "2026-03-02T09:30:00Z", {"comment": body}, "01HQ-950")


@pytest.mark.parametrize(
    ("doc", "role", "public"),
    [
        # the role decides first: an admin or agent who is also the requester writes as agent
        (authored({"id": REQUESTER, "role": "admin"}), "agent", True),
        (authored({"id": REQUESTER, "role": "agent", "is_staff": False}), "agent", True),
        (authored({"id": REQUESTER, "is_staff": True}), "agent", True),
        # an end user who is not the requester (a CC) is a customer
        (authored({"id": "777", "role": "end-user"}), "customer", True),
        (authored({"id": "777", "is_staff": False}), "customer", True),
        # a private comment is never a customer's message, whoever wrote it
        (authored({"id": REQUESTER, "is_staff": False}, public=False), "agent", False),
        (authored({"id": "777"}, public=False), "agent", False),
        # bots and triggers stay bots
        (authored({"id": "-1", "is_staff": True}), "bot", True),
        (
            authored({"id": AGENT, "is_staff": True}, via={"source": {"rel": "trigger"}}),
            "bot",
            True,
        ),
        # the role unknown: only then does "is it the requester?" decide
        (authored({"id": REQUESTER}), "customer", True),
    ],
)
def test_who_wrote_a_comment(doc: Any, role: str, public: bool) -> None:
    mapped = map_delivery(doc)
    assert mapped.malformed is None
    assert [(e["author_role"], e["public"]) for e in mapped.events] == [(role, public)]


def message(mid: str, time: str, actor_type: str, ticket: str = "5158", uid: str = "") -> Any:
    """A messaging_ticket.message_added delivery, shaped like Zendesk's "Messaging events"."""
    return {
        "account_id": 22129848,
        "detail": {"id": ticket},
        "event": {
            "actor": {"id": f"zd:{actor_type}", "name": "Someone", "type": actor_type},
            "conversation_id": "65f0c0ffee",
            "message": {"id": mid, "body": "Hello"},
        },
        "id": uid or f"01HR-{mid}",
        "subject": f"zen:ticket:{ticket}",
        "time": time,
        "type": "zen:event-type:messaging_ticket.message_added",
        "zendesk_event_version": "2022-11-06",
    }


def test_messaging_messages_become_events_of_the_ticket_they_name(client: TestClient) -> None:
    send(client, CREATED)
    for doc in (
        message("m1", "2026-03-02T09:00:10Z", "system"),  # the bot's greeting
        message("m2", "2026-03-02T09:01:00Z", "end_user"),
        message("m3", "2026-03-02T09:12:00Z", "agent"),
        message("m4", "2026-03-02T09:13:00Z", "trigger"),
    ):
        r = send(client, doc)
        assert r.status_code == 200 and r.json()["ticket_id"] == "5158", r.text
    with client.app.state.service.using() as ws:  # type: ignore[attr-defined]
        rows = ws.backend.con.execute(
            "SELECT event_id, ticket_id, author_role, public, author_id FROM events "
            "WHERE type = 'message' ORDER BY \"at\""
        ).fetchall()
    assert rows == [
        ("zd-msg-m1", "5158", "bot", True, "zd:system"),
        ("zd-msg-m2", "5158", "customer", True, "zd:end_user"),
        ("zd-msg-m3", "5158", "agent", True, "zd:agent"),
        ("zd-msg-m4", "5158", "bot", True, "zd:trigger"),
    ]
    frt = client.get("/api/report", params={"metric": "first_response_time"}).json()
    assert frt[0]["value"] == 12.0  # created 09:00, the agent's message at 09:12


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({**CREATED, "type": None}, "type"),
        (
            {
                **delivery("status_changed", "", {"current": "OPEN"}, "01HQ-s"),
                "detail": {**DETAIL, "updated_at": None},
            },
            "time",
        ),
        ({**delivery("status_changed", "2026-03-02T09:45:00Z", {"current": "OPEN"}, "")}, "id"),
        ({**CREATED, "detail": {**DETAIL, "requester_id": None}}, "detail.requester_id"),
        ({**CREATED, "detail": {**DETAIL, "created_at": None}}, "detail.created_at"),
        (authored({"id": "777", "name": "Who?"}), "event.comment.author.is_staff"),
        (
            {**message("m1", "2026-03-02T09:01:00Z", "end_user"), "event": {"actor": {}}},
            "event.message",
        ),
        (message("m1", "2026-03-02T09:01:00Z", "visitor"), "event.actor.type"),
        (delivery("schedule_changed", "2026-03-02T09:45:00Z", {}, "01HQ-sc"), "event.current"),
        # an event of a ticket not stored yet, from a delivery that cannot make its tickets row
        (message("m1", "2026-03-02T09:01:00Z", "end_user", ticket="9999"), "detail.created_at"),
    ],
)
def test_a_delivery_missing_a_required_field_is_422_naming_it(
    client: TestClient, doc: Any, field: str
) -> None:
    r = send(client, doc)
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith(f"{field}: ")
    assert events(client) == []
    with client.app.state.service.using() as ws:  # type: ignore[attr-defined]
        assert ws.backend.con.execute("SELECT count(*) FROM tickets").fetchone()[0] == 0
        rows = ws.backend.con.execute('SELECT "column" FROM _rejects').fetchall()
    assert rows == [(field,)]


def test_a_schedule_change_becomes_a_schedule_event(client: TestClient) -> None:
    send(client, CREATED)
    current = {"id": 360000123, "name": "EU business hours"}
    doc = delivery("schedule_changed", "2026-03-02T09:40:00Z", {"current": current}, "01HQ-sc")
    r = send(client, doc)
    assert r.status_code == 200, r.text
    with client.app.state.service.using() as ws:  # type: ignore[attr-defined]
        rows = ws.backend.con.execute(
            "SELECT event_id, type, schedule_id FROM events WHERE type = 'schedule'"
        ).fetchall()
    assert rows == [("zd-01HQ-sc", "schedule", "360000123")]
    # a bare id is read the same way; a removed schedule is acknowledged, not stored
    bare = map_delivery(delivery("schedule_changed", "2026-03-02T09:41:00Z", {"current": 7}, "x"))
    assert bare.events[0]["schedule_id"] == "7"
    removed = delivery("schedule_changed", "2026-03-02T09:42:00Z", {"current": None}, "01HQ-s0")
    assert "the schedule was removed" in send(client, removed).json()["ignored"]


@pytest.mark.parametrize("channel", ["voice", "whatsapp", "native_messaging", "WeChat"])
def test_the_channel_is_kept_as_zendesk_names_it(client: TestClient, channel: str) -> None:
    r = send(client, {**CREATED, "detail": {**DETAIL, "via": {"channel": channel}}})
    assert r.status_code == 200, r.text
    with client.app.state.service.using() as ws:  # type: ignore[attr-defined]
        stored = ws.backend.con.execute("SELECT channel FROM tickets").fetchall()
    assert stored == [(channel.lower(),)]


def test_a_priority_outside_the_default_four_is_kept(client: TestClient) -> None:
    send(client, CREATED)
    doc = delivery("priority_changed", "2026-03-02T09:50:00Z", {"current": "CRITICAL"}, "01HQ-p")
    assert send(client, doc).status_code == 200
    assert events(client)[-1] == ("zd-01HQ-p", "assignment", None, True, None, "critical")


def in_order(c: TestClient) -> list[str]:
    """Event ids in the engine's order of events (`at`, then the source's seq, then arrival)."""
    with c.app.state.service.using() as ws:  # type: ignore[attr-defined]
        return [
            r[0]
            for r in ws.backend.con.execute(
                'SELECT event_id FROM events ORDER BY "at", seq NULLS LAST, _arrival'
            ).fetchall()
        ]


def test_events_of_one_action_keep_zendesk_order_whatever_order_they_arrive_in(
    client: TestClient,
) -> None:
    """An agent replies and solves in one update: two deliveries at the same instant, with
    meta.sequence positions 1 and 2; they arrive the other way round, and their ids sort the
    other way as text ("zd-01HQ-…" < "zd-comment-…")."""
    send(client, CREATED)
    seq = {"id": "CE4A698A", "total": 2}
    solve = delivery(
        "status_changed",
        "2026-03-02T09:45:00Z",
        {"current": "SOLVED", "previous": "OPEN", "meta": {"sequence": {**seq, "position": 2}}},
        "01HQ-st",
    )
    reply = comment("903", "2026-03-02T09:45:00Z", AGENT, staff=True)
    reply["event"]["meta"] = {"sequence": {**seq, "position": 1}}
    assert send(client, solve).status_code == 200
    assert send(client, reply).status_code == 200
    assert in_order(client) == ["zd-5158-created", "zd-comment-903", "zd-01HQ-st"]


def test_same_instant_events_without_a_sequence_keep_their_order_of_arrival(
    client: TestClient,
) -> None:
    send(client, CREATED)
    send(client, message("b2", "2026-03-02T09:05:00Z", "end_user"))
    send(client, message("a1", "2026-03-02T09:05:00Z", "end_user"))
    assert in_order(client) == ["zd-5158-created", "zd-msg-b2", "zd-msg-a1"]


def test_satisfaction_events_are_acknowledged_not_mapped(client: TestClient) -> None:
    send(client, CREATED)
    doc = delivery("csat_received", "2026-03-02T11:00:00Z", {"score": "good"}, "01HQ-cs")
    r = send(client, doc)
    assert r.status_code == 200 and "POST /api/surveys" in r.json()["ignored"]
    with client.app.state.service.using() as ws:  # type: ignore[attr-defined]
        assert ws.backend.con.execute("SELECT count(*) FROM surveys").fetchone()[0] == 0


_WIDGET = {"channel": "answer_bot_for_web_widget", "source": {"rel": None}}


@pytest.mark.parametrize(
    ("doc", "role"),
    [
        # Answer Bot answering through its widget: the AI agent, whoever Zendesk signs it with
        (authored({"id": "-1", "is_staff": True}, via=_WIDGET), "ai_agent"),
        (authored({"id": "31337", "name": "Answer Bot"}, via=_WIDGET), "ai_agent"),
        # the customer's own words typed into the bot's widget stay the customer's
        (authored({"id": REQUESTER, "is_staff": False}, via=_WIDGET), "customer"),
        (authored({"id": REQUESTER}, via=_WIDGET), "customer"),
        # Answer Bot for Agents is not the bot answering a customer: an automatic change, as before
        (authored({"id": AGENT, "is_staff": True}, via={"channel": "answer_bot_for_agents"}),
         "bot"),
        # the trigger's acknowledgement stays a bot's
        (authored({"id": "-1", "is_staff": True}, via={"channel": "rule",
                                                       "source": {"rel": "trigger"}}), "bot"),
    ],
)  # fmt: skip
def test_answer_bot_comments_are_the_ai_agent(doc: Any, role: str) -> None:
    mapped = map_delivery(doc)
    assert mapped.malformed is None
    assert [e["author_role"] for e in mapped.events] == [role]


def test_zendesk_bot_messages_are_ai_agent_and_trigger_messages_bot() -> None:
    """Messaging: the system actor `zd:answerBot` (Zendesk's bot, as in the reference's
    example) is the AI agent; a trigger's message and another system message are bots'."""
    docs = [
        message("m1", "2026-03-02T09:00:05Z", "trigger"),
        {**message("m2", "2026-03-02T09:00:10Z", "system"), "event": {
            "actor": {"id": "zd:answerBot", "name": "Acme Bot", "type": "system"},
            "conversation_id": "65f0c0ffee",
            "message": {"id": "m2", "body": "Hi there. How can I help you today?"}}},
        message("m3", "2026-03-02T09:00:20Z", "system"),
    ]  # fmt: skip
    roles = [(e["author_role"], e["author_id"]) for d in docs for e in map_delivery(d).events]
    assert roles == [("bot", "zd:trigger"), ("ai_agent", "zd:answerBot"), ("bot", "zd:system")]
