"""Zendesk Support exports (the REST API's JSON) mapped to canonical raw rows.

A folder holds `tickets.json` (required) and optionally `ticket_audits.json`, `users.json`,
`groups.json` and `satisfaction_ratings.json`, each an API page (`{"tickets": [...]}`, also the
time-based and cursor-based incremental export pages), a JSON array of records or of pages, or
JSON Lines (one page or one record per line, as incremental exports are saved); `.jsonl` is
accepted in place of `.json`. A record listed again on a later page (an incremental export
lists a ticket each time it changes) counts once, in its version updated last. Values stay as
Zendesk gives them (ids become text, timestamps stay ISO strings): `deskmetrics.model.validate`
types and checks them after.

Every file is streamed (`jsonstream`), never held whole, and the frames come in chunks
(`stream_zendesk`; `read_zendesk` joins them): the mapping works record by record
(`ZendeskMapping.ticket_row`, `.audit_rows`, `.rating`) in file order, with lookups of ids
(roles, group names, each ticket's requester and latest version); what depends on a ticket's
earlier audits is kept compactly and resolved per ticket in time order once the audits are
read (`ZendeskMapping.replay`), so that the rows are the same whatever order the file lists
audits in (the all-audits endpoint gives the newest first). See `ZendeskStream` for the passes.

Mapping choices that metrics depend on (see METRICS.md):
- who wrote a comment: a comment made through an Answer Bot channel (via `answer_bot`,
  `answer_bot_for_web_widget`, `_for_sdk`, `_for_slack`, `answer_bot_api`: Zendesk's bot
  answering the customer) is the AI agent's (`ai_agent`), unless its author is an end user
  (users.json), or of unknown role and the requester: the customer's own words in the bot's
  widget. A trigger, automation, the system user (-1) or another automatic change (via
  `rule` or `system`, source rel `trigger`/`automation`, `answer_bot_for_agents`, which is
  not the bot answering a customer) writes `bot` messages; otherwise the author's role
  decides (users.json, else users side-loaded next to the tickets
  or audits): end-user → `customer`, agent or admin → `agent`, even when the agent is the
  requester. Only when the role is unknown does "is the author the requester?" decide; a private
  comment by an author of unknown role is an agent's note (only agents write internal notes);
- a ticket is `created_by="agent"` when its submitter is an agent or admin (also when that
  agent is the requester: the opening comment is then not a reply), or, when the submitter's
  role is unknown, when the submitter is not the requester (only agents submit on someone
  else's behalf); a ticket opened by the customer's call (inbound voice, voicemail) is
  `customer`, although Talk makes the answering agent its submitter;
- a voice comment is a call, not a message: an `interaction` (answering agent, talk seconds)
  when answered; a call does not end first reply time (Zendesk's rule);
- the ticket keeps the via channel as Zendesk names it (lower-cased; a numeric via id becomes
  its name); `DEFAULT_CHANNEL_MAP` says which deskmetrics channel each name is reported as;
- the ticket's `status` and `updated_at` are kept (the current state, used when the audits hold
  no status history); a `deleted` ticket is left out and counted;
- Zendesk keeps one satisfaction rating per ticket: every rating, from satisfaction_ratings.json
  or from the audits (a `SatisfactionRating` event, a `satisfaction_score` change), is the answer
  `zendesk-csat-<ticket>`, the latest one winning; an offered rating (and every rating in
  satisfaction_ratings.json, which Zendesk creates when it offers the survey) is the survey
  request `zendesk-offer-<ticket>`, sent when first offered;
- a priority set at creation or changed later is an `assignment` event carrying only the
  priority (as the webhook maps it): SLA policies follow the priority in force;
- a schedule change in the audits (field `schedule_id` or `schedule`, or a `ScheduleAssignment`
  event) is a `schedule` event; an `sla_policy` change names the ticket's `sla_policy` (the
  latest one, a ticket column);
- `seq` is the Zendesk id of the audit event each row comes from: Zendesk numbers events in the
  order they happen, so same-second events keep their order whatever order the file lists the
  audits in, and the same event gets the same `seq` in every export.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from deskmetrics.errors import ImportDataError
from deskmetrics.importers.exportfiles import (
    EXTENSIONS,
    collecting,
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
from deskmetrics.importers.frames import record_frame
from deskmetrics.importers.jsonstream import JsonRecord, iter_records
from deskmetrics.model import DEFAULT_CHANNELS, Reject, SourceFrame
from deskmetrics.model import zendesk_vocabulary as vocabulary

Record = dict[str, Any]
_Item = JsonRecord  # one record of a file: its 1-based position and its object (or None)

#: Source files by what they hold, without extension (`.json` or `.jsonl`).
TICKETS_FILE = "tickets"
AUDITS_FILE = "ticket_audits"
USERS_FILE = "users"
GROUPS_FILE = "groups"
RATINGS_FILE = "satisfaction_ratings"

TICKET_COLUMNS = (
    "ticket_id", "created_at", "requester_id", "channel", "priority", "group", "assignee_id",
    "created_by", "subject", "tags", "brand", "organization_id", "ticket_type", "status",
    "updated_at", "sla_policy",
)  # fmt: skip
EVENT_COLUMNS = (
    "event_id", "ticket_id", "at", "type", "author_role", "author_id", "public", "body",
    "status", "assignee_id", "group", "priority", "schedule_id", "agent_id", "talk_seconds",
    "seq",
)  # fmt: skip
SURVEY_COLUMNS = (
    "response_id", "kind", "scale", "score", "answered_at", "customer_id", "ticket_id",
    "agent_id", "comment",
)  # fmt: skip
REQUEST_COLUMNS = ("request_id", "kind", "sent_at", "customer_id", "ticket_id")
AGENT_COLUMNS = ("agent_id", "name", "team", "active", "role")

#: Zendesk via channel names → the deskmetrics channel they are reported as by default (the
#: help desks' names the `[channels]` mapping starts from); tickets keep the Zendesk name.
DEFAULT_CHANNEL_MAP: dict[str, str] = {
    **DEFAULT_CHANNELS,
    **{c: c for c in ("email", "web", "chat", "phone", "social", "api")},
}

# Zendesk's vocabulary, shared with the views over a connector's synced tables
VIA_NAMES = vocabulary.VIA_NAMES
_AUTOMATIC_CHANNELS = vocabulary.AUTOMATIC_CHANNELS
_AUTOMATIC_RELS = vocabulary.AUTOMATIC_RELS
_AGENTS_ANSWER_BOT = vocabulary.AGENTS_ANSWER_BOT
_AGENT_ROLES = vocabulary.AGENT_ROLES
_ROLE_TO_AUTHOR = vocabulary.ROLE_TO_AUTHOR
_SYSTEM_USER = vocabulary.SYSTEM_USER
_STATUSES = vocabulary.STATUSES
_ANSWERS = vocabulary.ANSWERS
_OFFERED, _UNOFFERED = vocabulary.OFFERED, vocabulary.UNOFFERED
_INBOUND_CALLS = vocabulary.INBOUND_CALLS
_SCHEDULE_FIELDS = frozenset({"schedule_id", "schedule"})
_EXACT_IDS = 2**53  # ids up to here are exact as float64 numbers (`seq`)


@dataclass(frozen=True)
class ZendeskExport:
    """What a Zendesk export folder maps to.

    `frames` holds one `SourceFrame` per canonical table and source file (tickets always;
    events, survey answers and requests, and agents when their source is present), to be
    validated and stored like any other import. `skipped` counts source records deliberately
    left out because they are not canonical data (deleted tickets, unoffered ratings, earlier
    ratings of the same ticket, older versions of a record in an incremental export, audit
    events that are not ticket history), keyed by "<file>: <what>", so that an import report
    can show them: nothing is dropped silently."""

    frames: list[SourceFrame]
    skipped: dict[str, int]

    def frame(self, table: str, file: str | None = None) -> SourceFrame | None:
        """The frame feeding canonical `table` (from `file`, when given), if there is one."""
        return next(
            (f for f in self.frames if f.table.name == table and file in (None, f.file)), None
        )


#: Rows per frame of a streamed import (the store stages each frame as it comes).
CHUNK_ROWS = 100_000
#: Lines of a JSON Lines audits file holding these are read by the pre-pass (privacy changes
#: of comments, users side-loaded next to the audits); other lines are not parsed there.
_PREPASS_MARKERS = (b"CommentPrivacyChange", b'"users"')
#: Chunks between two runs of the garbage collector (`ZendeskStream.chunks`).
_COLLECT_EVERY = 8
#: The order skip counts are reported in: by source file.
_FILE_ORDER = (GROUPS_FILE, USERS_FILE, TICKETS_FILE, AUDITS_FILE, RATINGS_FILE)


def read_zendesk(directory: Path) -> ZendeskExport:
    """Map a folder of Zendesk Support API JSON exports to canonical raw rows, one frame per
    table and file (`stream_zendesk` gives the same rows in chunks, as an import stores them).

    Raises `ImportDataError` when the folder has no tickets file or a file is not JSON;
    records that cannot be mapped become rejects of their frame."""
    stream = ZendeskStream(directory, chunk_rows=None)
    parts: dict[tuple[str, str], list[tuple[SourceFrame, np.ndarray | None]]] = {}
    for sf, sub in stream.chunks():
        parts.setdefault((sf.table.name, sf.file), []).append((sf, sub))
    # tickets first, as the frames of one file were listed before streaming
    order = sorted(parts, key=lambda k: k[0] != "tickets")
    return ZendeskExport([_merge(parts[k]) for k in order], stream.skipped)


def stream_zendesk(directory: Path, chunk_rows: int = CHUNK_ROWS) -> ZendeskStream:
    """The frames of a Zendesk export folder in chunks of at most `chunk_rows` rows, read as
    they are stored (never the whole export in memory); `skipped` is complete once iterated.
    Raises `ImportDataError` at once when the folder has no tickets file."""
    return ZendeskStream(directory, chunk_rows)


def _merge(parts: list[tuple[SourceFrame, np.ndarray | None]]) -> SourceFrame:
    """Chunks of one table and file as one frame, rows in file order (and within a record in
    the order it maps them)."""
    if len(parts) == 1 and parts[0][1] is None:
        return parts[0][0]
    frame = pd.concat([p.frame for p, _ in parts], ignore_index=True)
    rows = np.concatenate([p.rows for p, _ in parts])
    subs = np.concatenate([np.zeros(len(p.frame), np.int64) if s is None else s for p, s in parts])
    order = np.lexsort((subs, rows))
    first = parts[0][0]
    return SourceFrame(
        table=first.table,
        file=first.file,
        frame=frame.iloc[order].reset_index(drop=True),
        rows=rows[order],
        rejects=sorted((r for p, _ in parts for r in p.rejects), key=lambda r: r.row),
    )


class ZendeskStream:
    """A Zendesk export folder read in passes, each file streamed (`jsonstream`):

    1. groups and users (two passes each: the latest version of every record, then its rows);
    2. tickets, pass 1: the latest version of every ticket (and its requester; deleted ones),
       users side-loaded next to them;
    3. audits, a pre-pass reading only JSON Lines lines that name a `CommentPrivacyChange` or
       side-load users (every line of other shapes);
    4. audits, mapped in file order as they stream and yielded in chunks; what depends on a
       ticket's earlier audits (the assignee and group an assignment row carries, ratings,
       survey offers, SLA policies; comments whose privacy changes later) is kept compactly
       and replayed per ticket in time order at the end;
    5. satisfaction ratings; tickets, pass 2 (the winners mapped, with their SLA policy);
       survey answers and requests, agents.

    Iterating yields `SourceFrame`s; `skipped` counts what was left out (complete at the end).
    """

    def __init__(self, directory: Path, chunk_rows: int | None = CHUNK_ROWS) -> None:
        directory = Path(directory)
        if not directory.is_dir():
            raise ImportDataError(
                f"{directory} is not a folder: give the folder of a Zendesk export"
            )
        tickets_path = _find(directory, TICKETS_FILE)
        if tickets_path is None:
            raise ImportDataError(
                f"no tickets.json in {directory}: a Zendesk export folder needs tickets.json and "
                "may add ticket_audits.json, users.json, groups.json and satisfaction_ratings.json"
                " (each an API page, a JSON array or JSON Lines; .jsonl is accepted too)"
            )
        self.directory = directory
        self.tickets_path = tickets_path
        self.chunk_rows = chunk_rows
        self.zd = ZendeskMapping()
        self.skipped: dict[str, int] = self.zd.skipped

    def __iter__(self) -> Iterator[SourceFrame]:
        for sf, _ in self.chunks():
            yield sf

    def chunks(self) -> Iterator[tuple[SourceFrame, np.ndarray | None]]:
        """Frames with, for events, the place of each row among its audit's rows.

        The garbage collector does not run by itself meanwhile: millions of short-lived
        records make it run often, and each full run walks the lookups held for the replay
        (a third of the time of the mapping); one full run every few chunks frees what
        reference counting cannot."""
        yield from collecting(self._chunks(), _COLLECT_EVERY)

    def _chunks(self) -> Iterator[tuple[SourceFrame, np.ndarray | None]]:
        zd, directory, tickets_path = self.zd, self.directory, self.tickets_path
        groups_path = _find(directory, GROUPS_FILE)
        if groups_path is not None:
            for item in _latest(zd, groups_path, "groups"):
                if item.data is not None and (gid := _text(item.data.get("id"))) is not None:
                    zd.groups[gid] = _text(item.data.get("name")) or gid
        users_path = _find(directory, USERS_FILE)
        agents: SourceFrame | None = None
        if users_path is not None:

            def users() -> Iterator[JsonRecord]:
                for item in _latest(zd, users_path, "users"):
                    zd.learn_users((item,))
                    yield item

            agents = zd.agents(users_path.name, users())
        zd.users_known = users_path is not None

        ticket_users = _SideLoads()
        winners = zd.ticket_winners(
            tickets_path.name, iter_records(tickets_path, "tickets", **ticket_users.options())
        )
        audits_path = _find(directory, AUDITS_FILE)
        sideloaded = [(tickets_path, ticket_users.items)]
        if audits_path is not None:
            audit_users = _SideLoads()
            place = _Place()
            for item in iter_records(
                audits_path,
                "audits",
                on_line=place.new_line,
                only_lines_with=_PREPASS_MARKERS,
                **audit_users.options(),
            ):
                zd.privacy_changes(item, place.of(item.row))
            sideloaded.append((audits_path, audit_users.items))
        for path, side in sideloaded:  # users next to tickets or audits (`include=users`)
            zd.learn_users(zd.latest(path.name, side), only_new=True)

        if audits_path is not None:
            events = _Chunk("events", audits_path.name, EVENT_COLUMNS)
            place = _Place()
            for item in iter_records(audits_path, "audits", on_line=place.new_line):
                rows, subs = zd.audit_rows(audits_path.name, item, place.of(item.row))
                if rows:
                    events.add(item.row, rows, subs)
                if self.chunk_rows is not None and len(events) >= self.chunk_rows:
                    yield events.take(zd)
            yield events.take(zd)
            for row, line, sub in zd.replay(audits_path.name):
                events.add(line, [row], [sub])
            if len(events) or zd.rejects.get(f"events:{audits_path.name}"):
                yield events.take(zd, ordered=True)

        ratings_path = _find(directory, RATINGS_FILE)
        if ratings_path is not None:
            for item in _latest(zd, ratings_path, "satisfaction_ratings"):
                zd.rating(ratings_path.name, item)

        # tickets last: their audits may name their SLA policy
        tickets = _Chunk("tickets", tickets_path.name, TICKET_COLUMNS)
        for item in iter_records(tickets_path, "tickets"):
            tid = None if item.data is None else _text(item.data.get("id"))
            if tid is not None and winners.get(tid) != item.row:
                continue  # an older version of the ticket
            tickets.add(item.row, zd.ticket_row(tickets_path.name, item))
            if self.chunk_rows is not None and len(tickets) >= self.chunk_rows:
                yield tickets.take(zd)
        yield tickets.take(zd)
        del winners

        for sf in zd.survey_frames([p.name for p in (audits_path, ratings_path) if p is not None]):
            yield sf, None
        if agents is not None:
            yield agents, None
        else:
            for path, side in sideloaded:
                sf = zd.agents(path.name, zd.latest(path.name, side), only_new=True)
                if len(sf.frame):
                    yield sf, None
        # skip counts by file, as they were reported when files were read one after another
        rank = {f"{stem}{ext}": n for n, stem in enumerate(_FILE_ORDER) for ext in EXTENSIONS}
        ordered = sorted(self.skipped.items(), key=lambda kv: rank.get(kv[0].split(":")[0], 9))
        self.skipped.clear()
        self.skipped.update(ordered)


def _latest(zd: ZendeskMapping, path: Path, key: str) -> Iterator[JsonRecord]:
    """The records of a file, one version per id: the one updated last (the later record on
    a tie), as in an incremental export that lists a record again each time it changes. Two
    passes over the file; only the winners' places are held."""
    best: dict[str, tuple[float, int]] = {}
    again = 0
    for item in iter_records(path, key):
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
        zd.skip(path.name, "older versions of a record", again)
    for item in iter_records(path, key):
        rid = None if item.data is None else _text(item.data.get("id"))
        if rid is None or best[rid][1] == item.row:
            yield item


class _SideLoads:
    """Users side-loaded next to a file's records, numbered as they come (objects kept)."""

    def __init__(self) -> None:
        self.items: list[JsonRecord] = []
        self.count = 0

    def keep(self, name: str, value: Any) -> None:
        self.count += 1
        if isinstance(value, dict):
            self.items.append(JsonRecord(self.count, value))

    def options(self) -> dict[str, Any]:
        return {"on_sideload": self.keep, "sideloads": ("users",)}


class _Place:
    """A record's place in its file as (JSON Lines line, index among the line's records):
    the same in a full pass and in a pass that reads some lines only. Records of other shapes
    are all on "line" 0."""

    def __init__(self) -> None:
        self.line = 0
        self.first: int | None = None

    def new_line(self, number: int) -> None:
        self.line, self.first = number, None

    def of(self, row: int) -> tuple[int, int]:
        if self.first is None:
            self.first = row
        return self.line, row - self.first


class _Chunk:
    """Rows of one table and file collected until they make a frame."""

    def __init__(self, table: str, file: str, columns: Sequence[str]) -> None:
        self.table, self.file, self.columns = table, file, columns
        self.rows: list[Record] = []
        self.lines: list[int] = []
        self.subs: list[int] = []

    def __len__(self) -> int:
        return len(self.rows)

    def add(self, line: int, rows: list[Record], subs: Sequence[int] | None = None) -> None:
        self.rows.extend(rows)
        self.lines.extend([line] * len(rows))
        self.subs.extend(range(len(rows)) if subs is None else subs)

    def take(self, zd: ZendeskMapping, ordered: bool = False) -> tuple[SourceFrame, np.ndarray]:
        """The frame of the rows so far (with the rejects found so far), and empty again."""
        rows, lines, subs = self.rows, self.lines, np.asarray(self.subs, dtype=np.int64)
        if ordered:
            order = np.lexsort((subs, np.asarray(lines, dtype=np.int64)))
            rows, lines, subs = [rows[i] for i in order], [lines[i] for i in order], subs[order]
        rejects = zd.rejects.pop(f"{self.table}:{self.file}", [])
        sf = record_frame(self.table, self.file, self.columns, rows, lines, rejects)
        self.rows, self.lines, self.subs = [], [], []
        return sf, subs


# --- values ------------------------------------------------------------------------------


def _seq(event_id: str | None) -> str | None:
    """The source order of an audit event: its Zendesk id as a number (Zendesk numbers events
    as they happen), when it is one that a float keeps exact."""
    if event_id is None or not event_id.isdigit():
        return None
    return event_id if int(event_id) < _EXACT_IDS else None


def via_channel(via: Any) -> str | None:
    """The via channel of a Zendesk via object as Zendesk names it (lower-cased; a numeric via
    id becomes its via type); null when there is none."""
    if not isinstance(via, dict):
        return None
    raw = _text(via.get("channel"))
    if raw is None:
        return None
    return VIA_NAMES.get(raw, raw).lower()


def channel_of(via: Any) -> str | None:
    """The deskmetrics channel a Zendesk via object is reported as (`DEFAULT_CHANNEL_MAP`):
    null when there is none, "other" when the via channel is not one deskmetrics distinguishes."""
    name = via_channel(via)
    return None if name is None else DEFAULT_CHANNEL_MAP.get(name, "other")


def is_ai_agent(via: Any) -> bool:
    """Whether a via object names an Answer Bot channel through which Zendesk's bot answers
    the customer (not `answer_bot_for_agents`, which serves agents)."""
    channel = via_channel(via) or ""
    return channel.startswith("answer_bot") and channel != _AGENTS_ANSWER_BOT


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


#: What an audit leaves for the per-ticket replay (`ZendeskMapping.replay`), child by child.
_ASSIGNEE, _GROUP, _RATING, _OFFER, _SLA = range(5)
#: A compact audit for the replay: ticket, row, created_at, audit id, author, the place of its
#: assignment row among its rows, and its children (kind, child id, value).
_Side = tuple[str, int, str | None, str, str | None, int, tuple[tuple[int, str | None, Any], ...]]
#: Where an audit's child is, in a ticket's time order: (instant, line, index, child)
_Key = tuple[float, int, int, int]


@dataclass
class _Survey:
    """A ticket's latest satisfaction answer or its first survey offer, and where it came from."""

    row: Record
    file: str
    line: int
    at: float


class ZendeskMapping:
    """Maps Zendesk records one by one: tickets, then audits, then ratings; keeps the lookups
    they share (roles, group names, requesters) and the skip counts. Audits are mapped in
    file order; what depends on a ticket's earlier audits is kept compactly (`side`, `held`)
    and resolved per ticket in time order by `replay`.
    """

    def __init__(self) -> None:
        self.roles: dict[str, str] = {}  # user id → Zendesk role
        self.users_known = False  # whether a users file was given
        self.groups: dict[str, str] = {}  # group id → name
        self.requesters: dict[str, str] = {}  # ticket id → requester id
        self.deleted: set[str] = set()  # ids of deleted tickets
        self.winners: dict[str, int] = {}  # ticket id → row of its latest version
        self.sla: dict[str, str | None] = {}  # ticket id → SLA policy its audits name last
        self.side = _SideAudits()  # audits with assignment, rating, offer or SLA children
        # (ticket, comment id) → privacy changes of that comment (the audits pre-pass)
        self.privacy: dict[tuple[str, str], list[tuple[_Key, str | None]]] = {}
        # message rows of comments whose privacy changes: (ticket, comment id), place, row,
        # audit row, place among the audit's rows
        self.held: list[tuple[tuple[str, str], _Key, Record, int, int]] = []
        self.shared: dict[str, str] = {}  # one copy of each requester id
        self.answers: dict[str, _Survey] = {}  # ticket id → its latest rating
        self.offers: dict[str, _Survey] = {}  # ticket id → its first survey offer
        self.agents_seen: set[str] = set()
        self.rejects: dict[str, list[Reject]] = {}  # "<table>:<file>" → rejects
        self.skipped: dict[str, int] = {}

    def skip(self, file: str, what: str, n: int = 1) -> None:
        key = f"{file}: {what}"
        self.skipped[key] = self.skipped.get(key, 0) + n

    def reject(self, reject: Reject) -> None:
        self.rejects.setdefault(f"{reject.table}:{reject.file}", []).append(reject)

    def group_name(self, value: Any) -> str | None:
        gid = _text(value)
        return None if gid is None else self.groups.get(gid, gid)

    def latest(self, file: str, items: list[_Item]) -> list[_Item]:
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
                self.skip(file, "older versions of a record")
        return sorted(keep, key=lambda i: i.row)

    def learn_users(self, items: Iterable[_Item], only_new: bool = False) -> None:
        """Roles of users (users.json, or side-loaded users for ids it does not know)."""
        for item in items:
            uid = None if item.data is None else _text(item.data.get("id"))
            if item.data is not None and uid is not None and not (only_new and uid in self.roles):
                self.roles[uid] = (_text(item.data.get("role")) or "").lower()

    def agent_role(self, user: str | None) -> bool | None:
        """Whether `user` is an agent or admin; None when no users list says."""
        if user is None or self.roles.get(user, "") not in _ROLE_TO_AUTHOR:
            return None
        return self.roles[user] in _AGENT_ROLES

    # tickets ------------------------------------------------------------------------------

    def ticket_winners(self, file: str, items: Iterable[_Item]) -> dict[str, int]:
        """Pass 1 over the tickets: the row of each ticket's latest version (`latest`'s
        rule), and what the audits need of it (requester; deleted or not)."""
        best: dict[str, tuple[float, int, str | None, bool]] = {}
        again = 0
        shared = self.shared
        for item in items:
            t = item.data
            tid = None if t is None else _text(t.get("id"))
            if tid is None or t is None:
                continue
            at = _instant(t.get("updated_at"))
            old = best.get(tid)
            if old is not None:
                again += 1
                if at < old[0]:
                    continue
            requester = _text(t.get("requester_id"))
            if requester is not None:
                requester = shared.setdefault(requester, requester)
            deleted = (_text(t.get("status")) or "").lower() == "deleted"
            best[tid] = (at, item.row, requester, deleted)
        if again:
            self.skip(file, "older versions of a record", again)
        winners = self.winners
        for tid, (_, row, requester, deleted) in best.items():
            winners[tid] = row
            if deleted:
                self.deleted.add(tid)
            elif requester is not None:
                self.requesters[tid] = requester
        return winners

    def ticket_row(self, file: str, item: _Item) -> list[Record]:
        """The canonical row of one ticket record (none for a deleted ticket)."""
        t = item.data
        if t is None:
            self.reject(_not_object("tickets", file, item.row, "ticket_id"))
            return []
        tid = _text(t.get("id"))
        status = (_text(t.get("status")) or "").lower() or None
        if status == "deleted":
            if tid is not None:
                self.deleted.add(tid)
            self.skip(file, "deleted tickets")
            return []
        if status is not None and status not in _STATUSES:
            self.skip(file, f"ticket statuses deskmetrics does not know ({status}), left empty")
            status = None
        requester = _text(t.get("requester_id"))
        if tid is not None and requester is not None:
            self.requesters[tid] = requester
        row = {
            "ticket_id": tid,
            "created_at": _text(t.get("created_at")),
            "requester_id": requester,
            "channel": via_channel(t.get("via")),
            "priority": _text(t.get("priority")),
            "group": self.group_name(t.get("group_id")),
            "assignee_id": _text(t.get("assignee_id")),
            "created_by": (
                "customer"
                if _called_in(t.get("via"))
                else self.created_by(_text(t.get("submitter_id")), requester)
            ),
            "subject": _text(t.get("subject")) or _text(t.get("raw_subject")),
            "tags": _tags(t.get("tags")),
            "brand": _text(t.get("brand_id")),
            "organization_id": _text(t.get("organization_id")),
            "ticket_type": _text(t.get("type")),
            "status": status,
            "updated_at": _text(t.get("updated_at")),
            "sla_policy": None if tid is None else self.sla.get(tid),
        }
        return [row]

    def created_by(self, submitter: str | None, requester: str | None) -> str:
        """`agent` when an agent or admin submitted the ticket (for someone else or for
        themself); with the submitter's role unknown, when someone else submitted it."""
        agent = self.agent_role(submitter)
        if agent is not None:
            return "agent" if agent else "customer"
        if submitter is None or requester is None or submitter == requester:
            return "customer"
        return "agent"

    # audits -------------------------------------------------------------------------------

    def audit_rows(
        self, file: str, item: _Item, place: tuple[int, int] = (0, 0)
    ) -> tuple[list[Record], list[int] | None]:
        """Canonical events of one audit that need no earlier audit, in the order of its
        events (comments, calls, status, priority and schedule changes), and their places
        among the audit's rows (None: in order). Assignee and group changes, ratings, survey
        offers and SLA policies are kept for `replay`; a comment whose privacy changes later
        (`privacy_changes`) is held for it."""
        a = item.data
        if a is None:
            self.reject(_not_object("events", file, item.row, "event_id"))
            return [], None
        tid, aid = _text(a.get("ticket_id")), _text(a.get("id"))
        if tid is None:
            why = "audit has no ticket_id, so its events belong to no ticket"
            self.reject(Reject("events", file, item.row, "ticket_id", why))
            return [], None
        if aid is None:
            why = "audit has no id, from which its events' ids are made"
            self.reject(Reject("events", file, item.row, "event_id", why))
            return [], None
        if tid in self.deleted:
            self.skip(file, "audits of deleted tickets")
            return [], None
        at = _text(a.get("created_at"))
        author = _text(a.get("author_id"))
        rows: list[Record] = []
        subs: list[int] | None = None
        n = 0  # rows of this audit so far, held ones included
        side: list[tuple[int, str | None, Any]] = []
        children = a.get("events")
        for ci, child in enumerate(children if isinstance(children, list) else []):
            if not isinstance(child, dict):
                self.skip(file, "audit events that are not ticket history")
                continue
            cid = _text(child.get("id"))
            kind = _text(child.get("type")) or ""
            fname = (_text(child.get("field_name")) or "").lower()
            changes = fname if kind in ("Create", "Change") else ""
            if kind == "CommentPrivacyChange":
                continue  # read by the pre-pass (`privacy_changes`)
            if kind == "SatisfactionRating" or changes in (
                "satisfaction_score",
                "satisfaction_comment",
            ):
                side.append((_RATING, cid, _rating_fields(child)))
                continue
            if kind in ("SurveyOffered",):
                side.append((_OFFER, cid, None))
                continue
            if changes == "sla_policy":
                side.append((_SLA, cid, _sla_policy(child.get("value"))))
                continue
            maps = kind in ("Comment", "VoiceComment", "ScheduleAssignment") or changes in (
                "status", "assignee_id", "group_id", "priority", *_SCHEDULE_FIELDS,
            )  # fmt: skip
            if not maps:
                self.skip(file, "audit events that are not ticket history")
                continue
            if cid is None:
                why = f"{kind} event of audit {aid} has no id"
                self.reject(Reject("events", file, item.row, "event_id", why))
                continue
            base = {"event_id": f"{aid}-{cid}", "ticket_id": tid, "at": at, "seq": _seq(cid)}
            if kind == "Comment":
                via = child.get("via") or a.get("via")
                writer = _text(child.get("author_id")) or author
                public = _flag(child.get("public"))
                role = self.author_role(writer, via, tid, public != "false")
                if role is None:
                    self.reject(self.unknown_author(file, item.row, writer, cid))
                    continue
                row = {
                    **base, "type": "message", "author_role": role, "author_id": writer,
                    "public": public,
                    "body": _text(child.get("body")) or _text(child.get("plain_body")),
                }  # fmt: skip
                if self.privacy and (tid, cid) in self.privacy:
                    key = (_instant(at), *place, ci)
                    self.held.append(((tid, cid), key, row, item.row, n))
                    subs = subs if subs is not None else list(range(len(rows)))
                    n += 1
                    continue
                rows.append(row)
            elif kind == "VoiceComment":
                call = _call(child)
                if call is None:
                    self.skip(file, "calls nobody answered (voicemails)")
                    continue
                rows.append({**base, "event_id": f"{base['event_id']}-call", **call})
            elif changes == "status":
                rows.append({**base, "type": "status", "author_id": author,
                             "status": _text(child.get("value"))})  # fmt: skip
            elif changes == "priority":
                # SLA policies follow the priority in force: the one set at creation, then
                # every change (tickets.json holds only the current one). Its own event, as
                # the webhook maps it: assignment rows stored before keep their content
                prio = (_text(child.get("value")) or "").lower()
                if not prio:  # cleared: no priority to follow; the earlier one stays
                    self.skip(file, "priorities cleared (SLA keeps the earlier priority)")
                    continue
                rows.append({**base, "type": "assignment", "author_id": author, "priority": prio})
            elif kind == "ScheduleAssignment" or changes in _SCHEDULE_FIELDS:
                value = child.get("new_schedule_id") if kind == "ScheduleAssignment" else None
                schedule = _text(value if value is not None else child.get("value"))
                if schedule is None:  # removed: the default schedule applies again
                    self.skip(file, "schedules removed (the default schedule applies)")
                    continue
                rows.append({**base, "type": "schedule", "author_id": author,
                             "schedule_id": schedule})  # fmt: skip
            else:  # an assignee or group change: the row carries the other half (`replay`)
                value = _text(child.get("value"))
                side.append((_ASSIGNEE if changes == "assignee_id" else _GROUP, cid, value))
                continue
            if subs is not None:
                subs.append(n)
            n += 1
        if side:
            self.side.add(tid, item.row, at, _pack(tid, item.row, at, aid, author, n, side))
        return rows, subs

    def privacy_changes(self, item: _Item, place: tuple[int, int]) -> None:
        """The pre-pass over the audits: `CommentPrivacyChange` events, by the comment they
        change (a change applies to the comment mapped last before it in the ticket's time
        order, as audits are replayed)."""
        a = item.data
        if a is None:
            return
        tid, aid = _text(a.get("ticket_id")), _text(a.get("id"))
        children = a.get("events")
        if tid is None or aid is None or tid in self.deleted or not isinstance(children, list):
            return
        for ci, child in enumerate(children):
            if isinstance(child, dict) and _text(child.get("type")) == "CommentPrivacyChange":
                ref = _text(child.get("comment_id"))
                if ref is not None:
                    key = (_instant(a.get("created_at")), *place, ci)
                    change = (key, _flag(child.get("public")))
                    self.privacy.setdefault((tid, ref), []).append(change)

    def replay(self, file: str) -> Iterator[tuple[Record, int, int]]:
        """What depends on a ticket's earlier audits, resolved once all audits are read, per
        ticket in time order (file order on a tie) as Zendesk made them: assignment rows
        carrying the unchanged half (the current assignee or group), the latest rating and
        the first survey offer, the SLA policy named last, comments whose privacy changed.
        Yields (row, audit row, place among the audit's rows) of events."""
        side, self.side = self.side, _SideAudits()
        ticket: str | None = None
        assignee = group = None
        for entry in side.ordered():
            tid, line, at, aid, author, sub, children = _unpack(entry)
            if tid != ticket:
                ticket, assignee, group = tid, None, None
            assigned: str | None = None  # id of the first child that changed the assignment
            for kind, cid, value in children:
                if kind == _ASSIGNEE:
                    if assignee != value:
                        assignee = value
                        assigned = assigned or cid
                elif kind == _GROUP:
                    if group != value:
                        group = value
                        assigned = assigned or cid
                elif kind == _RATING:
                    self.audit_rating(file, line, tid, at, value, assignee)
                elif kind == _OFFER:
                    self.offer(file, line, tid, at, self.requesters.get(tid))
                elif tid in self.winners and tid not in self.deleted:  # _SLA
                    self.sla[tid] = value
            if assigned is not None:
                row = {
                    "event_id": f"{aid}-{assigned}", "ticket_id": tid, "at": at,
                    "seq": _seq(assigned), "type": "assignment", "author_id": author,
                    "assignee_id": assignee, "group": self.group_name(group),
                }  # fmt: skip
                yield row, line, sub
        del side
        held: dict[tuple[str, str], list[tuple[_Key, Record]]] = {}
        for target, key, row, _, _ in self.held:
            held.setdefault(target, []).append((key, row))
        for target, changes in self.privacy.items():
            steps: list[tuple[_Key, Record | None, str | None]] = [
                (key, row, None) for key, row in held.get(target, [])
            ] + [(key, None, public) for key, public in changes]
            steps.sort(key=lambda step: step[0])
            current: Record | None = None
            for _, copy, public in steps:
                if copy is not None:
                    current = copy
                elif current is not None:
                    current["public"] = public
        for _, _, row, line, sub in self.held:
            yield row, line, sub
        self.held = []

    def author_role(self, author: str | None, via: Any, ticket: str, public: bool) -> str | None:
        """customer, agent, ai_agent or bot for a comment's author; None when nothing can
        tell."""
        if is_ai_agent(via):
            role = self.roles.get(author or "")
            if role == "end-user" or (not role and author == self.requesters.get(ticket)):
                return "customer"  # the customer's words in the bot's widget
            return "ai_agent"
        if author == _SYSTEM_USER or is_automatic(via):
            return "bot"
        if author is None:
            return None
        role = _ROLE_TO_AUTHOR.get(self.roles.get(author, ""))
        if role is not None:
            return role
        if not public:
            return "agent"  # an internal note: only agents write them
        if author == self.requesters.get(ticket):
            return "customer"
        return None

    def unknown_author(self, file: str, row: int, author: str | None, comment: str) -> Reject:
        if author is None:
            why = f"comment {comment} names no author, so it cannot be told customer or agent"
        elif not self.users_known and not self.roles:
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
        return Reject("events", file, row, "author_id", why, author)

    # satisfaction -------------------------------------------------------------------------

    def audit_rating(
        self, file: str, row: int, tid: str, at: str | None, child: Record, assignee: str | None
    ) -> None:
        """A rating recorded in an audit: a `SatisfactionRating` event (score, comment in
        `body`) or a change of the ticket's `satisfaction_score`/`satisfaction_comment`."""
        kind = _text(child.get("type"))
        fname = (_text(child.get("field_name")) or "").lower()
        customer = self.requesters.get(tid)
        if fname == "satisfaction_comment":
            answer = self.answers.get(tid)
            if answer is not None and answer.file == file and answer.at <= _instant(at):
                answer.row["comment"] = _text(child.get("value"))
            else:
                self.skip(file, "rating comments without a rating")
            return
        raw = child.get("score") if kind == "SatisfactionRating" else child.get("value")
        score = (_text(raw) or "").lower()
        if score == _OFFERED:
            self.offer(file, row, tid, at, customer)
        elif score in _ANSWERS:
            agent = _text(child.get("assignee_id")) if kind == "SatisfactionRating" else None
            comment = _text(child.get("body")) if kind == "SatisfactionRating" else None
            self.answer(file, row, tid, at, score, customer, agent or assignee, comment)
        else:
            self.skip(file, f"{score or 'empty'} ratings (no answer)")

    def rating(self, file: str, item: _Item) -> None:
        """One record of satisfaction_ratings.json: a survey request (Zendesk creates the
        rating when it offers the survey) and, when answered, the ticket's answer."""
        r = item.data
        if r is None:
            self.reject(_not_object("surveys", file, item.row, "response_id"))
            return
        tid = _text(r.get("ticket_id"))
        score = (_text(r.get("score")) or "").lower() or None
        if tid is None:
            why = "rating names no ticket_id (Zendesk rates tickets)"
            self.reject(Reject("surveys", file, item.row, "ticket_id", why))
            return
        if score == _UNOFFERED:
            self.skip(file, "unoffered ratings (no answer)")
            return
        customer = _text(r.get("requester_id"))
        sent = _text(r.get("created_at"))
        if sent is not None:
            self.offer(file, item.row, tid, sent, customer)
        if score == _OFFERED:
            return
        answered = _text(r.get("updated_at")) or sent
        agent = _text(r.get("assignee_id"))
        self.answer(file, item.row, tid, answered, score, customer, agent, _text(r.get("comment")))

    def offer(self, file: str, line: int, tid: str, at: str | None, customer: str | None) -> None:
        """The ticket's survey request, sent when the survey was first offered."""
        row = {"request_id": f"zendesk-offer-{tid}", "kind": "csat", "sent_at": at,
               "customer_id": customer, "ticket_id": tid}  # fmt: skip
        first = self.offers.get(tid)
        if first is not None and first.at <= _instant(at):
            self.skip(file, "survey offers repeated on the same ticket")
            return
        if first is not None:
            self.skip(first.file, "survey offers repeated on the same ticket")
        self.offers[tid] = _Survey(row, file, line, _instant(at))

    def answer(
        self, file: str, line: int, tid: str, at: str | None, score: str | None,
        customer: str | None, agent: str | None, comment: str | None,
    ) -> None:  # fmt: skip
        """The ticket's answer: Zendesk keeps one rating per ticket, the latest one."""
        row = {
            "response_id": f"zendesk-csat-{tid}", "kind": "csat", "scale": "good-bad",
            "score": score, "answered_at": at, "customer_id": customer, "ticket_id": tid,
            "agent_id": agent, "comment": comment,
        }  # fmt: skip
        earlier, instant = self.answers.get(tid), _instant(at)
        if earlier is not None:
            # the later file wins a tie (satisfaction_ratings.json is read after the audits)
            loser = file if earlier.at > instant else earlier.file
            again = "repeated" if earlier.at == instant else "earlier"
            self.skip(loser, f"{again} ratings of the same ticket")
            if earlier.at > instant:
                return
        self.answers[tid] = _Survey(row, file, line, instant)

    def survey_frames(self, files: Sequence[str]) -> list[SourceFrame]:
        """Answers and requests, one frame per table and source file that holds any."""
        frames = []
        for table, columns, kept in (
            ("surveys", SURVEY_COLUMNS, self.answers),
            ("survey_requests", REQUEST_COLUMNS, self.offers),
        ):
            for file in files:
                mine = sorted((s for s in kept.values() if s.file == file), key=lambda s: s.line)
                rejects = self.rejects.get(f"{table}:{file}", [])
                if mine or rejects or (table == "surveys" and file.startswith(RATINGS_FILE)):
                    rows, lines = [s.row for s in mine], [s.line for s in mine]
                    frames.append(record_frame(table, file, columns, rows, lines, rejects))
        return frames

    # agents -------------------------------------------------------------------------------

    def agents(self, file: str, items: Iterable[_Item], only_new: bool = False) -> SourceFrame:
        """Agents and admins from users; end users are customers, not agents."""
        rows: list[Record] = []
        numbers: list[int] = []
        rejects: list[Reject] = []
        for item in items:
            u = item.data
            if u is None:
                rejects.append(_not_object("agents", file, item.row, "agent_id"))
                continue
            role = (_text(u.get("role")) or "").lower()
            uid = _text(u.get("id"))
            if role not in _AGENT_ROLES or (only_new and uid in self.agents_seen):
                continue
            if uid is not None:
                self.agents_seen.add(uid)
            rows.append({
                "agent_id": uid, "name": _text(u.get("name")),
                "team": self.group_name(u.get("default_group_id")),
                "active": _flag(u.get("active")), "role": role,
            })  # fmt: skip
            numbers.append(item.row)
        return record_frame("agents", file, AGENT_COLUMNS, rows, numbers, rejects)


def _called_in(via: Any) -> bool:
    """Whether a ticket was opened by the customer's call (inbound or a voicemail): Talk makes
    the agent who answers the submitter, but the customer made the contact, so the agent's first
    written comment is a reply, not the opening of a ticket the agent created."""
    name = via_channel(via)
    source = via.get("source") if isinstance(via, dict) else None
    rel = (_text(source.get("rel")) or "").lower() if isinstance(source, dict) else ""
    return name in _INBOUND_CALLS and rel != "outbound"


_SEP = "\x1f"  # between the fields of a packed audit (`_pack`)


def _pack(
    tid: str, row: int, at: str | None, aid: str, author: str | None, sub: int,
    children: list[tuple[int, str | None, Any]],
) -> _Side | str:  # fmt: skip
    """An audit kept for the replay, as compactly as it can be: an audit that only changes the
    assignee or group (most of them) as one string of its fields (a third of the memory of a
    tuple of them; "" is null, which `_text` never gives), others as a tuple."""
    if all(kind in (_ASSIGNEE, _GROUP) for kind, _, _ in children):
        fields = [tid, str(row), at or "", aid, author or "", str(sub)]
        for kind, cid, value in children:
            fields += ("a" if kind == _ASSIGNEE else "g") + (cid or ""), value or ""
        packed = _SEP.join(fields)
        if packed.count(_SEP) == len(fields) - 1:  # no separator inside a field
            return packed
    return (tid, row, at, aid, author, sub, tuple(children))


def _unpack(entry: _Side | str) -> _Side:
    if not isinstance(entry, str):
        return entry
    tid, row, at, aid, author, sub, *rest = entry.split(_SEP)
    children = tuple(
        (_ASSIGNEE if c[0] == "a" else _GROUP, c[1:], v or None)
        for c, v in zip(rest[::2], rest[1::2], strict=True)
    )
    return (tid, int(row), at or None, aid, author or None, int(sub), children)


class _SideAudits:
    """The audits kept for the replay, off the interpreter's heap: packed audits in Arrow
    arrays and their order (ticket, instant, row) in NumPy arrays, moved there every
    `_SIDE_BATCH` audits. Millions of small strings kept while the audits are parsed would
    pin the allocator's arenas that parsing churns through, and memory would grow with them."""

    def __init__(self) -> None:
        self.packed: list[str] = []
        self.tickets: list[str] = []
        self.instants: list[float] = []
        self.rows: list[int] = []
        self.objects: list[_Side] = []  # audits that are not packed (ratings, offers, SLA)
        self.which: list[int] = []  # index in objects, or -1 (packed)
        self.parts: list[tuple[pa.Array, pa.Array, np.ndarray, np.ndarray, np.ndarray]] = []

    def __len__(self) -> int:
        return len(self.packed) + sum(len(p[0]) for p in self.parts)

    def add(self, tid: str, row: int, at: str | None, entry: _Side | str) -> None:
        if isinstance(entry, str):
            self.packed.append(entry)
            self.which.append(-1)
        else:
            self.packed.append("")
            self.which.append(len(self.objects))
            self.objects.append(entry)
        self.tickets.append(tid)
        self.instants.append(_instant(at))
        self.rows.append(row)
        if len(self.packed) >= _SIDE_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.packed:
            self.parts.append(
                (
                    pa.array(self.packed, pa.large_string()),
                    pa.array(self.tickets, pa.large_string()),
                    np.asarray(self.instants, dtype=np.float64),
                    np.asarray(self.rows, dtype=np.int64),
                    np.asarray(self.which, dtype=np.int64),
                )
            )
        self.packed, self.tickets, self.instants, self.rows, self.which = [], [], [], [], []

    def ordered(self) -> Iterator[_Side | str]:
        """Per ticket, in time order, file order on a tie (as audits were replayed)."""
        self.flush()
        if not self.parts:
            return
        packed = pa.concat_arrays([p[0] for p in self.parts])
        tickets = pa.concat_arrays([p[1] for p in self.parts])
        codes = pc.dictionary_encode(tickets).indices.to_numpy(zero_copy_only=False)
        del tickets
        instants = np.concatenate([p[2] for p in self.parts])
        rows = np.concatenate([p[3] for p in self.parts])
        which = np.concatenate([p[4] for p in self.parts])
        self.parts = []
        order = np.lexsort((rows, instants, codes))
        del codes, instants, rows
        for start in range(0, len(order), _SIDE_BATCH):
            at = order[start : start + _SIDE_BATCH]
            texts = packed.take(pa.array(at)).to_pylist()
            for text, obj in zip(texts, which[at].tolist(), strict=True):
                yield self.objects[obj] if obj >= 0 else text


#: Audits kept for the replay moved off the interpreter's heap at a time (`_SideAudits`).
_SIDE_BATCH = 100_000


def _rating_fields(child: Record) -> Record:
    """What `audit_rating` reads of a rating event, kept for the replay."""
    keys = ("type", "field_name", "score", "value", "assignee_id", "body")
    return {k: child.get(k) for k in keys}


def _sla_policy(value: Any) -> str | None:
    """An SLA policy as audits name it: its title (or id, when that is all there is)."""
    if isinstance(value, dict):
        return _text(value.get("title")) or _text(value.get("id"))
    return _text(value)


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


def _not_object(table: str, file: str, row: int, column: str) -> Reject:
    return Reject(table, file, row, column, "record is not a JSON object")


__all__: list[str] = [
    "DEFAULT_CHANNEL_MAP",
    "VIA_NAMES",
    "ZendeskExport",
    "ZendeskMapping",
    "channel_of",
    "is_ai_agent",
    "is_automatic",
    "read_zendesk",
    "via_channel",
]
