"""The embedded workspace store (a DuckDB file): canonical tables, rejects, import log.

Loading is one transaction per import run: canonical rows, rejects and the import log entry
land together or not at all. Re-loading identical rows changes nothing."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
import pandas as pd

from deskmetrics.errors import BackendError
from deskmetrics.model import TABLES, Kind, Reject, Table, ValidFrame

SQL_TYPES = {
    Kind.TEXT: "VARCHAR",
    Kind.TIMESTAMP: "TIMESTAMP",
    Kind.DATE: "DATE",
    Kind.NUMBER: "DOUBLE",
    Kind.BOOLEAN: "BOOLEAN",
}
ROW_HASH = "_row_hash"  # key of tables without a natural key (costs)
#: the tickets each import run added or changed (a ticket row or any of its events), so that
#: kept per-ticket facts are brought up to date for those tickets only
TOUCHED = "_touched"
#: the tables per-ticket facts are derived from
FACT_SOURCES = ("tickets", "events")
#: events' order of arrival (import after import, file row after file row): the tie-break of
#: events at the same instant that carry no `seq` of their source, instead of the text of ids
ARRIVAL = "_arrival"


def q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


@dataclass
class TableCounts:
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0


@dataclass
class ImportSummary:
    """What one import run did, table by table."""

    import_id: str
    source: str
    tables: dict[str, TableCounts] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)
    committed: bool = True
    notes: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len({(r.table, r.file, r.row) for r in self.rejects})

    def to_dict(self) -> dict[str, Any]:
        return {
            "import_id": self.import_id,
            "source": self.source,
            "committed": self.committed,
            "tables": {k: vars(v) for k, v in self.tables.items()},
            "rejected_rows": self.rejected,
            "notes": self.notes,
        }


def _create_sql(table: Table) -> str:
    cols = [f"{q(c.name)} {SQL_TYPES[c.kind]}" for c in table.columns]
    if table.key is None:
        cols.append(f"{q(ROW_HASH)} VARCHAR")
    return f"CREATE TABLE IF NOT EXISTS {q(table.name)} ({', '.join(cols)})"


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the canonical tables, the rejects table and the import log if missing."""
    for t in TABLES.values():
        con.execute(_create_sql(t))
        # a workspace made by an older version gains columns the model has added since
        stored = set(_stored_columns(con, t.name))
        for c in t.columns:
            if c.name not in stored:
                con.execute(f"ALTER TABLE {q(t.name)} ADD COLUMN {q(c.name)} {SQL_TYPES[c.kind]}")
    if ARRIVAL not in _stored_columns(con, "events"):
        con.execute(f"ALTER TABLE events ADD COLUMN {ARRIVAL} BIGINT")
    con.execute(
        "CREATE TABLE IF NOT EXISTS _rejects (import_id VARCHAR, rejected_at TIMESTAMP, "
        '"table" VARCHAR, file VARCHAR, "row" BIGINT, "column" VARCHAR, reason VARCHAR, '
        "value VARCHAR)"
    )
    con.execute(
        "CREATE TABLE IF NOT EXISTS _imports (import_id VARCHAR, imported_at TIMESTAMP, "
        "source VARCHAR, committed BOOLEAN, summary VARCHAR)"
    )
    con.execute(f"CREATE TABLE IF NOT EXISTS {TOUCHED} (import_id VARCHAR, ticket_id VARCHAR)")


def _stage_frame(table: Table, frame: pd.DataFrame, extra: Sequence[str]) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    for c in table.columns:
        s = frame[c.name] if c.name in frame else pd.Series(None, index=frame.index, dtype="object")
        if c.kind is Kind.BOOLEAN:
            s = s.astype("boolean")
        elif c.kind is Kind.TEXT:
            # Arrow-backed text: DuckDB scans it without touching a Python object per cell
            s = s.astype("string[pyarrow]")
        out[c.name] = s
    for name in extra:
        out[name] = frame[name].astype("string[pyarrow]")
    if table.key is None:
        cells = out[[c.name for c in table.columns]].astype("object")
        content = cells.apply(lambda col: col.map(lambda v: "" if pd.isna(v) else str(v)))
        content = content.agg("\x1f".join, axis=1)
        out[ROW_HASH] = content.map(lambda s: hashlib.sha1(s.encode()).hexdigest())
    out["_row"] = frame["_row"].astype("int64") if "_row" in frame else range(1, len(frame) + 1)
    out["_file"] = ""
    out["_pos"] = range(len(frame))  # the source's order, also among rows of one record
    return out


def _cast_list(table: Table, extra: Sequence[str]) -> str:
    parts = [f"CAST({q(c.name)} AS {SQL_TYPES[c.kind]}) AS {q(c.name)}" for c in table.columns]
    parts += [f"CAST({q(x)} AS VARCHAR) AS {q(x)}" for x in extra]
    if table.key is None:
        parts.append(q(ROW_HASH))
    return ", ".join(parts)


def load(
    con: duckdb.DuckDBPyConnection,
    frames: Iterable[ValidFrame],
    source: str,
    strict: bool = False,
    progress: Callable[[str], None] | None = None,
) -> ImportSummary:
    """Store validated frames in one transaction; see the module docstring. `frames` may be a
    generator: each frame is staged in the workspace as it arrives and can be freed, so an
    import holds one chunk in memory, not the whole export."""
    ensure_schema(con)
    now = datetime.now(UTC).replace(tzinfo=None)
    import_id = now.strftime("%Y%m%dT%H%M%S%f")
    summary = ImportSummary(import_id=import_id, source=source)
    parts: dict[str, list[tuple[str, list[str]]]] = {}
    try:
        con.execute("BEGIN TRANSACTION")
        for n, vf in enumerate(frames):
            summary.rejects.extend(vf.rejects)
            tc = summary.tables.setdefault(vf.table.name, TableCounts())
            tc.read += vf.rows_read
            part = _stage_part(con, vf, n)
            if part is not None:
                parts.setdefault(vf.table.name, []).append(part)
        for name, table in TABLES.items():
            if name not in parts:
                continue
            if progress:
                progress(name)
            _load_table(con, table, parts[name], summary)
        for name, tc in summary.tables.items():
            tc.rejected = len({(r.file, r.row) for r in summary.rejects if r.table == name})
        if strict and summary.rejects:
            con.execute("ROLLBACK")
            summary.committed = False
            summary.notes.append(
                "strict import: nothing was stored because rows were rejected; fix them and "
                "import again"
            )
            con.execute("BEGIN TRANSACTION")
            for tc in summary.tables.values():
                tc.inserted = tc.updated = 0
        _record(con, summary, now)
        con.execute("COMMIT")
    except duckdb.Error as exc:
        con.execute("ROLLBACK")
        raise BackendError(f"import failed and was rolled back, nothing was stored: {exc}") from exc
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return summary


def _stage_part(
    con: duckdb.DuckDBPyConnection, vf: ValidFrame, n: int
) -> tuple[str, list[str]] | None:
    """Copy one validated frame into a temporary table (typed as the canonical table); the
    table's name and the extra columns it carries, or None when it has no valid rows."""
    table = vf.table
    if vf.frame.empty:
        return None
    canonical = set(table.column_names) | {"_row"}
    extra = [c for c in vf.frame.columns if c not in canonical] if table.keeps_extra else []
    f = _stage_frame(table, vf.frame, extra)
    f["_file"] = vf.file
    name = f"_part_{n}"
    con.register("_stage_raw", f)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {_cast_list(table, extra)}, _row, _file, "
        "_pos FROM _stage_raw"
    )
    con.unregister("_stage_raw")
    return name, extra


def log_rejects(con: duckdb.DuckDBPyConnection, source: str, rejects: Sequence[Reject]) -> str:
    """Keep rejects of input refused before any row could be staged (e.g. a malformed
    webhook delivery) in `_rejects`, with an uncommitted entry in the import log; its id."""
    ensure_schema(con)
    now = datetime.now(UTC).replace(tzinfo=None)
    summary = ImportSummary(import_id=now.strftime("%Y%m%dT%H%M%S%f"), source=source)
    summary.rejects.extend(rejects)
    summary.committed = False
    for r in rejects:
        tc = summary.tables.setdefault(r.table, TableCounts())
        tc.read += 1
        tc.rejected += 1
    _record(con, summary, now)
    return summary.import_id


def _record(con: duckdb.DuckDBPyConnection, summary: ImportSummary, now: datetime) -> None:
    if summary.rejects:
        rej = pd.DataFrame(
            [
                (summary.import_id, now, r.table, r.file, r.row, r.column, r.reason, r.value)
                for r in summary.rejects
            ],
            columns=[
                "import_id",
                "rejected_at",
                "table",
                "file",
                "row",
                "column",
                "reason",
                "value",
            ],
        )
        con.register("_new_rejects", rej)
        # the same problem reported again by a re-import is not stored twice
        con.execute(
            "INSERT INTO _rejects SELECT n.* FROM _new_rejects n WHERE NOT EXISTS (SELECT 1 FROM "
            '_rejects r WHERE r."table" = n."table" AND r.file = n.file AND r."row" = '
            'n."row" AND r."column" = n."column" AND r.reason = n.reason)'
        )
        con.unregister("_new_rejects")
    con.execute(
        "INSERT INTO _imports VALUES (?, ?, ?, ?, ?)",
        [summary.import_id, now, summary.source, summary.committed, json.dumps(summary.to_dict())],
    )


def _stored_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [r[0] for r in rows]


def _load_table(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    parts: list[tuple[str, list[str]]],
    summary: ImportSummary,
) -> None:
    tc = summary.tables[table.name]
    extra: list[str] = []
    for _, part_extra in parts:
        extra += [c for c in part_extra if c not in extra]
    if extra:
        stored = set(_stored_columns(con, table.name))
        for x in extra:
            if x not in stored:
                con.execute(f"ALTER TABLE {q(table.name)} ADD COLUMN {q(x)} VARCHAR")
    key = table.key or ROW_HASH
    cols = list(table.column_names) + extra + ([ROW_HASH] if table.key is None else [])
    collist = ", ".join(q(c) for c in cols)
    # parts may carry different extra columns: BY NAME fills the missing ones with nulls
    union = " UNION ALL BY NAME ".join(
        f"SELECT *, {i} AS _part FROM {name}" for i, (name, _) in enumerate(parts)
    )
    # _h: a digest of the row's content, so that comparing copies of an id compares one number
    # rather than every column (bodies of messages are long)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _stage AS SELECT {collist}, _row, _file, _part, _pos, "
        f"hash({collist}) AS _h FROM ({union})"
    )
    for name, _ in parts:
        con.execute(f"DROP TABLE {name}")
    # the same id in two files of one run with different content: reject every version
    dup = con.execute(
        f"SELECT {q(key)}, _file, _row FROM _stage WHERE {q(key)} IN (SELECT {q(key)} FROM "
        f"_stage GROUP BY {q(key)} HAVING count(DISTINCT _h) > 1)"
    ).fetchall()
    for k, f, r in dup:
        summary.rejects.append(
            Reject(
                table.name,
                f,
                int(r),
                key,
                f"{key} {k!r} appears again with different content in this import",
                str(k),
            )
        )
    if dup:
        con.execute(
            f"DELETE FROM _stage WHERE {q(key)} IN (SELECT {q(key)} FROM _stage "
            f"WHERE {q(key)} IN ({', '.join('?' * len(dup))}))",
            [d[0] for d in dup],
        )
    # identical copies in several files collapse to one (the first met)
    counts = con.execute(f"SELECT count(*), count(DISTINCT {q(key)}) FROM _stage").fetchone()
    if counts is not None and counts[0] != counts[1]:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _stage AS SELECT * FROM _stage "
            f"QUALIFY row_number() OVER (PARTITION BY {q(key)} ORDER BY _file, _row) = 1"
        )
    for col, parent in table.references:
        pk = TABLES[parent].key
        missing = con.execute(
            f"SELECT {q(col)}, _file, _row FROM _stage s WHERE NOT EXISTS (SELECT 1 FROM "
            f"{q(parent)} p WHERE p.{q(pk or '')} = s.{q(col)})"
        ).fetchall()
        for v, f, r in missing:
            summary.rejects.append(
                Reject(
                    table.name,
                    f,
                    int(r),
                    col,
                    f"{col} {v!r} names no row of {parent} (neither stored "
                    "nor valid in this import)",
                    str(v),
                )
            )
        if missing:
            con.execute(
                f"DELETE FROM _stage s WHERE NOT EXISTS (SELECT 1 FROM {q(parent)} p "
                f"WHERE p.{q(pk or '')} = s.{q(col)})"
            )
    if table.name in FACT_SOURCES:
        # rows with no identical stored copy: new tickets and events, updated tickets
        same = " AND ".join(f"s.{q(c)} IS NOT DISTINCT FROM t.{q(c)}" for c in cols)
        con.execute(
            f"INSERT INTO {TOUCHED} SELECT DISTINCT ?, s.ticket_id FROM _stage s WHERE NOT EXISTS"
            f" (SELECT 1 FROM {q(table.name)} t WHERE t.{q(key)} = s.{q(key)} AND {same})",
            [summary.import_id],
        )
    distinct = " OR ".join(f"s.{q(c)} IS DISTINCT FROM t.{q(c)}" for c in cols if c != key)
    changed: list[Any] = con.execute(
        f"SELECT s.{q(key)}, s._file, s._row FROM _stage s JOIN {q(table.name)} t "
        f"ON s.{q(key)} = t.{q(key)} WHERE {distinct or 'false'}"
    ).fetchall()
    n_changed = len(changed)
    if changed and table.name == "surveys":
        # one answer per id, the latest wins: a customer who changes a rating (Zendesk keeps
        # one per ticket) replaces the earlier answer; an older copy arriving later is ignored
        newer = f"s.answered_at >= t.answered_at AND ({distinct})"
        n_newer = con.execute(
            f"SELECT count(*) FROM _stage s JOIN surveys t ON s.{q(key)} = t.{q(key)} WHERE {newer}"
        ).fetchone()
        sets = ", ".join(f"{q(c)} = s.{q(c)}" for c in cols if c != key)
        con.execute(
            f"UPDATE surveys t SET {sets} FROM _stage s WHERE s.{q(key)} = t.{q(key)} AND {newer}"
        )
        n_changed = int(n_newer[0]) if n_newer else 0
        tc.updated += n_changed  # older copies count as unchanged
    elif changed and table.name in ("tickets", "subscriptions", "customers"):
        # a later export updates current state: a ticket's attributes (assignee, priority,
        # tags …), a subscription that was canceled, a customer who churned
        sets = ", ".join(f"{q(c)} = s.{q(c)}" for c in cols if c != key)
        con.execute(
            f"UPDATE {q(table.name)} t SET {sets} FROM _stage s WHERE s.{q(key)} = t.{q(key)} "
            f"AND ({distinct})"
        )
        tc.updated += len(changed)
    elif changed:
        for k, f, r in changed:
            summary.rejects.append(
                Reject(
                    table.name,
                    f,
                    int(r),
                    key,
                    f"{key} {k!r} is already stored with different content;"
                    f" {table.name} rows never change once stored",
                    str(k),
                )
            )
    total = con.execute("SELECT count(*) FROM _stage").fetchone()
    n_stage = int(total[0]) if total else 0
    new_rows = (
        f"FROM _stage s WHERE NOT EXISTS (SELECT 1 FROM {q(table.name)} t "
        f"WHERE t.{q(key)} = s.{q(key)})"
    )
    if table.name == "events":
        inserted = con.execute(
            f"INSERT INTO events ({collist}, {ARRIVAL}) SELECT {collist}, (SELECT "
            f"coalesce(max({ARRIVAL}), 0) FROM events) + row_number() OVER (ORDER BY _part, "
            f"_pos) {new_rows}"
        ).fetchone()
    else:
        inserted = con.execute(
            f"INSERT INTO {q(table.name)} ({collist}) SELECT {collist} {new_rows}"
        ).fetchone()
    n_ins = int(inserted[0]) if inserted else 0
    tc.inserted += n_ins
    tc.unchanged += n_stage - n_ins - n_changed
    con.execute("DROP TABLE _stage")
