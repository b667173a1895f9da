"""One small Zendesk help desk written twice, by hand: as Fivetran's Zendesk connector syncs it
(its tables and column types as Fivetran's published schema documents them: `ticket`,
`ticket_comment`, `ticket_field_history`, `user`, `group`, `ticket_tag`, `satisfaction_rating`,
with `_fivetran_synced` and `_fivetran_deleted`) and as Zendesk's API exports it (tickets,
audits, users, groups, satisfaction ratings: what `deskmetrics import` reads).

The story (Monday 2 March 2026, UTC; office hours 09:00–17:00 on weekdays):

- ticket 1 (email, Ann): opened 09:00, Ada replies and solves at 09:30; rated good.
  First reply 30 min, solved after 30 min. A comment the connector marks deleted is left out.
- ticket 2 (web, Ben, no priority): opened 10:00, a private note by Ada 10:30, Max (an admin)
  replies and solves 11:00; Ben writes again 12:00 (reopened), Ada replies and solves 13:00;
  rated bad. First reply 60 min, one reopen, solved after 60 min (first solve), 180 (last).
- ticket 3 (api, created by agent Ada for Ben, no group): Ada's opening comment 14:00 (not a
  reply), the trigger's acknowledgement (the system user, -1) 14:01, Ben writes 15:00, Ada
  replies 15:30 and sets it pending. Survey offered, never answered.
- ticket 4: deleted in Zendesk (status `deleted`): left out, with its comments and history.
- ticket 5: deleted by the connector (`_fivetran_deleted`, not in the API any more): left out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DAY = "2026-03-02"


def at(clock: str) -> str:
    return f"{DAY} {clock}:00"


def iso(clock: str) -> str:
    return f"{DAY}T{clock}:00Z"


SYNCED = "2026-03-03 06:00:00"

# --- Fivetran's tables: name → (column → SQL type), rows ---------------------------------

#: SQL types as Fivetran writes them (ids are integers, instants timestamps)
# fmt: off
FIVETRAN_COLUMNS: dict[str, dict[str, str]] = {
    "ticket": {
        "id": "BIGINT", "_fivetran_synced": "TIMESTAMP", "_fivetran_deleted": "BOOLEAN",
        "created_at": "TIMESTAMP", "updated_at": "TIMESTAMP", "via_channel": "VARCHAR",
        "via_source_rel": "VARCHAR", "requester_id": "BIGINT", "submitter_id": "BIGINT",
        "assignee_id": "BIGINT", "group_id": "BIGINT", "brand_id": "BIGINT",
        "organization_id": "BIGINT", "priority": "VARCHAR", "status": "VARCHAR",
        "subject": "VARCHAR", "type": "VARCHAR", "is_public": "BOOLEAN",
    },
    "ticket_comment": {
        "id": "BIGINT", "_fivetran_synced": "TIMESTAMP", "_fivetran_deleted": "BOOLEAN",
        "ticket_id": "BIGINT", "user_id": "BIGINT", "created": "TIMESTAMP",
        "public": "BOOLEAN", "body": "VARCHAR", "voice_comment": "BOOLEAN",
        "call_duration": "BIGINT",
    },
    "ticket_field_history": {
        "ticket_id": "BIGINT", "field_name": "VARCHAR", "updated": "TIMESTAMP",
        "user_id": "BIGINT", "value": "VARCHAR", "_fivetran_synced": "TIMESTAMP",
    },
    "user": {
        "id": "BIGINT", "_fivetran_synced": "TIMESTAMP", "_fivetran_deleted": "BOOLEAN",
        "name": "VARCHAR", "email": "VARCHAR", "role": "VARCHAR", "active": "BOOLEAN",
        "created_at": "TIMESTAMP", "updated_at": "TIMESTAMP", "time_zone": "VARCHAR",
    },
    "group": {
        "id": "BIGINT", "_fivetran_synced": "TIMESTAMP", "_fivetran_deleted": "BOOLEAN",
        "name": "VARCHAR", "created_at": "TIMESTAMP", "updated_at": "TIMESTAMP",
    },
    "ticket_tag": {"ticket_id": "BIGINT", "tag": "VARCHAR", "_fivetran_synced": "TIMESTAMP"},
    "satisfaction_rating": {
        "id": "BIGINT", "_fivetran_synced": "TIMESTAMP", "ticket_id": "BIGINT",
        "requester_id": "BIGINT", "assignee_id": "BIGINT", "group_id": "BIGINT",
        "score": "VARCHAR", "comment": "VARCHAR", "reason": "VARCHAR",
        "created_at": "TIMESTAMP", "updated_at": "TIMESTAMP",
    },
}
# fmt: on


def _rows(columns: str, *values: tuple[Any, ...]) -> list[dict[str, Any]]:
    names = columns.split()
    return [dict(zip(names, v, strict=True)) for v in values]


# fmt: off
FIVETRAN_ROWS: dict[str, list[dict[str, Any]]] = {
    "ticket": _rows(
        "id created_at updated_at via_channel via_source_rel requester_id submitter_id "
        "assignee_id group_id brand_id organization_id priority status subject type "
        "_fivetran_deleted",
        (1, at("09:00"), at("09:30"), "email", None, 10, 10, 20, 100, 7, None, "normal",
         "solved", "Refund", "question", False),
        (2, at("10:00"), at("13:00"), "web", None, 11, 11, 21, 101, None, None, None,
         "solved", "Login", None, False),
        (3, at("14:00"), at("15:30"), "api", None, 11, 20, 20, None, None, None, "high",
         "pending", "Your invoice", "task", None),
        (4, at("09:05"), at("09:20"), "email", None, 10, 10, None, None, None, None, None,
         "deleted", "Spam", None, False),
        (5, at("09:10"), at("09:40"), "email", None, 10, 10, 20, 100, None, None, "low",
         "open", "Merged away", None, True),
    ),
    "ticket_comment": _rows(
        "id ticket_id user_id created public body voice_comment _fivetran_deleted",
        (1001, 1, 10, at("09:00"), True, "My refund?", False, False),
        (1002, 1, 20, at("09:30"), True, "Refunded.", False, False),
        (1003, 1, 20, at("09:20"), True, "(removed)", False, True),
        (2001, 2, 11, at("10:00"), True, "Cannot log in", False, False),
        (2003, 2, 20, at("10:30"), False, "Checking SSO", False, False),
        (2002, 2, 21, at("11:00"), True, "Reset done", False, False),
        (2004, 2, 11, at("12:00"), True, "Still failing", None, None),
        (2005, 2, 20, at("13:00"), True, "Fixed for good", False, False),
        (3001, 3, 20, at("14:00"), True, "Your invoice is attached", False, False),
        (3004, 3, -1, at("14:01"), True, "We received your request", False, False),
        (3002, 3, 11, at("15:00"), True, "Wrong address on it", False, False),
        (3003, 3, 20, at("15:30"), True, "Corrected; please confirm", False, False),
        (4001, 4, 10, at("09:05"), True, "buy now", False, False),
        (5001, 5, 10, at("09:10"), True, "Dup", False, False),
    ),
    "ticket_field_history": _rows(
        "ticket_id field_name updated user_id value",
        (1, "status", at("09:00"), 10, "new"),
        (1, "priority", at("09:00"), 10, "normal"),
        (1, "group_id", at("09:00"), 10, "100"),
        (1, "assignee_id", at("09:00"), 10, "20"),
        (1, "status", at("09:30"), 20, "solved"),
        (2, "status", at("10:00"), 11, "new"),
        (2, "group_id", at("10:00"), 11, "101"),
        (2, "status", at("10:30"), 20, "open"),
        (2, "assignee_id", at("10:30"), 20, "20"),
        (2, "assignee_id", at("11:00"), 21, "21"),
        (2, "status", at("11:00"), 21, "solved"),
        (2, "status", at("12:00"), 11, "open"),
        (2, "status", at("13:00"), 20, "solved"),
        (3, "status", at("14:00"), 20, "open"),
        (3, "priority", at("14:00"), 20, "high"),
        (3, "assignee_id", at("14:00"), 20, "20"),
        (3, "status", at("15:30"), 20, "pending"),
        (4, "status", at("09:05"), 10, "new"),
        (5, "status", at("09:10"), 10, "new"),
    ),
    "user": _rows(
        "id name email role active _fivetran_deleted",
        (10, "Ann", "ann@example.com", "end-user", True, False),
        (11, "Ben", "ben@example.com", "end-user", True, None),
        (20, "Ada", "ada@acme.example", "agent", True, False),
        (21, "Max", "max@acme.example", "admin", True, False),
    ),
    "group": _rows(
        "id name _fivetran_deleted", (100, "Billing", False), (101, "Tech", False)
    ),
    "ticket_tag": _rows("ticket_id tag", (1, "refund"), (2, "login"), (2, "sso")),
    "satisfaction_rating": _rows(
        "id ticket_id requester_id assignee_id group_id score comment created_at updated_at",
        (701, 1, 10, 20, 100, "good", "Thanks", at("09:30"), "2026-03-02 18:00:00"),
        (702, 2, 11, 20, 101, "bad", None, at("13:00"), "2026-03-02 20:00:00"),
        (703, 3, 11, 20, None, "offered", None, at("15:30"), at("15:30")),
    ),
}
# fmt: on


def fivetran_sql(schema: str = "zendesk", instants: str = "TIMESTAMP") -> list[str]:
    """SQL that creates the connector's tables in `schema` and fills them (DuckDB and
    PostgreSQL both run it: `user` and `group` are quoted, being reserved words). `instants`:
    the SQL type of instants; with a time zone (TIMESTAMPTZ) the values say they are UTC."""
    out = [f"CREATE SCHEMA IF NOT EXISTS {schema}"]
    for table, columns in FIVETRAN_COLUMNS.items():
        types = {c: instants if t == "TIMESTAMP" else t for c, t in columns.items()}
        cols = ", ".join(f'"{c}" {t}' for c, t in types.items())
        out.append(f'CREATE TABLE {schema}."{table}" ({cols})')
        for row in FIVETRAN_ROWS[table]:
            full = {"_fivetran_synced": SYNCED, **row}
            if instants != "TIMESTAMP":
                full = {
                    c: f"{v}+00" if types[c] == instants and v is not None else v
                    for c, v in full.items()
                }
            names = ", ".join(f'"{c}"' for c in full)
            values = ", ".join(_literal(v) for v in full.values())
            out.append(f'INSERT INTO {schema}."{table}" ({names}) VALUES ({values})')
    return out


def _literal(v: Any) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v)
    return "'" + str(v).replace("'", "''") + "'"


# --- the same desk as Zendesk's API exports it ---------------------------------------------


def _comment(cid: int, author: int, body: str, public: bool = True) -> dict[str, Any]:
    return {"id": cid, "type": "Comment", "author_id": author, "body": body, "public": public}


def _field(eid: int, field: str, value: Any, kind: str = "Change") -> dict[str, Any]:
    return {"id": eid, "type": kind, "field_name": field, "value": value}


def _audit(aid: int, tid: int, clock: str, author: int, *events: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": aid,
        "ticket_id": tid,
        "created_at": iso(clock),
        "author_id": author,
        "events": list(events),
    }


# fmt: off
EXPORT: dict[str, dict[str, Any]] = {
    "tickets.json": {
        "tickets": [
            {"id": 1, "created_at": iso("09:00"), "updated_at": iso("09:30"),
             "via": {"channel": "email"}, "requester_id": 10, "submitter_id": 10,
             "assignee_id": 20, "group_id": 100, "brand_id": 7, "priority": "normal",
             "status": "solved", "subject": "Refund", "type": "question", "tags": ["refund"]},
            {"id": 2, "created_at": iso("10:00"), "updated_at": iso("13:00"),
             "via": {"channel": "web"}, "requester_id": 11, "submitter_id": 11,
             "assignee_id": 21, "group_id": 101, "priority": None, "status": "solved",
             "subject": "Login", "tags": ["login", "sso"]},
            {"id": 3, "created_at": iso("14:00"), "updated_at": iso("15:30"),
             "via": {"channel": "api"}, "requester_id": 11, "submitter_id": 20,
             "assignee_id": 20, "group_id": None, "priority": "high", "status": "pending",
             "subject": "Your invoice", "type": "task", "tags": []},
            {"id": 4, "created_at": iso("09:05"), "updated_at": iso("09:20"),
             "via": {"channel": "email"}, "requester_id": 10, "submitter_id": 10,
             "status": "deleted", "subject": "Spam"},
        ]
    },
    "ticket_audits.json": {
        "audits": [
            _audit(11, 1, "09:00", 10, _comment(1001, 10, "My refund?"),
                   _field(1011, "status", "new", "Create"),
                   _field(1012, "priority", "normal", "Create"),
                   _field(1013, "group_id", "100", "Create"),
                   _field(1014, "assignee_id", "20", "Create")),
            _audit(12, 1, "09:30", 20, _comment(1002, 20, "Refunded."),
                   _field(1021, "status", "solved")),
            _audit(21, 2, "10:00", 11, _comment(2001, 11, "Cannot log in"),
                   _field(2011, "status", "new", "Create"),
                   _field(2012, "group_id", "101", "Create")),
            _audit(22, 2, "10:30", 20, _comment(2003, 20, "Checking SSO", public=False),
                   _field(2021, "status", "open"), _field(2022, "assignee_id", "20")),
            _audit(23, 2, "11:00", 21, _comment(2002, 21, "Reset done"),
                   _field(2031, "assignee_id", "21"), _field(2032, "status", "solved")),
            _audit(24, 2, "12:00", 11, _comment(2004, 11, "Still failing"),
                   _field(2041, "status", "open")),
            _audit(25, 2, "13:00", 20, _comment(2005, 20, "Fixed for good"),
                   _field(2051, "status", "solved")),
            _audit(31, 3, "14:00", 20, _comment(3001, 20, "Your invoice is attached"),
                   _field(3011, "status", "open", "Create"),
                   _field(3012, "priority", "high", "Create"),
                   _field(3013, "assignee_id", "20", "Create")),
            _audit(32, 3, "14:01", -1, _comment(3004, -1, "We received your request")),
            _audit(33, 3, "15:00", 11, _comment(3002, 11, "Wrong address on it")),
            _audit(34, 3, "15:30", 20, _comment(3003, 20, "Corrected; please confirm"),
                   _field(3031, "status", "pending")),
            _audit(41, 4, "09:05", 10, _comment(4001, 10, "buy now"),
                   _field(4011, "status", "new", "Create")),
        ]
    },
    "users.json": {
        "users": [
            {"id": 10, "name": "Ann", "role": "end-user", "active": True},
            {"id": 11, "name": "Ben", "role": "end-user", "active": True},
            {"id": 20, "name": "Ada", "role": "agent", "active": True},
            {"id": 21, "name": "Max", "role": "admin", "active": True},
        ]
    },
    "groups.json": {"groups": [{"id": 100, "name": "Billing"}, {"id": 101, "name": "Tech"}]},
    "satisfaction_ratings.json": {
        "satisfaction_ratings": [
            {"id": 701, "ticket_id": 1, "requester_id": 10, "assignee_id": 20, "group_id": 100,
             "score": "good", "comment": "Thanks", "created_at": iso("09:30"),
             "updated_at": "2026-03-02T18:00:00Z"},
            {"id": 702, "ticket_id": 2, "requester_id": 11, "assignee_id": 20, "group_id": 101,
             "score": "bad", "comment": None, "created_at": iso("13:00"),
             "updated_at": "2026-03-02T20:00:00Z"},
            {"id": 703, "ticket_id": 3, "requester_id": 11, "assignee_id": 20,
             "score": "offered", "created_at": iso("15:30"), "updated_at": iso("15:30")},
        ]
    },
}
# fmt: on


def write_export(folder: Path, export: dict[str, dict[str, Any]] | None = None) -> Path:
    """The Zendesk API export of the same desk (or of `export`), as files `deskmetrics import`
    reads."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, page in (EXPORT if export is None else export).items():
        (folder / name).write_text(json.dumps(page), encoding="utf-8")
    return folder


# --- the same desk as Airbyte's Zendesk Support source syncs it -----------------------------

#: Airbyte's streams (the API's records, top-level fields as columns, nested objects as JSON,
#: date-times with their zone), with Airbyte's own columns; SQL types per stream
# fmt: off
AIRBYTE_COLUMNS: dict[str, dict[str, str]] = {
    "tickets": {
        "id": "BIGINT", "created_at": "TIMESTAMPTZ", "updated_at": "TIMESTAMPTZ",
        "via": "JSON", "requester_id": "BIGINT", "submitter_id": "BIGINT",
        "assignee_id": "BIGINT", "group_id": "BIGINT", "brand_id": "BIGINT",
        "organization_id": "BIGINT", "priority": "VARCHAR", "status": "VARCHAR",
        "subject": "VARCHAR", "type": "VARCHAR", "tags": "JSON",
    },
    "ticket_audits": {
        "id": "BIGINT", "ticket_id": "BIGINT", "created_at": "TIMESTAMPTZ",
        "author_id": "BIGINT", "via": "JSON", "events": "JSON",
    },
    "users": {
        "id": "BIGINT", "name": "VARCHAR", "role": "VARCHAR", "active": "BOOLEAN",
        "default_group_id": "BIGINT", "updated_at": "TIMESTAMPTZ",
    },
    "groups": {"id": "BIGINT", "name": "VARCHAR", "deleted": "BOOLEAN"},
    "satisfaction_ratings": {
        "id": "BIGINT", "ticket_id": "BIGINT", "requester_id": "BIGINT",
        "assignee_id": "BIGINT", "group_id": "BIGINT", "score": "VARCHAR",
        "comment": "VARCHAR", "created_at": "TIMESTAMPTZ", "updated_at": "TIMESTAMPTZ",
    },
}
# fmt: on
AIRBYTE_OWN = {"_airbyte_raw_id": "VARCHAR", "_airbyte_extracted_at": "TIMESTAMPTZ"}


def airbyte_sql(
    schema: str = "zendesk_airbyte",
    json_type: str = "JSON",
    export: dict[str, dict[str, Any]] | None = None,
) -> list[str]:
    """SQL that creates Airbyte's streams in `schema` from the API records of `export`
    (default `EXPORT`: what Airbyte reads) and fills them; `json_type`: JSON (DuckDB) or
    JSONB (PostgreSQL)."""
    export = EXPORT if export is None else export
    files = {
        "tickets": ("tickets.json", "tickets"),
        "ticket_audits": ("ticket_audits.json", "audits"),
        "users": ("users.json", "users"),
        "groups": ("groups.json", "groups"),
        "satisfaction_ratings": ("satisfaction_ratings.json", "satisfaction_ratings"),
    }
    out = [f"CREATE SCHEMA IF NOT EXISTS {schema}"]
    for stream, columns in AIRBYTE_COLUMNS.items():
        types = {**AIRBYTE_OWN, **columns}
        types = {c: json_type if t == "JSON" else t for c, t in types.items()}
        out.append(
            f'CREATE TABLE {schema}."{stream}" ('
            + ", ".join(f'"{c}" {t}' for c, t in types.items())
            + ")"
        )
        file, key = files[stream]
        for n, record in enumerate(export[file][key]):
            row = {"_airbyte_raw_id": f"{stream}-{n}", "_airbyte_extracted_at": SYNCED + "+00"}
            for c, t in columns.items():
                v = record.get(c)
                row[c] = json.dumps(v) if t == "JSON" and v is not None else v
            names = ", ".join(f'"{c}"' for c in row)
            values = ", ".join(_literal(v) for v in row.values())
            out.append(f'INSERT INTO {schema}."{stream}" ({names}) VALUES ({values})')
    return out


def with_bot_and_call() -> dict[str, dict[str, Any]]:
    """`EXPORT` and a ticket 6 that only audits can tell (Airbyte syncs them, Fivetran does
    not): the customer's chat 16:00, Answer Bot's reply 16:01 (an AI agent), a call Ada
    answers 16:30 (120 s), Ada's reply and solve 16:40, a trigger's comment in Ada's name
    16:41 (automatic: a bot's)."""
    export = json.loads(json.dumps(EXPORT))
    export["tickets.json"]["tickets"].append(
        {"id": 6, "created_at": iso("16:00"), "updated_at": iso("16:41"),
         "via": {"channel": "web_widget"}, "requester_id": 10, "submitter_id": 10,
         "assignee_id": 20, "status": "solved", "subject": "Chat", "tags": ["chat"]}
    )  # fmt: skip
    bot = {"channel": "answer_bot_for_web_widget", "source": {"rel": None}}
    trigger = {"channel": "rule", "source": {"rel": "trigger"}}
    call = {"id": 6003, "type": "VoiceComment", "author_id": 20, "public": False,
            "data": {"answered_by_id": 20, "call_duration": 120}}  # fmt: skip
    export["ticket_audits.json"]["audits"] += [
        _audit(61, 6, "16:00", 10, _comment(6001, 10, "Hello?"),
               _field(6011, "status", "new", "Create")),
        {**_audit(62, 6, "16:01", 99, _comment(6002, 99, "Try resetting")), "via": bot},
        _audit(63, 6, "16:30", 20, call),
        _audit(64, 6, "16:40", 20, _comment(6004, 20, "Done"),
               _field(6041, "status", "solved")),
        {**_audit(65, 6, "16:41", 20, _comment(6005, 20, "Rate us")), "via": trigger},
    ]  # fmt: skip
    return export
