"""Freshdesk automation webhooks mapped to canonical rows, and the shared-secret check.

Freshdesk's automation rules ("Trigger webhook" action) POST a JSON body the rule's author
writes with placeholders; Freshdesk signs nothing (no HMAC, no timestamp). The rule is set to
send a custom header, `X-Deskmetrics-Webhook-Secret: <secret>`, the secret of source
`freshdesk` in the settings: a delivery without it, or with another value, is refused (401).
A custom header is what every Freshdesk plan offers in the webhook action; Basic auth would
collide with the service's own `Authorization` header. The secret is static, so it does not
protect against a replayed delivery: redeliveries are harmless (ids are made from the body),
and the endpoint must be served over HTTPS only.

The body, one rule per event (docs/importers/freshdesk.md gives the rules to make), optionally
wrapped in `{"freshdesk_webhook": {...}}` as Freshdesk's simple webhooks are:

    {"event": "ticket_created", "ticket_id": "{{ticket.id}}", "at": "<ISO time>",
     "ticket": {"created_at": "…", "requester_id": "…", "source": "Email", "priority": "Low",
                "status": "Open", "group": "{{ticket.group.name}}", "responder_id": "…"},
     "conversation": {"id": "…", "user_id": "…", "body_text": "…"},
     "status": "Resolved"}

Mapped as the export importer maps the same records (`importers/freshdesk.py`):
- `ticket_created` → the tickets row (source, priority and status as codes or names; created
  by an agent when the source is Outbound Email) and its opening message;
- `customer_replied`, `agent_replied`, `note_added` (an agent's note: not public, never a
  reply), `bot_replied` (an automatic reply), `ai_agent_replied` (Freddy AI Agent's answer) →
  a message of that author; the rule's trigger says who wrote it, as Freshdesk's rule
  conditions do ("Reply is sent", "Customer replies", "Note is added"); the export cannot tell
  Freddy's answers from other automatic replies, a rule that can (by its conditions) can;
- `status_changed` → a status event with the new status (2–5 or Open/Pending/Resolved/Closed;
  a custom status is `hold`).
`at` is the event's instant (the ticket's `created_at` for `ticket_created`, else the time
the delivery is received). Event ids come from the conversation id when the body gives one,
else from a digest of the body and its `at`, so a redelivered body changes nothing; a body
without `at` is also told apart by its receipt time (the same body comes again when a ticket is
resolved a second time), so a retried delivery of such a body is stored again. A delivery lacking a
field the mapping needs is refused naming it; other events are acknowledged and ignored.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

from deskmetrics.api.deliveries import Mapped, Refused, need, object_at
from deskmetrics.importers.exportfiles import text as _text
from deskmetrics.importers.freshdesk import (
    CUSTOM_STATUS,
    PRIORITY_CODES,
    SOURCE_NAMES,
    STATUS_CODES,
)

SECRET_HEADER = "X-Deskmetrics-Webhook-Secret"
WRAPPER = "freshdesk_webhook"
#: a message event → (author_role, public)
MESSAGE_EVENTS: dict[str, tuple[str, bool]] = {
    "customer_replied": ("customer", True),
    "agent_replied": ("agent", True),
    "note_added": ("agent", False),
    "bot_replied": ("bot", True),
    "ai_agent_replied": ("ai_agent", True),
}
_STATUS_NAMES = {"open": "open", "pending": "pending", "resolved": "solved", "closed": "closed"}
_PRIORITY_NAMES = {"low": "low", "medium": "normal", "high": "high", "urgent": "urgent"}
_OUTBOUND = "outbound_email"


def check_secret(secret: str, given: str | None) -> str | None:
    """None when the delivery carries the source's secret, else why it is refused."""
    if not given:
        return f"send {SECRET_HEADER} (a custom header of the rule's webhook action)"
    if not hmac.compare_digest(given.strip().encode(), secret.encode()):
        return f"{SECRET_HEADER} is not this source's secret"
    return None


def _code(value: Any) -> int | None:
    text = _text(value)
    return int(text) if text is not None and text.lstrip("-").isdigit() else None


def status_of(value: Any) -> str | None:
    """A Freshdesk status (code or name) as a canonical status; None when unknown."""
    code = _code(value)
    if code is not None:
        return STATUS_CODES.get(code, CUSTOM_STATUS if code >= 6 else None)
    name = (_text(value) or "").lower()
    return _STATUS_NAMES.get(name, CUSTOM_STATUS if name else None)


def _priority(value: Any) -> str | None:
    code = _code(value)
    if code is not None:
        return PRIORITY_CODES.get(code, str(code))
    name = (_text(value) or "").lower()
    return _PRIORITY_NAMES.get(name, name or None)


def _source(value: Any) -> str | None:
    code = _code(value)
    if code is not None:
        return SOURCE_NAMES.get(code, str(code))
    name = (_text(value) or "").lower().replace(" ", "_")
    return name or None


def _instant(value: str | None, name: str) -> str | None:
    """An ISO time as given (validation types it); refused when it is not one."""
    if value is None:
        return None
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise Refused(name, f"{value!r} is not an ISO 8601 time") from exc
    return value


def map_delivery(doc: Any, body: bytes, received: str) -> Mapped:
    """Canonical rows for one delivery (see the module docstring); `received` is the ISO
    instant the delivery arrived, used when the body gives none."""
    if isinstance(doc, dict) and isinstance(doc.get(WRAPPER), dict):
        doc = doc[WRAPPER]
    if not isinstance(doc, dict):
        return Mapped("?", None, malformed=("body", "the body is not a JSON object"))
    kind = (_text(doc.get("event")) or "").lower()
    if not kind:
        return Mapped("?", None, malformed=("event", "the delivery names no event"))
    tid = _text(doc.get("ticket_id"))
    out = Mapped(kind, tid)
    if kind != "ticket_created" and kind != "status_changed" and kind not in MESSAGE_EVENTS:
        out.ignored = f"{kind} does not change any metric"
        return out
    if tid is None:
        out.malformed = ("ticket_id", "the delivery names no ticket")
        return out
    try:
        at = _instant(_text(doc.get("at")), "at")
        # a body without its instant may come again for another change (a ticket resolved
        # twice): the receipt time keeps the two apart
        digest = hashlib.sha256(body + (b"" if at else received.encode())).hexdigest()[:16]
        if kind == "ticket_created":
            _created(out, tid, object_at(doc, "ticket"), at)
        elif kind == "status_changed":
            value = doc.get("status", object_at(doc, "ticket").get("status"))
            status = status_of(value)
            if status is None:
                raise Refused("status", f"unknown Freshdesk status {_text(value)!r}")
            out.events.append({
                "event_id": f"fd-status-{tid}-{digest}", "ticket_id": tid,
                "at": at or received, "type": "status", "status": status,
            })  # fmt: skip
        else:
            role, public = MESSAGE_EVENTS[kind]
            conv = object_at(doc, "conversation")
            cid = _text(conv.get("id"))
            out.events.append({
                "event_id": cid or f"fd-{kind}-{tid}-{digest}", "ticket_id": tid,
                "at": _instant(_text(conv.get("created_at")), "conversation.created_at")
                or at or received,
                "type": "message", "author_role": role, "author_id": _text(conv.get("user_id")),
                "public": "true" if public else "false", "body": _text(conv.get("body_text")),
            })  # fmt: skip
    except Refused as why:
        out.ticket, out.events, out.malformed = None, [], (why.field, why.reason)
    return out


def _created(out: Mapped, tid: str, ticket: dict[str, Any], at: str | None) -> None:
    """The tickets row and opening message of `ticket_created`."""
    created = _instant(_text(ticket.get("created_at")), "ticket.created_at") or at
    created = need(created, "ticket.created_at", "a new ticket needs its created_at")
    requester = need(
        _text(ticket.get("requester_id")), "ticket.requester_id", "a new ticket needs its requester"
    )
    status = status_of(ticket.get("status")) if ticket.get("status") is not None else "open"
    if status is None:
        raise Refused("ticket.status", f"unknown Freshdesk status {_text(ticket['status'])!r}")
    source = _source(ticket.get("source"))
    outbound = source == _OUTBOUND
    responder = _text(ticket.get("responder_id"))
    out.ticket = {
        "ticket_id": tid, "created_at": created, "requester_id": requester, "channel": source,
        "priority": _priority(ticket.get("priority")), "group": _text(ticket.get("group")),
        "assignee_id": responder, "created_by": "agent" if outbound else "customer",
        "subject": _text(ticket.get("subject")), "status": status,
        "updated_at": _text(ticket.get("updated_at")),
    }  # fmt: skip
    out.events.append({
        "event_id": f"{tid}-description", "ticket_id": tid, "at": created, "type": "message",
        "author_role": "agent" if outbound else "customer",
        "author_id": responder if outbound else requester, "public": "true",
        "body": _text(ticket.get("description_text")),
    })  # fmt: skip


__all__ = ["MESSAGE_EVENTS", "SECRET_HEADER", "Mapped", "check_secret", "map_delivery", "status_of"]
