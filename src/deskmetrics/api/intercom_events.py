"""Intercom webhook notifications (API 2.x, `conversation.*` topics) mapped to canonical
rows, and Intercom's signature check.

A delivery is a notification wrapping the conversation as it is after the change:

    {"type": "notification_event", "id": "notif_…", "app_id": "…", "created_at": 1772442000,
     "topic": "conversation.user.replied", "delivery_attempts": 1, "first_sent_at": …,
     "data": {"type": "notification_event_data", "item": {"type": "conversation", "id": "…",
              "created_at": …, "state": "open", "source": {…}, "contacts": {…},
              "conversation_parts": {"type": "conversation_part.list",
                                     "conversation_parts": [ the new part(s) ], …}, …}}}

Every `conversation.*` topic (`conversation.user.created`, `conversation.user.replied`,
`conversation.admin.replied`, `.admin.noted`, `.admin.closed`, `.admin.opened`,
`.admin.snoozed`, `.admin.unsnoozed`, `.admin.assigned`, `.admin.single.created`,
`conversation.rating.added` …) is mapped like a conversation of the export
(`importers/intercom.py`, the same ids and choices): the tickets row as the conversation now
is (its status and assignee updated), a message for its `source`, an event per part the
delivery holds, and its rating. Ids are Intercom's, so a redelivery, or a part delivered again
with a later notification, changes nothing. A customer part reopens the conversation when the
stored history leaves it solved or pending before that part (the route reads it); a delivery
without parts gives no statistics fallback (an export does). `ping` and other topics are
acknowledged and ignored. A delivery missing what the mapping needs is refused, naming the
field (`topic`, `data.item`, `data.item.id`, `data.item.state`, …).

Intercom signs each delivery with the app's client secret: `X-Hub-Signature: sha1=<hex
HMAC-SHA1 of the raw body>`. The signature carries no time, so a captured delivery could be
sent again: that changes nothing, as every row has Intercom's id.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from deskmetrics.importers.intercom import IntercomMapping, first_part_at
from deskmetrics.importers.jsonstream import JsonRecord

SIGNATURE_HEADER = "X-Hub-Signature"
WRAPPER = "notification_event"
CONVERSATION_TOPICS = "conversation."
#: file name rejects of a delivery carry
WEBHOOK_FILE = "webhook:intercom"


def intercom_signature(secret: str, body: bytes) -> str:
    """ "sha1=" + hex HMAC-SHA1 of the raw body under the app's client secret."""
    return "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


def check_signature(secret: str, signature: str | None, body: bytes) -> str | None:
    """None when the delivery is signed with `secret`, else why it is refused."""
    if not signature:
        return f"send {SIGNATURE_HEADER} (Intercom signs with the app's client secret)"
    if not hmac.compare_digest(signature.strip().lower(), intercom_signature(secret, body)):
        return f"{SIGNATURE_HEADER} does not match the body"
    return None


@dataclass
class Mapped:
    """Canonical rows one delivery maps to; `ignored` says why there are none, `malformed`
    (field, reason) why it is refused."""

    topic: str
    ticket_id: str | None
    frames: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    ignored: str | None = None
    malformed: tuple[str, str] | None = None


#: (ticket id, instant) → the conversation's stored status just before that instant
StatusBefore = Callable[[str, str], str | None]


def map_delivery(doc: Any, status_before: StatusBefore | None = None) -> Mapped:
    """Canonical rows for one notification (see the module docstring)."""
    if not isinstance(doc, dict):
        return Mapped("?", None, malformed=("body", "the body is not a JSON object"))
    topic = doc.get("topic")
    if not isinstance(topic, str) or not topic.strip():
        return Mapped("?", None, malformed=("topic", "the notification names no topic"))
    topic = topic.strip()
    if doc.get("type") not in (None, WRAPPER):
        why = f"type {doc.get('type')!r} is not {WRAPPER!r}"
        return Mapped(topic, None, malformed=("type", why))
    if not topic.startswith(CONVERSATION_TOPICS):
        return Mapped(topic, None, ignored=f"{topic} is not a conversation topic")
    data = doc.get("data")
    item = data.get("item") if isinstance(data, dict) else None
    if not isinstance(item, dict):
        return Mapped(topic, None, malformed=("data.item", "a conversation topic without its item"))
    cid = item.get("id")
    tid = str(cid).strip() if isinstance(cid, str | int) and not isinstance(cid, bool) else None
    if not tid:
        return Mapped(topic, None, malformed=("data.item.id", "the conversation has no id"))
    state = None
    first = first_part_at(item)
    if status_before is not None and first is not None:
        state = status_before(tid, first)
    mapped = IntercomMapping().conversation(
        WEBHOOK_FILE, JsonRecord(1, item), state=state, fallback=False
    )
    if mapped.rejects:
        r = mapped.rejects[0]
        return Mapped(topic, tid, malformed=(f"data.item.{r.column}", r.reason))
    if mapped.ticket is None:
        return Mapped(topic, tid, malformed=("data.item", "the conversation gives no ticket"))
    return Mapped(topic, tid, frames=mapped.records())


__all__ = [
    "SIGNATURE_HEADER",
    "Mapped",
    "check_signature",
    "intercom_signature",
    "map_delivery",
]
