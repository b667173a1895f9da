"""Chatwoot exports (the application API's JSON) mapped to canonical raw rows.

A folder holds `conversations.json` (required; the pages of GET
/api/v1/accounts/{id}/conversations, `{"data": {"meta": {...counts}, "payload": [...]}}`) and
optionally `messages.json` (GET .../conversations/{id}/messages of every conversation,
`{"meta": {...}, "payload": [...]}`), `csat_survey_responses.json` (GET
.../csat_survey_responses), `agents.json` (GET .../agents) and `inboxes.json` (GET .../inboxes,
`{"payload": [...]}`). A file may be JSON Lines with one API page or one record per line, one
page, or a JSON array of records; `.jsonl` is accepted in place of `.json`. JSON Lines and
arrays are streamed (`jsonstream`); a single page document is read whole. Values stay text
(Unix seconds become ISO instants): `deskmetrics.model.validate` types and checks them after.

Mapping choices that metrics depend on (see docs/importers/chatwoot.md):
- a conversation is a ticket: its requester is `meta.sender` (the contact), its assignee
  `meta.assignee`, its group `meta.team.name`, its tags the `labels`, its channel the inbox's
  channel type (inboxes.json; else the conversation's `meta.channel`);
- who wrote a message: `message_type` 0 (incoming) is the contact's (`customer`); 1
  (outgoing) is an agent's when `sender_type` is User, the AI agent's (`ai_agent`) when
  AgentBot (an agent bot converses in front of the team and hands over: Dialogflow, Rasa, a
  webhook bot) or Captain::Assistant (Chatwoot's Captain), a bot's when no sender is named
  (Chatwoot's automations); 3 (template: greetings, away messages, surveys) is a bot's.
  A private note is an agent's note (the AI agent's when its sender is one), never public, so
  never a reply;
- a conversation is `created_by="agent"` when its first message is an agent's outgoing one
  (an agent started it); its opening message is that first message;
- status history: Chatwoot keeps none but the activity messages (`message_type` 2) it
  writes on each change: "… marked resolved …"/"… resolved …" → `solved`, "… reopened …" →
  `open`, "… pending …" → `new` (Chatwoot's pending is a conversation held by a bot, not yet
  handed to an agent), "… snoozed …" → `pending` (snoozed until the customer replies: we wait
  on the customer). Other activity (assignments, labels) is skipped and counted. A conversation
  without such activity keeps only its current status (the engine's inferred stretch: resolved
  at an unknown instant), and an activity message deleted or not exported is a change that
  cannot be known; the texts are Chatwoot's English ones (an account in another language
  gives no history). Status codes: open/0, resolved/1, pending/2, snoozed/3; any other value is
  rejected (field `status`);
- priority low, medium → `normal`, high, urgent (null: none);
- satisfaction: a CSAT survey response is a CSAT answer on the 1-5 scale (rating), with its
  `feedback_message` as comment; each `input_csat` template message Chatwoot sends is the
  survey request (so response rate is known); the request is not a message;
- a message whose conversation is not in conversations.json is rejected (field
  `conversation_id`); an activity message that is not a status change, and records listed
  again (the later version kept), are skipped and counted. Chatwoot has no spam flag; a
  deleted message (`content_attributes.deleted`) is left out and counted.
Business hours (`working_hours` of inboxes) are not mapped to schedules: set the workspace's
schedule as for any other source.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from deskmetrics.errors import ImportDataError
from deskmetrics.importers.exportfiles import ExportFrames, collecting, find_file, read_whole, text
from deskmetrics.importers.frames import RecordChunk
from deskmetrics.importers.jsonstream import JsonRecord, iter_records
from deskmetrics.model import Reject, SourceFrame

Record = dict[str, Any]

CONVERSATIONS_FILE = "conversations"
MESSAGES_FILE = "messages"
CSAT_FILE = "csat_survey_responses"
AGENTS_FILE = "agents"
INBOXES_FILE = "inboxes"
_KEY = "payload"

TICKET_COLUMNS = (
    "ticket_id", "created_at", "requester_id", "channel", "priority", "group", "assignee_id",
    "created_by", "subject", "tags", "status", "updated_at",
)  # fmt: skip
EVENT_COLUMNS = (
    "event_id", "ticket_id", "at", "type", "author_role", "author_id", "public", "body",
    "status",
)  # fmt: skip
SURVEY_COLUMNS = (
    "response_id", "kind", "scale", "score", "answered_at", "customer_id", "ticket_id",
    "agent_id", "comment",
)  # fmt: skip
REQUEST_COLUMNS = ("request_id", "kind", "sent_at", "customer_id", "ticket_id")
AGENT_COLUMNS = ("agent_id", "name", "active", "email")

#: Chatwoot conversation statuses (names, and the enum's codes) → canonical statuses
STATUS_NAMES: dict[str, str] = {
    "open": "open", "resolved": "solved", "pending": "new", "snoozed": "pending",
    "0": "open", "1": "solved", "2": "new", "3": "pending",
}  # fmt: skip
PRIORITY_NAMES: dict[str, str] = {
    "low": "low", "medium": "normal", "high": "high", "urgent": "urgent",
    "0": "low", "1": "normal", "2": "high", "3": "urgent",
}  # fmt: skip
#: Chatwoot inbox channel types → the deskmetrics channel they are reported as
CHANNEL_TYPES: dict[str, str] = {
    "Channel::Email": "email", "Channel::WebWidget": "chat", "Channel::Api": "api",
    "Channel::Whatsapp": "chat", "Channel::TwilioSms": "chat", "Channel::Sms": "chat",
    "Channel::Telegram": "chat", "Channel::Line": "chat", "Channel::FacebookPage": "social",
    "Channel::TwitterProfile": "social", "Channel::Instagram": "social",
}  # fmt: skip
#: message_type names (webhooks and some exports give names, the list API gives codes)
MESSAGE_TYPES: dict[str, int] = {"incoming": 0, "outgoing": 1, "activity": 2, "template": 3}
#: status changes told by activity messages, in the order they are tried
_ACTIVITY: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\breopened\b", re.I), "open"),
    (re.compile(r"\bresolved\b", re.I), "solved"),
    (re.compile(r"\bsnoozed\b", re.I), "pending"),
    (re.compile(r"\bpending\b", re.I), "new"),
)
CSAT_CONTENT_TYPE = "input_csat"

#: Rows per frame of a streamed import (the store stages each frame as it comes).
CHUNK_ROWS = 100_000
_COLLECT_EVERY = 8


def read_chatwoot(directory: Path) -> ExportFrames:
    """Map a folder of Chatwoot API JSON exports to canonical raw rows, one frame per table
    and file (`stream_chatwoot` gives the same rows in chunks)."""
    return read_whole(ChatwootStream(directory, chunk_rows=None))


def stream_chatwoot(directory: Path, chunk_rows: int = CHUNK_ROWS) -> ChatwootStream:
    """The frames of a Chatwoot export folder in chunks of at most `chunk_rows` rows."""
    return ChatwootStream(directory, chunk_rows)


def instant(value: Any) -> str | None:
    """A Chatwoot time (Unix seconds, or an ISO string as some endpoints give) as ISO text;
    None when absent. Text that is not a number is kept for validation to judge."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC).isoformat().replace("+00:00", "Z")
    t = text(value)
    if t is not None and re.fullmatch(r"\d+(\.\d+)?", t):
        return instant(float(t))
    return t


def channel_of(channel_type: Any) -> str | None:
    """The deskmetrics channel of a Chatwoot channel type ("Channel::Email" → email); a type
    not listed is `other`."""
    t = text(channel_type)
    return None if t is None else CHANNEL_TYPES.get(t, "other")


def status_of(value: Any) -> str | None:
    """A Chatwoot status (name or code) as a canonical status; None when unknown."""
    t = text(value)
    return None if t is None else STATUS_NAMES.get(t.lower())


def message_type(value: Any) -> int | None:
    """message_type as its code (0 incoming, 1 outgoing, 2 activity, 3 template)."""
    t = text(value)
    if t is None:
        return None
    return MESSAGE_TYPES.get(t.lower(), int(t) if t.isdigit() else None)


def activity_status(content: Any) -> str | None:
    """The status an activity message reports a change to; None when it reports none."""
    t = text(content)
    if t is None:
        return None
    return next((status for pattern, status in _ACTIVITY if pattern.search(t)), None)


#: `sender_type`s (lower-cased) of an AI agent's outgoing messages
AI_SENDERS = frozenset({"agentbot", "captain::assistant"})


def author_role(mtype: int, sender_type: str | None, private: bool) -> str:
    """customer, agent, ai_agent or bot for a message (module docstring)."""
    sender = (sender_type or "").lower()
    if private:
        return "ai_agent" if sender in AI_SENDERS else "agent"
    if mtype == 0:
        return "customer"
    if mtype == 1 and sender == "user":
        return "agent"
    if mtype == 1 and sender in AI_SENDERS:
        return "ai_agent"
    return "bot"


@dataclass(slots=True)
class _Conversation:
    requester: str | None
    first: tuple[float, int, str] | None = None  # (at, message id order, role) of 1st message


@dataclass
class ChatwootMapping:
    """Lookups shared by the files, rejects by "<table>:<file>", skip counts."""

    channels: dict[str, str] = field(default_factory=dict)  # inbox id → channel
    conversations: dict[str, _Conversation] = field(default_factory=dict)
    rejects: dict[str, list[Reject]] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    noted: dict[str, int] = field(default_factory=dict)

    def skip(self, file: str, what: str, n: int = 1) -> None:
        key = f"{file}: {what}"
        self.skipped[key] = self.skipped.get(key, 0) + n

    def reject(self, table: str, file: str, row: int, column: str, why: str,
               value: Any = None) -> None:  # fmt: skip
        r = Reject(table, file, row, column, why, text(value))
        self.rejects.setdefault(f"{table}:{file}", []).append(r)

    def conversation_row(self, file: str, item: JsonRecord) -> Record | None:
        """The tickets row of one conversation, or None (rejected)."""
        c = item.data
        if c is None:
            self.reject("tickets", file, item.row, "id", "record is not a JSON object")
            return None
        cid = text(c.get("id"))
        meta = c.get("meta") if isinstance(c.get("meta"), dict) else {}
        assert isinstance(meta, dict)
        sender = meta.get("sender") if isinstance(meta.get("sender"), dict) else {}
        assignee = meta.get("assignee") if isinstance(meta.get("assignee"), dict) else {}
        team = meta.get("team") if isinstance(meta.get("team"), dict) else {}
        assert isinstance(sender, dict) and isinstance(assignee, dict) and isinstance(team, dict)
        requester = text(sender.get("id"))
        created = instant(c.get("created_at"))
        for name, value in (("id", cid), ("created_at", created), ("meta.sender.id", requester)):
            if value is None:
                self.reject("tickets", file, item.row, name, f"conversation has no {name}")
                return None
        status = status_of(c.get("status"))
        if status is None:
            why = f"unknown Chatwoot status {text(c.get('status'))!r}"
            self.reject("tickets", file, item.row, "status", why, c.get("status"))
            return None
        assert cid is not None
        conv = self.conversations.get(cid)
        if conv is None:
            return None  # not kept in pass 1 (rejected there)
        inbox = text(c.get("inbox_id"))
        channel = self.channels.get(inbox or "") or channel_of(meta.get("channel"))
        priority = text(c.get("priority"))
        if priority is not None:
            priority = PRIORITY_NAMES.get(priority.lower(), priority)
        labels = c.get("labels")
        first = conv.first
        attrs = c.get("additional_attributes")
        subject = text(attrs.get("mail_subject")) if isinstance(attrs, dict) else None
        return {
            "ticket_id": cid, "created_at": created, "requester_id": requester,
            "channel": channel,
            "priority": priority,
            "group": text(team.get("name")), "assignee_id": text(assignee.get("id")),
            "created_by": "agent" if first is not None and first[2] == "agent" else "customer",
            "subject": subject,
            "tags": ";".join(str(v) for v in labels) if isinstance(labels, list) and labels
            else None,
            "status": status,
            "updated_at": instant(c.get("updated_at")) or instant(c.get("timestamp")),
        }  # fmt: skip

    def message_rows(self, file: str, item: JsonRecord) -> tuple[Record | None, Record | None]:
        """(events row, survey_requests row) of one message; (None, None) when skipped."""
        m = item.data
        if m is None:
            self.reject("events", file, item.row, "id", "record is not a JSON object")
            return None, None
        mid, cid = text(m.get("id")), text(m.get("conversation_id"))
        at = instant(m.get("created_at"))
        for name, value in (("id", mid), ("conversation_id", cid), ("created_at", at)):
            if value is None:
                self.reject("events", file, item.row, name, f"message has no {name}")
                return None, None
        assert cid is not None
        conv = self.conversations.get(cid)
        if conv is None:
            why = f"conversation {cid} is not in conversations.json (or was rejected)"
            self.reject("events", file, item.row, "conversation_id", why, cid)
            return None, None
        mtype = message_type(m.get("message_type"))
        if mtype not in (0, 1, 2, 3):
            why = "message_type is not 0, 1, 2, 3 (incoming, outgoing, activity, template)"
            self.reject("events", file, item.row, "message_type", why, m.get("message_type"))
            return None, None
        attrs = m.get("content_attributes")
        if isinstance(attrs, dict) and attrs.get("deleted") is True:
            self.skip(file, "deleted messages")
            return None, None
        if mtype == 2:
            status = activity_status(m.get("content"))
            if status is None:
                self.skip(file, "activity messages that are no status change")
                return None, None
            return {"event_id": f"cw-{mid}", "ticket_id": cid, "at": at, "type": "status",
                    "status": status}, None  # fmt: skip
        if text(m.get("content_type")) == CSAT_CONTENT_TYPE:
            request = {"request_id": f"cw-csat-request-{mid}", "kind": "csat", "sent_at": at,
                       "customer_id": conv.requester, "ticket_id": cid}  # fmt: skip
            return None, request
        private = m.get("private") is True
        role = author_role(mtype, text(m.get("sender_type")), private)
        sender = m.get("sender") if isinstance(m.get("sender"), dict) else {}
        assert isinstance(sender, dict)
        author = text(m.get("sender_id")) or text(sender.get("id"))
        return {
            "event_id": f"cw-{mid}", "ticket_id": cid, "at": at, "type": "message",
            "author_role": role, "author_id": author,
            "public": "false" if private else "true", "body": text(m.get("content")),
        }, None  # fmt: skip

    def first_message(self, item: JsonRecord) -> None:
        """Note whether `item` is the first (non-activity, non-private) message of its
        conversation so far."""
        m = item.data
        if m is None:
            return
        conv = self.conversations.get(text(m.get("conversation_id")) or "")
        mtype = message_type(m.get("message_type"))
        if conv is None or mtype not in (0, 1) or m.get("private") is True:
            return
        at = m.get("created_at")
        if not isinstance(at, int | float) or isinstance(at, bool):
            iso = instant(at)
            try:
                at = datetime.fromisoformat((iso or "").replace("Z", "+00:00")).timestamp()
            except ValueError:
                return
        key = (float(at), item.row, author_role(mtype, text(m.get("sender_type")), False))
        if conv.first is None or key[:2] < conv.first[:2]:
            conv.first = key

    def csat_row(self, file: str, item: JsonRecord) -> Record | None:
        r = item.data
        if r is None:
            self.reject("surveys", file, item.row, "id", "record is not a JSON object")
            return None
        rid, cid = text(r.get("id")), text(r.get("conversation_id"))
        at = instant(r.get("created_at"))
        for name, value in (("id", rid), ("conversation_id", cid), ("created_at", at)):
            if value is None:
                self.reject("surveys", file, item.row, name, f"survey response has no {name}")
                return None
        rating = text(r.get("rating"))
        if rating not in ("1", "2", "3", "4", "5"):
            self.reject("surveys", file, item.row, "rating", "rating is not 1 to 5", rating)
            return None
        contact = r.get("contact") if isinstance(r.get("contact"), dict) else {}
        agent = r.get("assigned_agent") if isinstance(r.get("assigned_agent"), dict) else {}
        assert isinstance(contact, dict) and isinstance(agent, dict)
        conv = self.conversations.get(cid or "")
        return {
            "response_id": f"cw-csat-{rid}", "kind": "csat", "scale": "1-5", "score": rating,
            "answered_at": at,
            "customer_id": text(contact.get("id")) or (conv.requester if conv else None),
            "ticket_id": cid, "agent_id": text(agent.get("id")) or text(r.get("assigned_agent_id")),
            "comment": text(r.get("feedback_message")),
        }  # fmt: skip

    def agent_row(self, file: str, item: JsonRecord) -> Record | None:
        a = item.data
        if a is None:
            self.reject("agents", file, item.row, "id", "record is not a JSON object")
            return None
        confirmed = a.get("confirmed")
        return {
            "agent_id": text(a.get("id")), "name": text(a.get("name")),
            "active": "false" if confirmed is False else "true", "email": text(a.get("email")),
        }  # fmt: skip


class ChatwootStream:
    """A Chatwoot export folder read in passes: inboxes; conversations (ids and contacts);
    messages (events and survey requests, and each conversation's first message);
    conversations again (their rows, now knowing who started each); survey responses;
    agents. Iterating yields `SourceFrame`s; `skipped` is complete at the end."""

    def __init__(self, directory: Path, chunk_rows: int | None = CHUNK_ROWS) -> None:
        directory = Path(directory)
        if not directory.is_dir():
            raise ImportDataError(f"{directory} is not a folder: give a Chatwoot export folder")
        conversations = find_file(directory, CONVERSATIONS_FILE)
        if conversations is None:
            raise ImportDataError(
                f"no conversations.json in {directory}: a Chatwoot export folder needs "
                "conversations.json and may add messages.json, csat_survey_responses.json, "
                "agents.json and inboxes.json (API pages one per line, a page, or a JSON array "
                "of records; .jsonl is accepted too)"
            )
        self.directory = directory
        self.conversations_path = conversations
        self.chunk_rows = chunk_rows
        self.cw = ChatwootMapping()
        self.skipped = self.cw.skipped
        self.noted = self.cw.noted

    def __iter__(self) -> Iterator[SourceFrame]:
        yield from collecting(self._frames(), _COLLECT_EVERY)

    def _frames(self) -> Iterator[SourceFrame]:
        cw, d = self.cw, self.directory
        inboxes = find_file(d, INBOXES_FILE)
        if inboxes is not None:
            for item in records(inboxes):
                if item.data is not None and (iid := text(item.data.get("id"))) is not None:
                    kind = text(item.data.get("channel_type")) or ""
                    cw.channels[iid] = channel_of(kind) or "other"
        cf = self.conversations_path
        last: dict[str, int] = {}  # each conversation → the record of its last listing
        for item in records(cf):
            c = item.data
            cid = None if c is None else text(c.get("id"))
            if c is None or cid is None:
                continue
            if cid in last:
                cw.skip(cf.name, "conversations listed again (the later one kept)")
            last[cid] = item.row
            meta = c.get("meta") if isinstance(c.get("meta"), dict) else {}
            sender = meta.get("sender") if isinstance(meta, dict) else None
            requester = text(sender.get("id")) if isinstance(sender, dict) else None
            if status_of(c.get("status")) is not None and requester is not None:
                cw.conversations[cid] = _Conversation(requester)
            else:
                cw.conversations.pop(cid, None)
        messages = find_file(d, MESSAGES_FILE)
        if messages is not None:
            events = RecordChunk("events", messages.name, EVENT_COLUMNS)
            requests = RecordChunk("survey_requests", messages.name, REQUEST_COLUMNS)
            for item in records(messages):
                cw.first_message(item)
                event, request = cw.message_rows(messages.name, item)
                if event is not None:
                    events.add(item.row, event)
                if request is not None:
                    requests.add(item.row, request)
                if events.full(self.chunk_rows):
                    yield events.take(cw.rejects)
            yield events.take(cw.rejects)
            if requests.rows:
                yield requests.take(cw.rejects)
        tickets = RecordChunk("tickets", cf.name, TICKET_COLUMNS)
        for item in records(cf):
            c = item.data
            cid = None if c is None else text(c.get("id"))
            if cid is not None and last.get(cid, item.row) != item.row:
                continue
            row = cw.conversation_row(cf.name, item)
            if row is not None:
                tickets.add(item.row, row)
            if tickets.full(self.chunk_rows):
                yield tickets.take(cw.rejects)
        yield tickets.take(cw.rejects)
        for stem, table, columns, mapper in (
            (CSAT_FILE, "surveys", SURVEY_COLUMNS, cw.csat_row),
            (AGENTS_FILE, "agents", AGENT_COLUMNS, cw.agent_row),
        ):
            path = find_file(d, stem)
            if path is None:
                continue
            chunk = RecordChunk(table, path.name, columns)
            for item in records(path):
                row = mapper(path.name, item)
                if row is not None:
                    chunk.add(item.row, row)
                if chunk.full(self.chunk_rows):
                    yield chunk.take(cw.rejects)
            yield chunk.take(cw.rejects)


def records(path: Path) -> Iterator[JsonRecord]:
    """The records of a Chatwoot file, numbered 1, 2, … (pages do not count): JSON Lines of
    pages (`{"data": {"payload": [...]}}` or `{"payload": [...]}`) or records, read a line at
    a time; a JSON array streamed (`jsonstream`); one pretty-printed page read whole."""
    with path.open("rb") as f:
        head = f.read(1)
        while head.isspace():
            head = f.read(1)
    if head == b"[":
        yield from iter_records(path, _KEY)
        return
    row = 0
    for doc in _documents(path):
        for value in _unwrap(doc):
            row += 1
            yield JsonRecord(row, value if isinstance(value, dict) else None)


def _documents(path: Path) -> Iterator[Any]:
    """JSON Lines' documents a line at a time; a document over many lines whole."""
    with path.open("r", encoding="utf-8-sig") as f:
        number, line = 0, ""
        for number, line in enumerate(f, 1):  # noqa: B007 - the first line with text
            if line.strip():
                break
        try:
            first = json.loads(line) if line.strip() else None
        except json.JSONDecodeError:
            f.seek(0)
            try:
                yield json.load(f)
            except json.JSONDecodeError as exc:
                raise ImportDataError(
                    f"{path.name} is not valid JSON: {exc.msg} at line {exc.lineno}, "
                    f"column {exc.colno}"
                ) from exc
            return
        if first is None:
            return
        yield first
        for n, rest in enumerate(f, number + 1):
            if rest.strip():
                yield _parse(path, rest, n)


def _parse(path: Path, line: str, number: int) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise ImportDataError(
            f"{path.name} is not valid JSON: {exc.msg} at line {number}, column {exc.colno}"
        ) from exc


def _unwrap(doc: Any) -> Iterator[Any]:
    """Records of one document: a page's payload (under `data` or not), an array's
    elements, or the record itself."""
    if isinstance(doc, list):
        yield from doc
        return
    if isinstance(doc, dict) and "id" not in doc:
        holder = doc.get("data") if isinstance(doc.get("data"), dict) else doc
        assert isinstance(holder, dict)
        payload = holder.get(_KEY)
        if isinstance(payload, list):
            yield from payload
            return
        if isinstance(doc.get("data"), list):
            yield from doc["data"]
            return
    yield doc


#: Chatwoot's field names for the canonical columns validation names, by table and file stem
FILE_TERMS: dict[tuple[str, str], dict[str, str]] = {
    ("tickets", CONVERSATIONS_FILE): {
        "ticket_id": "id", "requester_id": "meta.sender.id", "assignee_id": "meta.assignee.id",
        "group": "meta.team.name", "tags": "labels", "channel": "inbox_id",
        "subject": "additional_attributes.mail_subject",
    },
    ("events", MESSAGES_FILE): {
        "event_id": "id", "ticket_id": "conversation_id", "at": "created_at",
        "author_id": "sender_id", "body": "content", "status": "content",
    },
    ("survey_requests", MESSAGES_FILE): {
        "request_id": "id", "ticket_id": "conversation_id", "sent_at": "created_at",
    },
    ("surveys", CSAT_FILE): {
        "response_id": "id", "ticket_id": "conversation_id", "score": "rating",
        "answered_at": "created_at", "comment": "feedback_message",
        "agent_id": "assigned_agent.id", "customer_id": "contact.id",
    },
    ("agents", AGENTS_FILE): {"agent_id": "id"},
}  # fmt: skip


def file_terms(table: str, file: str) -> dict[str, str]:
    """Canonical column → the Chatwoot field it was read from, for a frame's rejects."""
    return FILE_TERMS.get((table, file.rsplit(".", 1)[0]), {})


__all__: list[str] = [
    "CHANNEL_TYPES",
    "PRIORITY_NAMES",
    "STATUS_NAMES",
    "ChatwootMapping",
    "ChatwootStream",
    "activity_status",
    "author_role",
    "channel_of",
    "file_terms",
    "instant",
    "message_type",
    "read_chatwoot",
    "status_of",
    "stream_chatwoot",
]
