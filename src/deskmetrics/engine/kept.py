"""Per-ticket fact tables kept in the workspace file, maintained as data arrives.

Deriving every fact of every ticket from the events is the costly part of a request (minutes at
10M tickets). A writable DuckDB workspace therefore keeps the fact tables in its file and keeps
them current:

* after an import or a delete, only the tickets it touched are derived again (the store logs
  them in `_touched`; a deleted ticket's rows leave every kept table), together with every
  ticket of the same requesters, whose next contact (FCR) a new or deleted ticket can change;
  business seconds are differences within one ticket, so other tickets' facts stay valid;
* when what the facts are made from changes as a whole (schedules, holidays, the FCR window,
  the calendar's first day, this code, the `holidays` package), or data was written without the
  store, every table is made again;
* nothing stale is ever read: an import brings them up to date (`refresh`), and so does a
  request before it reads them (`current_facts`); a read-only workspace never writes: when its
  kept facts are not current it derives the facts inside its queries instead.

Keeping them is this explicit step: `Facts` only reads what it is told to (it never imports this
module), so reading facts never writes to the file.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from functools import cache
from importlib.metadata import version as package_version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ibis.expr.types as ir

from deskmetrics.engine.facts import Facts
from deskmetrics.engine.store import TOUCHED, connected_views

if TYPE_CHECKING:
    from deskmetrics.engine.workspace import Workspace

#: the kept tables, in the order they are made (later ones read earlier ones), and the
#: property of `Facts` that derives each
KEPT = {
    "schedule_segments": "schedule_segments",
    "ticket_keys": "_ticket_keys",
    "messages": "messages",
    "replies": "replies",
    "status_stretches": "status_stretches",
    "interactions": "interactions",
    "tickets": "tickets_keyed",
}
#: what the facts read of events (gathering the long message bodies too costs seconds)
EVENT_COLUMNS = (
    "event_id",
    "ticket_id",
    '"at"',
    '"type"',
    "public",
    "author_role",
    "author_id",
    "status",
    "agent_id",
    "talk_seconds",
    "hold_seconds",
    "wrap_seconds",
    "schedule_id",
    "seq",
    "_arrival",
)
META = "_facts_meta"
IDS = "_facts_ids"
#: above this share of all tickets touched, making every table again is cheaper
INCREMENTAL_MAX_SHARE = 0.2


@cache
def _code_digest() -> str:
    """The source of everything that shapes a fact: facts made by other code are remade."""
    here = Path(__file__).resolve().parent
    files = [here / "facts.py", here / "clock.py", here / "kept.py", here / "workspace.py"]
    files += sorted((here.parent / "calendar").glob("*.py"))
    files += sorted((here.parent / "model").glob("*.py"))
    h = hashlib.sha256()
    for f in files:
        h.update(f.read_bytes())
    h.update(package_version("holidays").encode())
    return h.hexdigest()


def recipe(facts: Facts) -> str:
    """What every kept fact depends on besides the data itself."""
    s = facts.ws.settings
    parts = {
        "code": _code_digest(),
        "timezone": s.timezone,
        "schedules": {k: v.model_dump(mode="json") for k, v in s.schedules.items()},
        "fcr": s.fcr.model_dump(mode="json"),
        # what the facts read of the canonical tables (`Workspace.reading` leaves out rows
        # with an instant outside these)
        "limits": s.limits.model_dump(mode="json"),
        "channels": facts.ws.channel_map,
        "first_day": facts.ws.calendar_first_day(*facts.data_range()),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _one(con: Any, sql: str, params: list[Any] | None = None) -> Any:
    row = con.execute(sql, params or []).fetchone()
    return row[0] if row else None


def _has(con: Any, table: str) -> bool:
    return bool(
        _one(
            con,
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary "
            "AND database_name = current_database()",
            [table],
        )
    )


def _data_state(con: Any) -> dict[str, Any]:
    """The last import and the row counts of the tables facts are derived from."""
    return {
        "import_id": (_one(con, "SELECT max(import_id) FROM _imports") or "")
        if _has(con, "_imports")
        else "",
        "tickets": int(_one(con, "SELECT count(*) FROM tickets")),
        "events": int(_one(con, "SELECT count(*) FROM events")),
    }


def _kept_state(con: Any) -> dict[str, Any] | None:
    if not _has(con, META):
        return None
    try:
        raw = _one(con, f"SELECT state FROM {META}")
    except Exception:  # written by an earlier version in another shape
        return None
    if raw is None or not all(_has(con, f"_facts_{n}") for n in KEPT):
        return None
    state: dict[str, Any] = json.loads(raw)
    return state


def _write_state(con: Any, state: dict[str, Any] | None) -> None:
    con.execute(f"CREATE OR REPLACE TABLE {META} (state VARCHAR)")
    if state is not None:
        con.execute(f"INSERT INTO {META} VALUES (?)", [json.dumps(state)])


def refresh(ws: Workspace, facts: Facts | None = None) -> bool:
    """Bring the kept fact tables up to date if this workspace keeps them (after an import,
    before a request reads them); whether they can be read. Writes only to a writable
    workspace; `facts`: the request's facts, to share their data range and calendar."""
    if ws.as_of is not None:  # kept facts hold everything stored: an as-of view derives its own
        return False
    if not ws.keep_facts:
        return False
    if getattr(ws.backend, "name", "") != "duckdb":
        return _current_in_engine(ws, facts)
    con = ws.backend.con
    if connected_views(con):  # rows a connector syncs change without the store knowing
        return False
    state = _kept_state(con)
    data = _data_state(con)
    if state is None and (ws.read_only or data["events"] < ws.keep_facts_min_events):
        return False  # nothing kept, and nothing to be made here
    facts = facts if facts is not None else Facts(ws)
    if state is not None and all(state.get(k) == v for k, v in data.items()):
        _known_range(facts, state)  # no data arrived since: the range scanned then holds
    now = {"recipe": recipe(facts), **data}
    if state is not None and {k: state.get(k) for k in now} == now:
        return True
    if ws.read_only or now["events"] < ws.keep_facts_min_events:
        return False
    scope = None
    if state is not None and state.get("recipe") == now["recipe"]:
        scope = _touched_since(con, state, now, ws.settings.fcr.window_days)
    _write_state(con, None)  # a crash half-way leaves no table claiming to be current
    if scope is None:
        _make_all(facts)
    elif scope:
        _update(facts)
    # (no ticket touched: e.g. survey answers or customers arrived; the facts stand as made)
    con.execute(f"DELETE FROM {TOUCHED} WHERE import_id <= ?", [now["import_id"]])
    stored = facts.stored_range()
    _write_state(
        con,
        {
            **now,
            "range": None if stored is None else [x.isoformat() for x in stored],
            "made_at": datetime.now(UTC).isoformat(),
        },
    )
    return True


def _current_in_engine(ws: Workspace, facts: Facts | None) -> bool:
    """Whether the fact tables kept in another engine (made on a working copy by an import:
    engine/remote.py) are current for its data and settings; they are never made here."""
    b = ws.backend
    have = set(b.list_tables())
    if not {META, "_imports", "tickets", "events"} <= have or not all(
        f"_facts_{n}" in have for n in KEPT
    ):
        return False
    raw = b.execute(b.table(META).limit(1))
    if raw.empty or raw["state"].iloc[0] is None:
        return False
    state: dict[str, Any] = json.loads(raw["state"].iloc[0])
    imports = b.table("_imports")
    data = {
        "import_id": b.execute(imports.import_id.max()) or "",
        "tickets": int(b.execute(b.table("tickets").count())),
        "events": int(b.execute(b.table("events").count())),
    }
    if not all(state.get(k) == v for k, v in data.items()):
        return False
    facts = facts if facts is not None else Facts(ws)
    _known_range(facts, state)
    return bool(state.get("recipe") == recipe(facts))


def _known_range(facts: Facts, state: dict[str, Any]) -> None:
    """Give `facts` the data range kept in `state` (saves scanning every event again)."""
    if "range" not in state or facts._stored:
        return
    kept = state["range"]
    facts._stored.append(
        None if kept is None else (datetime.fromisoformat(kept[0]), datetime.fromisoformat(kept[1]))
    )


def current_facts(ws: Workspace, materialize: bool = False) -> Facts:
    """The facts a request reads: the kept tables, brought up to date first (`refresh`), when
    the workspace keeps them; else derived inside the request's queries."""
    facts = Facts(ws, materialize=materialize)
    facts.kept = refresh(ws, facts)
    return facts


def _touched_since(
    con: Any, state: dict[str, Any], now: dict[str, Any], window_days: float
) -> int | None:
    """Log the tickets to derive again in the temporary table `_facts_scope` and return how
    many they are; None when every table must be made again: rows were written without the
    store (counts do not add up) or too much changed."""
    added = {"tickets": 0, "events": 0}
    for (summary,) in con.execute(
        "SELECT summary FROM _imports WHERE import_id > ? AND committed", [state["import_id"]]
    ).fetchall():
        tables = json.loads(summary).get("tables", {})
        for name in added:
            counts = tables.get(name, {})
            # a delete run (`store.delete`) is logged like an import, with rows deleted
            added[name] += int(counts.get("inserted", 0)) - int(counts.get("deleted", 0))
    if any(state[n] + added[n] != now[n] for n in added):
        return None
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _facts_touched AS SELECT DISTINCT ticket_id FROM {TOUCHED} "
        "WHERE import_id > ?",
        [state["import_id"]],
    )
    # A ticket's facts read one other ticket: its requester's next contact (FCR's repeat
    # contact). A touched ticket changes the verdict only of its requester's contacts created
    # up to the FCR window before it (as stored now, and as kept before an update moved it to
    # another requester or instant): those are derived again. Each of them needs its own next
    # contact to be derived, so the requester's tickets up to the window after it are read
    # too (`_facts_context`), but not written. A day of margin covers a DST change (the window
    # is measured on local clock seconds).
    span = f"INTERVAL '{float(window_days) + 1.0} days'"
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _facts_scope AS "
        "WITH who AS (SELECT requester_id, created_at FROM tickets WHERE ticket_id IN "
        "(SELECT ticket_id FROM _facts_touched) UNION SELECT requester_id, created_at "
        "FROM _facts_tickets WHERE ticket_id IN (SELECT ticket_id FROM _facts_touched)) "
        "SELECT t.ticket_id FROM tickets t JOIN who w ON t.requester_id = w.requester_id "
        f"AND t.created_at BETWEEN w.created_at - {span} AND w.created_at "
        "UNION SELECT ticket_id FROM _facts_touched"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _facts_context AS "
        "WITH s AS (SELECT requester_id, created_at FROM tickets WHERE ticket_id IN "
        "(SELECT ticket_id FROM _facts_scope)) "
        "SELECT t.ticket_id FROM tickets t JOIN s ON t.requester_id = s.requester_id "
        f"AND t.created_at BETWEEN s.created_at AND s.created_at + {span} "
        "UNION SELECT ticket_id FROM _facts_scope"
    )
    n = int(_one(con, "SELECT count(*) FROM _facts_scope"))
    if n > max(1000, INCREMENTAL_MAX_SHARE * now["tickets"]):
        return None
    return n


def _number_new_tickets(con: Any, among: str = "tickets") -> None:
    """Give every ticket of `among` not yet numbered its `_tk`, after the highest given so far
    (the first time: all tickets in id order, as a query numbers them)."""
    con.execute(f"CREATE TABLE IF NOT EXISTS {IDS} (ticket_id VARCHAR, _tk BIGINT)")
    con.execute(
        f"INSERT INTO {IDS} WITH known AS (SELECT ticket_id FROM {IDS} WHERE ticket_id IN "
        f"(SELECT ticket_id FROM {among})) "
        f"SELECT ticket_id, (SELECT coalesce(max(_tk), -1) FROM {IDS}) + "
        f"row_number() OVER (ORDER BY ticket_id) FROM {among} t "
        f"WHERE ticket_id NOT IN (SELECT ticket_id FROM known)"
    )


def _derive_all(builder: Facts) -> None:
    for prop in KEPT.values():
        getattr(builder, prop)


def _make_all(facts: Facts) -> None:
    """Make every kept table from all the data."""
    backend = facts.ws.backend
    _number_new_tickets(backend.con)

    def write(name: str, t: ir.Table) -> ir.Table:
        return backend.create_table(f"_facts_{name}", t, overwrite=True)

    builder = Facts(
        facts.ws, ids=backend.table(IDS), sink=write, _ranges=facts._ranges, _stored=facts._stored
    )
    _derive_all(builder)


def _update(facts: Facts) -> None:
    """Derive the scope's tickets again (reading their context: `_touched_since`) and replace
    their rows in every kept table."""
    backend = facts.ws.backend
    con = backend.con
    _number_new_tickets(con, among="_facts_context")
    # the keys, tickets and events read, gathered once (the facts read events three times);
    # the events of the scope only: the context's tickets give their instants, no facts
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _facts_context_keys AS SELECT i.* FROM {IDS} i "
        "WHERE ticket_id IN (SELECT ticket_id FROM _facts_context)"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _facts_scope_keys AS SELECT * FROM _facts_context_keys "
        "WHERE ticket_id IN (SELECT ticket_id FROM _facts_scope)"
    )
    for name, cols, among in (
        ("tickets", "*", "_facts_context"),
        ("events", ", ".join(EVENT_COLUMNS), "_facts_scope"),
    ):
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _facts_scope_{name} AS SELECT {cols} FROM {name} "
            f"WHERE ticket_id IN (SELECT ticket_id FROM {among})"
        )

    def replace(name: str, t: ir.Table) -> ir.Table:
        new = backend.create_table(f"_facts_new_{name}", t, temp=True, overwrite=True)
        # by the integer key where the table has it (cheaper than comparing text ids)
        key = "_tk" if "_tk" in new.columns else "ticket_id"
        scope = f"{key} IN (SELECT {key} FROM _facts_scope_keys)"
        con.execute(f"DELETE FROM _facts_{name} WHERE {scope}")
        con.execute(
            f"INSERT INTO _facts_{name} BY NAME SELECT * FROM _facts_new_{name} WHERE {scope}"
        )
        return new

    builder = Facts(
        facts.ws,
        sources={n: backend.table(f"_facts_scope_{n}") for n in ("tickets", "events")},
        ids=backend.table("_facts_context_keys"),
        sink=replace,
        _ranges=facts._ranges,
        _stored=facts._stored,
    )
    _derive_all(builder)
    for name in KEPT:
        con.execute(f"DROP TABLE IF EXISTS _facts_new_{name}")
    for name in (
        "scope_keys",
        "context_keys",
        "scope_tickets",
        "scope_events",
        "scope",
        "context",
        "touched",
    ):
        con.execute(f"DROP TABLE IF EXISTS _facts_{name}")
