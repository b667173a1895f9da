"""Intercom REST API (version 2.x) exports mapped to canonical raw rows.

A folder holds `conversations.json` (required) and optionally `admins.json` and `teams.json`.
Each file is an API page as Intercom returns it (`{"type": "conversation.list", "pages":
{"next": {"starting_after": …}, …}, "conversations": [...]}`, the same for a search, `{"type":
"admin.list", "admins": [...]}`, `{"type": "team.list", "teams": [...]}`), a single retrieved
object (`GET /conversations/{id}`), a JSON array of records or of pages, or JSON Lines (one page
or one record per line); `.jsonl` is accepted in place of `.json`. A conversation listed again
(a search sorted by `updated_at` lists it once per change) counts once, in its version updated
last. Intercom's times are Unix seconds: they become ISO instants in UTC here, and
`deskmetrics.model.validate` types and checks every row after.

Every file is streamed (`jsonstream`), never held whole; the frames come in chunks of at most
`CHUNK_ROWS` rows (`stream_intercom`; `read_intercom` joins them).

Mapping choices that metrics depend on (see docs/metrics.md and docs/importers/intercom.md):
- a conversation is a ticket: `source` (the first message) gives the channel (`source.type` as
  Intercom names it: `conversation` is the Messenger, reported as chat; `email`, `phone_call`,
  `whatsapp` …), the subject (`source.subject`, else `title`) and who opened it: a teammate's
  or a bot's message, or one `delivered_as` `admin_initiated`, `automated`,
  `campaigns_initiated` or `operator_initiated`, makes the ticket `created_by="agent"` (its
  opening message is not a reply); the requester is the first of `contacts`, else a user or
  lead who wrote the source;
- who wrote a message is `author.type`: `user`, `lead` or `contact` → `customer`; `admin` or
  `team` → `agent`; `bot` (Fin, Operator, custom bots and workflows) → `bot`. An outbound
  message `delivered_as` `automated`, `campaigns_initiated` or `operator_initiated` is a `bot`
  message whoever it is signed by (no teammate wrote it for this customer);
- the AI agent (Fin): a public message whose author carries `from_ai_agent: true` or
  `is_ai_answer: true` (newer API versions) is `ai_agent`, and a flag given as false keeps it
  what its type says (a workflow's or Operator's message stays `bot`). An export without these
  flags (older API versions) falls back on the conversation: in one with
  `ai_agent_participated: true` every `bot` message is `ai_agent` (so a workflow greeting
  before Fin counts as the AI agent's), elsewhere `bot` stays `bot`. Notes keep their role;
- part types: `comment` (and `quick_reply`) → a public message; `note` → a private message (a
  note is never a reply); `assignment`, `default_assignment`, `away_mode_assignment` → an
  `assignment` event carrying the admin and team assigned after it (`assigned_to`: an admin,
  a team, or `nobody_admin`); `open`, `unsnoozed`, `timer_unsnooze` → status `open`; `close` →
  `solved` (Intercom reopens a closed conversation when the customer writes again, so it is
  Zendesk's solved, not its final closed); `snoozed` → `pending` (a snooze sets the
  conversation aside until a time or the customer's reply: we wait on the customer);
  `note_and_reopen`, `assign_and_reopen`, `assign_and_unsnooze` → both. Other part types
  (ratings changed, participants, titles, attributes, unknown new types) are not ticket
  history: skipped and counted by type;
- Intercom reopens a closed or snoozed conversation when the customer writes, without always a
  part saying so: a customer message while the parts so far leave it solved or pending also
  makes a status `open` event at the same instant (`ic-part-<id>-reopen`);
- `state` open/closed/snoozed is the ticket's current `status` (open/solved/pending, as of
  `updated_at`), used only when the events hold no status history; an unknown state is
  rejected, naming `state`. `priority` `priority` → `high`, `not_priority` → `normal`;
  `admin_assignee_id` (0 is nobody) and `team_assignee_id` (a team's name from teams.json) are
  the ticket's current assignee and group;
- parts are replayed per conversation in time order (`created_at`, then the part id: Intercom
  numbers parts as they happen) and `seq` is the part id, so same-second parts keep their
  order; event ids are Intercom's (`ic-part-<id>`, the source `ic-<conversation>-source`), the
  same in every export and webhook delivery;
- `conversation_rating` (1–5) is the CSAT answer `intercom-rating-<conversation>` on the 1-5
  scale (remark as comment, rated teammate as agent). Intercom does not say which
  conversations were asked for a rating, so no survey requests are made: response rates cannot
  be known from Intercom;
- statistics: a conversation exported without its parts (a list page, not a retrieve) falls
  back on `statistics`: an agent message at `first_admin_reply_at` and, when closed, a
  `solved` status at `last_close_at` (by `last_closed_by_id`). Its reopens, replies after the
  first, waits and notes cannot be known. When the parts are present they decide, and the
  statistics are a cross-check: conversations whose `count_reopens` or `first_admin_reply_at`
  differ from what the parts show, and conversations with more parts than exported
  (`total_count`: Intercom returns at most 500), are counted in the import's notes;
- admins are the agents table (name; team: the first of `team_ids` named by teams.json).
  Intercom's API lists neither deleted conversations nor spam, and has no merge that the export
  shows: nothing is left out for those reasons.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from deskmetrics.errors import ImportDataError
from deskmetrics.importers.exportfiles import (
    collecting,
)
from deskmetrics.importers.exportfiles import (
    find_file as _find,
)
from deskmetrics.importers.exportfiles import (
    merge_frames as _merge,
)
from deskmetrics.importers.exportfiles import (
    text as _text,
)
from deskmetrics.importers.jsonstream import JsonRecord, iter_records
from deskmetrics.model import TABLES, Reject, SourceFrame

Record = dict[str, Any]

CONVERSATIONS_FILE = "conversations"
ADMINS_FILE = "admins"
TEAMS_FILE = "teams"
#: Rows per frame of a streamed import (the store stages each frame as it comes).
CHUNK_ROWS = 100_000

TICKET_COLUMNS = (
    "ticket_id", "created_at", "requester_id", "channel", "priority", "group", "assignee_id",
    "created_by", "subject", "tags", "status", "updated_at",
)  # fmt: skip
EVENT_COLUMNS = (
    "event_id", "ticket_id", "at", "type", "author_role", "author_id", "public", "body",
    "status", "assignee_id", "group", "seq",
)  # fmt: skip
SURVEY_COLUMNS = (
    "response_id", "kind", "scale", "score", "answered_at", "customer_id", "ticket_id",
    "agent_id", "comment",
)  # fmt: skip
AGENT_COLUMNS = ("agent_id", "name", "team")

#: Canonical column → the Intercom field it comes from, for rejects found by validation.
INTERCOM_TERMS: dict[str, dict[str, str]] = {
    "tickets": {"ticket_id": "id", "requester_id": "contacts", "status": "state",
                "group": "team_assignee_id", "assignee_id": "admin_assignee_id"},
    "events": {"ticket_id": "id", "at": "created_at",
               "author_role": "author.type"},
    "surveys": {"score": "conversation_rating.rating",
                "answered_at": "conversation_rating.created_at"},
    "agents": {"agent_id": "id"},
}  # fmt: skip

_CUSTOMERS = frozenset({"user", "lead", "contact"})
_AGENTS = frozenset({"admin", "team"})
_BOTS = frozenset({"bot"})
_AUTOMATED = frozenset({"automated", "campaigns_initiated", "operator_initiated"})
_AGENT_OPENED = _AUTOMATED | {"admin_initiated"}
_STATES = {"open": "open", "closed": "solved", "snoozed": "pending"}
_PRIORITIES = {"priority": "high", "not_priority": "normal"}
_MESSAGES = frozenset({"comment", "quick_reply"})
_NOTES = frozenset({"note", "note_and_reopen"})
_ASSIGNMENTS = frozenset(
    {"assignment", "default_assignment", "away_mode_assignment", "assign_and_reopen",
     "assign_and_unsnooze"}
)  # fmt: skip
#: part type → the status it leaves the conversation in
_STATUS_PARTS = {
    "open": "open", "unsnoozed": "open", "timer_unsnooze": "open", "close": "solved",
    "snoozed": "pending", "note_and_reopen": "open", "assign_and_reopen": "open",
    "assign_and_unsnooze": "open",
}  # fmt: skip
_WAITING = frozenset({"solved", "pending"})
_MAPPED = _MESSAGES | _NOTES | _ASSIGNMENTS
_EXACT_IDS = 2**53


@dataclass
class IntercomExport:
    """What an Intercom export folder maps to: one `SourceFrame` per canonical table and file,
    what was deliberately left out (`skipped`, keyed "<file>: <what>") and what the
    statistics cross-check found (`notes`)."""

    frames: list[SourceFrame]
    skipped: dict[str, int]
    notes: list[str]

    def frame(self, table: str) -> SourceFrame | None:
        """The frame feeding canonical `table`, if there is one."""
        return next((f for f in self.frames if f.table.name == table), None)


def read_intercom(directory: Path) -> IntercomExport:
    """Map a folder of Intercom API JSON exports to canonical raw rows, one frame per table
    (`stream_intercom` gives the same rows in chunks, as an import stores them)."""
    stream = IntercomStream(directory, chunk_rows=None)
    parts: dict[str, list[SourceFrame]] = {}
    for sf in stream:
        parts.setdefault(sf.table.name, []).append(sf)
    return IntercomExport([_merge(p) for p in parts.values()], stream.skipped, stream.notes)


def stream_intercom(directory: Path, chunk_rows: int = CHUNK_ROWS) -> IntercomStream:
    """The frames of an Intercom export folder in chunks; `skipped` and `notes` are complete
    once iterated. Raises `ImportDataError` at once when the folder has no conversations."""
    return IntercomStream(directory, chunk_rows)


class IntercomStream:
    """An Intercom export folder read in passes, each file streamed: teams (names), admins
    (agents), conversations twice (first the latest version of each, then its rows, mapped
    conversation by conversation and yielded in chunks)."""

    def __init__(self, directory: Path, chunk_rows: int | None = CHUNK_ROWS) -> None:
        directory = Path(directory)
        if not directory.is_dir():
            raise ImportDataError(
                f"{directory} is not a folder: give the folder of an Intercom export"
            )
        path = _find(directory, CONVERSATIONS_FILE)
        if path is None:
            raise ImportDataError(
                f"no conversations.json in {directory}: an Intercom export folder needs "
                "conversations.json and may add admins.json and teams.json (each an API page, a "
                "JSON array or JSON Lines; .jsonl is accepted too)"
            )
        self.directory = directory
        self.path = path
        self.chunk_rows = chunk_rows
        self.mapping = IntercomMapping()
        self.skipped = self.mapping.skipped
        self.notes: list[str] = []

    def __iter__(self) -> Iterator[SourceFrame]:
        yield from collecting(self._frames(), 8)

    def _frames(self) -> Iterator[SourceFrame]:
        m, directory = self.mapping, self.directory
        teams_path = _find(directory, TEAMS_FILE)
        if teams_path is not None:
            for item in iter_records(teams_path, "teams"):
                if item.data is not None and (tid := _text(item.data.get("id"))) is not None:
                    m.teams[tid] = _text(item.data.get("name")) or tid
        admins_path = _find(directory, ADMINS_FILE)
        if admins_path is not None:
            yield m.agents(admins_path.name, iter_records(admins_path, "admins"))

        file = self.path.name
        older = _older_versions(self.path)
        if older:
            m.skip(file, "older versions of a conversation", len(older))

        out = _Chunks(file)
        for item in iter_records(self.path, "conversations"):
            if item.row in older:
                continue
            mapped = m.conversation(file, item)
            out.add(item.row, mapped)
            if self.chunk_rows is not None and len(out) >= self.chunk_rows:
                yield from out.take()
        yield from out.take(final=True)
        self.notes.extend(m.cross_check_notes(file))


#: conversations of the first pass moved off the interpreter's heap at a time
_BATCH = 100_000


def _older_versions(path: Path) -> set[int]:
    """The records (positions) of a conversations file that an export lists again later in a
    version updated later (or as late, listed after): all but the latest version of each.

    One pass keeping each conversation's id, `updated_at` and position in Arrow and NumPy
    arrays (a few bytes each, not a Python object per conversation), so that memory stays
    flat in the number of conversations; only the positions to leave out are returned."""
    ids: list[str] = []
    ats: list[float] = []
    rows: list[int] = []
    parts: list[tuple[pa.Array, np.ndarray, np.ndarray]] = []

    def flush() -> None:
        if ids:
            parts.append((pa.array(ids, pa.large_string()), np.asarray(ats), np.asarray(rows)))
        for kept in (ids, ats, rows):
            kept.clear()

    for item in iter_records(path, "conversations"):
        cid = None if item.data is None else _text(item.data.get("id"))
        if cid is None or item.data is None:
            continue
        ids.append(cid)
        ats.append(_seconds(item.data.get("updated_at")))
        rows.append(item.row)
        if len(ids) >= _BATCH:
            flush()
    flush()
    if not parts:
        return set()
    codes = pc.dictionary_encode(pa.concat_arrays([p[0] for p in parts])).indices
    code = codes.to_numpy(zero_copy_only=False)
    at = np.concatenate([p[1] for p in parts])
    row = np.concatenate([p[2] for p in parts])
    order = np.lexsort((row, at, code))
    grouped = code[order]
    latest = np.append(grouped[1:] != grouped[:-1], True)
    return set(row[order][~latest].tolist())


@dataclass
class Mapped:
    """The canonical rows of one conversation, and why parts of it could not be mapped."""

    ticket: Record | None = None
    #: event rows as tuples in `EVENT_COLUMNS` order (times as Intercom gives them)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    survey: Record | None = None
    rejects: list[Reject] = field(default_factory=list)
    #: the status the conversation's events leave it in (None: no status history)
    last_status: str | None = None

    def records(self) -> list[tuple[str, list[Record]]]:
        """The rows as canonical records per table, times as ISO instants (for live ingest)."""
        out: list[tuple[str, list[Record]]] = []
        if self.ticket is not None:
            out.append(("tickets", [_iso_record(self.ticket)]))
        if self.events:
            rows = [_iso_record(dict(zip(EVENT_COLUMNS, e, strict=True))) for e in self.events]
            out.append(("events", rows))
        if self.survey is not None:
            out.append(("surveys", [_iso_record(self.survey)]))
        return out


class _Chunks:
    """Rows of the three conversation tables collected until they make frames."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.rows: dict[str, list[Any]] = {"tickets": [], "events": [], "surveys": []}
        self.lines: dict[str, list[int]] = {"tickets": [], "events": [], "surveys": []}
        self.rejects: dict[str, list[Reject]] = {"tickets": [], "events": [], "surveys": []}

    def __len__(self) -> int:
        return sum(len(r) for r in self.rows.values())

    def add(self, line: int, mapped: Mapped) -> None:
        if mapped.ticket:
            self.rows["tickets"].append(mapped.ticket)
            self.lines["tickets"].append(line)
        if mapped.events:
            self.rows["events"].extend(mapped.events)
            self.lines["events"].extend([line] * len(mapped.events))
        if mapped.survey:
            self.rows["surveys"].append(mapped.survey)
            self.lines["surveys"].append(line)
        for r in mapped.rejects:
            self.rejects[r.table].append(r)

    def take(self, final: bool = False) -> Iterator[SourceFrame]:
        columns = {"tickets": TICKET_COLUMNS, "events": EVENT_COLUMNS, "surveys": SURVEY_COLUMNS}
        for table, cols in columns.items():
            rows, rejects = self.rows[table], self.rejects[table]
            if rows or rejects or (final and table == "tickets"):
                yield _frame(table, self.file, cols, rows, self.lines[table], rejects)
            self.rows[table], self.lines[table], self.rejects[table] = [], [], []


class IntercomMapping:
    """Maps Intercom records one by one; keeps the team names, the skip counts and the
    statistics cross-check counts."""

    def __init__(self) -> None:
        self.teams: dict[str, str] = {}
        self.skipped: dict[str, int] = {}
        self.reopens_differ = 0
        self.first_reply_differs = 0
        self.truncated = 0
        self.from_statistics = 0

    def skip(self, file: str, what: str, n: int = 1) -> None:
        key = f"{file}: {what}"
        self.skipped[key] = self.skipped.get(key, 0) + n

    def cross_check_notes(self, file: str) -> list[str]:
        """What the statistics said that the parts did not, as notes of the import."""
        notes = []
        if self.from_statistics:
            notes.append(
                f"{file}: {self.from_statistics} conversations came without their parts: first "
                "reply and last close taken from their statistics; their reopens, waits and "
                "later replies are unknown (export each conversation with GET "
                "/conversations/{id})"
            )
        if self.truncated:
            notes.append(
                f"{file}: {self.truncated} conversations have more parts than exported "
                "(conversation_parts.total_count; Intercom returns at most 500)"
            )
        if self.reopens_differ:
            notes.append(
                f"{file}: {self.reopens_differ} conversations show a different number of "
                "reopens in their parts than statistics.count_reopens (the parts are used)"
            )
        if self.first_reply_differs:
            notes.append(
                f"{file}: {self.first_reply_differs} conversations have a first teammate reply "
                "in their parts other than statistics.first_admin_reply_at (the parts are used)"
            )
        return notes

    def team_name(self, value: Any) -> str | None:
        tid = _text(value)
        if tid is None or tid == "0":
            return None
        return self.teams.get(tid, tid)

    # conversations ------------------------------------------------------------------------

    def conversation(
        self, file: str, item: JsonRecord, state: str | None = None, fallback: bool = True
    ) -> Mapped:
        """One conversation's ticket, events and rating. `state` is the status the
        conversation was in before these parts (a webhook delivery's earlier history);
        `fallback`: whether a conversation without its parts falls back on its statistics."""
        out = Mapped()
        c, row = item.data, item.row
        if c is None:
            out.rejects.append(Reject("tickets", file, row, "id", "record is not a JSON object"))
            return out
        cid = _text(c.get("id"))
        if cid is None:
            why = "the conversation has no id"
            out.rejects.append(Reject("tickets", file, row, "id", why))
            return out
        created = _time(c.get("created_at"))
        source = _object(c.get("source"))
        author = _object(source.get("author"))
        author_type = (_text(author.get("type")) or "").lower()
        delivered = (_text(source.get("delivered_as")) or "").lower()
        requester = _requester(c, author_type, author)
        raw_state = _text(c.get("state"))
        status = None
        if raw_state is not None:
            status = _STATES.get(raw_state.lower())
            if status is None:
                why = f"state {raw_state!r} is not open, closed or snoozed"
                out.rejects.append(Reject("tickets", file, row, "state", why, raw_state))
        if requester is None:
            why = (
                "the conversation names no contact (contacts) and its first message is not by a "
                "user or lead, so it has no requester"
            )
            out.rejects.append(Reject("tickets", file, row, "contacts", why))
        if (status is not None or raw_state is None) and requester is not None:
            out.ticket = {
                "ticket_id": cid,
                "created_at": created,
                "requester_id": requester,
                "channel": (_text(source.get("type")) or "").lower() or None,
                "priority": _PRIORITIES.get((_text(c.get("priority")) or "").lower()),
                "group": self.team_name(c.get("team_assignee_id")),
                "assignee_id": _admin(c.get("admin_assignee_id")),
                "created_by": (
                    "agent"
                    if author_type in _AGENTS | _BOTS or delivered in _AGENT_OPENED
                    else "customer"
                ),
                "subject": _text(source.get("subject")) or _text(c.get("title")),
                "tags": _tags(c.get("tags")),
                "status": status,
                "updated_at": _time(c.get("updated_at")),
            }
        ai_engaged = c.get("ai_agent_participated") is True
        if source and (author_type or source.get("body") is not None):
            role = _role(author_type)
            if delivered in _AUTOMATED:
                role = "bot"
            elif role in ("agent", "bot"):
                role = _ai_role(role, author, ai_engaged)
            if role is None:
                why = (
                    f"the first message's author type {author.get('type')!r} is not user, lead, "
                    "admin, team or bot"
                )
                out.rejects.append(
                    Reject("events", file, row, "source.author.type", why, _text(author_type))
                )
            else:
                out.events.append((
                    f"ic-{cid}-source", cid, created, "message", role, _text(author.get("id")),
                    "true", _text(source.get("body")), None, None, None, "0",
                ))  # fmt: skip
        elif not source:
            self.skip(file, "conversations without a source message")
        self._parts(file, row, cid, c, out, state, fallback, ai_engaged)
        out.survey = self._rating(file, row, cid, c, requester, out)
        return out

    def _parts(
        self, file: str, row: int, cid: str, c: Record, out: Mapped, state: str | None,
        fallback: bool, ai_engaged: bool = False,
    ) -> None:  # fmt: skip
        holder = c.get("conversation_parts")
        if isinstance(holder, dict):
            parts = holder.get("conversation_parts")
            total = holder.get("total_count")
        else:
            parts, total = holder, None
        stats = _object(c.get("statistics"))
        if not isinstance(parts, list):
            if fallback:
                self._from_statistics(cid, c, stats, out)
            return
        if isinstance(total, int) and not isinstance(total, bool) and total > len(parts):
            self.truncated += 1
        keyed = []
        for n, p in enumerate(parts):
            where = f"conversation_parts[{n}]"
            if not isinstance(p, dict):
                out.rejects.append(Reject("events", file, row, where, "part is not a JSON object"))
                continue
            pid = _text(p.get("id"))
            if pid is None:
                out.rejects.append(Reject("events", file, row, f"{where}.id", "part has no id"))
                continue
            secs = _seconds(p.get("created_at"))
            if secs == float("-inf"):
                why = f"part {pid} has no created_at time (Unix seconds)"
                value = _text(p.get("created_at"))
                out.rejects.append(Reject("events", file, row, f"{where}.created_at", why, value))
                continue
            order = int(pid) if pid.isdigit() else 0
            keyed.append((secs, order, n, pid, p))
        keyed.sort(key=_first3)
        assignee: str | None = None
        team: str | None = None
        reopens = 0
        first_reply: float | None = None
        current = state
        for at_s, order, n, pid, p in keyed:
            kind = _lower(p.get("part_type"))
            author = p.get("author")
            if type(author) is not dict:
                author = {}
            author_type = _lower(author.get("type"))
            when = p.get("created_at")
            at = when if type(when) is int else _time(when)
            by = _text(author.get("id"))
            seq = pid if 0 < order < _EXACT_IDS else None  # the part's order among same-second
            if kind in _MESSAGES or kind in _NOTES:
                role = _role(author_type)
                if kind in _NOTES:
                    role = "bot" if role == "bot" else "agent"  # only teammates write notes
                if role is None:
                    why = (
                        f"part {pid}: author type {author.get('type')!r} is not user, lead, "
                        "admin, team or bot"
                    )
                    where = f"conversation_parts[{n}].author.type"
                    out.rejects.append(Reject("events", file, row, where, why, author_type))
                    continue
                public = kind in _MESSAGES
                if public and role in ("agent", "bot"):
                    role = _ai_role(role, author, ai_engaged)
                if public and role == "customer" and current in _WAITING:
                    out.events.append((f"ic-part-{pid}-reopen", cid, at, "status", None, by,
                                       None, None, "open", None, None, seq))  # fmt: skip
                    reopens += current == "solved"
                    current = "open"
                if public and role == "agent" and first_reply is None:
                    first_reply = at_s
                out.events.append((
                    f"ic-part-{pid}", cid, at, "message", role, by,
                    "true" if public else "false", _text(p.get("body")), None, None, None, seq,
                ))  # fmt: skip
            if kind in _ASSIGNMENTS:
                to = _object(p.get("assigned_to"))
                to_type = (_text(to.get("type")) or "").lower()
                if to_type == "team":
                    team = self.team_name(to.get("id"))
                elif to_type == "nobody_admin":
                    assignee = None
                else:
                    assignee = _admin(to.get("id"))
                out.events.append((f"ic-part-{pid}-assignment", cid, at, "assignment", None,
                                   by, None, None, None, assignee, team, seq))  # fmt: skip
            if kind in _STATUS_PARTS:
                new = _STATUS_PARTS[kind]
                reopens += current == "solved" and new not in _WAITING
                current = new
                out.events.append((f"ic-part-{pid}-status", cid, at, "status", None, by,
                                   None, None, new, None, None, seq))  # fmt: skip
            elif kind not in _MAPPED:
                self.skip(file, f"parts of type {kind or '(none)'} (not ticket history)")
        out.last_status = current
        counted = stats.get("count_reopens")
        if isinstance(counted, int) and not isinstance(counted, bool) and counted != reopens:
            self.reopens_differ += 1
        stated = _seconds(stats.get("first_admin_reply_at"))
        if stated != float("-inf") and first_reply is not None and stated != first_reply:
            self.first_reply_differs += 1

    def _from_statistics(self, cid: str, c: Record, stats: Record, out: Mapped) -> None:
        """The fallback for a conversation without its parts (see the module docstring)."""
        self.from_statistics += 1
        reply = _time(stats.get("first_admin_reply_at"))
        if reply is not None:
            out.events.append((f"ic-{cid}-first-admin-reply", cid, reply, "message", "agent",
                               None, "true", None, None, None, None, None))  # fmt: skip
        closed = _time(stats.get("last_close_at"))
        if closed is not None and (_text(c.get("state")) or "").lower() == "closed":
            by = _admin(stats.get("last_closed_by_id"))
            out.events.append((f"ic-{cid}-last-close", cid, closed, "status", None, by, None,
                               None, "solved", None, None, None))  # fmt: skip
            out.last_status = "solved"

    def _rating(
        self, file: str, row: int, cid: str, c: Record, requester: str | None, out: Mapped
    ) -> Record | None:
        rating = c.get("conversation_rating")
        if not isinstance(rating, dict) or rating.get("rating") is None:
            return None
        contact = _object(rating.get("contact"))
        teammate = _object(rating.get("teammate"))
        return {
            "response_id": f"intercom-rating-{cid}", "kind": "csat", "scale": "1-5",
            "score": _text(rating.get("rating")), "answered_at": _time(rating.get("created_at")),
            "customer_id": _text(contact.get("id")) or requester, "ticket_id": cid,
            "agent_id": _admin(teammate.get("id")), "comment": _text(rating.get("remark")),
        }  # fmt: skip

    # admins -------------------------------------------------------------------------------

    def agents(self, file: str, items: Iterator[JsonRecord]) -> SourceFrame:
        """Admins (teammates) as agents; the team is the first of `team_ids`, by name."""
        rows: list[Record] = []
        lines: list[int] = []
        rejects: list[Reject] = []
        for item in items:
            a = item.data
            if a is None:
                rejects.append(
                    Reject("agents", file, item.row, "id", "record is not a JSON object")
                )
                continue
            teams = a.get("team_ids")
            first = teams[0] if isinstance(teams, list) and teams else None
            rows.append({"agent_id": _text(a.get("id")), "name": _text(a.get("name")),
                         "team": self.team_name(first)})  # fmt: skip
            lines.append(item.row)
        return _frame("agents", file, AGENT_COLUMNS, rows, lines, rejects)


# --- values ------------------------------------------------------------------------------


def first_part_at(conversation: Record) -> str | None:
    """The instant of a conversation's earliest part (ISO, UTC), when it holds any."""
    holder = conversation.get("conversation_parts")
    parts = holder.get("conversation_parts") if isinstance(holder, dict) else holder
    if not isinstance(parts, list):
        return None
    times = [t for p in parts if isinstance(p, dict) and (t := _seconds(p.get("created_at"))) > 0]
    return _when(int(min(times))) if times else None


def _object(value: Any) -> Record:
    return value if isinstance(value, dict) else {}


def _seconds(value: Any) -> float:
    """Unix seconds of an Intercom time (a number, or digits); unknown sorts first."""
    if isinstance(value, bool) or value is None:
        return float("-inf")
    if isinstance(value, int | float):
        return float(value)
    text = _text(value)
    if text is None:
        return float("-inf")
    if text.isdigit():
        return float(text)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return float("-inf")


def _when(value: Any) -> str | None:
    """An Intercom time as an ISO instant in UTC; a value that is no time stays as text, for
    validation to reject with its reason."""
    if value is None or isinstance(value, bool):
        return _text(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        except (OverflowError, OSError, ValueError):
            return str(value)
    return _text(value)


_TIMES = frozenset({"created_at", "updated_at", "at", "answered_at"})


def _time(value: Any) -> Any:
    """An Intercom time kept as Unix seconds (an int, made ISO per column by `_frame`), or
    as ISO text (`_when`)."""
    if type(value) is int:
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return _when(value)


def _iso_record(row: Record) -> Record:
    return {k: (_when(v) if k in _TIMES else v) for k, v in row.items()}


def _iso_times(column: np.ndarray) -> np.ndarray:
    """A column's Unix seconds (ints) as ISO instants in UTC, all at once."""
    where = [i for i, v in enumerate(column) if type(v) is int]
    if not where:
        return column
    seconds = np.fromiter((column[i] for i in where), dtype=np.int64, count=len(where))
    try:
        text = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s")
    except (OverflowError, ValueError):
        column[where] = [_when(column[i]) for i in where]
        return column
    column[where] = np.char.add(text, "Z").astype(object)
    return column


def _lower(value: Any) -> str:
    """A name as lower-case text ("" when there is none)."""
    if type(value) is str:
        return value.strip().lower()
    return (_text(value) or "").lower()


def _first3(k: tuple[Any, ...]) -> tuple[Any, ...]:
    return k[:3]


def _role(author_type: str) -> str | None:
    if author_type in _CUSTOMERS:
        return "customer"
    if author_type in _AGENTS:
        return "agent"
    if author_type in _BOTS:
        return "bot"
    return None


def _ai_role(role: str, author: Record, ai_engaged: bool) -> str:
    """`ai_agent` for a teammate's or bot's public message the AI agent wrote (module
    docstring): the author's `from_ai_agent` / `is_ai_answer` flags decide when given, else a
    `bot` message of a conversation the AI agent took part in."""
    flags = (author.get("from_ai_agent"), author.get("is_ai_answer"))
    if any(f is True for f in flags):
        return "ai_agent"
    if any(isinstance(f, bool) for f in flags):
        return role
    return "ai_agent" if role == "bot" and ai_engaged else role


def _admin(value: Any) -> str | None:
    """An admin id; Intercom's 0 (and null) is nobody."""
    text = _text(value)
    return None if text in (None, "0") else text


def _requester(c: Record, author_type: str, author: Record) -> str | None:
    holder = c.get("contacts")
    contacts = holder.get("contacts") if isinstance(holder, dict) else holder
    if isinstance(contacts, list):
        for contact in contacts:
            if isinstance(contact, dict) and (cid := _text(contact.get("id"))) is not None:
                return cid
    if author_type in _CUSTOMERS:
        return _text(author.get("id"))
    return None


def _tags(value: Any) -> str | None:
    """Tag names joined with ";" (`{"type": "tag.list", "tags": [{"name": …}]}` or a list)."""
    tags = value.get("tags") if isinstance(value, dict) else value
    if not isinstance(tags, list):
        return None
    names = [n for t in tags if (n := _text(t.get("name") if isinstance(t, dict) else t))]
    return ";".join(names) or None


def _frame(
    table: str,
    file: str,
    columns: Sequence[str],
    rows: list[Any],
    numbers: Sequence[int],
    rejects: list[Reject],
) -> SourceFrame:
    """A frame of `rows` (dicts, or tuples in `columns` order), times made ISO."""
    if rows and isinstance(rows[0], tuple):
        grid = np.empty((len(rows), len(columns)), dtype=object)
        grid[:] = rows
        data = {c: grid[:, i] for i, c in enumerate(columns)}
    else:
        data = {c: np.array([r.get(c) for r in rows], dtype=object) for c in columns}
    for c in columns:
        if c in _TIMES:
            data[c] = _iso_times(data[c])
    frame = pd.DataFrame(data, index=pd.RangeIndex(len(rows)), columns=list(columns), dtype=object)
    return SourceFrame(
        table=TABLES[table],
        file=file,
        frame=frame,
        rows=np.asarray(numbers, dtype=np.int64),
        rejects=sorted(rejects, key=lambda r: r.row),
    )


__all__: list[str] = [
    "INTERCOM_TERMS",
    "IntercomExport",
    "IntercomMapping",
    "IntercomStream",
    "Mapped",
    "first_part_at",
    "read_intercom",
    "stream_intercom",
]
