"""The embedded workspace store (a DuckDB file): canonical tables, rejects, import log.

Loading is one transaction per import run: canonical rows, rejects and the import log entry
land together or not at all. Re-loading identical rows changes nothing. Every row read is
accounted for: read = inserted + updated + unchanged + rejected + duplicate + rolled_back.
Deleting rows (`delete`) is a run of its own, logged in the import log like an import."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from deskmetrics.engine.periods import utc_now
from deskmetrics.errors import BackendError, DeskmetricsError, ImportDataError
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
#: the import run that first stored each canonical row (null: stored by an older version, which
#: did not record it), so that everything one run stored can be deleted again
IMPORT_ID = "_import_id"
#: how far before its ticket's creation an event may be dated and still be stored (at the
#: ticket's creation): the clocks of two systems (help desk, phone system) differ by seconds;
#: anything earlier is an error of the data and is rejected
EVENT_CLOCK_SKEW_SECONDS = 60


def q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


@dataclass
class TableCounts:
    """What happened to the rows of one table in one run. In an import every row read lands in
    exactly one count: read = inserted + updated + unchanged + rejected + duplicate +
    rolled_back (`balanced`). A delete run counts only `deleted`."""

    read: int = 0
    inserted: int = 0
    updated: int = 0
    #: the stored row already says the same, or is newer (a ticket updated later, a later
    #: survey answer): the stored row stays as it is
    unchanged: int = 0
    rejected: int = 0
    #: identical copies of a row met again in the same run (in one file or several): stored once
    duplicate: int = 0
    #: valid rows a strict import did not store because other rows were rejected
    rolled_back: int = 0
    deleted: int = 0

    @property
    def balanced(self) -> bool:
        """Whether every row read is counted exactly once."""
        return self.read == (
            self.inserted
            + self.updated
            + self.unchanged
            + self.rejected
            + self.duplicate
            + self.rolled_back
        )


@dataclass
class ImportSummary:
    """What one import run did, table by table."""

    import_id: str
    source: str
    tables: dict[str, TableCounts] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)
    committed: bool = True
    notes: list[str] = field(default_factory=list)
    #: who ran it, when known (the signed-in user of a delete)
    by: str | None = None

    @property
    def rejected(self) -> int:
        """Rejected rows (one row may have several rejects: `len(rejects)` counts problems)."""
        return len({(r.table, r.file, r.row) for r in self.rejects})

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "import_id": self.import_id,
            "source": self.source,
            "committed": self.committed,
            "tables": {k: vars(v) for k, v in self.tables.items()},
            "rejected_rows": self.rejected,
            "rejects": len(self.rejects),
            "notes": self.notes,
        }
        if self.by is not None:
            out["by"] = self.by
        return out


def _create_sql(table: Table) -> str:
    cols = [f"{q(c.name)} {SQL_TYPES[c.kind]}" for c in table.columns]
    if table.key is None:
        cols.append(f"{q(ROW_HASH)} VARCHAR")
    return f"CREATE TABLE IF NOT EXISTS {q(table.name)} ({', '.join(cols)})"


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the canonical tables, the rejects table and the import log if missing. A
    canonical table defined as a view (`deskmetrics connect`: over a connector's synced
    tables) is left as it is."""
    views = connected_views(con)
    tables = [t for t in TABLES.values() if t.name not in views]
    have = _all_stored_columns(con)
    for t in tables:
        if t.name not in have:
            con.execute(_create_sql(t))
            have[t.name] = set(_stored_columns(con, t.name))
        # a workspace made by an older version gains columns the model has added since
        for c in t.columns:
            if c.name not in have[t.name]:
                con.execute(f"ALTER TABLE {q(t.name)} ADD COLUMN {q(c.name)} {SQL_TYPES[c.kind]}")
                have[t.name].add(c.name)
    if "events" not in views and ARRIVAL not in have["events"]:
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
    for t in tables:
        if IMPORT_ID not in have[t.name]:
            con.execute(f"ALTER TABLE {q(t.name)} ADD COLUMN {IMPORT_ID} VARCHAR")
    con.execute(f"CREATE TABLE IF NOT EXISTS {TOUCHED} (import_id VARCHAR, ticket_id VARCHAR)")


#: the Arrow type a staged chunk's column of each kind is written as (read back by DuckDB as
#: the canonical table's SQL type)
ARROW_TYPES = {
    Kind.TEXT: pa.string(),
    Kind.TIMESTAMP: pa.timestamp("us"),
    Kind.DATE: pa.date32(),
    Kind.NUMBER: pa.float64(),
    Kind.BOOLEAN: pa.bool_(),
}


def _arrow_column(kind: Kind, s: pd.Series) -> pa.Array:
    """One validated column as Arrow of the canonical type, without a Python object per cell
    where the values allow it (text that is not all str is written as pandas makes it text,
    timestamps are cut to microseconds, as DuckDB's cast did)."""
    want = ARROW_TYPES[kind]
    try:
        arr = pa.array(s, type=pa.string() if kind is Kind.TEXT else None, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        if kind is Kind.TEXT:
            arr = pa.array(s.astype("string[pyarrow]"), from_pandas=True)
        elif kind is Kind.BOOLEAN:
            arr = pa.array(s.astype("boolean"), from_pandas=True)
        else:
            arr = pa.array(pd.to_datetime(s) if kind is not Kind.NUMBER else s.astype("float64"))
    return arr.cast(want, safe=False) if arr.type != want else arr


def _arrow_chunk(table: Table, frame: pd.DataFrame, extra: Sequence[str]) -> pa.Table:
    """The chunk's canonical columns (a column it lacks: nulls) and extra columns (text)."""
    arrays: list[pa.Array] = []
    names: list[str] = []
    for c in table.columns:
        if c.name in frame:
            arrays.append(_arrow_column(c.kind, frame[c.name]))
        else:
            arrays.append(pa.nulls(len(frame), ARROW_TYPES[c.kind]))
        names.append(c.name)
    for name in extra:
        arrays.append(_arrow_column(Kind.TEXT, frame[name]))
        names.append(name)
    return pa.Table.from_arrays(arrays, names=names)


def _row_hashes(table: Table, frame: pd.DataFrame) -> pd.Series:
    """A keyless row's content digest (sha1 of its canonical cells as text)."""
    cells = pd.DataFrame(
        {
            c.name: (
                frame[c.name]
                if c.name in frame
                else pd.Series(None, index=frame.index, dtype=object)
            )
            for c in table.columns
        }
    ).astype("object")
    content = cells.apply(lambda col: col.map(lambda v: "" if pd.isna(v) else str(v)))
    content = content.agg("\x1f".join, axis=1)
    return content.map(lambda s: hashlib.sha1(s.encode()).hexdigest())


def _staging_folder(con: duckdb.DuckDBPyConnection) -> Path:
    """A new folder for a run's staged chunks: beside the workspace file (the disk its rows
    go to), or the system's temporary folder for a workspace in memory."""
    row = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    near = Path(row[0]).parent if row and row[0] else None
    name = Path(row[0]).name if row and row[0] else "workspace"
    return Path(tempfile.mkdtemp(prefix=f".{name}.import-", dir=near))


def load(
    con: duckdb.DuckDBPyConnection,
    frames: Iterable[ValidFrame],
    source: str,
    strict: bool = False,
    progress: Callable[[str], None] | None = None,
    max_extra_columns: int | None = None,
) -> ImportSummary:
    """Store validated frames in one transaction; see the module docstring. `frames` may be a
    generator: each frame is staged in a Parquet file beside the workspace as it arrives and can be
    freed, so an import holds one chunk in memory, not the whole export. A table may hold at most
    `max_extra_columns` extra columns, those stored counted: an import past it stores nothing."""
    ensure_schema(con)
    views = connected_views(con)
    now = utc_now()
    import_id = now.strftime("%Y%m%dT%H%M%S%f")
    summary = ImportSummary(import_id=import_id, source=source)
    staged: dict[str, _Staged] = {}
    # each chunk is written to a Parquet file as it comes: neither Python nor DuckDB holds the
    # run's rows until a table is stored (DuckDB keeps every Arrow table scanned in a
    # transaction until it ends, so chunks are not handed to it one by one)
    folder = _staging_folder(con)
    try:
        con.execute("BEGIN TRANSACTION")
        for vf in frames:
            if vf.table.name in views:
                raise BackendError(
                    f"{vf.table.name} is a view over a connector's synced tables here "
                    "(deskmetrics connect): its rows come from the connector, not from imports. "
                    "Import into another workspace (--db)."
                )
            summary.rejects.extend(vf.rejects)
            tc = summary.tables.setdefault(vf.table.name, TableCounts())
            tc.read += vf.rows_read
            tc.duplicate += vf.duplicates
            # rows validation refused (counted as rows: one row may carry several rejects)
            tc.rejected += vf.rows_read - len(vf.frame) - vf.duplicates
            _stage_part(folder, vf, staged)
        for name, table in TABLES.items():
            if name not in staged:
                continue
            if progress:
                progress(name)
            _load_table(con, table, staged[name], summary, max_extra_columns)
        if strict and summary.rejects:
            con.execute("ROLLBACK")
            summary.committed = False
            summary.notes.append(
                "strict import: nothing was stored because rows were rejected; fix them and "
                "import again"
            )
            con.execute("BEGIN TRANSACTION")
            for tc in summary.tables.values():
                tc.rolled_back = tc.inserted + tc.updated
                tc.inserted = tc.updated = 0
        _record(con, summary, now)
        con.execute("COMMIT")
    except duckdb.Error as exc:
        con.execute("ROLLBACK")
        raise BackendError(f"import failed and was rolled back, nothing was stored: {exc}") from exc
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return summary


@dataclass
class _Staged:
    """A table's valid rows of this run, written chunk by chunk to Parquet files as they
    arrive: the files, the extra columns met so far and the rows staged so far (each row's
    `_ord` is its place in the run's order of arrival: file after file, row after row)."""

    files: list[Path] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    rows: int = 0


def _stage_part(folder: Path, vf: ValidFrame, staged: dict[str, _Staged]) -> None:
    """Write one validated frame to a staging file of its table (typed as the canonical
    table, plus `_row`, `_file` and `_ord`); nothing when it has no valid rows."""
    table = vf.table
    if vf.frame.empty:
        return
    canonical = set(table.column_names) | {"_row"}
    extra = [c for c in vf.frame.columns if c not in canonical] if table.keeps_extra else []
    st = staged.setdefault(table.name, _Staged())
    st.extra += [x for x in extra if x not in st.extra]
    frame = vf.frame
    data = _arrow_chunk(table, frame, extra)
    n = len(frame)
    rows = frame["_row"].to_numpy(dtype="int64") if "_row" in frame else np.arange(1, n + 1)
    data = data.append_column("_row", pa.array(rows, type=pa.int64()))
    data = data.append_column("_file", pa.array([vf.file] * n, type=pa.string()))
    # the source's order, also among rows of one record
    data = data.append_column("_ord", pa.array(np.arange(st.rows, st.rows + n), type=pa.int64()))
    if table.key is None:
        data = data.append_column(ROW_HASH, pa.array(_row_hashes(table, frame), type=pa.string()))
    st.rows += n
    path = folder / f"{table.name}-{len(st.files):06d}.parquet"
    pq.write_table(data, path, compression="lz4")
    st.files.append(path)


def log_rejects(con: duckdb.DuckDBPyConnection, source: str, rejects: Sequence[Reject]) -> str:
    """Keep rejects of input refused before any row could be staged (e.g. a malformed
    webhook delivery) in `_rejects`, with an uncommitted entry in the import log; its id."""
    ensure_schema(con)
    now = utc_now()
    summary = ImportSummary(import_id=now.strftime("%Y%m%dT%H%M%S%f"), source=source)
    summary.rejects.extend(rejects)
    summary.committed = False
    # a row with several problems is one row read and rejected
    for table, _, _ in {(r.table, r.file, r.row) for r in rejects}:
        tc = summary.tables.setdefault(table, TableCounts())
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
        # every reject is kept, each with the run that met it: the same file and row rejected
        # again next week is next week's problem, not hidden behind last week's
        con.execute("INSERT INTO _rejects SELECT * FROM _new_rejects")
        con.unregister("_new_rejects")
    con.execute(
        "INSERT INTO _imports VALUES (?, ?, ?, ?, ?)",
        [summary.import_id, now, summary.source, summary.committed, json.dumps(summary.to_dict())],
    )


def connected_views(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The canonical tables of this workspace file that are views (made by `deskmetrics
    connect`): their rows live in the connector's tables, never written through the store."""
    rows = con.execute(
        "SELECT view_name FROM duckdb_views() WHERE NOT internal AND NOT temporary "
        "AND database_name = current_database() AND schema_name = current_schema()"
    ).fetchall()
    return {r[0] for r in rows} & TABLES.keys()


def _all_stored_columns(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """The columns of every table of the current schema, in one query (a live delivery
    checks the schema each time)."""
    have: dict[str, set[str]] = {}
    for table, column in con.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_catalog = current_database() AND table_schema = current_schema()"
    ).fetchall():
        have.setdefault(table, set()).add(column)
    return have


def _stored_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [r[0] for r in rows]


#: tables whose rows a later export replaces, and the column that says which version is newer
#: (None: the later import wins); every other table's rows never change once stored
REPLACEABLE: dict[str, str | None] = {
    "tickets": "updated_at",
    "surveys": "answered_at",
    "customers": None,
    "subscriptions": None,
}


def _instant(v: Any) -> str:
    """A stored instant as users write it (ISO 8601, UTC)."""
    if v is None:
        return "none"
    return f"{v:%Y-%m-%dT%H:%M:%S}Z" if isinstance(v, datetime) else str(v)


def _reject_staged(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    key: str,
    found: list[Any],
    column: str,
    reason: Callable[[Any], str],
    value: Callable[[Any], str],
    summary: ImportSummary,
) -> None:
    """Reject staged rows `found` (tuples of key, file, row, …) and drop every staged row of
    their keys (one source record may make several rows sharing a file row: keys tell apart)."""
    if not found:
        return
    for f in found:
        summary.rejects.append(Reject(table.name, f[1], int(f[2]), column, reason(f), value(f)))
    con.register("_gone", pd.DataFrame({"k": pd.Series([f[0] for f in found], dtype=object)}))
    con.execute(f"DELETE FROM _stage WHERE {q(key)} IN (SELECT k FROM _gone)")
    con.unregister("_gone")
    summary.tables[table.name].rejected += len(found)


def _check_event_times(con: duckdb.DuckDBPyConnection, summary: ImportSummary) -> None:
    """Events are dated no earlier than their ticket's creation (stored, or stored by this run
    just before): up to EVENT_CLOCK_SKEW_SECONDS earlier, the event is stored at the ticket's
    creation (two systems' clocks), with a note; earlier still, it is rejected. An event dated
    before its ticket made first response times negative. A `schedule` event is exempt: a
    schedule set before creation is the one in force at creation (the facts apply it so)."""
    skew = f"INTERVAL {EVENT_CLOCK_SKEW_SECONDS} SECOND"
    clamped = con.execute(
        'UPDATE _stage s SET "at" = t.created_at FROM tickets t WHERE t.ticket_id = s.ticket_id '
        f'AND s."at" < t.created_at AND s."at" >= t.created_at - {skew} '
        """AND s."type" <> 'schedule'"""
    ).fetchone()
    if clamped and clamped[0]:
        summary.notes.append(
            f"{clamped[0]} events dated less than {EVENT_CLOCK_SKEW_SECONDS} s before their "
            "ticket's creation were stored at the ticket's creation (clocks of two systems)"
        )
    early = con.execute(
        'SELECT s.event_id, s._file, s._row, s."at", t.created_at, s.ticket_id FROM _stage s '
        'JOIN tickets t ON t.ticket_id = s.ticket_id WHERE s."at" < t.created_at '
        """AND s."type" <> 'schedule' ORDER BY s._file, s._row"""
    ).fetchall()
    _reject_staged(
        con,
        TABLES["events"],
        "event_id",
        early,
        "at",
        lambda f: (
            f"at {_instant(f[3])} is before its ticket {f[5]!r} was created ({_instant(f[4])}); "
            "an event cannot precede its ticket: fix the event's time or the ticket's created_at"
        ),
        lambda f: _instant(f[3]),
        summary,
    )


def _check_ticket_creation(con: duckdb.DuckDBPyConnection, summary: ImportSummary) -> None:
    """A stored ticket's created_at may not move after its stored events (other than schedule
    changes; its events would precede it): such a version is rejected, the stored one stays."""
    late = con.execute(
        'SELECT s.ticket_id, s._file, s._row, s.created_at, min(e."at"), arg_min(e.event_id, '
        'e."at") FROM _stage s JOIN tickets t ON t.ticket_id = s.ticket_id AND s.created_at IS '
        'DISTINCT FROM t.created_at JOIN events e ON e.ticket_id = s.ticket_id AND e."type" <> '
        "'schedule' "
        'GROUP BY ALL HAVING min(e."at") < s.created_at ORDER BY s._file, s._row'
    ).fetchall()
    _reject_staged(
        con,
        TABLES["tickets"],
        "ticket_id",
        late,
        "created_at",
        lambda f: (
            f"created_at {_instant(f[3])} is after the ticket's stored event {f[5]!r} "
            f"({_instant(f[4])}); fix created_at, or delete the ticket (`deskmetrics delete "
            f"tickets --id {f[0]}`) and import it again"
        ),
        lambda f: _instant(f[3]),
        summary,
    )


def _load_table(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    staged: _Staged,
    summary: ImportSummary,
    max_extra_columns: int | None = None,
) -> None:
    tc = summary.tables[table.name]
    extra = list(staged.extra)
    if extra:
        stored = set(_stored_columns(con, table.name))
        held = {c for c in stored if c not in table.column_names and not c.startswith("_")}
        new = [x for x in extra if x not in stored]
        if max_extra_columns is not None and len(held) + len(new) > max_extra_columns:
            # each extra column is kept for ever: refuse before the table grows
            raise ImportDataError(
                f"{table.name} would hold {len(held) + len(new)} extra columns ({len(held)} "
                f"stored, {len(new)} new, e.g. {', '.join(repr(x) for x in new[:3])}), more than "
                f"max_extra_columns = {max_extra_columns}; nothing was stored. Leave out the "
                "columns you do not report by, or raise `max_extra_columns` in [limits] of "
                "deskmetrics.toml"
            )
        for x in extra:
            if x not in stored:
                con.execute(f"ALTER TABLE {q(table.name)} ADD COLUMN {q(x)} VARCHAR")
    key = table.key or ROW_HASH
    cols = list(table.column_names) + extra + ([ROW_HASH] if table.key is None else [])
    collist = ", ".join(q(c) for c in cols)
    files = ", ".join("'" + str(f).replace("'", "''") + "'" for f in staged.files)
    # chunks may carry different extra columns: by name, the missing ones are nulls
    rows = f"SELECT * FROM read_parquet([{files}], union_by_name = true)"
    if table.key is None:
        # a row without an id is its content and its occurrence in its file: the n-th identical
        # row of a file is a row of its own (two 100 EUR charges are two charges), and the same
        # file imported again names the same rows; the first keeps the bare content digest, as
        # older versions stored it, the n-th is '<digest>#n'
        rows = (
            f"SELECT * EXCLUDE (_occ) REPLACE (CASE WHEN _occ = 1 THEN {ROW_HASH} ELSE "
            f"{ROW_HASH} || '#' || CAST(_occ AS VARCHAR) END AS {ROW_HASH}) FROM (SELECT *, "
            f"row_number() OVER (PARTITION BY {ROW_HASH}, _file ORDER BY _ord) AS _occ FROM "
            f"({rows}))"
        )
    con.execute(f"CREATE OR REPLACE TEMP TABLE _stage AS {rows}")
    for f in staged.files:
        f.unlink(missing_ok=True)
    # the same id in two files of one run with different content: reject every version. Only
    # ids staged more than once are compared, by a digest of their content (one number rather
    # than every column: bodies of messages are long)
    dup = con.execute(
        f"SELECT {q(key)}, _file, _row FROM _stage WHERE {q(key)} IN (SELECT {q(key)} FROM "
        f"_stage WHERE {q(key)} IN (SELECT {q(key)} FROM _stage GROUP BY {q(key)} HAVING "
        f"count(*) > 1) GROUP BY {q(key)} HAVING count(DISTINCT hash({collist})) > 1)"
    ).fetchall()
    _reject_staged(
        con,
        table,
        key,
        dup,
        key,
        lambda f: f"{key} {f[0]!r} appears again with different content in this import",
        lambda f: str(f[0]),
        summary,
    )
    # identical copies in several files collapse to one (the first met)
    counts = con.execute(f"SELECT count(*), count(DISTINCT {q(key)}) FROM _stage").fetchone()
    if counts is not None and counts[0] != counts[1]:
        tc.duplicate += int(counts[0]) - int(counts[1])
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _stage AS SELECT * FROM _stage "
            f"QUALIFY row_number() OVER (PARTITION BY {q(key)} ORDER BY _file, _row) = 1"
        )
    for col, parent in table.references:
        pk = TABLES[parent].key
        missing = con.execute(
            f"SELECT {q(key)}, _file, _row, {q(col)}, '{col}', '{parent}' FROM _stage s WHERE "
            f"NOT EXISTS (SELECT 1 FROM {q(parent)} p WHERE p.{q(pk or '')} = s.{q(col)}) "
            "ORDER BY _file, _row"
        ).fetchall()
        _reject_staged(
            con,
            table,
            key,
            missing,
            col,
            lambda f: (
                f"{f[4]} {f[3]!r} names no row of {f[5]} (neither stored nor valid in this import)"
            ),
            lambda f: str(f[3]),
            summary,
        )
    if table.name == "events":
        _check_event_times(con, summary)
    elif table.name == "tickets":
        _check_ticket_creation(con, summary)
    distinct = " OR ".join(f"s.{q(c)} IS DISTINCT FROM t.{q(c)}" for c in cols if c != key)
    if table.name in FACT_SOURCES:
        # rows with no identical stored copy: new tickets and events, updated tickets
        # (keys are unique among stored rows: one stored row per staged key at most)
        con.execute(
            f"INSERT INTO {TOUCHED} SELECT DISTINCT ?, s.ticket_id FROM _stage s LEFT JOIN "
            f"{q(table.name)} t ON t.{q(key)} = s.{q(key)} WHERE t.{q(key)} IS NULL OR "
            f"{distinct or 'false'}",
            [summary.import_id],
        )
    changed: list[Any] = con.execute(
        f"SELECT s.{q(key)}, s._file, s._row FROM _stage s JOIN {q(table.name)} t "
        f"ON s.{q(key)} = t.{q(key)} WHERE {distinct or 'false'} ORDER BY s._file, s._row"
    ).fetchall()
    n_updated = n_refused = 0
    if changed and table.name in REPLACEABLE:
        # a later export updates current state: a ticket's attributes (assignee, priority,
        # tags …), a subscription that was canceled, a customer who churned, a changed rating.
        # Where rows say when they were last changed, an older version never replaces a newer
        # one (a re-sent old ticket would roll it back); a version without that instant cannot
        # show it is newer than a stored one with it
        newer = f"({distinct})"
        version = REPLACEABLE[table.name]
        if version is not None:
            v = q(version)
            newer += f" AND (t.{v} IS NULL OR s.{v} >= t.{v})"
            older = con.execute(
                f"SELECT s.{q(key)}, t.{v}, s.{v} FROM _stage s JOIN {q(table.name)} t ON "
                f"s.{q(key)} = t.{q(key)} WHERE ({distinct}) AND NOT (t.{v} IS NULL OR s.{v} >= "
                f"t.{v}) ORDER BY s._file, s._row"
            ).fetchall()
            if older:
                k, was, got = older[0]
                summary.notes.append(
                    f"{len(older)} {table.name} rows kept as stored: the stored version is "
                    f"newer ({version}), e.g. {key} {k!r}: stored {_instant(was)}, imported "
                    f"{_instant(got)}"
                )
        sets = ", ".join(f"{q(c)} = s.{q(c)}" for c in cols if c != key)
        done = con.execute(
            f"UPDATE {q(table.name)} t SET {sets} FROM _stage s WHERE s.{q(key)} = t.{q(key)} "
            f"AND {newer}"
        ).fetchone()
        n_updated = int(done[0]) if done else 0
    elif changed:
        n_refused = len(changed)
        for k, f, r in changed:
            summary.rejects.append(
                Reject(
                    table.name,
                    f,
                    int(r),
                    key,
                    f"{key} {k!r} is already stored with different content;"
                    f" {table.name} rows never change once stored (to correct one, delete it:"
                    f" `deskmetrics delete {table.name} --id {k}`, and import it again)",
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
        # arrival numbers follow the stored ones in the run's order; the order is taken on
        # narrow rows (a window over the wide rows would sort their bodies too)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _arrivals AS SELECT _ord, (SELECT coalesce(max("
            f"{ARRIVAL}), 0) FROM events) + row_number() OVER (ORDER BY _ord) AS {ARRIVAL} "
            f"{new_rows}"
        )
        inserted = con.execute(
            f"INSERT INTO events ({collist}, {ARRIVAL}, {IMPORT_ID}) SELECT {collist}, "
            f"a.{ARRIVAL}, ? FROM _stage s JOIN _arrivals a USING (_ord)",
            [summary.import_id],
        ).fetchone()
        con.execute("DROP TABLE _arrivals")
    else:
        inserted = con.execute(
            f"INSERT INTO {q(table.name)} ({collist}, {IMPORT_ID}) SELECT {collist}, ? {new_rows}",
            [summary.import_id],
        ).fetchone()
    n_ins = int(inserted[0]) if inserted else 0
    tc.inserted += n_ins
    tc.updated += n_updated
    tc.rejected += n_refused
    tc.unchanged += n_stage - n_ins - n_updated - n_refused
    con.execute("DROP TABLE _stage")


# --- deleting rows -----------------------------------------------------------------------


class DeleteError(DeskmetricsError):
    """A delete asks for something that cannot be done (both or neither of ids and import)."""


class NothingToDelete(DeleteError):
    """The table, the ids or the import named for deletion do not exist in the workspace."""


#: `delete ALL --import ID`: every table's rows the import stored
ALL_TABLES = "all"


@dataclass
class DeletePlan:
    """What a delete would remove: rows per table (the named rows, then the rows that name
    them), and the rows that name them but are kept."""

    table: str
    ids: list[str]
    import_id: str | None
    rows: dict[str, int]
    kept: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.rows.values())

    def describe(self) -> str:
        what = (
            f"{len(self.ids)} {self.table} ids"
            if self.ids
            else f"the {'' if self.table == ALL_TABLES else self.table + ' '}rows import "
            f"{self.import_id} stored"
        )
        return what


def _dependents(parent: str) -> list[tuple[str, str]]:
    """(table, column) of the rows that must go with a deleted row of `parent`."""
    return [(t.name, col) for t in TABLES.values() for col, p in t.references if p == parent]


#: rows that name a ticket without depending on it: kept when the ticket is deleted (a survey
#: answer may come from another tool, and a ticket deleted to be corrected comes back)
_KEPT_WITH_TICKET = ("surveys", "survey_requests")


def _select_doomed(
    con: duckdb.DuckDBPyConnection, table: str, ids: Sequence[str], import_id: str | None
) -> DeletePlan:
    """Gather the keys to delete per table in temporary tables `_doomed_<table>`; the plan."""
    ensure_schema(con)
    if bool(ids) == (import_id is not None):
        raise DeleteError(
            "name the rows to delete either by their ids or by the import that stored them"
        )
    names = list(TABLES)
    if table == ALL_TABLES and import_id is None:
        raise DeleteError(f"'{ALL_TABLES}' goes with an import only; name a table to delete by id")
    if table != ALL_TABLES and table not in TABLES:
        raise NothingToDelete(f"unknown table {table!r}; tables: {', '.join(names)}")
    chosen = names if table == ALL_TABLES else [table]
    for name in names:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _doomed_{name} (k VARCHAR)")
    if ids:
        key = TABLES[table].key or ROW_HASH
        wanted = list(dict.fromkeys(str(i) for i in ids))
        con.register("_wanted", pd.DataFrame({"k": pd.Series(wanted, dtype=object)}))
        con.execute(
            f"INSERT INTO _doomed_{table} SELECT DISTINCT {q(key)} FROM {q(table)} "
            f"WHERE {q(key)} IN (SELECT k FROM _wanted)"
        )
        con.unregister("_wanted")
        found = {r[0] for r in con.execute(f"SELECT k FROM _doomed_{table}").fetchall()}
        unknown = [i for i in wanted if i not in found]
        if unknown:
            shown = ", ".join(repr(u) for u in unknown[:10])
            more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
            raise NothingToDelete(
                f"no {table} row with {key} {shown}{more}; nothing was deleted (check the ids: "
                f"`deskmetrics rejects` and the exports name them)"
            )
    else:
        logged = con.execute(
            "SELECT summary FROM _imports WHERE import_id = ? AND committed", [import_id]
        ).fetchone()
        if logged is None:
            raise NothingToDelete(
                f"no stored import {import_id!r} in the import log (an import id looks like "
                "20260302T081500123456; imports print theirs, table _imports lists them all)"
            )
        for name in chosen:
            key = TABLES[name].key or ROW_HASH
            con.execute(
                f"INSERT INTO _doomed_{name} SELECT {q(key)} FROM {q(name)} WHERE {IMPORT_ID} = ?",
                [import_id],
            )
    # the rows that depend on the doomed ones go with them (parents come first in TABLES)
    for name in names:
        for child, col in _dependents(name):
            key = TABLES[child].key or ROW_HASH
            con.execute(
                f"INSERT INTO _doomed_{child} SELECT {q(key)} FROM {q(child)} WHERE {q(col)} IN "
                f"(SELECT k FROM _doomed_{name}) AND {q(key)} NOT IN (SELECT k FROM "
                f"_doomed_{child})"
            )
    rows = {n: _count(con, f"SELECT count(*) FROM _doomed_{n}") for n in names}
    kept = {
        n: _count(
            con,
            f"SELECT count(*) FROM {q(n)} WHERE ticket_id IN (SELECT k FROM _doomed_tickets) "
            f"AND {q(TABLES[n].key or ROW_HASH)} NOT IN (SELECT k FROM _doomed_{n})",
        )
        for n in _KEPT_WITH_TICKET
    }
    plan = DeletePlan(
        table=table,
        ids=list(ids),
        import_id=import_id,
        rows={n: c for n, c in rows.items() if c},
        kept={n: c for n, c in kept.items() if c},
    )
    if import_id is not None and not plan.rows:
        assert logged is not None
        stored = json.loads(logged[0]).get("tables", {})
        inserted = sum(int(stored.get(n, {}).get("inserted", 0)) for n in chosen)
        where = "" if table == ALL_TABLES else f"{table} "
        if inserted:
            raise NothingToDelete(
                f"import {import_id} stored {inserted} {where}rows with a version that did not "
                f"record which import stored each row (or they were deleted since): delete "
                "them by id"
            )
        raise NothingToDelete(f"import {import_id} stored no {where}rows that are still there")
    return plan


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0


def _drop_doomed(con: duckdb.DuckDBPyConnection) -> None:
    for name in TABLES:
        con.execute(f"DROP TABLE IF EXISTS _doomed_{name}")


def plan_delete(
    con: duckdb.DuckDBPyConnection,
    table: str,
    ids: Sequence[str] = (),
    import_id: str | None = None,
) -> DeletePlan:
    """What `delete` would remove, without removing anything (the preview a user confirms)."""
    try:
        return _select_doomed(con, table, ids, import_id)
    finally:
        _drop_doomed(con)


def delete(
    con: duckdb.DuckDBPyConnection,
    table: str,
    ids: Sequence[str] = (),
    import_id: str | None = None,
    by: str | None = None,
) -> ImportSummary:
    """Delete rows of canonical `table` by key (`ids`; keyless costs by their `_row_hash`) or
    every row of it import `import_id` stored (`table` 'all': of every table), with the events
    of deleted tickets; in one transaction, logged in the import log (`delete:<table>`, counts
    `deleted` per table, `by`). Tickets touched are derived again in kept facts. Not a
    tombstone: importing the rows again brings them back. Raises `DeleteError` or
    `NothingToDelete` (nothing deleted)."""
    ensure_schema(con)
    now = utc_now()
    summary = ImportSummary(import_id=now.strftime("%Y%m%dT%H%M%S%f"), source=f"delete:{table}")
    summary.by = by
    try:
        con.execute("BEGIN TRANSACTION")
        plan = _select_doomed(con, table, ids, import_id)
        con.execute(
            f"INSERT INTO {TOUCHED} SELECT DISTINCT ?, k FROM _doomed_tickets UNION SELECT "
            "DISTINCT ?, ticket_id FROM events WHERE event_id IN (SELECT k FROM _doomed_events)",
            [summary.import_id, summary.import_id],
        )
        for name in reversed(list(TABLES)):  # rows that name others first
            if name not in plan.rows:
                continue
            key = TABLES[name].key or ROW_HASH
            con.execute(f"DELETE FROM {q(name)} WHERE {q(key)} IN (SELECT k FROM _doomed_{name})")
            summary.tables[name] = TableCounts(deleted=plan.rows[name])
        if ids:
            shown = ", ".join(plan.ids[:20]) + (" …" if len(plan.ids) > 20 else "")
            summary.notes.append(f"deleted {table} by id: {shown}")
        else:
            summary.notes.append(f"deleted {plan.describe()}")
        summary.notes.extend(
            f"{n} {name} naming deleted tickets are kept" for name, n in plan.kept.items()
        )
        _record(con, summary, now)
        _drop_doomed(con)
        con.execute("COMMIT")
    except duckdb.Error as exc:
        con.execute("ROLLBACK")
        raise BackendError(
            f"delete failed and was rolled back, nothing was deleted: {exc}"
        ) from exc
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return summary
