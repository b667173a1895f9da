"""Help Scout webhooks mapped to canonical rows, and the signature check.

Help Scout signs each delivery: `X-HelpScout-Signature` is the base64 of the HMAC-SHA1 of the
raw body under the webhook's secret key (the secret of source `helpscout` in the settings);
`X-HelpScout-Event` names the event. A delivery without the signature, or with another one, is
refused (401). Help Scout signs no timestamp, so a captured delivery could be replayed: that
changes nothing (ids come from Help Scout's own ids), and the endpoint must be served over
HTTPS only.

The body of a conversation event (`convo.created`, `convo.customer.reply.created`,
`convo.agent.reply.created`, `convo.note.created`, `convo.status`, `convo.assigned`, and the
other `convo.*` events that change a conversation's status, assignee or threads) is the whole
conversation with its threads, as the webhook's Conversation object gives it (`customer`,
`owner`, `mailbox`, `threads`; the API 2.0 names `primaryCustomer`, `assignee`,
`_embedded.threads` are read too). It is mapped exactly as the export importer maps a
conversation (`importers/helpscout.py`): the tickets row (current status, assignee, mailbox
name as group) and every thread's message and status change, so each delivery brings the
conversation up to date and a redelivery changes nothing (the route posts only the threads not
stored yet: a thread edited in Help Scout since keeps the text first stored). The stored agents
stand for users.json: a `user` thread is an agent's when its author is a stored agent, a bot's
(Help Scout's AI assistant) otherwise; with no agents stored, every `user` thread is an
agent's, as an import without users.json reads it (the import and the webhook then map the same
thread alike). A spam, deleted or draft conversation is acknowledged and ignored (left out, as
by the import).

`convo.deleted` is acknowledged and ignored: a webhook does not remove stored rows.

`satisfaction.ratings` carries a Rating object (`ticketId` the conversation, `threadId` the
rated reply, `rating` Great/Okay/Bad): a CSAT answer `helpscout-rating-<thread>` on 1-5, the
same answer the import makes of the same rating. Other events are acknowledged and ignored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from deskmetrics.api import deliveries
from deskmetrics.importers.freshdesk import _text
from deskmetrics.importers.helpscout import HelpScoutMapping
from deskmetrics.importers.jsonstream import JsonRecord

EVENT_HEADER = "X-HelpScout-Event"
SIGNATURE_HEADER = "X-HelpScout-Signature"
RATING_EVENT = "satisfaction.ratings"
DELETED_EVENT = "convo.deleted"
DELETED_NOTE = (
    "a deleted conversation is not removed by a webhook: remove it with `deskmetrics delete "
    "tickets --id <id>` (its events go with it)"
)
#: the file name rejects of a delivery carry
FILE = "webhook:helpscout"


def signature(secret: str, body: bytes) -> str:
    """What Help Scout sends as `X-HelpScout-Signature` for `body` under `secret`."""
    digest = hmac.new(secret.encode(), body, hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def check_signature(secret: str, body: bytes, given: str | None) -> str | None:
    """None when `given` is the body's signature under the source's secret, else why not."""
    if not given:
        return f"send {SIGNATURE_HEADER} (base64 HMAC-SHA1 of the body under the secret key)"
    if not hmac.compare_digest(given.strip().encode(), signature(secret, body).encode()):
        return f"{SIGNATURE_HEADER} does not match the body under this source's secret"
    return None


@dataclass
class Mapped(deliveries.Mapped):
    """Canonical rows one delivery maps to, with its satisfaction rating."""

    survey: dict[str, Any] | None = None


def map_delivery(event: str | None, doc: Any, agents: set[str] | None = None) -> Mapped:
    """Canonical rows for one delivery of event `event` (see the module docstring); `agents`
    are the stored agents' ids, which tell agents' threads from bots' as users.json does."""
    kind = (event or "").strip().lower()
    if not kind:
        return Mapped("?", None, malformed=(EVENT_HEADER, "the delivery names no event"))
    if not isinstance(doc, dict):
        return Mapped(kind, None, malformed=("body", "the body is not a JSON object"))
    hs = HelpScoutMapping()
    if agents:
        hs.agents, hs.users_known = set(agents), True
    item = JsonRecord(1, doc)
    if kind == RATING_EVENT:
        row = hs.rating_row(FILE, item)
        out = Mapped(kind, None if row is None else row["ticket_id"], survey=row)
        if row is None:
            out.malformed = _first_reject(hs) or ("rating", "the rating has no answer")
            if "unknown" in " ".join(hs.skipped):
                out.malformed, out.ignored = None, "a rating without an answer (unknown)"
        return out
    if not kind.startswith("convo."):
        return Mapped(kind, None, ignored=f"{kind} does not change any metric")
    if kind == DELETED_EVENT:  # its body names the conversation, nothing more to map
        return Mapped(kind, _text(doc.get("id")), ignored=DELETED_NOTE)
    mailbox = doc.get("mailbox")
    if isinstance(mailbox, dict) and mailbox.get("id") is not None and mailbox.get("name"):
        hs.mailboxes[str(mailbox["id"])] = str(mailbox["name"])
    if doc.get("isDraft") is True:
        doc = {**doc, "state": "draft"}
    tickets, events = hs.conversation_rows(FILE, JsonRecord(1, doc), winners=False)
    out = Mapped(kind, None if not tickets else tickets[0]["ticket_id"])
    problem = _first_reject(hs)
    if problem is not None:
        out.malformed = problem
    elif not tickets:
        out.ignored = "spam, deleted and draft conversations are left out"
    else:
        out.ticket, out.events = tickets[0], events
    return out


def _first_reject(hs: HelpScoutMapping) -> tuple[str, str] | None:
    found = [r for rs in hs.rejects.values() for r in rs]
    return (found[0].column, found[0].reason) if found else None


__all__ = [
    "EVENT_HEADER",
    "RATING_EVENT",
    "SIGNATURE_HEADER",
    "Mapped",
    "check_signature",
    "map_delivery",
    "signature",
]
