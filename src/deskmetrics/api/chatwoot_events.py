"""Chatwoot account webhooks mapped to canonical rows, and the shared-secret check.

Chatwoot's account webhooks (Settings → Integrations → Webhooks) POST the event's JSON to a
URL and sign nothing: no HMAC, no timestamp, and the form takes only the URL, not a header.
So the secret travels in the URL: the webhook is set to
`https://…/api/webhooks/chatwoot?token=<secret>`, the secret of source `chatwoot` in the
settings; a delivery without it, or with another, is refused (401). A query parameter is the
only place Chatwoot lets a secret be put; it may show in proxies' access logs, so serve the
endpoint over HTTPS only, keep such logs private and rotate the secret if one leaks. A static
secret does not protect against replay: redeliveries are harmless (ids come from Chatwoot's).

Mapped as the export importer maps the same records (`importers/chatwoot.py`), with the same
ids, so an import after the webhooks (or before) changes nothing it already has:
- `conversation_created` → the tickets row (contact, assignee, team, labels, priority,
  status; created by an agent when its first message is an agent's) and the messages it
  carries;
- `message_created` → the message (incoming: the contact's; outgoing: an agent's, the AI
  agent's when sent by an agent bot or Captain (`sender.type` agent_bot, captain_assistant), a
  bot's when sent by no one; a template: a bot's; private: an agent's note, never a reply); an
  `input_csat` template is the CSAT survey request; an activity message is ignored: status
  changes come from `conversation_status_changed`, which carries the status itself rather
  than a sentence in the account's language;
- `conversation_status_changed` → a status event with the conversation's new status at its
  `updated_at` (else `timestamp`, else the receipt time).
Other events (conversation_updated, contact_*, webwidget_triggered …) are acknowledged and
ignored. A delivery lacking a field the mapping needs is refused naming it.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Any

from deskmetrics.api import deliveries
from deskmetrics.api.deliveries import Refused, need, object_at
from deskmetrics.importers.chatwoot import (
    CSAT_CONTENT_TYPE,
    PRIORITY_NAMES,
    author_role,
    channel_of,
    instant,
    message_type,
    status_of,
)
from deskmetrics.importers.exportfiles import text

TOKEN_PARAMETER = "token"
#: a sender's `type` in webhooks → the `sender_type` the API gives
_SENDER_TYPES = {
    "contact": "Contact", "user": "User", "agent_bot": "AgentBot",
    "captain_assistant": "Captain::Assistant",
}  # fmt: skip
EVENTS = ("conversation_created", "message_created", "conversation_status_changed")


def check_secret(secret: str, given: str | None) -> str | None:
    """None when the delivery carries the source's secret, else why it is refused."""
    if not given:
        return f"add ?{TOKEN_PARAMETER}=<secret> to the webhook's URL in Chatwoot"
    if not hmac.compare_digest(given.strip().encode(), secret.encode()):
        return f"?{TOKEN_PARAMETER} is not this source's secret"
    return None


@dataclass
class Mapped(deliveries.Mapped):
    """Canonical rows one delivery maps to, with its survey requests."""

    requests: list[dict[str, Any]] = field(default_factory=list)


def map_delivery(doc: Any, received: str) -> Mapped:
    """Canonical rows for one delivery (see the module docstring); `received` is the ISO
    instant the delivery arrived, used when the body gives none."""
    if not isinstance(doc, dict):
        return Mapped("?", None, malformed=("body", "the body is not a JSON object"))
    kind = (text(doc.get("event")) or "").lower()
    if not kind:
        return Mapped("?", None, malformed=("event", "the delivery names no event"))
    if kind not in EVENTS:
        return Mapped(kind, None, ignored=f"{kind} does not change any metric")
    conv = object_at(doc, "conversation") if kind == "message_created" else doc
    cid = text(conv.get("id")) or text(conv.get("display_id"))
    if kind == "message_created" and cid is None:
        cid = text(doc.get("conversation_id"))
    out = Mapped(kind, cid)
    if cid is None:
        where = "conversation.id" if kind == "message_created" else "id"
        out.malformed = (where, "the delivery names no conversation")
        return out
    try:
        if kind == "conversation_created":
            _created(out, cid, doc)
        elif kind == "conversation_status_changed":
            status = status_of(doc.get("status"))
            if status is None:
                raise Refused("status", f"unknown Chatwoot status {text(doc.get('status'))!r}")
            at = instant(doc.get("updated_at")) or instant(doc.get("timestamp")) or received
            out.events.append({
                "event_id": f"cw-status-{cid}-{at}", "ticket_id": cid, "at": at,
                "type": "status", "status": status,
            })  # fmt: skip
        else:
            _message(out, cid, doc, requester=None)
            if not out.events and not out.requests:
                out.ignored = "activity messages: status changes come from their own event"
    except Refused as why:
        out.ticket, out.events, out.requests = None, [], []
        out.malformed = (why.field, why.reason)
    return out


def _message(out: Mapped, cid: str, m: dict[str, Any], requester: str | None) -> None:
    """The event (or survey request) of one message of conversation `cid`."""
    mid = need(text(m.get("id")), "id", "the message has no id")
    at = need(instant(m.get("created_at")), "created_at", "the message has no created_at")
    mtype = message_type(m.get("message_type"))
    if mtype not in (0, 1, 2, 3):
        raise Refused("message_type", f"unknown message_type {text(m.get('message_type'))!r}")
    if mtype == 2:
        return
    sender = object_at(m, "sender")
    if text(m.get("content_type")) == CSAT_CONTENT_TYPE:
        out.requests.append({
            "request_id": f"cw-csat-request-{mid}", "kind": "csat", "sent_at": at,
            "customer_id": requester, "ticket_id": cid,
        })  # fmt: skip
        return
    sender_type = text(m.get("sender_type")) or _SENDER_TYPES.get(text(sender.get("type")) or "")
    private = m.get("private") is True
    out.events.append({
        "event_id": f"cw-{mid}", "ticket_id": cid, "at": at, "type": "message",
        "author_role": author_role(mtype, sender_type, private),
        "author_id": text(m.get("sender_id")) or text(sender.get("id")),
        "public": "false" if private else "true", "body": text(m.get("content")),
    })  # fmt: skip


def _created(out: Mapped, cid: str, c: dict[str, Any]) -> None:
    """The tickets row and the messages of `conversation_created`."""
    meta = object_at(c, "meta")
    created = need(instant(c.get("created_at")), "created_at", "a new conversation needs it")
    requester = need(
        text(object_at(meta, "sender").get("id")), "meta.sender.id", "a new conversation needs "
        "its contact"
    )  # fmt: skip
    status = status_of(c.get("status")) if c.get("status") is not None else "open"
    if status is None:
        raise Refused("status", f"unknown Chatwoot status {text(c.get('status'))!r}")
    messages = c.get("messages") if isinstance(c.get("messages"), list) else []
    assert isinstance(messages, list)
    for m in messages:
        if isinstance(m, dict):
            _message(out, cid, m, requester)
    said = sorted(
        (e for e in out.events if e["public"] == "true"), key=lambda e: (e["at"], e["event_id"])
    )
    priority = text(c.get("priority"))
    labels = c.get("labels")
    out.ticket = {
        "ticket_id": cid, "created_at": created, "requester_id": requester,
        "channel": channel_of(meta.get("channel")),
        "priority": None if priority is None else PRIORITY_NAMES.get(priority.lower(), priority),
        "group": text(object_at(meta, "team").get("name")),
        "assignee_id": text(object_at(meta, "assignee").get("id")),
        "created_by": "agent" if said and said[0]["author_role"] == "agent" else "customer",
        "tags": ";".join(str(v) for v in labels) if isinstance(labels, list) and labels
        else None,
        "status": status, "updated_at": instant(c.get("updated_at")),
    }  # fmt: skip


__all__ = ["EVENTS", "TOKEN_PARAMETER", "Mapped", "check_secret", "map_delivery"]
