"""Writing to a workspace on another engine (PostgreSQL, Spark, …) through a DuckDB working copy.

An import into a warehouse must validate, reject, update and deduplicate exactly as an import
into the DuckDB file does, and keep the per-ticket facts and the text job's tables current. Rather
than a second store written in each engine's SQL, the write runs on a working copy: deskmetrics'
tables of the engine are copied into a DuckDB file in a temporary directory, the write runs there
with the store, the kept facts and the text job as they are, and what changed goes back:

* where the engine has transactions (PostgreSQL), in one transaction: per changed table, the
  rows of every changed key are deleted and inserted again (a table new or of another shape is
  made under a new name and swapped in), so readers see the import all at once or not at all;
* elsewhere (Spark), by staging and swapping: each changed table is written whole under a new
  name, and only when every one is written are they swapped in (a failure before the swap
  leaves the engine as it was; the swap itself is one rename per table).

The copy costs a read of the stored tables per write: an import into a large warehouse pays
the transfer of its data both ways on the changed tables only, but the read of all of them."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deskmetrics.engine.connect import _kinds
from deskmetrics.engine.store import IMPORT_ID, ROW_HASH, ensure_schema, q
from deskmetrics.engine.text_columns import TEXT_TABLES
from deskmetrics.engine.workspace import Workspace, open_duckdb
from deskmetrics.errors import BackendError
from deskmetrics.model import TABLES

#: the name a table's pulled rows are kept under in the working copy (to find what changed)
PULLED = "_pulled_"
#: the name a table is staged under in the engine before it is swapped in
INCOMING = "__incoming"
#: columns that group a table's rows, tried in this order, when it has no key of its own: the
#: rows of every changed group are deleted and inserted again (kept facts: per ticket)
GROUPS = ("_tk", "ticket_id", "event_id", "import_id", "topic_id")
#: engines whose changes go back in one transaction
TRANSACTIONAL = {"postgres"}
#: DuckDB type → PostgreSQL type (anything else is kept as text)
PG_TYPES = {
    "VARCHAR": "text",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "DATE": "date",
    "DOUBLE": "double precision",
    "FLOAT": "real",
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "SMALLINT": "smallint",
    "TINYINT": "smallint",
    "BOOLEAN": "boolean",
    "HUGEINT": "numeric",
    "UBIGINT": "numeric",
    "FLOAT[]": "real[]",
    "DOUBLE[]": "double precision[]",
    "VARCHAR[]": "text[]",
}


def is_ours(name: str) -> bool:
    """Whether deskmetrics writes table `name`: a canonical table, the text job's tables, or
    its own bookkeeping (import log, rejects, kept facts: names starting with `_`)."""
    return name in TABLES or name in TEXT_TABLES or name.startswith("_")


@dataclass
class Change:
    """What goes back to the engine of one table: the whole table, or the rows of the changed
    groups (`key` in `_changed_keys` of the working copy)."""

    name: str
    whole: bool
    key: str | None = None
    groups: int = 0


@contextmanager
def working_copy(ws: Workspace) -> Iterator[Workspace]:
    """A DuckDB workspace holding a copy of `ws`'s tables; what it holds at the end of the
    block goes back to `ws`'s engine (see the module docstring). An error inside the block
    sends nothing back."""
    engine = ws.backend
    folder = Path(tempfile.mkdtemp(prefix="deskmetrics-copy-"))
    try:
        local = open_duckdb(folder / "copy.duckdb", ws.settings)
        con = local.backend.con
        try:
            pulled = _pull(engine, con)
        except BackendError:
            raise
        except Exception as exc:
            raise BackendError(
                f"cannot copy the stored tables from {_where(engine)}, nothing was stored: {exc}"
            ) from exc
        yield local
        # the facts kept in the engine are brought up to date here, where DuckDB makes them
        from deskmetrics.engine.kept import refresh

        refresh(local)
        changes = _changes(con, pulled)
        if changes:
            if getattr(engine, "name", "") in TRANSACTIONAL:
                _send_in_transaction(engine, con, changes)
            else:
                _send_by_swapping(engine, con, changes)
        local.backend.disconnect()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _pull(engine: Any, con: Any) -> set[str]:
    """Copy deskmetrics' tables of the engine into the working copy, each also under
    `_pulled_<name>` as it came; the names copied."""
    ensure_schema(con)
    kinds = {} if engine.name == "pyspark" else _kinds(engine, None)  # (Spark: no views made)
    views = sorted(n for n in TABLES if kinds.get(n) == "VIEW")
    if views:
        raise BackendError(
            f"{', '.join(views)} {'are views' if len(views) > 1 else 'is a view'} over a "
            f"connector's synced tables in {_where(engine)} (deskmetrics connect): its rows come "
            "from the connector, not from imports. Import into another database or schema."
        )
    names = [n for n in engine.list_tables() if is_ours(n) and not n.endswith(INCOMING)]
    for name in names:
        reader = engine.to_pyarrow_batches(engine.table(name))
        con.register("_arriving", reader)
        local = {c for c, _ in _columns(con, name)}
        if local:
            # a store table: its own column types; extra columns of the source as text
            arriving = [r[0] for r in con.execute("DESCRIBE _arriving").fetchall()]
            for c in arriving:
                if c not in local:
                    con.execute(f"ALTER TABLE {q(name)} ADD COLUMN {q(c)} VARCHAR")
            con.execute(f"INSERT INTO {q(name)} BY NAME SELECT * FROM _arriving")
        else:
            con.execute(f"CREATE TABLE {q(name)} AS SELECT * FROM _arriving")
        con.unregister("_arriving")
        con.execute(f"CREATE TABLE {q(PULLED + name)} AS SELECT * FROM {q(name)}")
    return set(names)


def _columns(con: Any, name: str) -> list[tuple[str, str]]:
    """(column, DuckDB type) of a table of the working copy, in order; empty when none."""
    return [
        (str(r[0]), str(r[1]))
        for r in con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
            "AND table_schema = 'main' ORDER BY ordinal_position",
            [name],
        ).fetchall()
    ]


def _key(name: str, columns: list[str]) -> str | None:
    """The column whose value groups the rows of `name` (a row's id, else a ticket's …)."""
    if name in TABLES:
        return TABLES[name].key or ROW_HASH
    return next((c for c in GROUPS if c in columns), None)


def _changes(con: Any, pulled: set[str]) -> list[Change]:
    """What differs between the working copy and what was pulled, table by table."""
    tables = [
        str(r[0])
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT temporary AND "
            "database_name = current_database() ORDER BY table_name"
        ).fetchall()
    ]
    out = []
    for name in tables:
        if not is_ours(name) or name.startswith(PULLED):
            continue
        cols = _columns(con, name)
        if name not in pulled or cols != _columns(con, PULLED + name):
            out.append(Change(name, whole=True))
            continue
        t, p = q(name), q(PULLED + name)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _added AS SELECT * FROM {t} EXCEPT ALL SELECT * FROM {p}"
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _gone AS SELECT * FROM {p} EXCEPT ALL SELECT * FROM {t}"
        )
        added = int(con.execute("SELECT count(*) FROM _added").fetchone()[0])
        gone = int(con.execute("SELECT count(*) FROM _gone").fetchone()[0])
        if not added and not gone:
            continue
        key = _key(name, [c for c, _ in cols])
        if not gone:  # rows only added (imports, rejects, new facts): they are the change
            con.execute(f"CREATE OR REPLACE TABLE {q('_send_' + name)} AS SELECT * FROM _added")
            out.append(Change(name, whole=False, key=None, groups=added))
        elif key is None:
            out.append(Change(name, whole=True))
        else:
            k = q(key)
            con.execute(
                f"CREATE OR REPLACE TABLE {q('_keys_' + name)} AS SELECT DISTINCT {k} FROM "
                f"(SELECT {k} FROM _added UNION ALL SELECT {k} FROM _gone)"
            )
            con.execute(
                f"CREATE OR REPLACE TABLE {q('_send_' + name)} AS SELECT * FROM {t} "
                f"WHERE {k} IN (SELECT {k} FROM {q('_keys_' + name)})"
            )
            n = int(con.execute(f"SELECT count(*) FROM {q('_keys_' + name)}").fetchone()[0])
            out.append(Change(name, whole=False, key=key, groups=n))
    con.execute("DROP TABLE IF EXISTS _added")
    con.execute("DROP TABLE IF EXISTS _gone")
    return out


def _pg_type(duck: str) -> str:
    if duck.startswith("DECIMAL"):
        return duck.replace("DECIMAL", "numeric")
    return PG_TYPES.get(duck, "text")


def _csv_select(con: Any, source: str, cols: list[tuple[str, str]]) -> str:
    """The rows of `source` as PostgreSQL's CSV reads them (arrays as `{a,b}`; a NUL character,
    which PostgreSQL's text cannot hold, as U+FFFD)."""
    out = []
    for c, typ in cols:
        if typ == "VARCHAR":
            out.append(f"replace({q(c)}, chr(0), chr(65533)) AS {q(c)}")
        elif typ.endswith("[]"):
            out.append(
                f"CASE WHEN {q(c)} IS NULL THEN NULL ELSE '{{' || "
                f"array_to_string({q(c)}, ',') || '}}' END AS {q(c)}"
            )
        else:
            out.append(q(c))
    return f"SELECT {', '.join(out)} FROM {q(source)}"


def _copy_rows(con: Any, cur: Any, source: str, target: str, folder: Path) -> None:
    """Send the rows of working-copy table `source` into engine table `target` (COPY)."""
    cols = _columns(con, source)
    path = folder / "rows.csv"
    # NULL unquoted and empty, an empty text quoted: the two stay apart in PostgreSQL's CSV
    con.execute(
        f"COPY ({_csv_select(con, source, cols)}) TO '{path}' "
        "(FORMAT csv, HEADER false, NULL '', FORCE_QUOTE *)"
    )
    names = ", ".join(q(c) for c, _ in cols)
    with (
        cur.copy(f"COPY {q(target)} ({names}) FROM STDIN (FORMAT csv)") as copy,
        open(path, "rb") as f,
    ):
        while chunk := f.read(1 << 20):
            copy.write(chunk)
    path.unlink()


def _send_in_transaction(engine: Any, con: Any, changes: list[Change]) -> None:
    """The changes into a PostgreSQL database in one transaction."""
    pg = engine.con
    folder = Path(tempfile.mkdtemp(prefix="deskmetrics-send-"))
    try:
        with pg.transaction(), pg.cursor() as cur:
            for ch in changes:
                if ch.whole:
                    cols = _columns(con, ch.name)
                    defs = ", ".join(f"{q(c)} {_pg_type(t)}" for c, t in cols)
                    staged = ch.name + INCOMING
                    cur.execute(f"DROP TABLE IF EXISTS {q(staged)}")
                    cur.execute(f"CREATE TABLE {q(staged)} ({defs})")
                    _copy_rows(con, cur, ch.name, staged, folder)
                    cur.execute(f"DROP TABLE IF EXISTS {q(ch.name)}")
                    cur.execute(f"ALTER TABLE {q(staged)} RENAME TO {q(ch.name)}")
                    continue
                if ch.key is not None:
                    k = q(ch.key)
                    keys = "_keys_" + ch.name
                    typ = dict(_columns(con, keys))[ch.key]
                    cur.execute(f"CREATE TEMP TABLE {q(keys)} ({k} {_pg_type(typ)}) ON COMMIT DROP")
                    _copy_rows(con, cur, keys, keys, folder)
                    cur.execute(
                        f"DELETE FROM {q(ch.name)} WHERE {k} IN (SELECT {k} FROM {q(keys)})"
                    )
                _copy_rows(con, cur, "_send_" + ch.name, ch.name, folder)
            # fresh statistics for the planner: without them PostgreSQL may choose plans that
            # make a request of the new rows take minutes instead of seconds
            for ch in changes:
                cur.execute(f"ANALYZE {q(ch.name)}")
    except Exception as exc:
        raise BackendError(
            f"sending the import to {_where(engine)} failed and was rolled back there, nothing "
            f"was stored: {exc}"
        ) from exc
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _send_by_swapping(engine: Any, con: Any, changes: list[Change]) -> None:
    """The changed tables, whole, into an engine without transactions: each staged under a
    new name, then swapped in once all are written."""
    names = [ch.name for ch in changes]
    try:
        for name in names:
            data = con.execute(f"SELECT * FROM {q(name)}").fetch_arrow_table()
            _write_table(engine, name + INCOMING, data)
    except Exception as exc:
        for name in names:
            _drop(engine, name + INCOMING)
        raise BackendError(
            f"sending the import to {_where(engine)} failed before any table was replaced, "
            f"nothing was stored: {exc}"
        ) from exc
    swapped: list[str] = []
    try:
        for name in names:
            _drop(engine, name)
            engine.rename_table(name + INCOMING, name)
            swapped.append(name)
    except Exception as exc:
        raise BackendError(
            f"replacing the tables in {_where(engine)} failed after {', '.join(swapped) or 'none'}"
            f" of {', '.join(names)} were replaced: import the same data again to complete it "
            f"(an import is idempotent): {exc}"
        ) from exc


def _write_table(engine: Any, name: str, data: Any) -> None:
    """Table `name` of the engine made from an Arrow table, replacing one of that name. On
    Spark straight from Arrow: through pandas a missing number would arrive as NaN, which Spark
    does not read as missing."""
    session = getattr(engine, "_session", None)
    if engine.name == "pyspark" and session is not None:
        if data.num_rows:
            frame = session.createDataFrame(data)
        else:  # (Spark makes no frame of an empty Arrow table)
            from pyspark.sql.pandas.types import from_arrow_schema

            frame = session.createDataFrame([], from_arrow_schema(data.schema))
        frame.write.mode("overwrite").saveAsTable(name)
    else:
        engine.create_table(name, data, overwrite=True)


def _drop(engine: Any, name: str) -> None:
    if name in engine.list_tables():
        engine.drop_table(name)


def _where(engine: Any) -> str:
    return str(getattr(engine, "name", "the engine"))


__all__ = ["IMPORT_ID", "is_ours", "working_copy"]
