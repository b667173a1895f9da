"""Webhooks: one JSON post to a named receiver, signed with HMAC-SHA256.

The signature covers the timestamp and the exact body bytes:

    X-Deskmetrics-Timestamp: <unix seconds>
    X-Deskmetrics-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>

so a receiver can prove the post came from deskmetrics and refuse replays of old posts
(`verify_signature`). With `format = "slack"` the body is Slack-compatible (`{"text": ...}`,
as Slack incoming webhooks and Mattermost/Teams connectors accept); the signature headers are
sent too and ignored by those services."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

import httpx

from deskmetrics.config import WebhookTarget
from deskmetrics.notify.base import NotificationError

SIGNATURE_HEADER = "X-Deskmetrics-Signature"
TIMESTAMP_HEADER = "X-Deskmetrics-Timestamp"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=` + hex HMAC-SHA256 of `<timestamp>.<body>` under `secret`."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(
    secret: str,
    timestamp: str,
    body: bytes,
    given: str,
    tolerance_seconds: float = 300.0,
    now: float | None = None,
) -> bool:
    """True when `given` is the signature of this body and timestamp and the timestamp is
    within `tolerance_seconds` of now (a receiver's check, in constant time)."""
    try:
        age = abs((time.time() if now is None else now) - float(timestamp))
    except ValueError:
        return False
    return age <= tolerance_seconds and hmac.compare_digest(
        signature(secret, timestamp, body), given
    )


def encode(payload: Mapping[str, Any]) -> bytes:
    """The exact bytes posted (and signed): compact JSON, keys sorted, UTF-8."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()


def body_for(target: WebhookTarget, payload: Mapping[str, Any], text: str) -> dict[str, Any]:
    """deskmetrics' own JSON, or for `format = "slack"` a Slack-compatible message."""
    if target.format == "slack":
        return {"text": text}
    return dict(payload)


def post_webhook(
    target: WebhookTarget, payload: Mapping[str, Any], text: str = "", name: str = ""
) -> None:
    """Post one signed message; raise `NotificationError` unless the receiver answers 2xx."""
    body = encode(body_for(target, payload, text))
    ts = str(int(time.time()))
    headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: ts}
    secret = target.resolved_secret()
    if target.secret_env and secret is None:
        raise NotificationError(
            f"webhook {name or target.url}: the variable {target.secret_env!r} holding its "
            "signing secret is not set"
        )
    if secret is not None:
        headers[SIGNATURE_HEADER] = signature(secret, ts, body)
    try:
        resp = httpx.post(target.url, content=body, headers=headers, timeout=target.timeout)
    except httpx.HTTPError as exc:
        raise NotificationError(f"webhook {name or target.url} unreachable: {exc}") from exc
    if not 200 <= resp.status_code < 300:
        raise NotificationError(
            f"webhook {name or target.url} answered {resp.status_code}: {resp.text[:200]}"
        )


__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "encode",
    "post_webhook",
    "signature",
    "verify_signature",
]
