"""Tickets (and their messages) from any help desk's CSV export, through a column mapping: the
long tail of help desks with no importer of their own.

An export has one row per ticket, with headers of its own ("Ticket ID", "Created", "Status"),
and optionally a second file with one row per message. A `TicketMapping` (TOML) says which
column is each canonical column, how values translate, and which author values are agents,
bots (automatic acknowledgements, triggers) or an AI agent (a chatbot that converses) — the
same column sources as survey mappings (`survey_csv.Source`: a column name, a constant, or a
column with a value map):

```toml
timezone = "Europe/Berlin"              # zone of times written without offset
timestamp_format = "%d.%m.%Y %H:%M"     # strptime format when times are not ISO 8601

[tickets]
file = "tickets.csv"                    # in the folder given (or give the file itself)
ticket_id = "Ticket ID"
created_at = "Created"
requester_id = "Requester"
channel = { column = "Source", values = { "E-Mail" = "email", "Portal" = "web" } }
status = { column = "Status", values = { "Resolved" = "solved", "Waiting" = "pending" } }
priority = "Priority"
group = "Team"
assignee_id = "Agent"
subject = "Subject"
created_by = { column = "Opened by", values = { "Staff" = "agent", "Customer" = "customer" } }
solved_at = "Resolved at"               # a status change to solved at this time
first_reply_at = "First response"       # an agent's reply at this time (no messages file)

[messages]                              # optional: one row per message
file = "messages.csv"
message_id = "ID"                       # optional: else a hash of the row's mapped cells
ticket_id = "Ticket ID"
at = "Sent"
author_id = "From"
public = { column = "Visibility", values = { "Public" = "true", "Internal" = "false" } }

[messages.author_role]                  # who wrote each message
column = "From type"
values = { "Staff" = "agent", "Automation" = "bot", "Chatbot" = "ai_agent" }
```

Mapping choices (see DECISIONS.md): a status column is the ticket's current status (as of its
last update, like an export gives it), never a history; `solved_at` adds the one status change
such exports keep; `first_reply_at` stands for the first reply when no messages file is given
(and is ignored when one is, the messages being the truth). Rejects name the export's columns.
`deskmetrics mapping init FILE` suggests a mapping from a file's header and values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from deskmetrics.errors import ConfigError, ImportDataError
from deskmetrics.importers.survey_csv import (
    Source,
    _row_hashes,
    _timestamps,
    _translate,
    find_column,
    known_zone,
    problems,
    read_csv_file,
    read_mapping_file,
)
from deskmetrics.model import TABLES, Reject, SourceFrame

TICKETS = TABLES["tickets"]
EVENTS = TABLES["events"]
#: canonical ticket columns a mapping may name, and the extra instants it may give
TICKET_COLUMNS = (
    "ticket_id", "created_at", "requester_id", "channel", "status", "priority", "group",
    "assignee_id", "subject", "created_by", "updated_at", "tags",
)  # fmt: skip
TICKET_INSTANTS = ("created_at", "updated_at", "solved_at", "first_reply_at")


class TicketColumns(BaseModel):
    """Where each canonical ticket column comes from in the tickets file."""

    model_config = ConfigDict(extra="forbid")
    file: str | None = None
    ticket_id: Source
    created_at: Source
    requester_id: Source | None = None
    channel: Source | None = None
    status: Source | None = None
    priority: Source | None = None
    group: Source | None = None
    assignee_id: Source | None = None
    subject: Source | None = None
    created_by: Source | None = None
    updated_at: Source | None = None
    tags: Source | None = None
    #: when the ticket was solved: a status change to solved at that time
    solved_at: Source | None = None
    #: when an agent first replied: stands for the first reply when there is no messages file
    first_reply_at: Source | None = None


class MessageColumns(BaseModel):
    """Where each canonical message column comes from in the messages file."""

    model_config = ConfigDict(extra="forbid")
    file: str
    message_id: Source | None = None
    ticket_id: Source
    at: Source
    author_role: Source
    author_id: Source | None = None
    public: Source | None = None


class TicketMapping(BaseModel):
    """A ticket export's mapping: its tickets file and, optionally, its messages file."""

    model_config = ConfigDict(extra="forbid")
    tickets: TicketColumns
    messages: MessageColumns | None = None
    #: zone of times written without a UTC offset (IANA name)
    timezone: str | None = None
    #: strptime format of times that are not ISO 8601, e.g. "%d.%m.%Y %H:%M"
    timestamp_format: str | None = None
    delimiter: str = ","
    encoding: str = "utf-8-sig"

    _known_zone = field_validator("timezone")(known_zone)


def load_ticket_mapping(path: Path | str) -> TicketMapping:
    """The mapping in a TOML file (its `[ticket_csv]` table, or the whole file)."""
    data = read_mapping_file(path, "ticket mapping", "ticket_csv")
    try:
        return TicketMapping.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{Path(path)} (ticket mapping): {problems(exc)}") from exc


@dataclass(frozen=True)
class TicketExport:
    """What a ticket export maps to: frames, and per frame the export's column of each
    canonical column (rejects name what the user sees)."""

    frames: list[SourceFrame]
    headers: list[dict[str, str]]
    skipped: dict[str, int] = field(default_factory=dict)


def _file(path: Path, name: str | None, what: str) -> Path:
    if path.is_file():
        return path
    if not path.is_dir():
        raise ImportDataError(f"{path} does not exist: give the {what} CSV file or its folder")
    if name is None:
        found = sorted(p for p in path.glob("*.csv") if not p.name.startswith("."))
        if len(found) != 1:
            raise ImportDataError(
                f"{path} holds {len(found)} CSV files: name the {what} file in the mapping "
                "([tickets] file = '…')"
            )
        return found[0]
    target = path / name
    if not target.is_file():
        raise ImportDataError(f"{path} has no {name}, the {what} file the mapping names")
    return target


def _columns(
    file: Path, raw: pd.DataFrame, sources: dict[str, Source | None]
) -> tuple[pd.DataFrame, dict[str, str], list[pd.Series]]:
    """The mapped cells (value maps applied), the export's column of each, the raw cells."""
    out = pd.DataFrame(index=raw.index)
    headers: dict[str, str] = {}
    cells: list[pd.Series] = []
    for name, src in sources.items():
        if src is None:
            continue
        if src.column is None:
            out[name] = src.value
            continue
        header = find_column(raw, src.column)
        if header is None:
            shown = ", ".join(repr(c) for c in list(raw.columns)[:12])
            raise ImportDataError(
                f"{file.name} has no column {src.column!r}, which the mapping names for {name}; "
                f"its columns are {shown}"
            )
        headers[name] = header
        text = raw[header].astype(str).str.strip()
        cells.append(text.rename(name))
        out[name] = _translate(text, src.values)
    return out, headers, cells


def _instants(
    table: str,
    file: Path,
    out: pd.DataFrame,
    rows: np.ndarray,
    headers: dict[str, str],
    names: tuple[str, ...],
    mapping: TicketMapping,
) -> tuple[pd.DataFrame, np.ndarray, list[Reject]]:
    """Times as validation reads them; rows whose time cannot be read are rejected, naming
    the export's column."""
    rejects: list[Reject] = []
    bad = np.zeros(len(out), dtype=bool)
    for name in names:
        if name not in headers:
            continue
        raw = out[name].copy()
        values, why = _timestamps(out[name], mapping.timestamp_format, mapping.timezone)
        out[name] = values
        for i in np.flatnonzero(why.notna().to_numpy()):
            if not bad[i]:
                reason = str(why.iloc[i]).replace("survey mapping", "mapping")
                rejects.append(
                    Reject(table, file.name, int(rows[i]), headers[name], reason, str(raw.iloc[i]))
                )
            bad[i] = True
    return out[~bad].reset_index(drop=True), rows[~bad], rejects


def read_ticket_export(path: Path, mapping: TicketMapping) -> TicketExport:
    """Canonical tickets and events of a ticket export. Raises `ImportDataError` when a file
    cannot be read or lacks a column the mapping names; values that do not fit become rejects
    when validated."""
    path = Path(path)
    frames: list[SourceFrame] = []
    headers: list[dict[str, str]] = []
    tm = mapping.tickets
    tfile = _file(path, tm.file, "tickets")
    raw, rows = read_csv_file(tfile, delimiter=mapping.delimiter, encoding=mapping.encoding)
    sources = {c: getattr(tm, c) for c in (*TICKET_COLUMNS, "solved_at", "first_reply_at")}
    out, named, _ = _columns(tfile, raw, sources)
    out, rows, rejects = _instants("tickets", tfile, out, rows, named, TICKET_INSTANTS, mapping)
    tickets = out.reindex(columns=list(TICKETS.column_names))
    frames.append(_frame(TICKETS.name, tfile.name, tickets, rows, rejects))
    headers.append({k: v for k, v in named.items() if k in TICKETS.column_names})
    # what a one-row-per-ticket export keeps of the history: the solve, the first reply
    made: list[pd.DataFrame] = []
    made_rows: list[np.ndarray] = []
    event_headers: dict[str, str] = {}
    has = out["ticket_id"].notna()
    if "solved_at" in out:
        keep = (has & out["solved_at"].notna()).to_numpy()
        made.append(
            pd.DataFrame({
                "event_id": out["ticket_id"][keep] + "-solved",
                "ticket_id": out["ticket_id"][keep],
                "at": out["solved_at"][keep],
                "type": "status",
                "status": "solved",
            })
        )  # fmt: skip
        made_rows.append(rows[keep])
        event_headers["at"] = named.get("solved_at", "")
    if "first_reply_at" in out and mapping.messages is None:
        keep = (has & out["first_reply_at"].notna()).to_numpy()
        made.append(
            pd.DataFrame({
                "event_id": out["ticket_id"][keep] + "-first-reply",
                "ticket_id": out["ticket_id"][keep],
                "at": out["first_reply_at"][keep],
                "type": "message",
                "author_role": "agent",
                "author_id": out["assignee_id"][keep] if "assignee_id" in out else None,
                "public": "true",
            })
        )  # fmt: skip
        made_rows.append(rows[keep])
        event_headers["at"] = named.get("first_reply_at", "")
    if made:
        ev = pd.concat(made, ignore_index=True)
        ev = ev.reindex(columns=list(EVENTS.column_names))
        frames.append(_frame(EVENTS.name, tfile.name, ev, np.concatenate(made_rows), []))
        headers.append({**event_headers, "ticket_id": named["ticket_id"]})
    if mapping.messages is not None:
        frames_m, named_m = _messages(path, tfile, mapping)
        frames.append(frames_m)
        headers.append(named_m)
    return TicketExport(frames, headers)


def _messages(
    path: Path, tfile: Path, mapping: TicketMapping
) -> tuple[SourceFrame, dict[str, str]]:
    mm = mapping.messages
    assert mm is not None
    folder = path if path.is_dir() else tfile.parent
    mfile = _file(folder, mm.file, "messages")
    raw, rows = read_csv_file(mfile, delimiter=mapping.delimiter, encoding=mapping.encoding)
    sources = {
        "event_id": mm.message_id,
        "ticket_id": mm.ticket_id,
        "at": mm.at,
        "author_role": mm.author_role,
        "author_id": mm.author_id,
        "public": mm.public,
    }
    out, named, cells = _columns(mfile, raw, sources)
    if mm.message_id is None:
        out["event_id"] = _row_hashes(cells, "message", len(out)).to_numpy()
    out, rows, rejects = _instants("events", mfile, out, rows, named, ("at",), mapping)
    out["type"] = "message"
    if "public" not in out:
        out["public"] = "true"
    events = out.reindex(columns=list(EVENTS.column_names))
    return _frame(EVENTS.name, mfile.name, events, rows, rejects), named


def _frame(
    table: str, file: str, df: pd.DataFrame, rows: np.ndarray, rejects: list[Reject]
) -> SourceFrame:
    frame = df.astype(object).where(df.notna(), None).reset_index(drop=True)
    return SourceFrame(TABLES[table], file, frame, np.asarray(rows, dtype=np.int64), rejects)


# --- suggesting a mapping ------------------------------------------------------------------

#: header words that suggest a canonical column (checked in order; first match wins)
_GUESSES: tuple[tuple[str, str], ...] = (
    ("first_reply_at", r"first.?(response|reply)"),
    ("solved_at", r"(resolved|solved|closed).?(at|on|date|time)?$"),
    ("created_at", r"(created|opened|submitted|received)"),
    ("updated_at", r"(updated|modified|last.?activity)"),
    ("ticket_id", r"^(ticket|case|issue|conversation)?.?(id|number|#|no\.?)$"),
    ("requester_id", r"(requester|customer|contact|client|email|from)"),
    ("assignee_id", r"(assignee|agent|owner|assigned)"),
    ("status", r"(status|state)"),
    ("priority", r"(priority|urgency|severity)"),
    ("channel", r"(channel|source|via|medium|type)"),
    ("group", r"(group|team|queue|department)"),
    ("subject", r"(subject|title|summary)"),
    ("tags", r"(tags?|labels?)"),
)
#: canonical statuses of common status words
_STATUS_WORDS = {
    "new": "new", "open": "open", "pending": "pending", "waiting": "pending",
    "on hold": "hold", "hold": "hold", "resolved": "solved", "solved": "solved",
    "done": "solved", "closed": "closed", "in progress": "open", "snoozed": "pending",
}  # fmt: skip


def suggest_mapping(file: Path, max_values: int = 20) -> str:
    """A TOML mapping for a ticket export, guessed from its header and values, to be checked
    and edited: each column is named for the canonical column it seems to hold, status words
    are mapped to canonical statuses, and the values of small vocabularies are listed."""
    raw, _ = read_csv_file(file)
    taken: dict[str, str] = {}
    for column in raw.columns:
        h = column.strip().casefold()
        for name, pattern in _GUESSES:
            if name not in taken and re.search(pattern, h):
                taken[name] = column
                break
    lines = [
        f"# a ticket mapping suggested from {file.name}: check every line",
        '# timezone = "UTC"              # zone of times written without offset',
        '# timestamp_format = "%d.%m.%Y %H:%M"  # when times are not ISO 8601',
        "",
        "[tickets]",
        f"file = {_toml(file.name)}",
    ]
    for name in ("ticket_id", "created_at"):
        if name not in taken:
            lines.append(f'{name} = "?"  # required: which column holds it?')
    for name, _ in sorted(_GUESSES, key=lambda g: TICKET_COLUMNS.index(g[0])
                          if g[0] in TICKET_COLUMNS else 99):  # fmt: skip
        header = taken.get(name)
        if header is None:
            continue
        values = [v for v in raw[header].astype(str).str.strip().unique() if v]
        if name == "status" and values and len(values) <= max_values:
            mapped = {v: _STATUS_WORDS.get(v.casefold(), "?") for v in values}
            pairs = ", ".join(f"{_toml(k)} = {_toml(v)}" for k, v in mapped.items())
            lines.append(f"{name} = {{ column = {_toml(header)}, values = {{ {pairs} }} }}")
        elif name in ("channel", "priority") and values and len(values) <= max_values:
            pairs = ", ".join(f"{_toml(v)} = {_toml(v.casefold())}" for v in values)
            lines.append(f"{name} = {{ column = {_toml(header)}, values = {{ {pairs} }} }}")
        else:
            lines.append(f"{name} = {_toml(header)}")
    unused = [h for h in raw.columns if h not in taken.values()]
    if unused:
        lines.append(f"# not mapped: {', '.join(unused)}")
    return "\n".join(lines) + "\n"


def _toml(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


__all__ = [
    "MessageColumns",
    "TicketColumns",
    "TicketExport",
    "TicketMapping",
    "load_ticket_mapping",
    "read_ticket_export",
    "suggest_mapping",
]
