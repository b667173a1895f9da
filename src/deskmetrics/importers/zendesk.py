"""Zendesk Support exports (the REST API's JSON) mapped to canonical raw rows.

A folder holds `tickets.json` (required) and optionally `ticket_audits.json`, `users.json`,
`groups.json` and `satisfaction_ratings.json`, each either an API page (`{"tickets": [...]}`),
a bare JSON array, or JSON Lines (one page or one record per line, as incremental exports are
saved); `.jsonl` is accepted in place of `.json`. Values stay as Zendesk gives them (ids become
text, timestamps stay ISO strings): `deskmetrics.model.validate` types and checks them after.

Mapping choices that metrics depend on (see METRICS.md):
- a comment is a `bot` message when a trigger or automation made it (its via channel is `rule`
  or `system`, its via source rel is `trigger`/`automation`, or an Answer Bot channel) or when
  the Zendesk system user (-1) wrote it; otherwise the requester's comments are `customer`
  messages and other authors are `agent` or `customer` by their users.json role;
- a ticket is `created_by="agent"` when its submitter is not its requester and the submitter is
  an agent or admin (or, when users.json does not know the submitter, whenever the two differ:
  only agents can submit on someone else's behalf);
- `offered`/`unoffered` satisfaction ratings are not answers: they are counted, not mapped;
- a priority set at creation or changed later is an `assignment` event carrying only the
  priority (as the webhook maps it): SLA policies follow the priority in force.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from deskmetrics.errors import ImportDataError
from deskmetrics.model import TABLES, Reject, SourceFrame

Record = dict[str, Any]

#: Source files by what they hold, without extension (`.json` or `.jsonl`).
TICKETS_FILE = "tickets"
AUDITS_FILE = "ticket_audits"
USERS_FILE = "users"
GROUPS_FILE = "groups"
RATINGS_FILE = "satisfaction_ratings"
_EXTENSIONS = (".json", ".jsonl")

TICKET_COLUMNS = (
    "ticket_id", "created_at", "requester_id", "channel", "priority", "group", "assignee_id",
    "created_by", "subject", "tags", "brand", "organization_id", "ticket_type",
)  # fmt: skip
EVENT_COLUMNS = (
    "event_id", "ticket_id", "at", "type", "author_role", "author_id", "public", "body",
    "status", "assignee_id", "group", "priority", "agent_id", "talk_seconds",
)  # fmt: skip
SURVEY_COLUMNS = (
    "response_id", "kind", "scale", "score", "answered_at", "customer_id", "ticket_id",
    "agent_id", "comment",
)  # fmt: skip
AGENT_COLUMNS = ("agent_id", "name", "team", "active", "role")

#: Zendesk via channels (via types, the coarser "ticket created by" names, and via ids) →
#: canonical channel; anything not listed is "other".
_CHANNEL_NAMES = {
    "email": "email mail 4",
    "web": "web web_form web_widget help_center helpcenter mobile_sdk dropbox 0 17",
    "chat": (
        "chat chat_transcript native_messaging messaging sunshine_conversations_api whatsapp "
        "line wechat telegram viber kakaotalk apple_business_chat google_business_messages "
        "google_rcs sms text_message 29"
    ),
    "phone": "voice phone voicemail phone_call_inbound phone_call_outbound 33 34 35",
    "social": (
        "twitter twitter_dm twitter_favorite twitter_like x facebook facebook_post "
        "facebook_message instagram instagram_dm any_channel 23 26 30 38 41"
    ),
    "api": "api web_service ticket_sharing 5 31",
}
_CHANNELS = {name: ch for ch, names in _CHANNEL_NAMES.items() for name in names.split()}
_AUTOMATIC_CHANNELS = frozenset({"rule", "system", "8"})
_AUTOMATIC_RELS = frozenset({"trigger", "automation"})
_AGENT_ROLES = frozenset({"agent", "admin"})
_ROLE_TO_AUTHOR = {"end-user": "customer", "agent": "agent", "admin": "agent"}
_SYSTEM_USER = "-1"
_UNANSWERED_SCORES = frozenset({"offered", "unoffered"})


@dataclass(frozen=True)
class ZendeskExport:
    """What a Zendesk export folder maps to.

    `frames` holds one `SourceFrame` per canonical table the folder can feed (tickets always;
    events, surveys and agents when their source file is present), to be validated and stored
    like any other import. `skipped` counts source records deliberately left out because they
    are not canonical data (offered but unanswered ratings, deleted tickets, older versions of
    a record in an incremental export, audit events that are not ticket history), keyed by
    "<file>: <what>", so that an import report can show them: nothing is dropped silently."""

    frames: list[SourceFrame]
    skipped: dict[str, int]

    def frame(self, table: str) -> SourceFrame | None:
        """The frame feeding canonical `table`, if the export has one."""
        return next((f for f in self.frames if f.table.name == table), None)


def read_zendesk(directory: Path) -> ZendeskExport:
    """Map a folder of Zendesk Support API JSON exports to canonical raw rows.

    Raises `ImportDataError` when the folder has no tickets file or a file is not JSON;
    records that cannot be mapped become rejects of their frame."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ImportDataError(f"{directory} is not a folder: give the folder of a Zendesk export")
    tickets_path = _find(directory, TICKETS_FILE)
    if tickets_path is None:
        raise ImportDataError(
            f"no tickets.json in {directory}: a Zendesk export folder needs tickets.json and may "
            "add ticket_audits.json, users.json, groups.json and satisfaction_ratings.json "
            "(each an API page, a JSON array or JSON Lines; .jsonl is accepted too)"
        )
    out = _Builder()
    groups_path = _find(directory, GROUPS_FILE)
    if groups_path is not None:
        for item in out.latest(groups_path, _load(groups_path, "groups")):
            if item.data is not None and (gid := _text(item.data.get("id"))) is not None:
                out.groups[gid] = _text(item.data.get("name")) or gid
    users_path = _find(directory, USERS_FILE)
    users = out.latest(users_path, _load(users_path, "users")) if users_path else None
    if users is not None:
        for item in users:
            if item.data is not None and (uid := _text(item.data.get("id"))) is not None:
                out.roles[uid] = (_text(item.data.get("role")) or "").lower()
    out.users_known = users is not None

    frames = [out.tickets(tickets_path, out.latest(tickets_path, _load(tickets_path, "tickets")))]
    audits_path = _find(directory, AUDITS_FILE)
    if audits_path is not None:
        frames.append(out.events(audits_path, _load(audits_path, "audits")))
    ratings_path = _find(directory, RATINGS_FILE)
    if ratings_path is not None:
        items = out.latest(ratings_path, _load(ratings_path, "satisfaction_ratings"))
        frames.append(out.surveys(ratings_path, items))
    if users_path is not None and users is not None:  # both or neither; for the type checker
        frames.append(out.agents(users_path, users))
    return ZendeskExport(frames, dict(out.skipped))


# --- reading files -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    """One record of a source file: its 1-based position and its object (None: not an object)."""

    row: int
    data: Record | None


def _find(directory: Path, stem: str) -> Path | None:
    present = [p for ext in _EXTENSIONS if (p := directory / f"{stem}{ext}").is_file()]
    if len(present) > 1:
        names = " and ".join(p.name for p in present)
        raise ImportDataError(f"{directory} has both {names}: keep one of them")
    return present[0] if present else None


def _load(path: Path, key: str) -> list[_Item]:
    """The records of one file, whichever of the accepted shapes it has."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportDataError(f"{path.name} is not UTF-8 text (byte {exc.start})") from exc
    except OSError as exc:
        raise ImportDataError(f"cannot read {path.name}: {exc.strerror}") from exc
    if not text.strip():
        return []
    try:
        docs: list[Any] = [json.loads(text)]
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data" or not _is_json_line(text):
            raise _bad_json(path, exc.lineno, exc.colno, exc.msg) from exc
        docs = _json_lines(path, text)
    values: list[Any] = []
    for doc in docs:
        values.extend(_unwrap(path, doc, key))
    return [_Item(i, v if isinstance(v, dict) else None) for i, v in enumerate(values, 1)]


def _is_json_line(text: str) -> bool:
    """Whether the first non-blank line is a JSON document of its own (JSON Lines), rather
    than the start of one document followed by stray text."""
    first = next(line for line in text.split("\n") if line.strip())
    try:
        json.loads(first)
    except json.JSONDecodeError:
        return False
    return True


def _json_lines(path: Path, text: str) -> list[Any]:
    docs = []
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            docs.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise _bad_json(path, number, exc.colno, exc.msg) from exc
    return docs


def _bad_json(path: Path, line: int, column: int, msg: str) -> ImportDataError:
    return ImportDataError(f"{path.name} is not valid JSON: {msg} at line {line}, column {column}")


def _unwrap(path: Path, doc: Any, key: str) -> list[Any]:
    """Records of one JSON document: an API page, a single-record response, an array, or one
    bare record (a JSON Lines line)."""
    if isinstance(doc, list):
        return doc
    singular = key[:-1]
    if isinstance(doc, dict):
        if key in doc:
            if isinstance(doc[key], list):
                return list(doc[key])
            raise ImportDataError(f"{path.name}: {key!r} should be a JSON array")
        if isinstance(doc.get(singular), dict):
            return [doc[singular]]
        if "id" in doc:
            return [doc]
        found = ", ".join(sorted(map(str, doc))[:8]) or "none"
        raise ImportDataError(
            f'{path.name}: expected {{"{key}": [...]}}, a JSON array of {key} or JSON Lines with '
            f"one {singular} per line; found an object with the keys {found}"
        )
    raise ImportDataError(f"{path.name}: expected a JSON object or array, found {doc!r:.40}")


# --- values ------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    """A Zendesk value as text (ids are integers in the API); null and "" stay null."""
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def _instant(value: Any) -> float:
    """Seconds since the epoch of an ISO timestamp, for ordering; unknown sorts first."""
    text = _text(value)
    if text is None:
        return float("-inf")
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return float("-inf")


def channel_of(via: Any) -> str | None:
    """Canonical channel of a Zendesk via object: null when there is none, "other" when the
    via channel is not one deskmetrics distinguishes."""
    if not isinstance(via, dict):
        return None
    raw = _text(via.get("channel"))
    if raw is None:
        return None
    return _CHANNELS.get(raw.lower(), "other")


def is_automatic(via: Any) -> bool:
    """Whether a via object says a trigger, automation, the system or a bot made the change."""
    if not isinstance(via, dict):
        return False
    channel = (_text(via.get("channel")) or "").lower()
    source = via.get("source")
    rel = (_text(source.get("rel")) or "").lower() if isinstance(source, dict) else ""
    return (
        channel in _AUTOMATIC_CHANNELS or channel.startswith("answer_bot") or rel in _AUTOMATIC_RELS
    )


# --- mapping -----------------------------------------------------------------------------


class _Builder:
    """Lookups shared by the mappings (roles, group names, requesters) and the skip counts."""

    def __init__(self) -> None:
        self.roles: dict[str, str] = {}  # user id → Zendesk role
        self.users_known = False  # whether a users file was given
        self.groups: dict[str, str] = {}  # group id → name
        self.requesters: dict[str, str] = {}  # ticket id → requester id
        self.deleted: set[str] = set()  # ids of deleted tickets
        self.skipped: dict[str, int] = {}

    def skip(self, path: Path, what: str, n: int = 1) -> None:
        key = f"{path.name}: {what}"
        self.skipped[key] = self.skipped.get(key, 0) + n

    def group_name(self, value: Any) -> str | None:
        gid = _text(value)
        return None if gid is None else self.groups.get(gid, gid)

    def latest(self, path: Path, items: list[_Item]) -> list[_Item]:
        """One version per id: the one updated last (the later record on a tie), as in an
        incremental export that lists a record again each time it changes."""
        keep: list[_Item] = []
        at: dict[str, int] = {}  # id → position in keep
        for item in items:
            rid = None if item.data is None else _text(item.data.get("id"))
            if rid is None or item.data is None:
                keep.append(item)
            elif rid not in at:
                at[rid] = len(keep)
                keep.append(item)
            else:
                old = keep[at[rid]].data or {}
                if _instant(item.data.get("updated_at")) >= _instant(old.get("updated_at")):
                    keep[at[rid]] = item
                self.skip(path, "older versions of a record")
        return sorted(keep, key=lambda i: i.row)

    def agent_role(self, user: str | None) -> bool | None:
        """Whether `user` is an agent or admin; None when users.json does not say."""
        if user is None or user not in self.roles:
            return None
        return self.roles[user] in _AGENT_ROLES

    # tickets ------------------------------------------------------------------------------

    def tickets(self, path: Path, items: list[_Item]) -> SourceFrame:
        table = TABLES["tickets"]
        rows: list[Record] = []
        numbers: list[int] = []
        rejects: list[Reject] = []
        for item in items:
            t = item.data
            if t is None:
                rejects.append(_not_object(table.name, path, item.row, "ticket_id"))
                continue
            tid = _text(t.get("id"))
            if (_text(t.get("status")) or "").lower() == "deleted":
                if tid is not None:
                    self.deleted.add(tid)
                self.skip(path, "deleted tickets")
                continue
            requester = _text(t.get("requester_id"))
            if tid is not None and requester is not None:
                self.requesters[tid] = requester
            rows.append({
                "ticket_id": tid,
                "created_at": _text(t.get("created_at")),
                "requester_id": requester,
                "channel": channel_of(t.get("via")),
                "priority": _text(t.get("priority")),
                "group": self.group_name(t.get("group_id")),
                "assignee_id": _text(t.get("assignee_id")),
                "created_by": self.created_by(_text(t.get("submitter_id")), requester),
                "subject": _text(t.get("subject")) or _text(t.get("raw_subject")),
                "tags": _tags(t.get("tags")),
                "brand": _text(t.get("brand_id")),
                "organization_id": _text(t.get("organization_id")),
                "ticket_type": _text(t.get("type")),
            })  # fmt: skip
            numbers.append(item.row)
        return _frame(table.name, path, TICKET_COLUMNS, rows, numbers, rejects)

    def created_by(self, submitter: str | None, requester: str | None) -> str:
        if submitter is None or requester is None or submitter == requester:
            return "customer"
        agent = self.agent_role(submitter)
        return "agent" if agent or agent is None else "customer"

    # events -------------------------------------------------------------------------------

    def events(self, path: Path, items: list[_Item]) -> SourceFrame:
        """Canonical events from ticket audits: comments, status, assignment and priority
        changes (a priority travels on an `assignment` event, as the webhook maps it)."""
        table = TABLES["events"]
        rows: list[Record] = []
        numbers: list[int] = []
        rejects: list[Reject] = []
        comments: dict[str, Record] = {}  # comment id → its row, for later privacy changes
        privacy: dict[str, str | None] = {}  # comment id → public after the last privacy change
        state: dict[str, list[str | None]] = {}  # ticket id → [assignee, group] so far
        audits: list[tuple[_Item, Record, str, str]] = []
        for item in items:
            a = item.data
            if a is None:
                rejects.append(_not_object(table.name, path, item.row, "event_id"))
                continue
            tid, aid = _text(a.get("ticket_id")), _text(a.get("id"))
            if tid is None:
                why = "audit has no ticket_id, so its events belong to no ticket"
                rejects.append(Reject(table.name, path.name, item.row, "ticket_id", why))
            elif aid is None:
                why = "audit has no id, from which its events' ids are made"
                rejects.append(Reject(table.name, path.name, item.row, "event_id", why))
            elif tid in self.deleted:
                self.skip(path, "audits of deleted tickets")
            else:
                audits.append((item, a, tid, aid))
        # in time order per ticket, so that an assignment row can carry the unchanged half
        audits.sort(key=lambda x: (x[2], _instant(x[1].get("created_at")), x[0].row))
        for item, audit, tid, aid in audits:
            at = _text(audit.get("created_at"))
            base = {"ticket_id": tid, "at": at}
            current = state.setdefault(tid, [None, None])
            assigned: str | None = None  # id of the first child that changed the assignment
            children = audit.get("events")
            for child in children if isinstance(children, list) else []:
                if not isinstance(child, dict):
                    self.skip(path, "audit events that are not ticket history")
                    continue
                cid = _text(child.get("id"))
                kind = _text(child.get("type")) or ""
                field = (_text(child.get("field_name")) or "").lower()
                if kind == "CommentPrivacyChange":
                    ref = _text(child.get("comment_id"))
                    if ref is not None:
                        privacy[ref] = _flag(child.get("public"))
                    continue
                maps = kind in ("Comment", "VoiceComment") or (
                    kind in ("Create", "Change")
                    and field in ("status", "assignee_id", "group_id", "priority")
                )
                if not maps:
                    self.skip(path, "audit events that are not ticket history")
                    continue
                if cid is None:
                    why = f"{kind} event of audit {aid} has no id"
                    rejects.append(Reject(table.name, path.name, item.row, "event_id", why))
                    continue
                event_id = f"{aid}-{cid}"
                if kind in ("Comment", "VoiceComment"):
                    via = child.get("via") or audit.get("via")
                    author = _text(child.get("author_id")) or _text(audit.get("author_id"))
                    role = self.author_role(author, via, tid)
                    if role is None:
                        rejects.append(self.unknown_author(path, item.row, author, cid))
                        continue
                    row = {
                        **base, "event_id": event_id, "type": "message", "author_role": role,
                        "author_id": author, "public": _flag(child.get("public")),
                        "body": _text(child.get("body")) or _text(child.get("plain_body")),
                    }  # fmt: skip
                    comments[cid] = row
                    rows.append(row)
                    numbers.append(item.row)
                    call = _call(child) if kind == "VoiceComment" else None
                    if call is not None:
                        rows.append({**base, "event_id": f"{event_id}-call", **call})
                        numbers.append(item.row)
                elif field == "status":
                    rows.append({
                        **base, "event_id": event_id, "type": "status",
                        "author_id": _text(audit.get("author_id")),
                        "status": _text(child.get("value")),
                    })  # fmt: skip
                    numbers.append(item.row)
                elif field == "priority":
                    # SLA policies follow the priority in force: the one set at creation, then
                    # every change (tickets.json holds only the current one). Its own event, as
                    # the webhook maps it: assignment rows stored before keep their content
                    prio = (_text(child.get("value")) or "").lower()
                    if not prio:  # cleared: no priority to follow; the earlier one stays
                        self.skip(path, "priorities cleared (SLA keeps the earlier priority)")
                        continue
                    rows.append({
                        **base, "event_id": event_id, "type": "assignment",
                        "author_id": _text(audit.get("author_id")), "priority": prio,
                    })  # fmt: skip
                    numbers.append(item.row)
                else:
                    slot = 0 if field == "assignee_id" else 1
                    value = _text(child.get("value"))
                    if current[slot] != value:
                        current[slot] = value
                        assigned = assigned or event_id
            if assigned is not None:
                rows.append({
                    **base, "event_id": assigned, "type": "assignment",
                    "author_id": _text(audit.get("author_id")),
                    "assignee_id": current[0], "group": self.group_name(current[1]),
                })  # fmt: skip
                numbers.append(item.row)
        for ref, public in privacy.items():
            if ref in comments:
                comments[ref]["public"] = public
        order = np.argsort(np.asarray(numbers, dtype=np.int64), kind="stable")
        rows, numbers = [rows[i] for i in order], [numbers[i] for i in order]
        return _frame(table.name, path, EVENT_COLUMNS, rows, numbers, rejects)

    def author_role(self, author: str | None, via: Any, ticket: str) -> str | None:
        """customer, agent or bot for a comment's author; None when users.json cannot say."""
        if author == _SYSTEM_USER or is_automatic(via):
            return "bot"
        if author is not None and author == self.requesters.get(ticket):
            return "customer"
        if author is None:
            return None
        return _ROLE_TO_AUTHOR.get(self.roles.get(author, ""))

    def unknown_author(self, path: Path, row: int, author: str | None, comment: str) -> Reject:
        if author is None:
            why = f"comment {comment} names no author, so it cannot be told customer or agent"
        elif not self.users_known:
            why = (
                f"comment {comment} is by user {author}, but the export has no users.json to "
                "tell whether that is a customer or an agent"
            )
        elif author in self.roles:
            why = (
                f"comment {comment} is by user {author}, whose users.json role "
                f"{self.roles[author] or '(none)'!r} is not end-user, agent or admin"
            )
        else:
            why = (
                f"comment {comment} is by user {author}, who is not in users.json, so it cannot "
                "be told customer or agent; export users.json with every comment author"
            )
        return Reject("events", path.name, row, "author_id", why, author)

    # surveys and agents -------------------------------------------------------------------

    def surveys(self, path: Path, items: list[_Item]) -> SourceFrame:
        """CSAT answers (good/bad) from satisfaction ratings; offered/unoffered are counted."""
        table = TABLES["surveys"]
        rows: list[Record] = []
        numbers: list[int] = []
        rejects: list[Reject] = []
        for item in items:
            r = item.data
            if r is None:
                rejects.append(_not_object(table.name, path, item.row, "response_id"))
                continue
            score = (_text(r.get("score")) or "").lower() or None
            if score in _UNANSWERED_SCORES:
                self.skip(path, f"{score} ratings (no answer)")
                continue
            rows.append({
                "response_id": _text(r.get("id")), "kind": "csat", "scale": "good-bad",
                "score": score,
                "answered_at": _text(r.get("updated_at")) or _text(r.get("created_at")),
                "customer_id": _text(r.get("requester_id")),
                "ticket_id": _text(r.get("ticket_id")),
                "agent_id": _text(r.get("assignee_id")),
                "comment": _text(r.get("comment")),
            })  # fmt: skip
            numbers.append(item.row)
        return _frame(table.name, path, SURVEY_COLUMNS, rows, numbers, rejects)

    def agents(self, path: Path, items: list[_Item]) -> SourceFrame:
        """Agents and admins from users; end users are customers, not agents."""
        table = TABLES["agents"]
        rows: list[Record] = []
        numbers: list[int] = []
        rejects: list[Reject] = []
        for item in items:
            u = item.data
            if u is None:
                rejects.append(_not_object(table.name, path, item.row, "agent_id"))
                continue
            role = (_text(u.get("role")) or "").lower()
            if role not in _AGENT_ROLES:
                continue
            rows.append({
                "agent_id": _text(u.get("id")), "name": _text(u.get("name")),
                "team": self.group_name(u.get("default_group_id")),
                "active": _flag(u.get("active")), "role": role,
            })  # fmt: skip
            numbers.append(item.row)
        return _frame(table.name, path, AGENT_COLUMNS, rows, numbers, rejects)


def _tags(value: Any) -> str | None:
    """Zendesk tags (a list) joined with ";" as the canonical tickets table keeps them."""
    if isinstance(value, list):
        return ";".join(str(v) for v in value) or None
    return _text(value)


def _flag(value: Any) -> str | None:
    """A JSON boolean as canonical text (validation reads true/false); null stays null, so
    that the canonical default applies."""
    if value is None or isinstance(value, str):
        return _text(value)
    return "true" if value else "false"


def _call(comment: Record) -> Record | None:
    """An answered call's interaction (agent and talk time) from a voice comment's data."""
    data = comment.get("data")
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError:
            return None
    if not isinstance(data, dict) or _text(data.get("answered_by_id")) is None:
        return None
    return {
        "type": "interaction",
        "agent_id": _text(data.get("answered_by_id")),
        "talk_seconds": _text(data.get("call_duration")),
    }


def _not_object(table: str, path: Path, row: int, column: str) -> Reject:
    return Reject(table, path.name, row, column, "record is not a JSON object")


def _frame(
    table: str,
    path: Path,
    columns: Sequence[str],
    rows: Iterable[Record],
    numbers: Sequence[int],
    rejects: list[Reject],
) -> SourceFrame:
    frame = pd.DataFrame.from_records(list(rows), columns=list(columns))
    frame = frame.astype(object).where(frame.notna(), None)
    return SourceFrame(
        table=TABLES[table],
        file=path.name,
        frame=frame,
        rows=np.asarray(numbers, dtype=np.int64),
        rejects=sorted(rejects, key=lambda r: r.row),
    )


__all__: list[str] = [
    "ZendeskExport",
    "channel_of",
    "is_automatic",
    "read_zendesk",
]
