"""Help Scout exports (the Mailbox API 2.0's JSON) mapped to canonical raw rows.

A folder holds `conversations.json` (required: GET /v2/conversations with `embed=threads`,
every status: `status=all`), and optionally `threads.json` (GET
/v2/conversations/{id}/threads of conversations listed without embedded threads; each page or
thread names its conversation as `conversationId`, which the API's thread lacks and an
exporter adds), `ratings.json` (the Reports API's GET /v2/reports/happiness/ratings pages, or
GET /v2/ratings/{id} objects), `users.json` (GET /v2/users) and `mailboxes.json` (GET
/v2/mailboxes). Each file may be JSON Lines with one API page (the HAL shape:
`{"_embedded": {"conversations": [...]}, "page": {...}, "_links": {...}}`) or one record per
line, a JSON array of records or of pages, or one page; `.jsonl` is accepted in place of
`.json`. JSON Lines and arrays are streamed (`jsonstream` for arrays), a page at a time; a
single page document is read whole. A conversation listed twice counts once, in its version
updated last (`userUpdatedAt`). The frames come in chunks (`stream_helpscout`;
`read_helpscout` joins them). Values stay as Help Scout gives them (ids become text,
timestamps stay ISO strings, a time without offset is UTC, as Help Scout documents):
`deskmetrics.model.validate` types and checks them after.

Mapping choices that metrics depend on (see docs/importers/helpscout.md):
- a conversation is a ticket: `id` (the `number` customers see is an extra column),
  `primaryCustomer.id` the requester, `assignee.id`, the mailbox (its name from
  mailboxes.json) the group, `source.type` (else `type`) the channel, tag names, `status`;
  Help Scout has no priority (null);
- a conversation is `created_by="agent"` when a Help Scout user started it (`createdBy.type`
  or `source.via` is `user`: an outgoing message), except a phone conversation, which is the
  customer's (the customer called; an agent logged it);
- threads are messages by type: `customer` (the customer's), `reply`, `message` (an agent's
  outgoing first message), `chat` and `beaconchat` lines are public messages; `note` and
  `forwardparent` are notes (not public: never replies); `forwardchild` (a forward to a third
  party) is not public; `phone` is the logging agent's `interaction` (a call is no written
  reply; Help Scout keeps no call duration), or the customer's message when a customer made it;
  `lineitem` (status and assignment changes, workflows, merges) is no message. Drafts,
  threads under review and hidden threads were never sent: skipped and counted; so is a
  thread of another type (one Help Scout adds later), by type, rather than rejected;
- event ids are Help Scout's thread ids (`hs-thread-<id>`, the status it set
  `hs-status-<id>`), `seq` twice the thread id (Help Scout numbers threads in the order they
  are made): the import and the webhook make the same rows of the same thread;
- who wrote a thread: `createdBy.type` `customer` → customer; `system_user` (API v3) or another
  non-person type → bot; `user` → an agent when the id is a user of users.json, otherwise a
  bot (Help Scout's AI and workflow senders are not mailbox users; API v2 reports them as
  `user`). Without users.json every `user` is an agent (noted): bots cannot be told apart.
  No thread says that an AI agent wrote it (its answers and workflows' replies are both
  non-users), so none is `ai_agent`;
- status history: every thread carries the conversation's status after it (`status`:
  active → `open`, pending → `pending`, closed → `solved`; `nochange` or none: unchanged).
  Walking the threads in time order, each change is a `status` event at the thread's
  `createdAt`: replies and customer messages give the changes made with them (a customer's
  reply reopens), lineitems the changes made alone ("marked as pending", a workflow closing).
  What cannot be known: a change that left no thread (none is documented; an export without
  lineitems loses the changes made alone), and, when the threads do not end in the
  conversation's current `status`, when that status was set: it is placed at `closedAt`
  (closed) or `userUpdatedAt`. A conversation with no threads at all keeps only that event.
  Help Scout has one waiting status, `pending` (no separate on-hold), and no `closed` beyond
  `solved`: a closed conversation is reopened by the customer's next reply;
- satisfaction: each rating (great, okay, not good) is a CSAT answer on the 1-5 scale (5, 3,
  1: satisfied is great), `helpscout-rating-<rated thread>` (the report's and the rating
  object's rows of one rating are one answer), its user the agent rated. Ratings `unknown`
  are skipped. Help Scout exports only answered ratings: no survey requests are made
  (response rate is unknown);
- users of type `user` are the agents (first and last name, email); teams are skipped;
- spam conversations (status `spam`), deleted ones (state `deleted`) and drafts (state
  `draft`, never sent) are left out and counted, with their threads and ratings.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from deskmetrics.errors import ImportDataError
from deskmetrics.importers.exportfiles import ExportFrames, collecting, read_whole
from deskmetrics.importers.exportfiles import find_file as _find
from deskmetrics.importers.exportfiles import iso_seconds as _instant
from deskmetrics.importers.exportfiles import text as _text
from deskmetrics.importers.frames import RecordChunk, TupleChunk
from deskmetrics.importers.freshdesk import FreshdeskMapping
from deskmetrics.importers.jsonstream import JsonRecord, iter_records, loads
from deskmetrics.model import DEFAULT_CHANNELS, SourceFrame

Record = dict[str, Any]
#: an events row as a tuple in `EVENT_COLUMNS` order (the conversations pass makes hundreds of
#: thousands: no dict each)
Row = tuple[Any, ...]

CONVERSATIONS_FILE = "conversations"
THREADS_FILE = "threads"
RATINGS_FILE = "ratings"
USERS_FILE = "users"
MAILBOXES_FILE = "mailboxes"

TICKET_COLUMNS = (
    "ticket_id", "created_at", "requester_id", "channel", "priority", "group", "assignee_id",
    "created_by", "subject", "tags", "status", "updated_at", "number",
)  # fmt: skip
EVENT_COLUMNS = (
    "event_id", "ticket_id", "at", "type", "author_role", "author_id", "public", "body",
    "status", "agent_id", "seq",
)  # fmt: skip
SURVEY_COLUMNS = (
    "response_id", "kind", "scale", "score", "answered_at", "customer_id", "ticket_id",
    "agent_id", "comment",
)  # fmt: skip
AGENT_COLUMNS = ("agent_id", "name", "active", "email")

#: a conversation's or thread's `status` → the canonical status (`spam`: left out)
STATUSES: dict[str, str] = {"active": "open", "open": "open", "pending": "pending",
                            "closed": "solved"}  # fmt: skip
SPAM = "spam"
#: a thread's status when the thread changed none
UNCHANGED = frozenset({"nochange", ""})
#: thread types → (event kind, public); kind "message", "interaction" (phone) or None
THREAD_TYPES: dict[str, tuple[str | None, bool]] = {
    "customer": ("message", True), "reply": ("message", True), "message": ("message", True),
    "chat": ("message", True), "beaconchat": ("message", True), "note": ("message", False),
    "forwardparent": ("message", False), "forwardchild": ("message", False),
    "phone": ("interaction", True), "lineitem": (None, True),
}  # fmt: skip
#: thread states never sent to anyone (skipped); `published` (or none) is kept
UNSENT_STATES = frozenset({"draft", "underreview", "hidden"})
#: a rating's words (the rating object's `rating`, the webhook's) → score on 1-5
RATING_SCORES: dict[str, int] = {"great": 5, "okay": 3, "ok": 3, "not-good": 1, "bad": 1}
#: the happiness report's `ratingId` (1 great, 2 okay, 3 not good) → score on 1-5
RATING_CODES: dict[int, int] = {1: 5, 2: 3, 3: 1}
#: source types as Help Scout names them → the deskmetrics channel they are reported as (the
#: engine reports by `deskmetrics.model.DEFAULT_CHANNELS` and `[channels]`: `beacon` needs a
#: `[channels]` entry to be reported as here)
DEFAULT_CHANNEL_MAP: dict[str, str] = {
    **DEFAULT_CHANNELS,
    "email": "email", "chat": "chat", "phone": "phone", "api": "api", "beacon": "web",
    "beacon-v2": "web", "web": "web", "form": "web", "mobile": "web",
}  # fmt: skip

#: Rows per frame of a streamed import (the store stages each frame as it comes).
CHUNK_ROWS = 50_000
_COLLECT_EVERY = 8
#: conversations of the first pass moved off the interpreter's heap at a time
_BATCH = 100_000
#: a JSON Lines first line longer than this is not held whole (the file is streamed)
_WHOLE_LINE = 16 << 20


#: what a Help Scout export folder maps to, read whole
HelpScoutExport = ExportFrames


def read_helpscout(directory: Path) -> ExportFrames:
    """Map a folder of Help Scout Mailbox API 2.0 exports to canonical raw rows, one frame per
    table and file (`stream_helpscout` gives the same rows in chunks)."""
    return read_whole(HelpScoutStream(directory, chunk_rows=None))


def stream_helpscout(directory: Path, chunk_rows: int = CHUNK_ROWS) -> HelpScoutStream:
    """The frames of a Help Scout export folder in chunks of at most `chunk_rows` rows;
    `skipped` and `noted` are complete once iterated. Raises `ImportDataError` at once when
    the folder has no conversations file."""
    return HelpScoutStream(directory, chunk_rows)


# --- reading HAL pages ---------------------------------------------------------------------


def hal_records(
    path: Path, keys: tuple[str, ...], fast: Callable[[bytes], list[Any] | None] | None = None
) -> Iterator[tuple[JsonRecord, Record]]:
    """The records of a Help Scout file, one at a time, each with the page it came in (an
    empty dict for bare records): a page holds them under `_embedded.<key>` (HAL) or `<key>`
    (the Reports API's `results`) for the first of `keys` present. JSON Lines are read a line
    at a time, arrays streamed (`jsonstream`), a single page document whole. Records are
    numbered 1, 2, … among the file's records (pages do not count). `fast(line)`, when given,
    reads the records of a JSON Lines line after the first (then given with an empty page), or
    says None: the line is read as usual."""
    for row, (value, page) in enumerate(_documents(path, keys, fast), 1):
        yield JsonRecord(row, value if isinstance(value, dict) else None), page


class _Head(TypedDict, total=False):
    """What the first pass reads of a conversation (the rest of it is skipped undecoded)."""

    id: Any
    userUpdatedAt: Any
    modifiedAt: Any


class _Embedded(TypedDict, total=False):
    conversations: list[_Head]


class _HeadsPage(TypedDict, total=False):
    id: Any
    _embedded: _Embedded


_decode_heads = msgspec.json.Decoder(_HeadsPage).decode


def conversation_heads(line: bytes) -> list[Any] | None:
    """The conversations of one JSON Lines HAL page with only the fields the first pass reads
    (`id`, `userUpdatedAt`, `modifiedAt`): their threads and bodies, most of the page, are
    skipped, not decoded (a tenth of the time of reading it whole). None when the line is not
    such a page (a record, an array, a conversation that is not an object, JSON that msgspec
    refuses): it is then read whole, as `_unwrap` reads it."""
    try:
        page = _decode_heads(line)
    except (msgspec.DecodeError, RecursionError):
        return None
    embedded = page.get("_embedded")
    if "id" in page or embedded is None or "conversations" not in embedded:
        return None
    return list(embedded["conversations"])


class _Thread(TypedDict, total=False):
    """The fields of a thread the mapping reads (`HelpScoutMapping.thread`)."""

    id: Any
    createdAt: Any
    type: Any
    state: Any
    status: Any
    createdBy: Any
    customer: Any
    body: Any


class _Threads(TypedDict, total=False):
    threads: list[_Thread]


class _Conversation(TypedDict, total=False):
    """The fields of a conversation the mapping reads (`HelpScoutMapping.conversation_rows`,
    `_threads_of`, `_updated`); the rest (links, recipients, attachments …) is skipped."""

    id: Any
    state: Any
    status: Any
    createdAt: Any
    primaryCustomer: Any
    customer: Any
    source: Any
    type: Any
    createdBy: Any
    mailboxId: Any
    mailbox: Any
    assignee: Any
    owner: Any
    subject: Any
    tags: Any
    userUpdatedAt: Any
    modifiedAt: Any
    closedAt: Any
    number: Any
    threads: Any
    _embedded: _Threads


class _ConversationsOf(TypedDict, total=False):
    conversations: list[_Conversation]


class _ConversationsPage(TypedDict, total=False):
    id: Any
    _embedded: _ConversationsOf


_decode_conversations = msgspec.json.Decoder(_ConversationsPage).decode


def mapped_conversations(line: bytes) -> list[Any] | None:
    """The conversations of one JSON Lines HAL page with only the fields the mapping reads
    (their threads' too): links, recipients and attachments are skipped, not decoded. None
    when the line is not such a page or a conversation or thread is not an object (then read
    whole, as `_unwrap` reads it, and rejected as ever)."""
    try:
        page = _decode_conversations(line)
    except (msgspec.DecodeError, RecursionError):
        return None
    embedded = page.get("_embedded")
    if "id" in page or embedded is None or "conversations" not in embedded:
        return None
    return list(embedded["conversations"])


def _documents(
    path: Path, keys: tuple[str, ...], fast: Callable[[bytes], list[Any] | None] | None = None
) -> Iterator[tuple[Any, Record]]:
    with path.open("rb") as f:
        head = f.read(len(codecs.BOM_UTF8))
        if head != codecs.BOM_UTF8:
            f.seek(0)
        number, line = 0, b""
        while True:
            line = f.readline(_WHOLE_LINE)
            number += 1
            if not line or not line.isspace():
                break
        if not line:
            return  # empty: no records
        first: Any = _MISSING
        if line.endswith(b"\n") or len(line) < _WHOLE_LINE:
            try:
                first = loads(line, json.loads)
            except (UnicodeDecodeError, json.JSONDecodeError):
                first = _MISSING
        if first is not _MISSING:  # JSON Lines (or a one-line document)
            yield from _unwrap(first, keys, {})
            for line in f:
                number += 1
                if line.isspace():
                    continue
                records = None if fast is None else fast(line)
                if records is not None:
                    for value in records:
                        yield value, {}
                else:
                    yield from _unwrap(_parse(path, line, number), keys, {})
            return
        starts_array = line.lstrip().startswith(b"[")
    if starts_array:  # an array of records or pages, streamed element by element
        for item in iter_records(path, keys[0]):
            yield from _unwrap(item.data, keys, {})
        return
    try:
        doc = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ImportDataError(f"{path.name} is not UTF-8 text (byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise ImportDataError(
            f"{path.name} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from exc
    yield from _unwrap(doc, keys, {})


_MISSING = object()


def _parse(path: Path, line: bytes, number: int) -> Any:
    try:
        return loads(line)
    except UnicodeDecodeError as exc:
        raise ImportDataError(f"{path.name} is not UTF-8 text (line {number})") from exc
    except json.JSONDecodeError as exc:
        raise ImportDataError(
            f"{path.name} is not valid JSON: {exc.msg} at line {number}, column {exc.colno}"
        ) from exc


def _unwrap(doc: Any, keys: tuple[str, ...], page: Record) -> Iterator[tuple[Any, Record]]:
    """Records of one document: a page's records, an array's elements, or the record."""
    if isinstance(doc, list):
        for value in doc:
            yield from _unwrap(value, keys, page)
        return
    if isinstance(doc, dict) and "id" not in doc:
        embedded = doc.get("_embedded")
        holder = embedded if isinstance(embedded, dict) else doc
        for key in keys:
            records = holder.get(key)
            if isinstance(records, list):
                for value in records:
                    yield value, doc
                return
        if "page" in doc or "_links" in doc:
            return  # an empty page: Help Scout leaves `_embedded` out when nothing matched
    yield doc, page


# --- the mapping -----------------------------------------------------------------------------


@dataclass
class _Walk:
    """What a conversation whose threads come from threads.json needs at the end: its
    current status and instants, and its threads' (instant, id, status) in any order."""

    row: int
    status: str
    closed_at: str | None
    updated_at: str | None
    threads: list[tuple[float, int, str, str, str]] = field(default_factory=list)


@dataclass
class HelpScoutMapping(FreshdeskMapping):
    """Lookups shared by the files (users, mailbox names), each conversation's place, the
    rejects found so far and skip counts (the bookkeeping of `FreshdeskMapping`)."""

    users_known: bool = False
    mailboxes: dict[str, str] = field(default_factory=dict)
    #: the records (places) of conversations listed again later in a version updated later
    older: set[int] = field(default_factory=set)
    #: every conversation id of the file, once (Arrow: a few bytes each)
    known: pa.Array | None = None
    _known_sorted: np.ndarray | None = None
    #: conversations kept without embedded threads: their threads may be in threads.json
    waiting: dict[str, _Walk] = field(default_factory=dict)

    # conversations ----------------------------------------------------------------------

    def conversation_winners(self, file: str, items: Iterator[JsonRecord]) -> None:
        """Pass 1: the records to leave out, all but the version of each conversation updated
        last (`userUpdatedAt`; the later record on a tie). Each conversation's id, update time
        and place are kept in Arrow and NumPy arrays (a few bytes each, not a Python object per
        conversation), so memory stays flat in the number of conversations."""
        ids: list[str] = []
        ats: list[float] = []
        rows: list[int] = []
        parts: list[tuple[pa.Array, np.ndarray, np.ndarray]] = []

        def flush() -> None:
            if ids:
                parts.append((pa.array(ids, pa.large_string()), np.asarray(ats),
                              np.asarray(rows, dtype=np.int64)))  # fmt: skip
            for kept in (ids, ats, rows):
                kept.clear()

        for item in items:
            cid = None if item.data is None else _text(item.data.get("id"))
            if item.data is None or cid is None:
                continue
            ids.append(cid)
            ats.append(_instant(_updated(item.data)))
            rows.append(item.row)
            if len(ids) >= _BATCH:
                flush()
        flush()
        if not parts:
            return
        encoded = pc.dictionary_encode(pa.concat_arrays([p[0] for p in parts]))
        code = encoded.indices.to_numpy(zero_copy_only=False)
        row = np.concatenate([p[2] for p in parts])
        order = np.lexsort((row, np.concatenate([p[1] for p in parts]), code))
        grouped = code[order]
        last = np.append(grouped[1:] != grouped[:-1], True)
        self.older = set(row[order][~last].tolist())
        self.known = encoded.dictionary
        if self.older:
            self.skip(file, "older versions of a conversation", len(self.older))

    def is_known(self, cid: str) -> bool:
        """Whether conversations.json lists conversation `cid` (sorted once, when asked)."""
        if self.known is None:
            return False
        if self._known_sorted is None:
            self._known_sorted = np.sort(np.asarray(self.known.to_pylist(), dtype=str))
        found = self._known_sorted
        i = int(np.searchsorted(found, cid))
        return i < len(found) and bool(found[i] == cid)

    def conversation_rows(
        self, file: str, item: JsonRecord, *, winners: bool = True
    ) -> tuple[list[Record], list[Record]]:
        """The tickets row of one conversation and its events (threads, status changes);
        none for an older version, spam, deleted, draft or rejected conversations."""
        tickets, events = self.conversation_tuples(file, item, winners=winners)
        return [dict(zip(TICKET_COLUMNS, t, strict=True)) for t in tickets], [
            _event_record(e) for e in events
        ]

    def conversation_tuples(
        self, file: str, item: JsonRecord, *, winners: bool = True
    ) -> tuple[list[Row], list[Row]]:
        """`conversation_rows` as tuples in `TICKET_COLUMNS` and `EVENT_COLUMNS` order."""
        c = item.data
        if c is None:
            self.reject("tickets", file, item.row, "id", "record is not a JSON object")
            return [], []
        cid = _text(c.get("id"))
        if cid is None:
            self.reject("tickets", file, item.row, "id", "conversation has no id")
            return [], []
        if winners and item.row in self.older:
            return [], []  # an older version
        state = (_text(c.get("state")) or "published").lower()
        raw_status = (_text(c.get("status")) or "").lower()
        if state in ("deleted", "draft") or raw_status == SPAM:
            what = {"deleted": "deleted conversations", "draft": "draft conversations (never sent)"}
            self.skip(file, what.get(state, "spam conversations"))
            self.left_out.add(cid)
            return [], []
        created = _utc(c.get("createdAt"))
        requester = _person(c.get("primaryCustomer")) or _person(c.get("customer"))
        status = STATUSES.get(raw_status)
        problem: tuple[str, str, Any] | None = None
        if state != "published":
            problem = ("state", "unknown Help Scout state (published, draft, deleted)", state)
        elif created is None:
            problem = ("createdAt", "conversation has no createdAt", None)
        elif requester is None:
            problem = ("primaryCustomer.id", "conversation names no customer", None)
        elif status is None:
            why = "unknown Help Scout status (active, pending, closed, spam)"
            problem = ("status", why, c.get("status"))
        if problem is not None or created is None or status is None:
            if problem is not None:
                self.reject("tickets", file, item.row, *problem)
            self.left_out.add(cid)
            return [], []
        source = c.get("source") if isinstance(c.get("source"), dict) else {}
        assert isinstance(source, dict)
        kind = (_text(c.get("type")) or "").lower()
        channel = (_text(source.get("type")) or kind or "").lower() or None
        by_user = _role_type(c.get("createdBy")) == "user" or (
            (_text(source.get("via")) or "").lower() == "user"
        )
        mailbox = _text(c.get("mailboxId")) or _person(c.get("mailbox"))
        row = (  # TICKET_COLUMNS
            cid,
            created,
            requester,
            channel,
            None,  # priority
            None if mailbox is None else self.mailboxes.get(mailbox, mailbox),
            _person(c.get("assignee")) or _person(c.get("owner")),
            "agent" if by_user and kind != "phone" and channel != "phone" else "customer",
            _text(c.get("subject")),
            _tags(c.get("tags")),
            status,
            _updated(c),
            _text(c.get("number")),
        )
        found = _threads_of(c)
        closed_at, updated_at = _utc(c.get("closedAt")), _updated(c)
        if found is None:
            self.waiting[cid] = _Walk(item.row, status, closed_at, updated_at)
            return [row], []
        threads, where = found
        events = self.thread_events(
            file, item.row, cid, threads, where, status, closed_at, updated_at
        )
        return [row], events

    def thread_events(
        self, file: str, row: int, cid: str, threads: list[Any], where: str, status: str,
        closed_at: str | None, updated_at: str | None,
    ) -> list[Row]:  # fmt: skip
        """Messages, interactions and status changes of a conversation's threads (at `where`
        in the record, for rejects), as `EVENT_COLUMNS` tuples."""
        read: list[tuple[float, int, str, Row | None, str | None]] = []
        for k, t in enumerate(threads):
            got = self.thread(file, row, f"{where}[{k}].", cid, t)
            if got is not None:
                read.append(got)
        read.sort(key=_by_instant_and_id)
        events: list[Row] = []
        current: str | None = None
        last = float("-inf")
        for at, tid, when, message, new in read:
            # seq: Help Scout numbers threads in the order they are made; the same thread
            # gets the same seq whichever threads a page or a webhook lists (the message's
            # is 2 × id, set by `thread`)
            if message is not None:
                events.append(message)
            if new is not None and new != current:
                events.append((f"hs-status-{tid}", cid, when, "status", None, None, None, None,
                               new, None, str(2 * tid + 1)))  # fmt: skip
                current, last = new, at
        events.extend(self.current_status(file, cid, current, last, status, closed_at, updated_at))
        return events

    def thread(
        self, file: str, row: int, where: str, cid: str, t: Any
    ) -> tuple[float, int, str, Row | None, str | None] | None:
        """One thread as (instant, id, `createdAt`, its message or interaction row (an
        `EVENT_COLUMNS` tuple, `seq` 2 × id) or None, the status it set or None); None when
        skipped or rejected (naming `where` + the field)."""
        if not isinstance(t, dict):
            self.reject("events", file, row, where.rstrip("."), "thread is not a JSON object")
            return None
        tid, at = _text(t.get("id")), _utc(t.get("createdAt"))
        kind = (_text(t.get("type")) or "").lower()
        state = (_text(t.get("state")) or "published").lower()
        raw = (_text(t.get("status")) or "").lower()
        if tid is None:
            self.reject("events", file, row, f"{where}id", "thread has no id")
            return None
        if not kind:
            self.reject("events", file, row, f"{where}type", "thread has no type")
            return None
        if kind not in THREAD_TYPES:  # a type Help Scout adds later: not known ticket history
            self.skip(file, f"threads of type {kind!r} (not ticket history)")
            return None
        if at is None:
            self.reject("events", file, row, f"{where}createdAt", "thread has no createdAt")
            return None
        if raw not in STATUSES and raw not in UNCHANGED and raw != SPAM:
            why = "unknown Help Scout thread status (active, pending, closed, spam, nochange)"
            self.reject("events", file, row, f"{where}status", why, t.get("status"))
            return None
        if state in UNSENT_STATES:
            self.skip(file, f"{state} threads (never sent)")
            return None
        if state != "published":
            why = "unknown Help Scout thread state (published, draft, underReview, hidden)"
            self.reject("events", file, row, f"{where}state", why, t.get("state"))
            return None
        event, public = THREAD_TYPES[kind]
        number = _int_id(tid)
        message: Row | None = None
        if event is not None:
            role = self.thread_author(t, kind, file)
            author = _person(t.get("createdBy"))
            if author is None and role == "customer":
                author = _person(t.get("customer"))
            if role is None:
                why = "the thread names no createdBy to tell customer, agent or bot"
                self.reject("events", file, row, f"{where}createdBy", why)
                return None
            body = _text(t.get("body"))
            if event == "interaction" and role != "customer":
                message = (f"hs-thread-{tid}", cid, at, "interaction", None, None, None, None,
                           None, author, str(2 * number))  # fmt: skip
            else:
                message = (f"hs-thread-{tid}", cid, at, "message", role, author,
                           "true" if public else "false", body, None, None,
                           str(2 * number))  # fmt: skip
        return _instant(at), number, at, message, STATUSES.get(raw)

    def thread_author(self, t: Record, kind: str, file: str) -> str | None:
        """customer, agent or bot for a thread's author (module docstring)."""
        who = _role_type(t.get("createdBy"))
        if who == "customer":
            return "customer"
        if who == "user":
            uid = _person(t.get("createdBy"))
            if not self.users_known:
                self.note(file, "threads by users read as agents (no users.json: bots unknown)")
                return "agent"
            return "agent" if uid in self.agents else "bot"
        if who is not None:
            return "bot"  # system_user and other senders that are not people
        return "customer" if kind == "customer" else None

    def current_status(
        self, file: str, cid: str, last_status: str | None, last_at: float, status: str,
        closed_at: str | None, updated_at: str | None,
    ) -> list[Row]:  # fmt: skip
        """The conversation's current status when its threads do not end in it, at
        `closedAt` (closed) or `userUpdatedAt`; none when no such instant follows them (an
        `EVENT_COLUMNS` tuple without `seq`)."""
        if last_status == status:
            return []
        at = closed_at if status == "solved" and closed_at else updated_at
        if at is None or _instant(at) < last_at:
            self.skip(file, "current statuses with no instant after the threads'")
            return []
        self.note(file, "conversations whose current status is placed at closedAt/userUpdatedAt")
        return [(f"hs-{cid}-current-{status}-{at}", cid, at, "status", None, None, None, None,
                 status, None, None)]  # fmt: skip

    # threads.json -------------------------------------------------------------------------

    def loose_thread(self, file: str, item: JsonRecord, page: Record) -> Row | None:
        """The message of one thread of threads.json (its status kept for the end), an
        `EVENT_COLUMNS` tuple."""
        t = item.data
        if t is None:
            self.reject("events", file, item.row, "id", "record is not a JSON object")
            return None
        cid = _text(t.get("conversationId")) or _text(page.get("conversationId"))
        if cid is None:
            why = "the thread (or its page) names no conversationId"
            self.reject("events", file, item.row, "conversationId", why)
            return None
        if cid in self.left_out:
            self.skip(file, "threads of spam, deleted, draft or rejected conversations")
            return None
        if cid not in self.waiting and self.is_known(cid):
            self.skip(file, "threads also embedded in conversations.json")
            return None
        got = self.thread(file, item.row, "", cid, t)
        if got is None:
            return None
        instant, number, at, message, status = got
        walk = self.waiting.get(cid)
        if walk is not None and status is not None:
            walk.threads.append((instant, number, str(t.get("id")), at, status))
        # a conversation that no file holds: validation rejects the row (names no ticket)
        return message

    def waiting_status_rows(self, file: str) -> list[Row]:
        """Status events of the conversations whose threads came from threads.json (or from
        nowhere: then only the current status, placed by the fallback), `EVENT_COLUMNS`
        tuples."""
        rows: list[Row] = []
        for cid, walk in self.waiting.items():
            current: str | None = None
            last = float("-inf")
            for at, number, tid, when, status in sorted(walk.threads):
                if status != current:
                    rows.append((f"hs-status-{tid}", cid, when, "status", None, None, None,
                                 None, status, None, str(2 * number + 1)))  # fmt: skip
                    current, last = status, at
            if not walk.threads:
                self.note(file, "conversations without threads (current status only)")
            rows.extend(self.current_status(
                file, cid, current, last, walk.status, walk.closed_at, walk.updated_at
            ))  # fmt: skip
        return rows

    # ratings --------------------------------------------------------------------------------

    def rating_row(self, file: str, item: JsonRecord) -> Record | None:
        """The CSAT answer of one rating (a happiness-report row or a rating object)."""
        r = item.data
        if r is None:
            self.reject("surveys", file, item.row, "id", "record is not a JSON object")
            return None
        report = "ratingCreatedAt" in r or "threadid" in r
        if report:  # the report's row: `id` is the conversation's
            cid, thread = _text(r.get("id")), _text(r.get("threadid"))
            at, names = _utc(r.get("ratingCreatedAt")), ("id", "threadid", "ratingCreatedAt")
            code = r.get("ratingId")
            score = RATING_CODES.get(code) if isinstance(code, int) else None
            field_name, customer = "ratingId", _text(r.get("ratingCustomerId"))
            agent, comment = _text(r.get("ratingUserId")), _text(r.get("ratingComments"))
        else:
            cid = _text(r.get("conversationId")) or _text(r.get("ticketId"))
            thread, at = _text(r.get("threadId")), _utc(r.get("createdAt"))
            names = ("conversationId", "threadId", "createdAt")
            code = (_text(r.get("rating")) or "").lower().replace("_", "-").replace(" ", "-")
            if code == "unknown":
                self.skip(file, "ratings without an answer (unknown)")
                return None
            score = RATING_SCORES.get(code)
            field_name, customer = "rating", _person(r.get("customer"))
            agent, comment = _person(r.get("user")), _text(r.get("comments"))
        for name, value in zip(names, (cid, thread, at), strict=True):
            if value is None:
                self.reject("surveys", file, item.row, name, f"rating has no {name}")
                return None
        if cid in self.left_out:
            self.skip(file, "ratings of spam, deleted, draft or rejected conversations")
            return None
        if score is None:
            why = "not a Help Scout rating (great, okay, not good; the report's 1, 2, 3)"
            self.reject("surveys", file, item.row, field_name, why, r.get(field_name))
            return None
        return {
            "response_id": f"helpscout-rating-{thread}", "kind": "csat", "scale": "1-5",
            "score": str(score), "answered_at": at, "customer_id": customer, "ticket_id": cid,
            "agent_id": agent, "comment": comment,
        }  # fmt: skip

    # users ------------------------------------------------------------------------------------

    def user_row(self, file: str, item: JsonRecord) -> Record | None:
        u = item.data
        if u is None:
            self.reject("agents", file, item.row, "id", "record is not a JSON object")
            return None
        if (_text(u.get("type")) or "user").lower() != "user":
            self.skip(file, "teams (not agents)")
            return None
        name = " ".join(n for n in (_text(u.get("firstName")), _text(u.get("lastName"))) if n)
        return {"agent_id": _text(u.get("id")), "name": name or None,
                "email": _text(u.get("email"))}  # fmt: skip


class HelpScoutStream:
    """A Help Scout export folder read in passes, each file a page at a time: mailboxes and
    users (lookups); conversations twice (the latest version of each, then their rows and
    threads); threads.json; ratings; users. Iterating yields `SourceFrame`s; `skipped` and
    `noted` are complete at the end."""

    def __init__(self, directory: Path, chunk_rows: int | None = CHUNK_ROWS) -> None:
        directory = Path(directory)
        if not directory.is_dir():
            raise ImportDataError(
                f"{directory} is not a folder: give the folder of a Help Scout export"
            )
        conversations = _find(directory, CONVERSATIONS_FILE)
        if conversations is None:
            raise ImportDataError(
                f"no conversations.json in {directory}: a Help Scout export folder needs "
                "conversations.json (GET /v2/conversations?embed=threads&status=all pages) and "
                "may add threads.json, ratings.json, users.json and mailboxes.json (API pages "
                "one per line, a JSON array, or JSON Lines of records; .jsonl is accepted too)"
            )
        self.directory = directory
        self.conversations_path = conversations
        self.chunk_rows = chunk_rows
        self.hs = HelpScoutMapping()
        self.skipped = self.hs.skipped
        self.noted = self.hs.noted

    def __iter__(self) -> Iterator[SourceFrame]:
        yield from collecting(self._frames(), _COLLECT_EVERY)

    def _frames(self) -> Iterator[SourceFrame]:
        hs, d = self.hs, self.directory
        mailboxes = _find(d, MAILBOXES_FILE)
        if mailboxes is not None:
            for item, _ in hal_records(mailboxes, ("mailboxes",)):
                mid = None if item.data is None else _text(item.data.get("id"))
                if item.data is not None and mid is not None:
                    hs.mailboxes[mid] = _text(item.data.get("name")) or mid
        users = _find(d, USERS_FILE)
        if users is not None:
            hs.users_known = True
            for item, _ in hal_records(users, ("users",)):
                u = item.data
                uid = None if u is None else _text(u.get("id"))
                if uid is not None and u and (_text(u.get("type")) or "user").lower() == "user":
                    hs.agents.add(uid)

        path = self.conversations_path
        cf = path.name
        heads = hal_records(path, (CONVERSATIONS_FILE,), conversation_heads)
        hs.conversation_winners(cf, (i for i, _ in heads))
        tickets = TupleChunk("tickets", cf, TICKET_COLUMNS)
        events = TupleChunk("events", cf, EVENT_COLUMNS)
        for item, _ in hal_records(path, (CONVERSATIONS_FILE,), mapped_conversations):
            rows, evs = hs.conversation_tuples(cf, item)
            tickets.extend(item.row, rows)
            events.extend(item.row, evs)
            if events.full(self.chunk_rows) or tickets.full(self.chunk_rows):
                # both at once: the tickets held stay a fraction of a chunk (a conversation
                # makes several events), so memory is bounded by the chunk, not the export
                yield tickets.take(hs.rejects)
                yield events.take(hs.rejects)
        yield tickets.take(hs.rejects)

        threads = _find(d, THREADS_FILE)
        if threads is not None:
            tf = threads.name
            loose = TupleChunk("events", tf, EVENT_COLUMNS)
            for item, page in hal_records(threads, (THREADS_FILE,)):
                message = hs.loose_thread(tf, item, page)
                if message is not None:
                    loose.add(item.row, message)
                if loose.full(self.chunk_rows):
                    yield loose.take(hs.rejects)
            yield loose.take(hs.rejects)
        # status events of conversations without embedded threads (rows: their conversation's)
        for r in hs.waiting_status_rows(cf):
            events.add(hs.waiting[r[1]].row, r)  # on its conversation's line
        yield events.take(hs.rejects)

        for stem, table, columns, mapper, keys in (
            (RATINGS_FILE, "surveys", SURVEY_COLUMNS, hs.rating_row, ("results", "ratings")),
            (USERS_FILE, "agents", AGENT_COLUMNS, hs.user_row, ("users",)),
        ):
            found = _find(d, stem)
            if found is None:
                continue
            chunk = RecordChunk(table, found.name, columns)
            seen: set[str] = set()
            for item, _ in hal_records(found, keys):
                row = mapper(found.name, item)
                if row is not None:
                    key = str(row.get("response_id") or row.get("agent_id"))
                    if key in seen:  # a rating listed by the report and as an object
                        hs.skip(found.name, "records listed again")
                        continue
                    seen.add(key)
                    chunk.add(item.row, row)
                if chunk.full(self.chunk_rows):
                    yield chunk.take(hs.rejects)
            yield chunk.take(hs.rejects)


# --- values ----------------------------------------------------------------------------------


def _utc(value: Any) -> str | None:
    """A Help Scout time as ISO text; one without an offset is UTC (Help Scout's times are)."""
    text = _text(value)
    if text is None or text[-1] in "Zz" or "+" in text[10:] or "-" in text[10:]:
        return text
    return f"{text}Z" if "T" in text else text


def _updated(c: Record) -> str | None:
    """When a conversation last changed: `userUpdatedAt` (API 2.0), else `modifiedAt`
    (the webhook's Conversation object)."""
    return _utc(c.get("userUpdatedAt")) or _utc(c.get("modifiedAt"))


def _person(value: Any) -> str | None:
    """The id of a person or other reference object (`{"id": 12, ...}`), or a bare id."""
    if isinstance(value, dict):
        return _text(value.get("id"))
    return _text(value)


def _role_type(value: Any) -> str | None:
    """`createdBy.type` lower-cased (customer, user, system_user …), None when absent."""
    if isinstance(value, dict):
        kind = _text(value.get("type"))
        return None if kind is None else kind.lower()
    return None


def _tags(value: Any) -> str | None:
    """Tag names joined by ";" (the API gives `{"id", "tag", "color"}` objects)."""
    if not isinstance(value, list):
        return _text(value)
    names = [_text(v.get("tag") or v.get("name")) if isinstance(v, dict) else _text(v)
             for v in value]  # fmt: skip
    return ";".join(n for n in names if n) or None


def _threads_of(c: Record) -> tuple[list[Any], str] | None:
    """A conversation's threads and where they are: embedded (`embed=threads`) or a
    webhook's `threads`."""
    embedded = c.get("_embedded")
    if isinstance(embedded, dict) and isinstance(embedded.get("threads"), list):
        return list(embedded["threads"]), "_embedded.threads"
    if isinstance(c.get("threads"), list):
        return list(c["threads"]), "threads"
    return None


def _by_instant_and_id(read: tuple[Any, ...]) -> tuple[float, int]:
    """The order of a conversation's threads: by instant, then by id."""
    return read[0], read[1]


#: the keys of each kind of events row as the webhook's mapping gives it (a dict), by type
_EVENT_KEYS: dict[str, tuple[str, ...]] = {
    "message": ("event_id", "ticket_id", "at", "type", "author_role", "author_id", "public",
                "body", "seq"),
    "interaction": ("event_id", "ticket_id", "at", "type", "agent_id", "seq"),
    "status": ("event_id", "ticket_id", "at", "type", "status", "seq"),
}  # fmt: skip


def _event_record(row: Row) -> Record:
    """An `EVENT_COLUMNS` tuple as the dict of its kind's keys (a current status placed by
    the fallback has no `seq`)."""
    full = dict(zip(EVENT_COLUMNS, row, strict=True))
    keys = _EVENT_KEYS[full["type"]]
    if full["seq"] is None:
        keys = tuple(k for k in keys if k != "seq")
    return {k: full[k] for k in keys}


def _int_id(value: str) -> int:
    """A thread id for ordering same-instant threads (Help Scout numbers them in order)."""
    return int(value) if value.isdigit() else 0


def channel_of(source: Any) -> str | None:
    """The deskmetrics channel a Help Scout source type is reported as."""
    name = _text(source)
    return None if name is None else DEFAULT_CHANNEL_MAP.get(name.lower(), "other")


#: Help Scout's field names for the canonical columns validation names, by table and file
FILE_TERMS: dict[tuple[str, str], dict[str, str]] = {
    ("tickets", CONVERSATIONS_FILE): {
        "ticket_id": "id", "created_at": "createdAt", "requester_id": "primaryCustomer.id",
        "channel": "source.type", "group": "mailboxId", "assignee_id": "assignee.id",
        "updated_at": "userUpdatedAt",
    },
    ("events", CONVERSATIONS_FILE): {
        "event_id": "_embedded.threads.id", "at": "_embedded.threads.createdAt",
        "author_id": "_embedded.threads.createdBy.id", "body": "_embedded.threads.body",
    },
    ("events", THREADS_FILE): {
        "event_id": "id", "ticket_id": "conversationId", "at": "createdAt",
        "author_id": "createdBy.id", "body": "body",
    },
    ("surveys", RATINGS_FILE): {
        "answered_at": "createdAt", "customer_id": "customer.id", "ticket_id": "conversationId",
        "agent_id": "user.id", "comment": "comments",
    },
    ("agents", USERS_FILE): {"agent_id": "id", "name": "firstName"},
}  # fmt: skip


def file_terms(table: str, file: str) -> dict[str, str]:
    """Canonical column → the Help Scout field it was read from, for a frame's rejects."""
    return FILE_TERMS.get((table, file.rsplit(".", 1)[0]), {})


__all__: list[str] = [
    "DEFAULT_CHANNEL_MAP",
    "RATING_CODES",
    "RATING_SCORES",
    "STATUSES",
    "THREAD_TYPES",
    "HelpScoutExport",
    "HelpScoutMapping",
    "channel_of",
    "file_terms",
    "hal_records",
    "read_helpscout",
    "stream_helpscout",
]
