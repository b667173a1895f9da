"""Property-based run against the app's own OpenAPI spec (schemathesis): the document tells
the truth. Whatever a client sends, within or outside the spec, the service answers without a
5xx, with a status code, content type, headers and body the spec declares for the operation;
valid requests are accepted and invalid ones rejected; an unsupported method gets a 405 with
an Allow header.

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
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)
from schemathesis.config import SchemathesisConfig
from schemathesis.core import NOT_SET

from conftest import UTC_9_TO_5, build_workspace, msg, status, ticket
from deskmetrics import accounts
from deskmetrics.api import create_app
from deskmetrics.api.freshdesk_events import SECRET_HEADER
from deskmetrics.api.helpscout_events import EVENT_HEADER, SIGNATURE_HEADER, signature
from deskmetrics.api.ingest import INGEST_TABLES, signed_headers
from deskmetrics.api.intercom_events import intercom_signature
from deskmetrics.api.zammad_events import signature as zammad_signature
from deskmetrics.api.zendesk_events import zendesk_signature

SOURCE_SECRET = "fuzz-source-secret"
ZENDESK_SECRET = "fuzz-zendesk-secret"
FRESHDESK_SECRET = "fuzz-freshdesk-secret"
HELPSCOUT_SECRET = "fuzz-helpscout-secret"
INTERCOM_SECRET = "fuzz-intercom-secret"
CHATWOOT_SECRET = "fuzz-chatwoot-secret"
ZAMMAD_SECRET = "fuzz-zammad-secret"
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
                "freshdesk": {"secret": FRESHDESK_SECRET},
                "helpscout": {"secret": HELPSCOUT_SECRET},
                "intercom": {"secret": INTERCOM_SECRET},
                "chatwoot": {"secret": CHATWOOT_SECRET},
                "zammad": {"secret": ZAMMAD_SECRET},
            }
        },
    },
)
_token = accounts.create_token(_ws, "fuzzer", "admin")
AUTH = {"Authorization": f"Bearer {_token}"}
app = create_app(_ws, secret="fuzz-service-secret")
client = TestClient(app)
#: a schema-valid request may still be refused for its meaning, with the status the document
#: declares for it: a query naming an unknown metric or a dimension the metric has not is a 400
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409", "429"]
            }
        }
    }
)
# the description itself needs a sign-in (`[web] api_docs = "signed-in"`, the default)
schema = schemathesis.openapi.from_asgi("/openapi.json", app, headers=AUTH, config=CONFIG)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    unsupported_method,
]
#: where a body's meaning goes beyond JSON Schema, "schema-valid" is not "acceptable": posted
#: rows (a timestamp that is not one, an event of an unknown ticket, an id stored with other
#: content), a Zendesk delivery, an alert rule (a metric the registry has) are refused with a
#: 422 that says why; every other check still runs (the 422 body must match the document)
SIGNED = {f"/api/{t}" for t in INGEST_TABLES}
WEBHOOK = "/api/webhooks/zendesk"
FRESHDESK_WEBHOOK = "/api/webhooks/freshdesk"
HELPSCOUT_WEBHOOK = "/api/webhooks/helpscout"
INTERCOM_WEBHOOK = "/api/webhooks/intercom"
CHATWOOT_WEBHOOK = "/api/webhooks/chatwoot"
ZAMMAD_WEBHOOK = "/api/webhooks/zammad"
MEANING_BEYOND_SCHEMA = {
    ("POST", path)
    for path in (
        *SIGNED,
        WEBHOOK,
        FRESHDESK_WEBHOOK,
        HELPSCOUT_WEBHOOK,
        INTERCOM_WEBHOOK,
        CHATWOOT_WEBHOOK,
        ZAMMAD_WEBHOOK,
        "/api/alerts/rules",
        "/api/tokens",
    )
} | {
    # a password of at least 8 characters, names without control characters: checked where
    # they are kept (a constrained field would echo a lone surrogate back and fail as JSON)
    ("PUT", "/api/users/{name}"),
    ("PUT", "/api/users/{name}/password"),
}
OPERATIONS = [
    (m, p) for p, item in app.openapi()["paths"].items() for m in item if m != "parameters"
]


def _raw(body: Any) -> bytes:
    if body is NOT_SET:
        return b""
    if isinstance(body, bytes):  # a deliberately malformed body
        return body
    return json.dumps(body).encode()


def ingest_headers(body: bytes) -> dict[str, str]:
    """What a configured source sends with `body`: signed over a timestamp of now and the body."""
    headers = signed_headers("fuzz", SOURCE_SECRET, body)
    headers.pop("Content-Type")
    return headers


def freshdesk_headers(body: bytes) -> dict[str, str]:
    """What a Freshdesk automation rule sends: the shared secret in its custom header."""
    return {SECRET_HEADER: FRESHDESK_SECRET}


def helpscout_headers(body: bytes) -> dict[str, str]:
    """What Help Scout sends: the event's name and the body's HMAC-SHA1 signature."""
    return {EVENT_HEADER: "convo.created", SIGNATURE_HEADER: signature(HELPSCOUT_SECRET, body)}


def zendesk_headers(body: bytes) -> dict[str, str]:
    """What Zendesk sends with a webhook delivery of `body`, signed now."""
    ts = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "X-Zendesk-Webhook-Signature": zendesk_signature(ZENDESK_SECRET, ts, body),
        "X-Zendesk-Webhook-Signature-Timestamp": ts,
    }


def intercom_headers(body: bytes) -> dict[str, str]:
    """What Intercom sends with a notification of `body`: its HMAC-SHA1 under the secret."""
    return {"X-Hub-Signature": intercom_signature(INTERCOM_SECRET, body)}


def zammad_headers(body: bytes) -> dict[str, str]:
    return {"X-Hub-Signature": zammad_signature(ZAMMAD_SECRET, body)}


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_the_service_answers_as_its_openapi_document_says(case: Any) -> None:
    op = (case.method.upper(), case.path)
    share = BUDGET_S / len(OPERATIONS)
    if time.monotonic() - _started.setdefault(op, time.monotonic()) > share:
        return  # this operation's share of the budget is used
    signer = (
        ingest_headers
        if case.path in SIGNED
        else zendesk_headers
        if case.path == WEBHOOK
        else freshdesk_headers
        if case.path == FRESHDESK_WEBHOOK
        else helpscout_headers
        if case.path == HELPSCOUT_WEBHOOK
        else intercom_headers
        if case.path == INTERCOM_WEBHOOK
        else zammad_headers
        if case.path == ZAMMAD_WEBHOOK
        else None
    )
    if case.method.upper() == "POST" and case.path == CHATWOOT_WEBHOOK:
        # Chatwoot's shared secret travels in the webhook's URL (?token=), as Chatwoot sends it
        body, headers = _raw(case.body), {**AUTH, "Content-Type": "application/json"}
        token = {"token": CHATWOOT_SECRET}
        r = client.post(case.formatted_path, content=body, headers=headers, params=token)
        case.validate_response(r, checks=_checks(case), headers=headers)
    elif case.method.upper() == "POST" and signer is not None:
        # the signature covers the exact bytes sent: serialise the body here, sign it, send it
        body = _raw(case.body)
        headers = {**AUTH, "Content-Type": "application/json", **signer(body)}
        r = client.post(case.formatted_path, content=body, headers=headers)
        case.validate_response(r, checks=_checks(case), headers=headers)
    else:
        case.call_and_validate(headers=AUTH, checks=_checks(case))


def _checks(case: Any) -> list[Any]:
    if (case.method.upper(), case.path) in MEANING_BEYOND_SCHEMA:
        return [c for c in CHECKS if c is not positive_data_acceptance]
    return CHECKS
