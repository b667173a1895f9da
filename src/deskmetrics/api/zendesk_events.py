"""Zendesk event webhooks (`zen:event-type:ticket.*`, event version 2022-11-06) mapped to
canonical rows, and Zendesk's signature check.

A delivery looks like (Zendesk's webhook reference, "Ticket events"):

    {"type": "zen:event-type:ticket.comment_added", "id": "<event uuid>",
     "time": "2025-01-08T14:25:30.123Z", "subject": "zen:ticket:5158",
     "detail": {"id": "5158", "created_at": "…", "requester_id": "…", "submitter_id": "…",
                "assignee_id": "…", "group_id": "…", "priority": "HIGH", "status": "OPEN",
                "via": {"channel": "web"}, "tags": […], "actor_id": "…", …},
     "event": {"comment": {"id": "…", "body": "…", "is_public": true,
                           "author": {"id": "…", "is_staff": true, "name": "…"}}}}

Mapped (the export importer's choices, `importers/zendesk.py`, wherever they apply):
- `ticket.created` → the tickets row (channel from `via.channel`, `created_by="agent"` when the
  submitter is not the requester — only agents submit for someone else) and a status event;
- `ticket.comment_added` → a message: `customer` when the author is the requester or not
  staff, `agent` when staff, `bot` for Zendesk's system user (-1); public from `is_public`;
- `ticket.status_changed` → a status event with the new status;
- `ticket.priority_changed` → an `assignment` event carrying the new priority (the tickets
  row keeps the priority the ticket was created with: SLA policies follow the changes);
- `ticket.agent_assignment_changed` / `group_assignment_changed` → an assignment event.
Event ids are made from Zendesk's ids (the comment id for comments, the delivery id else), so
a redelivered webhook changes nothing. Other event types are acknowledged and ignored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from deskmetrics.importers.zendesk import channel_of
from deskmetrics.model.enums import Status

PREFIX = "zen:event-type:ticket."
SIGNATURE_HEADER = "X-Zendesk-Webhook-Signature"
TIMESTAMP_HEADER = "X-Zendesk-Webhook-Signature-Timestamp"
#: how far the signature timestamp may be from now (replayed deliveries are refused)
MAX_SKEW_SECONDS = 15 * 60
_SYSTEM_USER = "-1"
_STATUSES = frozenset(s.value for s in Status)


def zendesk_signature(secret: str, timestamp: str, body: bytes) -> str:
    """base64(HMAC-SHA256(timestamp + body)) under the webhook's signing secret."""
    mac = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def check_signature(
    secret: str, signature: str | None, timestamp: str | None, body: bytes, now: datetime
) -> str | None:
    """None when the delivery is genuine and fresh, else why it is refused."""
    if not signature or not timestamp:
        return f"send {SIGNATURE_HEADER} and {TIMESTAMP_HEADER} (sign the webhook in Zendesk)"
    try:
        at = datetime.fromisoformat(timestamp.strip().replace("Z", "+00:00"))
    except ValueError:
        return f"{TIMESTAMP_HEADER} is not an ISO 8601 time"
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    if abs((now - at).total_seconds()) > MAX_SKEW_SECONDS:
        return f"{TIMESTAMP_HEADER} is more than {MAX_SKEW_SECONDS // 60} minutes from now"
    if not hmac.compare_digest(signature.strip(), zendesk_signature(secret, timestamp, body)):
        return f"{SIGNATURE_HEADER} does not match the body"
    return None


def _text(v: Any) -> str | None:
    if v is None or isinstance(v, dict | list):
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    s = str(v).strip()
    return s or None


def _lower(v: Any) -> str | None:
    s = _text(v)
    return s.lower() if s else None


@dataclass
class Mapped:
    """Canonical rows one delivery maps to; `ignored` says why there are none."""

    event_type: str
    ticket_id: str | None
    ticket: dict[str, Any] | None = None  # the tickets row, when the delivery can give one
    events: list[dict[str, Any]] = field(default_factory=list)
    ignored: str | None = None
    #: a delivery that is broken rather than uninteresting: (field, reason) — rejected, logged
    malformed: tuple[str, str] | None = None
    #: the tickets row must be stored (ticket.created); else only when the ticket is unknown
    ticket_is_new: bool = False


def ticket_row(detail: dict[str, Any]) -> dict[str, Any] | None:
    """The tickets row from a delivery's `detail` (None when it lacks the required fields)."""
    tid, created = _text(detail.get("id")), _text(detail.get("created_at"))
    requester = _text(detail.get("requester_id"))
    if not (tid and created and requester):
        return None
    submitter = _text(detail.get("submitter_id"))
    tags = detail.get("tags")
    return {
        "ticket_id": tid,
        "created_at": created,
        "requester_id": requester,
        "channel": channel_of(detail.get("via")),
        "priority": _lower(detail.get("priority")),
        "group": _text(detail.get("group_id")),
        "assignee_id": _text(detail.get("assignee_id")),
        "created_by": "agent" if submitter and submitter != requester else "customer",
        "subject": _text(detail.get("subject")),
        "tags": ";".join(str(t) for t in tags) if isinstance(tags, list) and tags else None,
        "brand": _text(detail.get("brand_id")),
    }


def map_delivery(doc: Any) -> Mapped:
    """Canonical rows for one webhook delivery (see the module docstring)."""
    if not isinstance(doc, dict):
        return Mapped("?", None, malformed=("body", "the body is not a JSON object"))
    kind = _text(doc.get("type")) or "?"
    detail = doc.get("detail") if isinstance(doc.get("detail"), dict) else {}
    event = doc.get("event") if isinstance(doc.get("event"), dict) else {}
    assert isinstance(detail, dict) and isinstance(event, dict)
    tid = _text(detail.get("id"))
    if tid is None:
        subject = _text(doc.get("subject")) or ""
        tid = subject.rsplit(":", 1)[-1] if subject.startswith("zen:ticket:") else None
    out = Mapped(kind, tid, ticket=ticket_row(detail))
    if not kind.startswith(PREFIX):
        out.ignored = f"{kind} is not a ticket event"
        return out
    if tid is None:
        out.malformed = ("detail.id", "a ticket event that names no ticket")
        return out
    what = kind.removeprefix(PREFIX)
    at = _text(doc.get("time")) or _text(detail.get("updated_at"))
    delivery = _text(doc.get("id"))
    actor = _text(detail.get("actor_id"))
    base = {"ticket_id": tid, "at": at}
    if what == "created":
        out.ticket_is_new = True
        status = _lower(detail.get("status"))
        if status in _STATUSES:
            out.events.append({
                **base, "event_id": f"zd-{tid}-created", "type": "status",
                "at": _text(detail.get("created_at")) or at, "status": status, "author_id": actor,
            })  # fmt: skip
    elif what == "comment_added":
        comment = event.get("comment") if isinstance(event.get("comment"), dict) else None
        if comment is None:
            out.malformed = ("event.comment", "a comment_added event without its comment")
            return out
        author = comment.get("author") if isinstance(comment.get("author"), dict) else {}
        assert isinstance(author, dict)
        author_id = _text(author.get("id"))
        requester = _text(detail.get("requester_id"))
        if author_id == _SYSTEM_USER:
            role = "bot"
        elif author_id is not None and author_id == requester:
            role = "customer"
        else:
            role = "agent" if author.get("is_staff") is True else "customer"
        cid = _text(comment.get("id")) or delivery
        public = comment.get("is_public")
        out.events.append({
            **base, "event_id": f"zd-comment-{cid}", "type": "message", "author_role": role,
            "author_id": author_id, "public": None if public is None else bool(public),
            "body": _text(comment.get("body")),
        })  # fmt: skip
    elif what == "status_changed":
        status = _lower(event.get("current"))
        if status not in _STATUSES:
            out.malformed = (
                "event.current",
                f"status {event.get('current')!r} is not a ticket status "
                f"({', '.join(sorted(_STATUSES))})",
            )
            return out
        out.events.append({
            **base, "event_id": f"zd-{delivery}", "type": "status", "status": status,
            "author_id": actor,
        })  # fmt: skip
    elif what == "priority_changed":
        out.events.append({
            **base, "event_id": f"zd-{delivery}", "type": "assignment",
            "priority": _lower(event.get("current")), "author_id": actor,
        })  # fmt: skip
    elif what in ("agent_assignment_changed", "group_assignment_changed"):
        agent = what.startswith("agent")
        current = _text(event.get("current"))
        out.events.append({
            **base, "event_id": f"zd-{delivery}", "type": "assignment", "author_id": actor,
            "assignee_id": current if agent else _text(detail.get("assignee_id")),
            "group": _text(detail.get("group_id")) if agent else current,
        })  # fmt: skip
    else:
        out.ignored = f"{kind} does not change any metric"
    return out


__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "Mapped",
    "check_signature",
    "map_delivery",
    "ticket_row",
    "zendesk_signature",
]
