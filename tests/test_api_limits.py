"""Bounded requests: oversized bodies, deeply nested JSON and rows with thousands of extra
fields are refused with a 4xx naming the limit, quickly and without growing the service's
memory; nothing is stored. (The issue: one signed ticket with 10,000 extra keys, 148 KB, took
the server from 1.2 GB to 23.5 GB; 1,000 nesting levels gave a 500.)"""

from __future__ import annotations

import asyncio
import json
import resource
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from starlette.types import Message

from conftest import UTC_9_TO_5, build_workspace, ticket
from deskmetrics import accounts
from deskmetrics.api import create_app
from deskmetrics.api.ingest import signed_headers
from deskmetrics.api.limits import BodyLimit, json_depth
from deskmetrics.api.zendesk_events import zendesk_signature

SECRET = "crm-shared-secret"
ZENDESK_SECRET = "zd-secret"


def make_client(**overrides: Any) -> TestClient:
    web = {"sources": {"crm": {"secret": SECRET}, "zendesk": {"secret": ZENDESK_SECRET}}}
    config = {**UTC_9_TO_5, "web": {**web, **overrides.pop("web", {})}, **overrides}
    ws = build_workspace({"tickets": [ticket("T1", "2026-03-02T09:00:00Z")]}, config)
    return TestClient(create_app(ws, secret="test-secret"))


@pytest.fixture
def client() -> TestClient:
    return make_client()


def post(c: TestClient, table: str, body: bytes, **headers: str) -> Any:
    return c.post(
        f"/api/{table}", content=body, headers={**signed_headers("crm", SECRET, body), **headers}
    )


def tickets(c: TestClient) -> list[str]:
    with c.app.state.service.using() as ws:  # type: ignore[attr-defined]
        rows = ws.backend.con.execute("SELECT ticket_id FROM tickets ORDER BY 1").fetchall()
    return [r[0] for r in rows]


def ticket_columns(c: TestClient) -> list[str]:
    with c.app.state.service.using() as ws:  # type: ignore[attr-defined]
        rows = ws.backend.con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'tickets'"
        ).fetchall()
    return [r[0] for r in rows]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- extra fields ------------------------------------------------------------------------


def test_ten_thousand_extra_keys_on_one_ticket_are_refused_fast_and_small(
    client: TestClient,
) -> None:
    row = ticket("T2", "2026-03-02T10:00:00Z", **{f"custom_{i}": "x" for i in range(10_000)})
    body = json.dumps([row]).encode()
    assert 140_000 < len(body) < 300_000  # the 148 KB delivery
    columns_before = len(ticket_columns(client))
    peak_before, started = peak_rss_mb(), time.monotonic()
    r = post(client, "tickets", body)
    elapsed, grown = time.monotonic() - started, peak_rss_mb() - peak_before
    assert r.status_code == 422, r.text
    (problem,) = r.json()["detail"]
    assert problem["row"] == 0 and problem["field"] == ""
    assert problem["msg"] == (
        "tickets row 0, field '': 10,000 fields beyond the canonical tickets columns; at most "
        "200 extra columns per table ([limits] max_extra_columns): send only the fields you "
        "report on"
    )
    assert elapsed < 3.0, elapsed  # was: never answered
    assert grown < 150, grown  # MB of peak RSS; was: 22 GB
    assert tickets(client) == ["T1"]
    assert len(ticket_columns(client)) == columns_before  # no column was added


def test_the_extra_column_cap_counts_what_the_table_holds_already() -> None:
    c = make_client(limits={"max_extra_columns": 3})
    ok = json.dumps([ticket("T2", "2026-03-02T10:00:00Z", region="eu", plan="pro")]).encode()
    assert post(c, "tickets", ok).status_code == 200
    # two new fields on top of the two held: 4 > 3
    more = ticket("T3", "2026-03-02T11:00:00Z", region="us", seats="5", vip="yes")
    r = post(c, "tickets", json.dumps([more]).encode())
    assert r.status_code == 422
    (problem,) = r.json()["detail"]
    assert problem["row"] == 0 and problem["field"] == "seats"
    assert problem["msg"] == (
        "tickets row 0, field 'seats': tickets would hold 4 extra columns, more than the 3 "
        "allowed ([limits] max_extra_columns): drop the new field(s) 'seats', 'vip'"
    )
    # the held fields and one new one still fit
    fits = ticket("T3", "2026-03-02T11:00:00Z", region="us", plan="free", seats="5")
    assert post(c, "tickets", json.dumps([fits]).encode()).status_code == 200
    assert tickets(c) == ["T1", "T2", "T3"]
    assert {"region", "plan", "seats"} <= set(ticket_columns(c))
    assert "vip" not in ticket_columns(c)


def test_new_fields_across_rows_of_one_post_count_together() -> None:
    c = make_client(limits={"max_extra_columns": 2})
    rows = [
        ticket("T2", "2026-03-02T10:00:00Z", a="1"),
        ticket("T3", "2026-03-02T10:00:00Z", b="1"),
        ticket("T4", "2026-03-02T10:00:00Z", c="1"),
    ]
    r = post(c, "tickets", json.dumps(rows).encode())
    assert r.status_code == 422
    assert [(p["row"], p["field"]) for p in r.json()["detail"]] == [(2, "c")]
    assert tickets(c) == ["T1"]  # all or nothing


# --- body size ---------------------------------------------------------------------------


def test_a_ten_megabyte_field_is_refused_before_the_signature_is_checked(
    client: TestClient,
) -> None:
    body = json.dumps([ticket("T2", "2026-03-02T10:00:00Z", subject="x" * 10_000_000)]).encode()
    # not even signed: the size is refused first, the body never read
    r = client.post("/api/tickets", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.json()["detail"] == (
        "the request body is larger than 8,388,608 bytes ([web] max_body_bytes): send fewer rows "
        "per request"
    )
    assert post(client, "tickets", body).status_code == 413
    assert tickets(client) == ["T1"]


def test_a_chunked_body_is_cut_at_the_limit() -> None:
    c = make_client(web={"max_body_bytes": 4096})

    def chunks() -> Any:  # no Content-Length: sent chunked
        for _ in range(100):
            yield b"x" * 1024

    r = c.post("/api/tickets", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert "larger than 4,096 bytes" in r.json()["detail"]
    # within the limit the route gets the body unchanged (and the signature matches it)
    small = json.dumps([ticket("T2", "2026-03-02T10:00:00Z")]).encode()
    assert post(c, "tickets", small).status_code == 200


def test_the_middleware_stops_reading_past_the_limit() -> None:
    """A sender streaming for ever gets its 413 after the first chunk over the limit."""
    reached_app: list[bool] = []
    reads = 0
    sent: list[Message] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached_app.append(True)

    async def endless() -> Message:
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": b"x" * 1000, "more_body": True}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/api/tickets", "headers": []}
    asyncio.run(BodyLimit(app, max_body_bytes=10_000, max_json_depth=64)(scope, endless, send))
    assert reads == 11 and reached_app == []
    assert sent[0]["status"] == 413
    # a declared Content-Length over the limit is refused without reading anything
    reads, sent[:] = 0, []
    declared = {**scope, "headers": [(b"content-length", b"10001")]}
    asyncio.run(BodyLimit(app, max_body_bytes=10_000, max_json_depth=64)(declared, endless, send))
    assert reads == 0 and sent[0]["status"] == 413 and reached_app == []
    bad = {**scope, "headers": [(b"content-length", b"lots")]}
    asyncio.run(BodyLimit(app, max_body_bytes=10_000, max_json_depth=64)(bad, endless, send))
    assert sent[-2]["status"] == 400 and reached_app == []


def test_every_route_with_a_body_is_bounded() -> None:
    c = make_client(web={"max_body_bytes": 2048})
    big = {"name": "lead", "password": "x" * 5000}
    assert c.post("/api/session", json=big).status_code == 413
    assert c.post("/login", data=big).status_code == 413
    with c.app.state.service.using() as ws:  # type: ignore[attr-defined]
        token = accounts.create_token(ws, "admin-bot", "admin")
    rule = {"name": "r" * 10, "metric": "csat", "below": 80, "filters": {"tags": "x" * 5000}}
    r = c.post("/api/alerts/rules", json=rule, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 413


# --- nesting -----------------------------------------------------------------------------


def test_json_depth_counts_brackets_outside_strings() -> None:
    assert json_depth(b'"just text"') == 0
    assert json_depth(b'[{"a": "[[[{{{", "b": [1, 2]}]') == 3
    assert json_depth(b'[{"a": "quote \\" then [[[", "b": "\\\\"}, [[]]]') == 3
    assert json_depth(b"[" * 1500 + b"]" * 1500) == 1500


def _depth(doc: Any) -> int:
    if isinstance(doc, dict):
        return 1 + max((_depth(v) for v in doc.values()), default=0)
    if isinstance(doc, list):
        return 1 + max((_depth(v) for v in doc), default=0)
    return 0


#: text full of what could fool a scanner: brackets, quotes, backslashes
_TRICKY = st.text(alphabet='[]{}"\\ab', max_size=8)
_DOCS = st.recursive(
    st.none() | st.integers() | _TRICKY,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TRICKY, inner, max_size=3),
    max_leaves=20,
)


@given(_DOCS)
def test_json_depth_agrees_with_the_parsed_document(doc: Any) -> None:
    assert json_depth(json.dumps(doc).encode()) == _depth(doc)


def test_a_thousand_nesting_levels_are_a_400_not_a_500(client: TestClient) -> None:
    deep = b'[{"ticket_id": ' + b"[" * 1200 + b"]" * 1200 + b"}]"
    expected = (
        "the JSON body nests 1,202 levels deep; at most 64 are accepted ([limits] "
        "max_json_depth): send flat rows"
    )
    r = post(client, "tickets", deep)  # application/json: refused by the middleware
    assert r.status_code == 400 and r.json()["detail"] == expected
    # sent as text/plain the route itself parses it, with the same limit
    r = post(client, "tickets", deep, **{"Content-Type": "text/plain"})
    assert r.status_code == 400 and r.json()["detail"] == expected
    fresh = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    r = client.post(
        "/api/webhooks/zendesk",
        content=deep,
        headers={
            "Content-Type": "text/plain",
            "X-Zendesk-Webhook-Signature": zendesk_signature(ZENDESK_SECRET, fresh, deep),
            "X-Zendesk-Webhook-Signature-Timestamp": fresh,
        },
    )
    assert r.status_code == 400 and r.json()["detail"] == expected
    with client.app.state.service.using() as ws:  # type: ignore[attr-defined]
        token = accounts.create_token(ws, "admin-bot", "admin")
    r = client.post(
        "/api/alerts/rules",
        content=b"[" * 1200 + b"]" * 1200,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert r.status_code == 400 and "nests 1,200 levels deep" in r.json()["detail"]
    assert tickets(client) == ["T1"]
