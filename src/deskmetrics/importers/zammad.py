"""Zammad exports (the REST API's JSON) mapped to canonical raw rows.

A folder holds `tickets.json` (required; the pages of GET /api/v1/tickets?expand=true, each a
JSON array of tickets) and optionally `ticket_articles.json` (GET
/api/v1/ticket_articles/by_ticket/{id} of every ticket, each a JSON array),
`ticket_history.json` (GET /api/v1/ticket_history/{id} of every ticket, each
`{"history": [...], "assets": {...}}`) and `users.json` (GET /api/v1/users pages). A file may be
JSON Lines with one API page or one record per line, or a JSON array of records; `.jsonl` is
accepted in place of `.json`. Every file is streamed (`jsonstream`). Values stay text:
`deskmetrics.model.validate` types and checks them after.

Mapping choices that metrics depend on (see docs/importers/zammad.md):
- a ticket's requester is `customer_id`, its assignee `owner_id` (Zammad's user 1 is its
  "nobody": unassigned), its group `group` (else `group_id`), its subject `title`, its
  channel the type of its first article (`create_article_type`: email, phone, web, chat,
  sms/telegram/whatsapp → chat, twitter/facebook → social, note → other);
- who wrote an article: its `sender` — Customer → `customer`, Agent → `agent`, System →
  `bot` (triggers' automatic replies; Zammad names no other sender, so no article is
  `ai_agent`); an `internal` article is an agent's private note, never a reply; a public
  note counts as a reply (the customer sees it). The author is `origin_by_id` (the
  customer an agent logged a phone call for) else `created_by_id`;
- a ticket is `created_by="agent"` when `create_article_sender` is Agent (an agent opened it,
  e.g. an outbound email or a logged call); else the first article's sender decides;
- status history: the `state` entries of the ticket history (`object` Ticket, `attribute`
  state) become `status` events at their `created_at` with `value_to`. States: new → new,
  open → open, pending reminder and pending close → pending (waiting on the customer),
  closed → solved (Zammad reopens a closed ticket when the customer writes, so closed is not
  final). A closed ticket with no state history (history not exported) gets one `solved`
  event at its `last_close_at` (Zammad 6+; else `close_at`, which is its first close) and is
  counted as noted: its reopens and waits cannot be known. Any other
  state is rejected (field `state`, or `value_to` in the history);
- merged tickets (state merged; Zammad moves their articles to the ticket they were merged
  into) and removed ones are left out and counted, with their articles and history;
- priority "1 low", "2 normal", "3 high" (or priority_id 1-3); any other is kept for
  validation to judge;
- satisfaction: Zammad has no built-in CSAT survey, so CSAT, NPS and CES metrics stay empty
  (import a survey tool's answers with `--from survey-csv`);
- users with the Agent or Admin role (`roles`, else `role_ids` 1 Admin, 2 Agent) are the
  agents table;
- an article or history entry whose ticket is not in tickets.json is rejected (field
  `ticket_id` / `o_id`); history of other attributes or objects, and tickets listed again (the
  later version kept), are skipped and counted.
Business hours (Zammad's calendars) are not mapped: set the workspace's schedule.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deskmetrics.errors import ImportDataError
from deskmetrics.importers.exportfiles import (
    ExportFrames,
    collecting,
    find_file,
    iso_seconds,
    read_whole,
    text,
)
from deskmetrics.importers.frames import RecordChunk
from deskmetrics.importers.jsonstream import JsonRecord, iter_records
from deskmetrics.model import Reject, SourceFrame

Record = dict[str, Any]

TICKETS_FILE = "tickets"
ARTICLES_FILE = "ticket_articles"
HISTORY_FILE = "ticket_history"
USERS_FILE = "users"

TICKET_COLUMNS = (
    "ticket_id", "created_at", "requester_id", "channel", "priority", "group", "assignee_id",
    "created_by", "subject", "status", "updated_at",
)  # fmt: skip
EVENT_COLUMNS = (
    "event_id", "ticket_id", "at", "type", "author_role", "author_id", "public", "body",
    "status",
)  # fmt: skip
AGENT_COLUMNS = ("agent_id", "name", "active", "email")

#: Zammad ticket states (names, and the default state ids) → canonical statuses; None: left out
STATE_NAMES: dict[str, str | None] = {
    "new": "new", "open": "open", "pending reminder": "pending", "pending close": "pending",
    "closed": "solved", "merged": None, "removed": None,
    "1": "new", "2": "open", "3": "pending", "4": "solved", "5": None, "6": None, "7": "pending",
}  # fmt: skip
LEFT_OUT_STATES = {"merged": "merged tickets", "5": "merged tickets",
                   "removed": "removed tickets", "6": "removed tickets"}  # fmt: skip
PRIORITY_NAMES: dict[str, str] = {
    "1 low": "low", "2 normal": "normal", "3 high": "high", "1": "low", "2": "normal",
    "3": "high", "low": "low", "normal": "normal", "high": "high",
}  # fmt: skip
#: article types → the deskmetrics channel a ticket opened by one is reported as
CHANNELS: dict[str, str] = {
    "email": "email", "phone": "phone", "web": "web", "chat": "chat", "sms": "chat",
    "telegram personal-message": "chat", "whatsapp message": "chat", "twitter status": "social",
    "twitter direct-message": "social", "facebook feed post": "social",
    "facebook feed comment": "social", "note": "other",
}  # fmt: skip
#: article senders (names, and the default sender ids) → author roles
SENDERS: dict[str, str] = {
    "customer": "customer", "agent": "agent", "system": "bot", "1": "agent", "2": "customer",
    "3": "bot",
}  # fmt: skip
AGENT_ROLES = {"agent", "admin"}
AGENT_ROLE_IDS = {"1", "2"}
NOBODY = "1"  # Zammad's user 1: the owner of an unassigned ticket

#: Rows per frame of a streamed import (the store stages each frame as it comes).
CHUNK_ROWS = 100_000
_COLLECT_EVERY = 8


def read_zammad(directory: Path) -> ExportFrames:
    """Map a folder of Zammad API JSON exports to canonical raw rows, one frame per table and
    file (`stream_zammad` gives the same rows in chunks)."""
    return read_whole(ZammadStream(directory, chunk_rows=None))


def stream_zammad(directory: Path, chunk_rows: int = CHUNK_ROWS) -> ZammadStream:
    """The frames of a Zammad export folder in chunks of at most `chunk_rows` rows."""
    return ZammadStream(directory, chunk_rows)


def _name(value: Any) -> str | None:
    """An expanded attribute (a name, or an object with a name) as lower-case text."""
    if isinstance(value, dict):
        value = value.get("name")
    t = text(value)
    return None if t is None else t.lower()


def state_of(value: Any) -> tuple[bool, str | None]:
    """(known, canonical status) of a Zammad state name or id; (True, None) for merged and
    removed tickets, which are left out."""
    t = _name(value)
    if t is None or t not in STATE_NAMES:
        return False, None
    return True, STATE_NAMES[t]


def channel_of(article_type: Any) -> str | None:
    """The deskmetrics channel of a Zammad article type; a type not listed is `other`."""
    t = _name(article_type)
    return None if t is None else CHANNELS.get(t, "other")


def priority_of(value: Any) -> str | None:
    """A Zammad priority ("2 normal", or its id) as a canonical one; others kept as given."""
    t = _name(value)
    return None if t is None else PRIORITY_NAMES.get(t, t)


def author_role(sender: Any) -> str | None:
    """customer, agent or bot for an article's sender (name or id); None when unknown."""
    t = _name(sender)
    return None if t is None else SENDERS.get(t)


def is_agent(user: Record) -> bool:
    """Whether a Zammad user has the Agent or Admin role."""
    roles = user.get("roles")
    if isinstance(roles, list) and roles:
        return any(_name(r) in AGENT_ROLES for r in roles)
    ids = user.get("role_ids")
    return isinstance(ids, list) and any(text(r) in AGENT_ROLE_IDS for r in ids)


def ticket_row(t: Record, first_sender: str | None) -> tuple[Record | None, tuple[str, str]]:
    """The tickets row of one Zammad ticket, or None and (field, reason) when it is broken;
    `first_sender` is the role of its first public article when known."""
    row: Record = {"ticket_id": text(t.get("id")), "created_at": text(t.get("created_at")),
                   "requester_id": text(t.get("customer_id"))}  # fmt: skip
    for name, column in (("id", "ticket_id"), ("created_at", "created_at"),
                         ("customer_id", "requester_id")):  # fmt: skip
        if row[column] is None:
            return None, (name, f"ticket has no {name}")
    state = t.get("state") if t.get("state") is not None else t.get("state_id")
    known, status = state_of(state)
    if not known or status is None:
        return None, ("state", f"unknown Zammad state {text(_name(state))!r}")
    owner = text(t.get("owner_id"))
    opener = _name(t.get("create_article_sender"))
    created_by = ("agent" if opener == "agent" else "customer") if opener is not None else (
        "agent" if first_sender == "agent" else "customer")  # fmt: skip
    group = t.get("group")
    row.update({
        "channel": channel_of(t.get("create_article_type")),
        "priority": priority_of(t.get("priority") if t.get("priority") is not None
                                else t.get("priority_id")),
        "group": text(group.get("name")) if isinstance(group, dict)
        else text(group) or text(t.get("group_id")),
        "assignee_id": None if owner in (None, NOBODY) else owner,
        "created_by": created_by, "subject": text(t.get("title")), "status": status,
        "updated_at": text(t.get("updated_at")),
    })  # fmt: skip
    return row, ("", "")


def article_row(a: Record) -> tuple[Record | None, tuple[str, str]]:
    """The events row of one article, or None and (field, reason) when it is broken."""
    aid, tid, at = text(a.get("id")), text(a.get("ticket_id")), text(a.get("created_at"))
    for name, value in (("id", aid), ("ticket_id", tid), ("created_at", at)):
        if value is None:
            return None, (name, f"article has no {name}")
    sender = a.get("sender") if a.get("sender") is not None else a.get("sender_id")
    role = author_role(sender)
    if role is None:
        return None, ("sender", f"unknown article sender {text(_name(sender))!r}")
    internal = a.get("internal") is True
    return {
        "event_id": f"zm-a-{aid}", "ticket_id": tid, "at": at, "type": "message",
        "author_role": "agent" if internal else role,
        "author_id": text(a.get("origin_by_id")) or text(a.get("created_by_id")),
        "public": "false" if internal else "true", "body": text(a.get("body")),
    }, ("", "")  # fmt: skip


@dataclass(slots=True)
class _Ticket:
    state: str
    close_at: str | None
    first: tuple[float, int, str] | None = None  # (at, record, role) of the 1st public article
    history: bool = False


@dataclass
class ZammadMapping:
    """Lookups shared by the files, rejects by "<table>:<file>", skip and noted counts."""

    tickets: dict[str, _Ticket] = field(default_factory=dict)
    left_out: set[str] = field(default_factory=set)
    rejects: dict[str, list[Reject]] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    noted: dict[str, int] = field(default_factory=dict)

    def skip(self, file: str, what: str) -> None:
        key = f"{file}: {what}"
        self.skipped[key] = self.skipped.get(key, 0) + 1

    def reject(self, table: str, file: str, row: int, column: str, why: str,
               value: Any = None) -> None:  # fmt: skip
        r = Reject(table, file, row, column, why, text(value))
        self.rejects.setdefault(f"{table}:{file}", []).append(r)

    def article(self, file: str, item: JsonRecord) -> Record | None:
        a = item.data
        if a is None:
            self.reject("events", file, item.row, "id", "record is not a JSON object")
            return None
        tid = text(a.get("ticket_id"))
        if tid in self.left_out:
            self.skip(file, "articles of merged or removed tickets")
            return None
        row, (name, why) = article_row(a)
        if row is None:
            self.reject("events", file, item.row, name, why, a.get(name))
            return None
        ticket = self.tickets.get(row["ticket_id"])
        if ticket is None:
            why = f"ticket {tid} is not in tickets.json (or was rejected)"
            self.reject("events", file, item.row, "ticket_id", why, tid)
            return None
        if row["public"] == "true":
            key = (iso_seconds(row["at"]), item.row, row["author_role"])
            if ticket.first is None or key[:2] < ticket.first[:2]:
                ticket.first = key
        return row

    def history(self, file: str, item: JsonRecord) -> Record | None:
        h = item.data
        if h is None:
            self.reject("events", file, item.row, "id", "record is not a JSON object")
            return None
        obj, attr = text(h.get("object")), text(h.get("attribute"))
        if obj != "Ticket" or attr != "state":
            self.skip(file, "history of other changes than a ticket's state")
            return None
        tid, hid, at = text(h.get("o_id")), text(h.get("id")), text(h.get("created_at"))
        if tid in self.left_out:
            self.skip(file, "history of merged or removed tickets")
            return None
        for name, value in (("id", hid), ("o_id", tid), ("created_at", at)):
            if value is None:
                self.reject("events", file, item.row, name, f"history entry has no {name}")
                return None
        assert tid is not None
        ticket = self.tickets.get(tid)
        if ticket is None:
            why = f"ticket {tid} is not in tickets.json (or was rejected)"
            self.reject("events", file, item.row, "o_id", why, tid)
            return None
        known, status = state_of(h.get("value_to"))
        if not known:
            why = f"unknown Zammad state {text(h.get('value_to'))!r}"
            self.reject("events", file, item.row, "value_to", why, h.get("value_to"))
            return None
        if status is None:
            self.skip(file, "changes to merged or removed")
            return None
        ticket.history = True
        return {"event_id": f"zm-h-{hid}", "ticket_id": tid, "at": at, "type": "status",
                "status": status}  # fmt: skip

    def user(self, file: str, item: JsonRecord) -> Record | None:
        u = item.data
        if u is None or not is_agent(u):
            return None
        names = [n for n in (text(u.get("firstname")), text(u.get("lastname"))) if n]
        return {
            "agent_id": text(u.get("id")), "name": " ".join(names) or text(u.get("login")),
            "active": "false" if u.get("active") is False else "true",
            "email": text(u.get("email")),
        }  # fmt: skip


class ZammadStream:
    """A Zammad export folder read in passes: tickets (ids and states); articles (events, and
    each ticket's first article); history (status events); tickets again (their rows, and the
    `close_at` fallback); users (agents). Iterating yields `SourceFrame`s; `skipped` and
    `noted` are complete at the end."""

    def __init__(self, directory: Path, chunk_rows: int | None = CHUNK_ROWS) -> None:
        directory = Path(directory)
        if not directory.is_dir():
            raise ImportDataError(f"{directory} is not a folder: give a Zammad export folder")
        tickets = find_file(directory, TICKETS_FILE)
        if tickets is None:
            raise ImportDataError(
                f"no tickets.json in {directory}: a Zammad export folder needs tickets.json "
                "and may add ticket_articles.json, ticket_history.json and users.json (API "
                "pages one per line, or a JSON array of records; .jsonl is accepted too)"
            )
        self.directory = directory
        self.tickets_path = tickets
        self.chunk_rows = chunk_rows
        self.zm = ZammadMapping()
        self.skipped = self.zm.skipped
        self.noted = self.zm.noted

    def __iter__(self) -> Iterator[SourceFrame]:
        yield from collecting(self._frames(), _COLLECT_EVERY)

    def _frames(self) -> Iterator[SourceFrame]:
        zm, d, tf = self.zm, self.directory, self.tickets_path
        last: dict[str, int] = {}
        for item in iter_records(tf, TICKETS_FILE):
            t = item.data
            tid = None if t is None else text(t.get("id"))
            if t is None or tid is None:
                continue
            if tid in last:
                zm.skip(tf.name, "tickets listed again (the later one kept)")
            last[tid] = item.row
            state = t.get("state") if t.get("state") is not None else t.get("state_id")
            known, status = state_of(state)
            zm.tickets.pop(tid, None)
            zm.left_out.discard(tid)
            if known and status is None:
                zm.left_out.add(tid)
            elif known and status is not None and ticket_row(t, None)[0] is not None:
                zm.tickets[tid] = _Ticket(
                    status, text(t.get("last_close_at")) or text(t.get("close_at"))
                )
        for stem, mapper in ((ARTICLES_FILE, zm.article), (HISTORY_FILE, zm.history)):
            path = find_file(d, stem)
            if path is None:
                continue
            events = RecordChunk("events", path.name, EVENT_COLUMNS)
            key = "history" if stem == HISTORY_FILE else stem
            for item in iter_records(path, key):
                row = mapper(path.name, item)
                if row is not None:
                    events.add(item.row, row)
                if events.full(self.chunk_rows):
                    yield events.take(zm.rejects)
            yield events.take(zm.rejects)
        tickets = RecordChunk("tickets", tf.name, TICKET_COLUMNS)
        closes = RecordChunk("events", tf.name, EVENT_COLUMNS)
        for item in iter_records(tf, TICKETS_FILE):
            t = item.data
            if t is None:
                zm.reject("tickets", tf.name, item.row, "id", "record is not a JSON object")
                continue
            tid = text(t.get("id"))
            if tid is not None and (last.get(tid) != item.row or tid in zm.left_out):
                if tid in zm.left_out and last.get(tid) == item.row:
                    zm.skip(tf.name, LEFT_OUT_STATES.get(_name(t.get("state") or t.get(
                        "state_id")) or "", "left-out tickets"))  # fmt: skip
                continue
            ticket = zm.tickets.get(tid or "")
            row, (name, why) = ticket_row(t, None if ticket is None or ticket.first is None
                                          else ticket.first[2])  # fmt: skip
            if row is None:
                zm.reject("tickets", tf.name, item.row, name, why, t.get(name))
                continue
            tickets.add(item.row, row)
            if self._closed_without_history(ticket):
                assert ticket is not None and ticket.close_at is not None
                closes.add(item.row, {"event_id": f"zm-close-{tid}", "ticket_id": tid,
                                      "at": ticket.close_at, "type": "status",
                                      "status": "solved"})  # fmt: skip
                key = "closed tickets without state history: solved at close_at"
                zm.noted[key] = zm.noted.get(key, 0) + 1
            if tickets.full(self.chunk_rows):
                yield tickets.take(zm.rejects)
            if closes.full(self.chunk_rows):
                yield closes.take(zm.rejects)
        yield tickets.take(zm.rejects)
        if closes.rows:
            yield closes.take(zm.rejects)
        users = find_file(d, USERS_FILE)
        if users is not None:
            agents = RecordChunk("agents", users.name, AGENT_COLUMNS)
            for item in iter_records(users, USERS_FILE):
                row = zm.user(users.name, item)
                if row is not None:
                    agents.add(item.row, row)
                if agents.full(self.chunk_rows):
                    yield agents.take(zm.rejects)
            yield agents.take(zm.rejects)

    @staticmethod
    def _closed_without_history(ticket: _Ticket | None) -> bool:
        """Whether `ticket` is closed, has a close time and no state history (the fallback)."""
        return (
            ticket is not None
            and not ticket.history
            and ticket.state == "solved"
            and ticket.close_at is not None
        )


#: Zammad's field names for the canonical columns validation names, by table and file stem
FILE_TERMS: dict[tuple[str, str], dict[str, str]] = {
    ("tickets", TICKETS_FILE): {
        "ticket_id": "id", "requester_id": "customer_id", "assignee_id": "owner_id",
        "group": "group", "channel": "create_article_type", "subject": "title",
        "status": "state", "priority": "priority",
    },
    ("events", TICKETS_FILE): {"event_id": "id", "ticket_id": "id", "at": "last_close_at"},
    ("events", ARTICLES_FILE): {
        "event_id": "id", "author_id": "created_by_id", "author_role": "sender",
    },
    ("events", HISTORY_FILE): {
        "event_id": "id", "ticket_id": "o_id", "status": "value_to",
    },
    ("agents", USERS_FILE): {"agent_id": "id"},
}  # fmt: skip


def file_terms(table: str, file: str) -> dict[str, str]:
    """Canonical column → the Zammad field it was read from, for a frame's rejects."""
    return FILE_TERMS.get((table, file.rsplit(".", 1)[0]), {})


__all__: list[str] = [
    "CHANNELS",
    "PRIORITY_NAMES",
    "STATE_NAMES",
    "ZammadMapping",
    "ZammadStream",
    "article_row",
    "author_role",
    "channel_of",
    "file_terms",
    "priority_of",
    "read_zammad",
    "state_of",
    "stream_zammad",
    "ticket_row",
]
