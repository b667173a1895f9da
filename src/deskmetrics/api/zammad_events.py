"""Zammad webhooks mapped to canonical rows, and their signature check.

A Zammad trigger with a webhook action POSTs the ticket and the article that fired it
(`{"ticket": {...}, "article": {...}}`, names expanded: `state`, `priority`, `group`, …).
When the webhook has a signature token, Zammad signs the raw body: header `X-Hub-Signature`
= "sha1=" + hex HMAC-SHA1 of the body with the token. The token is the secret of source
`zammad` in the settings (`[web.sources.zammad] secret_env`); a delivery without the header,
or with another signature, is refused (401). The scheme has no timestamp, so a delivery can be
replayed: harmless, as ids come from Zammad's and a redelivery changes nothing.

Mapped as the export importer maps the same records (`importers/zammad.py`), with the same
ids for articles, so an import after the webhooks (or before) does not count them twice:
- the ticket → its tickets row (state, priority, group, owner, customer, opener);
- the article, when there is one → its message event (sender Customer/Agent/System →
  customer/agent/bot; internal → an agent's private note, never a reply);
- the ticket's state → a `status` event at the ticket's `updated_at` (Zammad sends the state
  after the change, not the change itself; a delivery that changed no state repeats the
  current one, which changes no fact). These ids differ from the import's history ids: a
  ticket both imported and delivered carries each change twice at the same instant, which
  the facts do not count twice either.
Merged and removed tickets are acknowledged and ignored, as the importer leaves them out. A
delivery lacking a field the mapping needs is refused naming it.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from deskmetrics.api.deliveries import Mapped
from deskmetrics.importers.exportfiles import text
from deskmetrics.importers.zammad import article_row, state_of, ticket_row

SIGNATURE_HEADER = "X-Hub-Signature"


def signature(secret: str, body: bytes) -> str:
    """The `X-Hub-Signature` value Zammad sends for `body` signed with `secret`."""
    return "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


def check_signature(secret: str, given: str | None, body: bytes) -> str | None:
    """None when `given` is the body's signature with the source's secret, else why not."""
    if not given:
        return f"sign the webhook in Zammad (its signature token): {SIGNATURE_HEADER} is missing"
    if not hmac.compare_digest(given.strip().lower().encode(), signature(secret, body).encode()):
        return f"{SIGNATURE_HEADER} does not match the body signed with this source's secret"
    return None


def map_delivery(doc: Any) -> Mapped:
    """Canonical rows for one delivery (see the module docstring)."""
    if not isinstance(doc, dict):
        return Mapped("?", None, malformed=("body", "the body is not a JSON object"))
    t = doc.get("ticket")
    if not isinstance(t, dict):
        return Mapped("?", None, malformed=("ticket", "the delivery holds no ticket"))
    tid = text(t.get("id"))
    a = doc.get("article") if isinstance(doc.get("article"), dict) else None
    out = Mapped("article" if a else "ticket", tid)
    if tid is None:
        out.malformed = ("ticket.id", "the delivery's ticket has no id")
        return out
    state = t.get("state") if t.get("state") is not None else t.get("state_id")
    known, status = state_of(state)
    if known and status is None:
        out.ignored = "merged and removed tickets are left out"
        return out
    article: dict[str, Any] | None = None
    if a is not None:
        article, (name, why) = article_row({"ticket_id": tid, **a})
        if article is None:
            out.malformed = (f"article.{name}", why)
            return out
    ticket, (name, why) = ticket_row(
        t, None if article is None or article["public"] != "true" else article["author_role"]
    )
    if ticket is None:
        out.malformed = (f"ticket.{name}", why)
        return out
    out.ticket = ticket
    if article is not None:
        out.events.append(article)
    at = text(t.get("updated_at"))
    if at is not None:
        out.events.append({"event_id": f"zm-state-{tid}-{at}", "ticket_id": tid, "at": at,
                           "type": "status", "status": ticket["status"]})  # fmt: skip
    return out


__all__ = ["SIGNATURE_HEADER", "Mapped", "check_signature", "map_delivery", "signature"]
