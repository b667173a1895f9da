"""Zendesk event webhooks (`zen:event-type:ticket.*` and `zen:event-type:messaging_ticket.*`,
event version 2022-11-06) mapped to canonical rows, and Zendesk's signature check.

A delivery looks like (Zendesk's webhook reference, "Ticket events"):

    {"type": "zen:event-type:ticket.comment_added", "id": "<event uuid>",
     "time": "2025-01-08T14:25:30.123Z", "subject": "zen:ticket:5158",
     "detail": {"id": "5158", "created_at": "…", "requester_id": "…", "submitter_id": "…",
                "assignee_id": "…", "group_id": "…", "priority": "HIGH", "status": "OPEN",
                "via": {"channel": "web"}, "tags": […], "actor_id": "…", …},
     "event": {"meta": {"sequence": {"id": "…", "position": 1}},
               "comment": {"id": "…", "body": "…", "is_public": true,
                           "author": {"id": "…", "is_staff": true, "name": "…"}}}}

Messaging events ("Messaging events": `messaging_ticket.message_added`) name their ticket only
in `subject` (`zen:ticket:141`) and `detail.id`, with `event.actor.type` (end_user, agent,
trigger, system) and `event.message` ({id, body}).

Mapped (the export importer's choices, `importers/zendesk.py`, wherever they apply):
- `ticket.created` → the tickets row (channel: `via.channel` as Zendesk names it, lower-cased;
  `created_by="agent"` when the submitter is not the requester — only agents submit for someone
  else; the current status and `updated_at`) and a status event;
- `ticket.comment_added` → a message. Who wrote it is decided by the author's role first
  (`author.role`, else `author.is_staff`): staff write `agent` messages even on tickets they
  requested themselves; only when neither is given does "the author is the requester" make it
  `customer`. A private comment is never a customer message (`agent`); Zendesk's system user
  (-1) or a trigger/automation `via` make it `bot`; an Answer Bot `via` (the export's rule)
  makes it `ai_agent`, unless its author is an end user (or of unknown role and the
  requester);
- `messaging_ticket.message_added` → a public message of the ticket in `subject`:
  end_user → `customer`, agent → `agent`, trigger/system → `bot`, except the system actor
  `zd:answerBot` (Zendesk's bot: its greeting and answers in the reference) → `ai_agent`;
- `ticket.status_changed` → a status event with the new status;
- `ticket.priority_changed` → an `assignment` event carrying the new priority (the tickets
  row keeps the priority the ticket was created with: SLA policies follow the changes); a
  cleared priority is acknowledged, not stored (the earlier one stays in force);
- `ticket.agent_assignment_changed` / `group_assignment_changed` → an assignment event;
- `ticket.schedule_changed` → a `schedule` event with the new schedule's id (`event.current`,
  an id or an object with `id`; read like every other `*_changed` event, as the payload of this
  event is not shown in the reference we had). A removed schedule is acknowledged, not stored.
Satisfaction events (`ticket.csat_received`) are acknowledged, not mapped: their payload is
not documented; ratings come from the export or `POST /api/surveys`.

Event ids are made from Zendesk's ids (the comment or message id, the delivery id else), so a
redelivered webhook changes nothing. Events of one Zendesk action arrive as separate deliveries
at the same `time`: their `seq` is `event.meta.sequence.position`, so that they keep Zendesk's
order whatever order they arrive in (without it, the store's order of arrival decides). A
delivery that lacks a field the mapping needs is refused, naming that field (`detail.id`,
`time`, `id`, `event.comment`, …). Other event types are acknowledged and ignored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from deskmetrics.api import deliveries
from deskmetrics.api.deliveries import Refused, need, object_at
from deskmetrics.importers.exportfiles import text as _text
from deskmetrics.importers.zendesk import is_ai_agent, is_automatic
from deskmetrics.model.enums import Status

PREFIX = "zen:event-type:ticket."
MESSAGING_PREFIX = "zen:event-type:messaging_ticket."
TICKET_SUBJECT = "zen:ticket:"
SIGNATURE_HEADER = "X-Zendesk-Webhook-Signature"
TIMESTAMP_HEADER = "X-Zendesk-Webhook-Signature-Timestamp"
#: how far the signature timestamp may be from now (replayed deliveries are refused)
MAX_SKEW_SECONDS = 15 * 60
_SYSTEM_USER = "-1"
_STATUSES = frozenset(s.value for s in Status)
#: a Zendesk user role (`author.role`) → whether that author is staff
_STAFF_ROLES = {"end-user": False, "end_user": False, "agent": True, "admin": True}
#: a messaging `actor.type` → author_role
_ACTOR_ROLES = {"end_user": "customer", "agent": "agent", "trigger": "bot", "system": "bot"}
#: the messaging actor id of Zendesk's own bot (AI agent), a `system` actor in the reference
_AI_AGENT_ACTORS = frozenset({"zd:answerbot"})
_SATISFACTION = frozenset({"csat_received", "csat_requested"})


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


def _lower(v: Any) -> str | None:
    s = _text(v)
    return s.lower() if s else None


@dataclass
class Mapped(deliveries.Mapped):
    """Canonical rows one delivery maps to, and what the route needs to know of the ticket."""

    #: the tickets row must be stored (ticket.created); else only when the ticket is unknown
    ticket_is_new: bool = False
    #: when the delivery cannot give the tickets row: the field it lacks, for a ticket not
    #: stored yet (messaging events carry only the ticket's id)
    ticket_missing: str | None = None


def ticket_row(detail: dict[str, Any]) -> dict[str, Any] | None:
    """The tickets row from a delivery's `detail` (None when it lacks the required fields)."""
    tid, created = _text(detail.get("id")), _text(detail.get("created_at"))
    requester = _text(detail.get("requester_id"))
    if not (tid and created and requester):
        return None
    submitter = _text(detail.get("submitter_id"))
    tags = detail.get("tags")
    status = _lower(detail.get("status"))
    return {
        "ticket_id": tid,
        "created_at": created,
        "requester_id": requester,
        # as Zendesk names it (voice, whatsapp, native_messaging …): an open vocabulary
        "channel": _lower(object_at(detail, "via").get("channel")),
        "priority": _lower(detail.get("priority")),
        "group": _text(detail.get("group_id")),
        "assignee_id": _text(detail.get("assignee_id")),
        "created_by": "agent" if submitter and submitter != requester else "customer",
        "subject": _text(detail.get("subject")),
        "tags": ";".join(str(t) for t in tags) if isinstance(tags, list) and tags else None,
        "brand": _text(detail.get("brand_id")),
        # deleted/archived/scrubbed are Zendesk states, not ticket statuses: left unknown
        "status": status if status in _STATUSES else None,
        "updated_at": _text(detail.get("updated_at")),
    }


def _missing_ticket_field(detail: dict[str, Any]) -> str | None:
    for key in ("id", "created_at", "requester_id"):
        if _text(detail.get(key)) is None:
            return f"detail.{key}"
    return None


def comment_role(comment: dict[str, Any], requester: str | None) -> str:
    """customer, agent, ai_agent or bot for a ticket comment (see the module docstring)."""
    author = object_at(comment, "author")
    author_id = _text(author.get("id"))
    staff = _STAFF_ROLES.get(_lower(author.get("role")) or "")
    if staff is None and isinstance(author.get("is_staff"), bool):
        staff = bool(author["is_staff"])
    if is_ai_agent(comment.get("via")):
        if staff is False or (staff is None and author_id is not None and author_id == requester):
            return "customer"  # the customer's words in the bot's widget
        return "ai_agent"
    if author_id == _SYSTEM_USER or is_automatic(comment.get("via")):
        return "bot"
    if comment.get("is_public") is False:
        return "agent"  # a private comment is an internal note, never a customer's message
    if staff is None:  # the role is unknown: only "is it the requester?" is left
        if author_id is None or author_id != requester:
            raise Refused(
                "event.comment.author.is_staff",
                f"comment {_text(comment.get('id'))} is by user {author_id}, who is not the "
                "requester, and the delivery says neither their role nor is_staff",
            )
        return "customer"
    return "agent" if staff else "customer"


def _position(event: dict[str, Any]) -> int | None:
    """Zendesk's order of this event among those of one action (`meta.sequence.position`)."""
    value = object_at(object_at(event, "meta"), "sequence").get("position")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def _id_of(value: Any) -> str | None:
    """An id given bare or as an object with `id`."""
    return _text(value.get("id")) if isinstance(value, dict) else _text(value)


def map_delivery(doc: Any) -> Mapped:
    """Canonical rows for one webhook delivery (see the module docstring)."""
    if not isinstance(doc, dict):
        return Mapped("?", None, malformed=("body", "the body is not a JSON object"))
    kind = _text(doc.get("type"))
    if kind is None:
        return Mapped("?", None, malformed=("type", "the delivery says no event type"))
    detail, event = object_at(doc, "detail"), object_at(doc, "event")
    subject = _text(doc.get("subject")) or ""
    tid = _text(detail.get("id"))
    if tid is None and subject.startswith(TICKET_SUBJECT):
        tid = _text(subject.removeprefix(TICKET_SUBJECT))
    out = Mapped(kind, tid, ticket=ticket_row(detail))
    out.ticket_missing = None if out.ticket else _missing_ticket_field(detail)
    if not kind.startswith((PREFIX, MESSAGING_PREFIX)):
        out.ignored = f"{kind} is not a ticket event"
        return out
    if tid is None:
        out.malformed = ("detail.id", "a ticket event that names no ticket")
        return out
    try:
        _map_ticket_event(out, kind, doc, detail, event, tid)
    except Refused as why:
        out.events, out.malformed = [], (why.field, why.reason)
    return out


def _map_ticket_event(
    out: Mapped,
    kind: str,
    doc: dict[str, Any],
    detail: dict[str, Any],
    event: dict[str, Any],
    tid: str,
) -> None:
    if kind.startswith(MESSAGING_PREFIX):
        what = "messaging." + kind.removeprefix(MESSAGING_PREFIX)
    else:
        what = kind.removeprefix(PREFIX)
    mapped = what in (
        "created", "comment_added", "status_changed", "priority_changed",
        "agent_assignment_changed", "group_assignment_changed", "schedule_changed",
        "messaging.message_added",
    )  # fmt: skip
    if not mapped:
        out.ignored = (
            f"{kind}: satisfaction ratings are not mapped from webhooks (their payload is not "
            "documented); import satisfaction_ratings.json or POST /api/surveys"
            if what in _SATISFACTION
            else f"{kind} does not change any metric"
        )
        return
    at = need(
        _text(doc.get("time")) or _text(detail.get("updated_at")),
        "time",
        "the delivery has no time (nor detail.updated_at), so its event has no instant",
    )
    delivery = _text(doc.get("id"))
    actor = _text(detail.get("actor_id"))
    base = {"ticket_id": tid, "at": at, "seq": _position(event)}

    def delivery_id() -> str:
        return need(delivery, "id", "the delivery has no id, from which the event's id is made")

    if what == "created":
        out.ticket_is_new = True
        if out.ticket is None:
            field_ = out.ticket_missing or "detail"
            raise Refused(field_, f"a created ticket without its {field_}")
        status = _lower(detail.get("status"))
        if status in _STATUSES:
            out.events.append({
                **base, "event_id": f"zd-{tid}-created", "type": "status",
                "at": _text(detail.get("created_at")), "status": status, "author_id": actor,
            })  # fmt: skip
    elif what == "comment_added":
        comment = event.get("comment")
        if not isinstance(comment, dict):
            raise Refused("event.comment", "a comment_added event without its comment")
        role = comment_role(comment, _text(detail.get("requester_id")))
        cid = _text(comment.get("id")) or need(
            delivery, "event.comment.id", "a comment without an id (nor a delivery id)"
        )
        public = comment.get("is_public")
        out.events.append({
            **base, "event_id": f"zd-comment-{cid}", "type": "message", "author_role": role,
            "author_id": _text(object_at(comment, "author").get("id")),
            "public": None if public is None else bool(public),
            "body": _text(comment.get("body")),
        })  # fmt: skip
    elif what == "messaging.message_added":
        message = event.get("message")
        if not isinstance(message, dict):
            raise Refused("event.message", "a message_added event without its message")
        actor_obj = object_at(event, "actor")
        actor_type = _lower(actor_obj.get("type"))
        if actor_type not in _ACTOR_ROLES:
            raise Refused(
                "event.actor.type",
                f"actor type {actor_obj.get('type')!r} is not one of "
                f"{', '.join(sorted(_ACTOR_ROLES))}, so the message has no author role",
            )
        mid = _text(message.get("id")) or need(
            delivery, "event.message.id", "a message without an id (nor a delivery id)"
        )
        actor_id = _text(actor_obj.get("id"))
        role = _ACTOR_ROLES[actor_type]
        if actor_type == "system" and (actor_id or "").lower() in _AI_AGENT_ACTORS:
            role = "ai_agent"
        out.events.append({
            **base, "event_id": f"zd-msg-{mid}", "type": "message",
            "author_role": role, "author_id": actor_id,
            "public": True, "body": _text(message.get("body")),
        })  # fmt: skip
    elif what == "status_changed":
        status = _lower(event.get("current"))
        if status not in _STATUSES:
            raise Refused(
                "event.current",
                f"status {event.get('current')!r} is not a ticket status "
                f"({', '.join(sorted(_STATUSES))})",
            )
        out.events.append({
            **base, "event_id": f"zd-{delivery_id()}", "type": "status", "status": status,
            "author_id": actor,
        })  # fmt: skip
    elif what == "priority_changed":
        priority = _lower(event.get("current"))
        if priority is None:
            out.ignored = f"{kind}: the priority was cleared (SLA keeps the earlier priority)"
            return
        out.events.append({
            **base, "event_id": f"zd-{delivery_id()}", "type": "assignment",
            "priority": priority, "author_id": actor,
        })  # fmt: skip
    elif what == "schedule_changed":
        if event.get("current") is None and "current" in event:
            out.ignored = (
                f"{kind}: the schedule was removed (the account's default applies; post a "
                "canonical schedule event naming it to /api/events)"
            )
            return
        schedule = need(
            _id_of(event.get("current")), "event.current", "a schedule change without the new id"
        )
        out.events.append({
            **base, "event_id": f"zd-{delivery_id()}", "type": "schedule",
            "schedule_id": schedule, "author_id": actor,
        })  # fmt: skip
    else:  # agent_assignment_changed / group_assignment_changed
        agent = what.startswith("agent")
        current = _text(event.get("current"))
        out.events.append({
            **base, "event_id": f"zd-{delivery_id()}", "type": "assignment", "author_id": actor,
            "assignee_id": current if agent else _text(detail.get("assignee_id")),
            "group": _text(detail.get("group_id")) if agent else current,
        })  # fmt: skip


__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "Mapped",
    "check_signature",
    "comment_role",
    "map_delivery",
    "ticket_row",
    "zendesk_signature",
]
