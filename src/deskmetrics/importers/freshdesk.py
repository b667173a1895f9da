"""Freshdesk exports (the API v2's JSON) mapped to canonical raw rows.

A folder holds `tickets.json` (required; GET /api/v2/tickets with `include=stats`, and
`include=requester` when wanted) and optionally `conversations.json` (GET
/api/v2/tickets/{id}/conversations of every ticket), `satisfaction_ratings.json` (GET
/api/v2/surveys/satisfaction_ratings), `time_entries.json` (GET /api/v2/time_entries),
`agents.json`, `groups.json` and `contacts.json`. Freshdesk's list endpoints answer a bare JSON
array per page: a file may be one such array (all records, or one page), JSON Lines with one
page (array) or one record per line, or search pages (`{"results": [...], "total": n}`);
`.jsonl` is accepted in place of `.json`. A record listed again (a ticket listed by
`updated_since` each time it changes) counts once, in its version updated last. Every file is
streamed (`jsonstream`) and the frames come in chunks (`stream_freshdesk`; `read_freshdesk`
joins them). Values stay as Freshdesk gives them (ids become text, timestamps stay ISO
strings): `deskmetrics.model.validate` types and checks them after.

Mapping choices that metrics depend on (see docs/importers/freshdesk.md):
- the ticket's description is its opening message, at `created_at`: the requester's
  (`customer`), or an agent's when the ticket is agent-created;
- a ticket is `created_by="agent"` when its source is 10 (Outbound email: an agent wrote
  first) or its requester is an agent (agents.json); a phone ticket (3) is the customer's (the
  customer called; an agent logged it); Freshdesk names no creator, so an outbound ticket's
  opening message is credited to its responder;
- who wrote a conversation: a private note is an agent's note (`agent`, not public: never a
  reply); a note Freshdesk shows the requester (source 2, not private) written by an agent is
  not a reply either (Freshdesk counts only replies as responses), so it is stored not public;
  `incoming` conversations come from outside (`customer`); otherwise the author's user id
  decides: an agent (agents.json) → `agent`, the requester or a contact (contacts.json) →
  `customer`, any other user posting an outgoing public reply → `bot` (Freshdesk posts
  automated and Freddy replies as users that are not agents; nothing in a conversation tells
  Freddy AI Agent's answers from other automatic replies, so none is `ai_agent`). Without
  agents.json such a reply cannot be told agent or bot and is rejected (field `user_id`).
  Survey-feedback conversations (source 6) are the customer's survey comment, not a
  message: skipped;
- status history: Freshdesk's ticket export keeps no status history, only `stats` (the
  latest instant of each kind). Status events are rebuilt from them, ordered by time:
  `pending` at `pending_since`, `solved` at `resolved_at`, `closed` at `closed_at`, `open` at
  `reopened_at`, and the current status at `status_updated_at` when the others do not end in
  it. What cannot be known is said here and in the docs: only the latest reopen (a ticket
  reopened twice counts one reopen); a resolution before a reopen whose instant is not kept
  (the ticket was solved again after it) is placed at the reopen instant, so the first
  resolution time of such a ticket is an upper bound and its requester wait before the reopen
  is counted in full; a pending stretch followed by something other than a known change is
  taken to last until the next known change. Status codes: 2 open, 3 pending, 4 resolved →
  `solved`, 5 closed; a custom status (code ≥ 6, named per account) is `hold` (Freshdesk's
  shipped custom statuses are waiting states that stop the SLA timer); any other code is
  rejected (field `status`). A ticket without `stats` keeps only its current status (the
  engine's inferred stretch: solved at an unknown instant);
- priority 1 low, 2 medium → `normal`, 3 high, 4 urgent (another number is kept as given);
  `source` is kept as Freshdesk names it (`DEFAULT_CHANNEL_MAP` says how it is reported);
- satisfaction: the default question's answer (103 … -103, Freshdesk's 7 points) is a CSAT
  answer on the 1-7 scale (-103 → 1 … 100 → 4 … 103 → 7); on a 3-point survey happy (103),
  neutral (100) and unhappy (-103) become 7, 4 and 1. Further questions are skipped. Freshdesk
  exports only answered surveys: no survey requests are made (response rate is unknown);
- time entries are `interaction` events of the agent who logged them, `talk_seconds` the
  `time_spent` ("hh:mm"), at `start_time` (else `executed_at`, `created_at`): they feed
  average handle time and count as agent interactions (FCR). A running timer is skipped;
- spam and deleted tickets are left out and counted, with their conversations, time entries
  and ratings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

import msgspec

from deskmetrics.errors import ImportDataError
from deskmetrics.importers.exportfiles import (
    ExportFrames,
    collecting,
    read_whole,
)
from deskmetrics.importers.exportfiles import (
    find_file as _find,
)
from deskmetrics.importers.exportfiles import (
    iso_seconds as _instant,
)
from deskmetrics.importers.exportfiles import (
    text as _text,
)
from deskmetrics.importers.frames import RecordChunk
from deskmetrics.importers.jsonstream import JsonRecord, iter_records
from deskmetrics.model import DEFAULT_CHANNELS, Reject, SourceFrame

Record = dict[str, Any]

TICKETS_FILE = "tickets"
CONVERSATIONS_FILE = "conversations"
RATINGS_FILE = "satisfaction_ratings"
TIME_ENTRIES_FILE = "time_entries"
AGENTS_FILE = "agents"
GROUPS_FILE = "groups"
CONTACTS_FILE = "contacts"
#: the key of Freshdesk's search pages (list pages are bare arrays: read whatever the key)
_KEY = "results"

TICKET_COLUMNS = (
    "ticket_id", "created_at", "requester_id", "channel", "priority", "group", "assignee_id",
    "created_by", "subject", "tags", "product", "company_id", "ticket_type", "status",
    "updated_at",
)  # fmt: skip
EVENT_COLUMNS = (
    "event_id", "ticket_id", "at", "type", "author_role", "author_id", "public", "body",
    "status", "agent_id", "talk_seconds", "seq",
)  # fmt: skip
SURVEY_COLUMNS = (
    "response_id", "kind", "scale", "score", "answered_at", "customer_id", "ticket_id",
    "agent_id", "comment",
)  # fmt: skip
AGENT_COLUMNS = ("agent_id", "name", "team", "active", "email")

#: Freshdesk ticket `source` codes → names (API v2 reference, "Ticket properties").
SOURCE_NAMES: dict[int, str] = {
    1: "email", 2: "portal", 3: "phone", 4: "forum", 5: "twitter", 6: "facebook", 7: "chat",
    8: "mobihelp", 9: "feedback_widget", 10: "outbound_email", 11: "ecommerce", 12: "bot",
    13: "whatsapp",
}  # fmt: skip
#: source names → the deskmetrics channel they are reported as by default
DEFAULT_CHANNEL_MAP: dict[str, str] = {
    **DEFAULT_CHANNELS,
    "email": "email", "portal": "web", "phone": "phone", "forum": "web", "twitter": "social",
    "facebook": "social", "chat": "chat", "mobihelp": "web", "feedback_widget": "web",
    "outbound_email": "email", "ecommerce": "web", "bot": "chat", "whatsapp": "chat",
}  # fmt: skip
#: Freshdesk status codes 2–5 → canonical statuses; codes ≥ 6 are custom (`CUSTOM_STATUS`)
STATUS_CODES: dict[int, str] = {2: "open", 3: "pending", 4: "solved", 5: "closed"}
CUSTOM_STATUS = "hold"
PRIORITY_CODES: dict[int, str] = {1: "low", 2: "normal", 3: "high", 4: "urgent"}
#: the default question's answers (Freshdesk's 7 points) → a score on the 1-7 scale
CSAT_POINTS: dict[int, int] = {-103: 1, -102: 2, -101: 3, 100: 4, 101: 5, 102: 6, 103: 7}
_OUTBOUND_EMAIL = 10
_NOTE_SOURCE = 2
_SURVEY_FEEDBACK_SOURCE = 6
_TIME_SPENT = re.compile(r"^\s*(\d+):([0-5]\d)(?::([0-5]\d))?\s*$")

#: Rows per frame of a streamed import (the store stages each frame as it comes).
CHUNK_ROWS = 100_000
_COLLECT_EVERY = 8


#: what a Freshdesk export folder maps to, read whole
FreshdeskExport = ExportFrames


def read_freshdesk(directory: Path) -> ExportFrames:
    """Map a folder of Freshdesk API v2 JSON exports to canonical raw rows, one frame per
    table and file (`stream_freshdesk` gives the same rows in chunks)."""
    return read_whole(FreshdeskStream(directory, chunk_rows=None))


def stream_freshdesk(directory: Path, chunk_rows: int = CHUNK_ROWS) -> FreshdeskStream:
    """The frames of a Freshdesk export folder in chunks of at most `chunk_rows` rows;
    `skipped` is complete once iterated. Raises `ImportDataError` at once when the folder has
    no tickets file."""
    return FreshdeskStream(directory, chunk_rows)


@dataclass
class _Ticket:
    """What conversations, time entries and ratings need of a ticket."""

    requester: str | None
    row: int
    at: float


@dataclass
class FreshdeskMapping:
    """Lookups shared by the files (agents, contacts, group names, each ticket's requester),
    the rejects found so far by "<table>:<file>", and skip counts."""

    agents: set[str] = field(default_factory=set)
    agents_known: bool = False
    contacts: set[str] = field(default_factory=set)
    groups: dict[str, str] = field(default_factory=dict)
    tickets: dict[str, _Ticket] = field(default_factory=dict)  # winners (kept tickets)
    left_out: set[str] = field(default_factory=set)  # spam and deleted tickets
    rejects: dict[str, list[Reject]] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    #: records kept but read by a documented fallback ("<file>: <what>" → count)
    noted: dict[str, int] = field(default_factory=dict)

    def skip(self, file: str, what: str, n: int = 1) -> None:
        key = f"{file}: {what}"
        self.skipped[key] = self.skipped.get(key, 0) + n

    def note(self, file: str, what: str) -> None:
        key = f"{file}: {what}"
        self.noted[key] = self.noted.get(key, 0) + 1

    def reject(self, table: str, file: str, row: int, column: str, why: str,
               value: Any = None) -> None:  # fmt: skip
        r = Reject(table, file, row, column, why, _text(value))
        self.rejects.setdefault(f"{table}:{file}", []).append(r)

    def group_name(self, value: Any) -> str | None:
        gid = _text(value)
        return None if gid is None else self.groups.get(gid, gid)

    # tickets ------------------------------------------------------------------------------

    def ticket_winners(self, file: str, items: Iterable[JsonRecord]) -> None:
        """Pass 1: the latest version of each ticket (`updated_at`, the later record on a
        tie), its requester; spam and deleted tickets set aside."""
        again = 0
        for item in items:
            t = item.data
            tid = None if t is None else _text(t.get("id"))
            if t is None or tid is None:
                continue
            at = _instant(t.get("updated_at"))
            old = self.tickets.get(tid)
            if old is not None:
                again += 1
                if at < old.at:
                    continue
            self.tickets[tid] = _Ticket(_requester(t), item.row, at)
        if again:
            self.skip(file, "older versions of a ticket", again)

    def ticket_rows(self, file: str, item: JsonRecord) -> tuple[list[Record], list[Record]]:
        """The tickets row of one ticket record and its events (opening message, status
        changes rebuilt from `stats`); none for spam, deleted or rejected tickets."""
        t = item.data
        if t is None:
            self.reject("tickets", file, item.row, "id", "record is not a JSON object")
            return [], []
        tid = _text(t.get("id"))
        if tid is None:
            self.reject("tickets", file, item.row, "id", "ticket has no id")
            return [], []
        won = self.tickets.get(tid)
        if won is None or won.row != item.row:
            return [], []  # an older version
        if t.get("spam") is True or t.get("deleted") is True:
            self.skip(file, "spam tickets" if t.get("spam") is True else "deleted tickets")
            self.left_out.add(tid)
            del self.tickets[tid]
            return [], []
        created, requester = _text(t.get("created_at")), won.requester
        status = _status(t.get("status"))
        problem: tuple[str, str, Any] | None = None
        if created is None:
            problem = ("created_at", "ticket has no created_at", None)
        elif requester is None:
            problem = ("requester_id", "ticket has no requester_id", None)
        elif status is None:
            why = (
                f"unknown Freshdesk status code {_text(t.get('status'))!r} (2 open, 3 pending, "
                "4 resolved, 5 closed, 6 or more custom)"
            )
            problem = ("status", why, t.get("status"))
        if problem is not None or created is None or status is None:
            if problem is not None:
                self.reject("tickets", file, item.row, *problem)
            self.left_out.add(tid)
            del self.tickets[tid]
            return [], []
        if _int(t.get("status")) not in STATUS_CODES:
            self.note(file, f"tickets in a custom status, read as {CUSTOM_STATUS}")
        source = _int(t.get("source"))
        source_name = _source_name(t.get("source"))
        agent_made = source == _OUTBOUND_EMAIL or requester in self.agents
        assignee = _text(t.get("responder_id"))
        prio = _int(t.get("priority"))
        row = {
            "ticket_id": tid,
            "created_at": created,
            "requester_id": requester,
            "channel": source_name,
            "priority": PRIORITY_CODES.get(prio, _text(t.get("priority"))) if prio else None,
            "group": self.group_name(t.get("group_id")),
            "assignee_id": assignee,
            "created_by": "agent" if agent_made else "customer",
            "subject": _text(t.get("subject")),
            "tags": _tags(t.get("tags")),
            "product": _text(t.get("product_id")),
            "company_id": _text(t.get("company_id")),
            "ticket_type": _text(t.get("type")),
            "status": status,
            "updated_at": _text(t.get("updated_at")),
        }
        author = (requester if requester in self.agents else assignee) if agent_made else requester
        opening = {
            "event_id": f"{tid}-description", "ticket_id": tid, "at": created, "type": "message",
            "author_role": "agent" if agent_made else "customer", "author_id": author,
            "public": "true",
            "body": _text(t.get("description_text")) or _text(t.get("description")),
        }  # fmt: skip
        events = [opening, *self.status_rows(file, tid, created, status, t)]
        return [row], events

    def status_rows(
        self, file: str, tid: str, created: str, status: str, t: Record
    ) -> list[Record]:
        """Status events rebuilt from `stats` (see the module docstring): the known changes
        in time order, a resolution before a reopen placed at the reopen when its instant is
        not kept, and the current status when the changes do not end in it."""
        stats = t.get("stats")
        if not isinstance(stats, dict):
            self.note(file, "tickets without stats (current status only, solve instant unknown)")
            return []
        start = _instant(created)
        known: list[tuple[float, int, str, str, str]] = []  # (instant, order, status, at, name)
        for name, value, order in (
            ("pending", "pending_since", 0), ("solved", "resolved_at", 1),
            ("closed", "closed_at", 2), ("open", "reopened_at", 4),
        ):  # fmt: skip
            at = _text(stats.get(value))
            if at is not None and _instant(at) >= start:
                known.append((_instant(at), order, name, at, value))
            elif at is not None:
                self.skip(file, f"{value} unreadable or before the ticket's creation (left out)")
        known.sort()
        reopen = next((k for k in known if k[4] == "reopened_at"), None)
        if reopen is not None and not any(
            k[2] in ("solved", "closed") and k[0] <= reopen[0] for k in known
        ):
            # solved before the reopen at an instant Freshdesk no longer keeps: at the reopen
            known.append((reopen[0], 3, "solved", reopen[3], "resolved_before_reopen"))
            known.sort()
            self.note(
                file,
                "tickets solved again after a reopen: the earlier resolution, whose instant "
                "Freshdesk does not keep, is placed at the reopen",
            )
        last = known[-1][2] if known else "new"
        if last != status:
            at = _text(stats.get("status_updated_at")) or _text(t.get("updated_at"))
            if at is not None and (not known or _instant(at) >= known[-1][0]):
                known.append((_instant(at), 5, status, at, "status_updated_at"))
            else:
                self.skip(file, "current statuses with no instant after the known changes")
        return [
            {"event_id": f"{tid}-{name}", "ticket_id": tid, "at": at, "type": "status",
             "status": value, "seq": str(order)}
            for _, order, value, at, name in known
        ]  # fmt: skip

    # conversations ------------------------------------------------------------------------

    def conversation_row(self, file: str, item: JsonRecord) -> Record | None:
        """The message of one conversation (reply or note), or None (skipped or rejected)."""
        c = item.data
        if c is None:
            self.reject("events", file, item.row, "id", "record is not a JSON object")
            return None
        cid, tid, at = _text(c.get("id")), _text(c.get("ticket_id")), _text(c.get("created_at"))
        for name, value in (("id", cid), ("ticket_id", tid), ("created_at", at)):
            if value is None:
                self.reject("events", file, item.row, name, f"conversation has no {name}")
                return None
        assert tid is not None
        if tid in self.left_out:
            self.skip(file, "conversations of spam, deleted or rejected tickets")
            return None
        source = _int(c.get("source"))
        if source == _SURVEY_FEEDBACK_SOURCE:
            self.skip(file, "survey feedback conversations (not messages)")
            return None
        user = _text(c.get("user_id"))
        private = c.get("private") is True
        ticket = self.tickets.get(tid)
        role = self.author_role(user, private, c.get("incoming") is True, ticket)
        if role is None:
            why = (
                f"conversation {cid} is an outgoing reply by user {user}, but the export has no "
                "agents.json to tell an agent from a bot"
                if user is not None
                else f"conversation {cid} names no user_id"
            )
            self.reject("events", file, item.row, "user_id", why, user)
            return None
        note = source == _NOTE_SOURCE and role == "agent"
        return {
            "event_id": cid, "ticket_id": tid, "at": at, "type": "message",
            "author_role": role, "author_id": user,
            "public": "false" if private or note else "true",
            "body": _text(c.get("body_text")) or _text(c.get("body")),
        }  # fmt: skip

    def author_role(
        self, user: str | None, private: bool, incoming: bool, ticket: _Ticket | None
    ) -> str | None:
        """customer, agent or bot for a conversation's author (module docstring); None when
        nothing can tell."""
        if private:
            return "agent"
        if incoming:
            return "customer"
        if user is None:
            return None
        if user in self.agents:
            return "agent"
        if (ticket is not None and user == ticket.requester) or user in self.contacts:
            return "customer"
        return "bot" if self.agents_known else None

    # time entries -------------------------------------------------------------------------

    def time_entry_row(self, file: str, item: JsonRecord) -> Record | None:
        """The interaction of one time entry (agent, seconds spent), or None."""
        e = item.data
        if e is None:
            self.reject("events", file, item.row, "id", "record is not a JSON object")
            return None
        eid, tid = _text(e.get("id")), _text(e.get("ticket_id"))
        at = _text(e.get("start_time")) or _text(e.get("executed_at")) or _text(e.get("created_at"))
        for name, value in (("id", eid), ("ticket_id", tid), ("start_time", at)):
            if value is None:
                self.reject("events", file, item.row, name, f"time entry has no {name}")
                return None
        if tid in self.left_out:
            self.skip(file, "time entries of spam, deleted or rejected tickets")
            return None
        if e.get("timer_running") is True:
            self.skip(file, "time entries with a running timer (time not final)")
            return None
        spent = _seconds(e.get("time_spent"))
        if spent is None:
            why = 'time_spent is not "hh:mm"'
            self.reject("events", file, item.row, "time_spent", why, e.get("time_spent"))
            return None
        return {
            "event_id": f"time-entry-{eid}", "ticket_id": tid, "at": at, "type": "interaction",
            "agent_id": _text(e.get("agent_id")), "talk_seconds": str(spent),
        }  # fmt: skip

    # satisfaction -------------------------------------------------------------------------

    def rating_row(self, file: str, item: JsonRecord) -> Record | None:
        """The CSAT answer of one satisfaction rating (its default question), or None."""
        r = item.data
        if r is None:
            self.reject("surveys", file, item.row, "id", "record is not a JSON object")
            return None
        rid, tid = _text(r.get("id")), _text(r.get("ticket_id"))
        at = _text(r.get("created_at"))
        for name, value in (("id", rid), ("ticket_id", tid), ("created_at", at)):
            if value is None:
                self.reject("surveys", file, item.row, name, f"rating has no {name}")
                return None
        if tid in self.left_out:
            self.skip(file, "ratings of spam, deleted or rejected tickets")
            return None
        ratings = r.get("ratings")
        value = ratings.get("default_question") if isinstance(ratings, dict) else None
        point = CSAT_POINTS.get(_int(value) or 0)
        if point is None:
            why = "the default question's answer is not one of 103, 102, 101, 100, -101, -102, -103"
            self.reject("surveys", file, item.row, "ratings.default_question", why, value)
            return None
        others = len(ratings) - 1 if isinstance(ratings, dict) else 0
        if others:
            self.skip(file, "answers to further survey questions", others)
        ticket = self.tickets.get(tid or "")
        return {
            "response_id": f"freshdesk-csat-{rid}", "kind": "csat", "scale": "1-7",
            "score": str(point), "answered_at": at,
            "customer_id": _text(r.get("user_id")) or (ticket.requester if ticket else None),
            "ticket_id": tid, "agent_id": _text(r.get("agent_id")),
            "comment": _text(r.get("feedback")),
        }  # fmt: skip

    # agents -------------------------------------------------------------------------------

    def agent_row(self, file: str, item: JsonRecord) -> Record | None:
        a = item.data
        if a is None:
            self.reject("agents", file, item.row, "id", "record is not a JSON object")
            return None
        contact = a.get("contact") if isinstance(a.get("contact"), dict) else {}
        assert isinstance(contact, dict)
        groups = a.get("group_ids")
        team = self.group_name(groups[0]) if isinstance(groups, list) and groups else None
        active = contact.get("active")
        if a.get("deactivated") is True:
            active = False
        return {
            "agent_id": _text(a.get("id")), "name": _text(contact.get("name")), "team": team,
            "active": None if active is None else ("true" if active else "false"),
            "email": _text(contact.get("email")),
        }  # fmt: skip


class FreshdeskStream:
    """A Freshdesk export folder read in passes, each file streamed (`jsonstream`):
    groups, agents and contacts (lookups); tickets twice (the latest version of each, then
    their rows, opening messages and status events); conversations; time entries; ratings;
    agents. Iterating yields `SourceFrame`s; `skipped` is complete at the end."""

    def __init__(self, directory: Path, chunk_rows: int | None = CHUNK_ROWS) -> None:
        directory = Path(directory)
        if not directory.is_dir():
            raise ImportDataError(
                f"{directory} is not a folder: give the folder of a Freshdesk export"
            )
        tickets = _find(directory, TICKETS_FILE)
        if tickets is None:
            raise ImportDataError(
                f"no tickets.json in {directory}: a Freshdesk export folder needs tickets.json "
                "and may add conversations.json, satisfaction_ratings.json, time_entries.json, "
                "agents.json, groups.json and contacts.json (each a JSON array of records, API "
                "pages one per line, or JSON Lines; .jsonl is accepted too)"
            )
        self.directory = directory
        self.tickets_path = tickets
        self.chunk_rows = chunk_rows
        self.fd = FreshdeskMapping()
        self.skipped = self.fd.skipped
        self.noted = self.fd.noted

    def __iter__(self) -> Iterator[SourceFrame]:
        yield from collecting(self._frames(), _COLLECT_EVERY)

    def _frames(self) -> Iterator[SourceFrame]:
        fd, d = self.fd, self.directory
        groups = _find(d, GROUPS_FILE)
        if groups is not None:
            for item in iter_records(groups, _KEY):
                gid = None if item.data is None else _text(item.data.get("id"))
                if item.data is not None and gid is not None:
                    fd.groups[gid] = _text(item.data.get("name")) or gid
        agents = _find(d, AGENTS_FILE)
        if agents is not None:
            fd.agents_known = True
            for item in iter_records(agents, _KEY):
                aid = None if item.data is None else _text(item.data.get("id"))
                if aid is not None:
                    fd.agents.add(aid)
        contacts = _find(d, CONTACTS_FILE)
        if contacts is not None:
            for item in iter_records(contacts, _KEY):
                uid = None if item.data is None else _text(item.data.get("id"))
                if uid is not None:
                    fd.contacts.add(uid)

        tf = self.tickets_path.name
        fd.ticket_winners(tf, iter_records(self.tickets_path, _KEY, fast=record_heads))
        tickets = RecordChunk("tickets", tf, TICKET_COLUMNS)
        opening = RecordChunk("events", tf, EVENT_COLUMNS)
        for item in iter_records(self.tickets_path, _KEY):
            rows, events = fd.ticket_rows(tf, item)
            tickets.extend(item.row, rows)
            opening.extend(item.row, events)
            if tickets.full(self.chunk_rows):
                yield tickets.take(fd.rejects)
            if opening.full(self.chunk_rows):
                yield opening.take(fd.rejects)
        yield tickets.take(fd.rejects)
        yield opening.take(fd.rejects)

        for stem, table, columns, mapper in (
            (CONVERSATIONS_FILE, "events", EVENT_COLUMNS, fd.conversation_row),
            (TIME_ENTRIES_FILE, "events", EVENT_COLUMNS, fd.time_entry_row),
            (RATINGS_FILE, "surveys", SURVEY_COLUMNS, fd.rating_row),
            (AGENTS_FILE, "agents", AGENT_COLUMNS, fd.agent_row),
        ):
            path = _find(d, stem)
            if path is None:
                continue
            chunk = RecordChunk(table, path.name, columns)
            for item in _latest(fd, path):
                row = mapper(path.name, item)
                if row is not None:
                    chunk.add(item.row, row)
                if chunk.full(self.chunk_rows):
                    yield chunk.take(fd.rejects)
            yield chunk.take(fd.rejects)


def _latest(fd: FreshdeskMapping, path: Path) -> Iterator[JsonRecord]:
    """The records of a file, one version per id: the one updated last (the later record on
    a tie). Two passes over the file; only the winners' places are held."""
    best: dict[str, tuple[float, int]] = {}
    again = 0
    for item in iter_records(path, _KEY, fast=record_heads):
        rid = None if item.data is None else _text(item.data.get("id"))
        if rid is None or item.data is None:
            continue
        at = _instant(item.data.get("updated_at"))
        old = best.get(rid)
        if old is not None:
            again += 1
            if at < old[0]:
                continue
        best[rid] = (at, item.row)
    if again:
        fd.skip(path.name, "older versions of a record", again)
    for item in iter_records(path, _KEY):
        rid = None if item.data is None else _text(item.data.get("id"))
        if rid is None or best[rid][1] == item.row:
            yield item


class _Head(TypedDict, total=False):
    """What a first pass reads of a record: its id, when it was updated, its requester (a
    ticket's), and `results`, which makes it a search page rather than a record."""

    id: Any
    updated_at: Any
    requester_id: Any
    requester: Any
    results: Any


_decode_heads = msgspec.json.Decoder(list[_Head]).decode


def record_heads(line: bytes) -> list[Any] | None:
    """The records of one JSON Lines line holding a page (a bare array of records: Freshdesk's
    list pages) with only the fields the first passes read (`_Head`), the rest skipped rather
    than decoded. None when the line is anything else (a search page, one record, a value that
    is not an object, JSON that msgspec refuses): it is then read whole (`jsonstream`)."""
    try:
        records = _decode_heads(line)
    except (msgspec.DecodeError, RecursionError):
        return None
    if any("results" in r for r in records):
        return None
    return records


# --- values ------------------------------------------------------------------------------


def _int(value: Any) -> int | None:
    """A numeric code (an integer, or digits as text); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return None


def _status(value: Any) -> str | None:
    """A Freshdesk status code as a canonical status; None for a code Freshdesk has not."""
    code = _int(value)
    if code is None:
        return None
    if code in STATUS_CODES:
        return STATUS_CODES[code]
    return CUSTOM_STATUS if code >= 6 else None


def _requester(t: Record) -> str | None:
    """The requester's id: `requester_id`, else the side-loaded `requester` object's."""
    rid = _text(t.get("requester_id"))
    side = t.get("requester")
    if rid is None and isinstance(side, dict):
        rid = _text(side.get("id"))
    return rid


def _seconds(value: Any) -> int | None:
    """Freshdesk's `time_spent` ("hh:mm", also "hh:mm:ss") in seconds."""
    m = _TIME_SPENT.match(value) if isinstance(value, str) else None
    if m is None:
        return None
    return int(m[1]) * 3600 + int(m[2]) * 60 + int(m[3] or 0)


def _tags(value: Any) -> str | None:
    if isinstance(value, list):
        return ";".join(str(v) for v in value) or None
    return _text(value)


def _source_name(source: Any) -> str | None:
    """A ticket's `source` as Freshdesk names it (a code becomes its name, lower-cased)."""
    code = _int(source)
    name = SOURCE_NAMES.get(code) if code is not None else None
    if name is None:
        text = _text(source)
        name = None if text is None else text.lower().replace(" ", "_")
    return name


def channel_of(source: Any) -> str | None:
    """The deskmetrics channel a Freshdesk `source` code (or name) is reported as."""
    name = _source_name(source)
    return None if name is None else DEFAULT_CHANNEL_MAP.get(name, "other")


#: Freshdesk's field names for the canonical columns validation names, by table and file stem
FILE_TERMS: dict[tuple[str, str], dict[str, str]] = {
    ("tickets", TICKETS_FILE): {
        "ticket_id": "id", "assignee_id": "responder_id", "channel": "source",
        "group": "group_id", "product": "product_id", "ticket_type": "type",
    },
    ("events", TICKETS_FILE): {"at": "created_at", "body": "description_text"},
    ("events", CONVERSATIONS_FILE): {
        "event_id": "id", "at": "created_at", "author_id": "user_id", "body": "body_text",
    },
    ("events", TIME_ENTRIES_FILE): {
        "event_id": "id", "at": "start_time", "agent_id": "agent_id", "talk_seconds": "time_spent",
    },
    ("surveys", RATINGS_FILE): {
        "response_id": "id", "answered_at": "created_at", "customer_id": "user_id",
        "score": "ratings.default_question", "comment": "feedback",
    },
    ("agents", AGENTS_FILE): {"agent_id": "id", "name": "contact.name"},
}  # fmt: skip


def file_terms(table: str, file: str) -> dict[str, str]:
    """Canonical column → the Freshdesk field it was read from, for a frame's rejects."""
    return FILE_TERMS.get((table, file.rsplit(".", 1)[0]), {})


__all__: list[str] = [
    "CSAT_POINTS",
    "DEFAULT_CHANNEL_MAP",
    "PRIORITY_CODES",
    "SOURCE_NAMES",
    "STATUS_CODES",
    "FreshdeskExport",
    "FreshdeskMapping",
    "channel_of",
    "file_terms",
    "read_freshdesk",
    "stream_freshdesk",
]
