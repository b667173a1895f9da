"""Property-based run against the app's own OpenAPI spec (schemathesis): whatever a client
sends, within or outside the spec, the service answers with a 2xx/3xx/4xx, never a 5xx.

Requests carry an admin token, so every endpoint is exercised past sign-in; ingest endpoints
and the Zendesk webhook get their generated bodies signed with the configured secrets, so the
fuzzed rows reach validation and the store rather than stopping at the signature check.
Bounded: a few examples per operation, and each operation a fair share of a time budget
(under a minute for the whole run even on a loaded machine): every operation runs at least one
example; once its share is used, its remaining generated examples return without a request."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core import NOT_SET

from conftest import UTC_9_TO_5, build_workspace, msg, status, ticket
from deskmetrics import accounts
from deskmetrics.api import create_app
from deskmetrics.api.ingest import INGEST_TABLES, signed_headers
from deskmetrics.api.zendesk_events import zendesk_signature

SOURCE_SECRET = "fuzz-source-secret"
ZENDESK_SECRET = "fuzz-zendesk-secret"
EXAMPLES = 4
#: seconds for the whole run, shared equally by the operations
BUDGET_S = 35.0
_started: dict[tuple[str, str], float] = {}

_ws = build_workspace(
    {
        "tickets": [
            ticket("T1", "2026-03-02T09:00:00Z", channel="email", priority="high"),
            ticket("T2", "2026-03-03T10:00:00Z", "c2", channel="chat", tags="vip;billing"),
        ],
        "events": [
            msg("E1", "T1", "2026-03-02T09:00:00Z", "customer"),
            msg("E2", "T1", "2026-03-02T09:30:00Z", "agent", "a1"),
            status("E3", "T1", "2026-03-02T10:00:00Z", "solved"),
            msg("E4", "T2", "2026-03-03T11:00:00Z", "agent", "a2"),
        ],
    },
    {
        **UTC_9_TO_5,
        "web": {
            "sources": {
                "fuzz": {"secret": SOURCE_SECRET},
                "zendesk": {"secret": ZENDESK_SECRET},
            }
        },
    },
)
_token = accounts.create_token(_ws, "fuzzer", "admin")
AUTH = {"Authorization": f"Bearer {_token}"}
app = create_app(_ws, secret="fuzz-service-secret")
client = TestClient(app)
schema = schemathesis.openapi.from_asgi("/openapi.json", app)
SIGNED = {f"/api/{t}" for t in INGEST_TABLES}
WEBHOOK = "/api/webhooks/zendesk"
OPERATIONS = [
    (m, p) for p, item in app.openapi()["paths"].items() for m in item if m != "parameters"
]


def _raw(body: Any) -> bytes:
    if body is NOT_SET:
        return b""
    if isinstance(body, bytes):  # a deliberately malformed body
        return body
    return json.dumps(body).encode()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_request_gets_a_server_error(case: Any) -> None:
    op = (case.method.upper(), case.path)
    share = BUDGET_S / len(OPERATIONS)
    if time.monotonic() - _started.setdefault(op, time.monotonic()) > share:
        return  # this operation's share of the budget is used
    if case.method.upper() == "POST" and case.path in SIGNED:
        body = _raw(case.body)
        r = client.post(
            case.path,
            content=body,
            headers={**AUTH, **signed_headers("fuzz", SOURCE_SECRET, body)},
        )
        assert r.status_code < 500, (case.path, body[:300], r.text[:500])
    elif case.method.upper() == "POST" and case.path == WEBHOOK:
        body = _raw(case.body)
        ts = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        r = client.post(
            case.path,
            content=body,
            headers={
                **AUTH,
                "Content-Type": "application/json",
                "X-Zendesk-Webhook-Signature": zendesk_signature(ZENDESK_SECRET, ts, body),
                "X-Zendesk-Webhook-Signature-Timestamp": ts,
            },
        )
        assert r.status_code < 500, (body[:300], r.text[:500])
    else:
        case.call_and_validate(headers=AUTH, checks=[not_a_server_error])
