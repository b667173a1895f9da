"""Answers given on a survey link, stored as canonical `surveys` rows.

One answer per ticket and kind: the row's `response_id` is derived from both
(`link-{kind}-{ticket_id}`), so answering again replaces the earlier answer instead of adding
a second one. The store refuses to change a stored survey row on import (answers from a survey
tool never change), so a link answer takes its own narrow path: the row is validated exactly as
an import would validate it, then the old row with the same id is replaced in one transaction.
Only ids of this shape are ever replaced."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from deskmetrics.engine.periods import naive_utc, utc_now
from deskmetrics.engine.store import SQL_TYPES, ensure_schema, q
from deskmetrics.engine.workspace import Workspace, duckdb_connection
from deskmetrics.errors import DeskmetricsError
from deskmetrics.model import TABLES, SourceFrame, validate
from deskmetrics.surveys.links import (
    DEFAULT_DAYS,
    LinkError,
    SurveyLink,
    link_url,
    make_token,
    question,
)

RESPONSE_PREFIX = "link-"
#: longest comment kept (characters); a longer one is refused, not cut
MAX_COMMENT = 5000


class AnswerError(DeskmetricsError):
    """An answer that cannot be recorded (score off the scale, comment too long)."""

    status = 422


class UnknownTicket(LinkError):
    """The link names a ticket the workspace does not hold."""

    status = 404


@dataclass(frozen=True)
class TicketInfo:
    ticket_id: str
    requester_id: str | None
    subject: str | None


@dataclass(frozen=True)
class StoredAnswer:
    response_id: str
    score: str
    comment: str | None
    answered_at: datetime
    replaced: bool = False


def response_id(ticket_id: str, kind: str) -> str:
    """The one response id a ticket's `kind` answer has, however often it is given."""
    return f"{RESPONSE_PREFIX}{kind}-{ticket_id}"


def ticket_info(ws: Workspace, ticket_id: str) -> TicketInfo | None:
    """The ticket's requester and subject; None when no such ticket is stored."""
    row = (
        duckdb_connection(ws)
        .execute(
            "SELECT ticket_id, requester_id, subject FROM tickets WHERE ticket_id = ?", [ticket_id]
        )
        .fetchone()
    )
    return None if row is None else TicketInfo(row[0], row[1], row[2])


def require_ticket(ws: Workspace, ticket_id: str) -> TicketInfo:
    info = ticket_info(ws, ticket_id)
    if info is None:
        raise UnknownTicket(f"no ticket {ticket_id!r} in this workspace")
    return info


def current_answer(ws: Workspace, ticket_id: str, kind: str) -> StoredAnswer | None:
    """The answer already given on this ticket's link, if any (to show it again)."""
    row = (
        duckdb_connection(ws)
        .execute(
            "SELECT response_id, score, comment, answered_at FROM surveys WHERE response_id = ?",
            [response_id(ticket_id, kind)],
        )
        .fetchone()
    )
    return None if row is None else StoredAnswer(row[0], str(row[1]), row[2], row[3])


def parse_score(kind: str, raw: Any) -> int:
    """The score as a whole number on the kind's scale; anything else is an `AnswerError`."""
    qn = question(kind)
    text = "" if raw is None else str(raw).strip()
    if not text:
        raise AnswerError(f"please pick an answer from {qn.low} to {qn.high}")
    try:
        value = int(text)
    except ValueError as exc:
        raise AnswerError(
            f"the answer {text[:20]!r} is not a whole number from {qn.low} to {qn.high}"
        ) from exc
    if not qn.low <= value <= qn.high:
        raise AnswerError(f"the answer {value} is outside the scale {qn.low}–{qn.high}")
    return value


def record_answer(
    ws: Workspace,
    link: SurveyLink,
    score: Any,
    comment: str | None = None,
    now: datetime | None = None,
) -> StoredAnswer:
    """Store (or replace) the ticket's answer for the link's kind, answered at `now`.

    The customer is the ticket's requester; agent and channel stay empty so that metrics take
    them from the ticket (its assignee and channel), as for every survey row without them."""
    qn = question(link.kind)
    value = parse_score(link.kind, score)
    text = (comment or "").strip() or None
    if text is not None and len(text) > MAX_COMMENT:
        raise AnswerError(
            f"the comment is too long ({len(text)} characters; at most {MAX_COMMENT})"
        )
    info = require_ticket(ws, link.ticket_id)
    at = naive_utc(now)
    rid = response_id(link.ticket_id, qn.kind)
    frame = pd.DataFrame(
        [
            {
                "response_id": rid,
                "kind": qn.kind,
                "scale": qn.scale,
                "score": str(value),
                "answered_at": at.isoformat() + "Z",
                "customer_id": info.requester_id,
                "ticket_id": link.ticket_id,
                "comment": text,
            }
        ]
    )
    table = TABLES["surveys"]
    valid = validate(SourceFrame(table, "survey-link", frame), limits=ws.settings.limits)
    if valid.rejects:  # the checks above make this unreachable; never store a bad row
        raise AnswerError("; ".join(r.reason for r in valid.rejects))
    con = duckdb_connection(ws)
    ensure_schema(con)
    cols = list(table.column_names)
    staged = valid.frame[cols].astype("object").where(valid.frame[cols].notna(), None)
    casts = ", ".join(f"CAST({q(c)} AS {SQL_TYPES[table.column(c).kind]})" for c in cols)
    con.execute("BEGIN TRANSACTION")
    try:
        found = con.execute("SELECT count(*) FROM surveys WHERE response_id = ?", [rid]).fetchone()
        con.execute("DELETE FROM surveys WHERE response_id = ?", [rid])
        con.register("_link_answer", staged)
        con.execute(
            f"INSERT INTO surveys ({', '.join(q(c) for c in cols)}) SELECT {casts} "
            "FROM _link_answer"
        )
        con.unregister("_link_answer")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return StoredAnswer(rid, str(value), text, at, replaced=bool(found and found[0]))


def record_request(
    ws: Workspace, link: SurveyLink, request_id: str, sent_at: datetime, customer_id: str | None
) -> bool:
    """Store a sent survey request in `survey_requests`. A request id already stored keeps its
    first sending (a request is never sent twice). True when it was new.

    One parameterised insert: dispatch records each mail the moment the server accepts it, so
    a pass stopped halfway never sends a mail twice. Every value is made here (the kind from
    the question table, the ticket from the workspace), so the import validation has nothing
    to check (it costs ~0.1 s per row)."""
    if not request_id:
        raise AnswerError("a survey request needs an id")
    qn = question(link.kind)
    con = duckdb_connection(ws)
    inserted = con.execute(
        "INSERT INTO survey_requests (request_id, kind, sent_at, customer_id, ticket_id) "
        "SELECT ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM survey_requests "
        "WHERE request_id = ?)",
        [request_id, qn.kind, naive_utc(sent_at), customer_id, link.ticket_id, request_id],
    ).fetchone()
    return bool(inserted and inserted[0])


@dataclass(frozen=True)
class MadeLink:
    url: str
    token: str
    link: SurveyLink
    request_id: str | None = None


def make_link(
    ws: Workspace,
    secret: str,
    public_url: str,
    ticket_id: str,
    kind: str,
    days: float = DEFAULT_DAYS,
    now: datetime | None = None,
    record_as_sent: bool = False,
) -> MadeLink:
    """A signed link for a stored ticket; with `record_as_sent`, also the survey request
    (`link-{kind}-{ticket}` in `survey_requests`, sent now) so the response rate counts it."""
    info = require_ticket(ws, ticket_id)
    token, link = make_token(secret, ticket_id, kind, days=days, now=now)
    rid = None
    if record_as_sent:
        rid = response_id(ticket_id, link.kind)
        record_request(ws, link, rid, now or utc_now(), info.requester_id)
    return MadeLink(link_url(public_url, token), token, link, rid)


__all__ = [
    "MAX_COMMENT",
    "AnswerError",
    "MadeLink",
    "StoredAnswer",
    "TicketInfo",
    "UnknownTicket",
    "current_answer",
    "make_link",
    "parse_score",
    "record_answer",
    "record_request",
    "require_ticket",
    "response_id",
    "ticket_info",
]
