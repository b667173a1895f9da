"""A workspace: an Ibis backend holding the canonical tables, plus the settings that measure it.

DuckDB (a file) is the default; any Ibis backend whose tables follow the canonical model works
unchanged (Spark, Postgres, BigQuery, …)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from deskmetrics.calendar import BusinessCalendar, build_business_calendar
from deskmetrics.config import Settings
from deskmetrics.engine.store import SQL_TYPES, ensure_schema
from deskmetrics.errors import BackendError
from deskmetrics.model import TABLES, Kind

IBIS_TYPES = {
    Kind.TEXT: dt.string,
    Kind.TIMESTAMP: dt.timestamp,
    Kind.DATE: dt.date,
    Kind.NUMBER: dt.float64,
    Kind.BOOLEAN: dt.boolean,
}
DEFAULT_DB = Path("deskmetrics.duckdb")


def canonical_schema(name: str) -> ibis.Schema:
    return ibis.schema({c.name: IBIS_TYPES[c.kind] for c in TABLES[name].columns})


@dataclass
class Workspace:
    """The tables metrics read, and the settings (schedules, windows) that measure them."""

    backend: Any
    settings: Settings = field(default_factory=Settings)
    #: keep derived fact tables between requests (a writable DuckDB workspace; temporary
    #: tables of its session): rebuilt as soon as the data or the settings they come from change
    keep_facts: bool = False
    #: below this many events, deriving the facts inside each query is as fast as keeping them
    keep_facts_min_events: int = 20_000
    #: stale kept facts are rebuilt only once no data has arrived for this long; meanwhile
    #: requests derive facts inside the query (live ingestion would otherwise rebuild them all
    #: before every request)
    facts_settle_seconds: float = 60.0
    #: kept fact table → the facts_version it was made for
    kept_versions: dict[str, str] = field(default_factory=dict)
    _calendar: BusinessCalendar | None = None
    _calendar_settings: str = ""

    def has(self, name: str) -> bool:
        try:
            return name in self.backend.list_tables()
        except Exception as exc:  # a backend error here means the workspace is unusable
            raise BackendError(f"cannot list tables of the workspace: {exc}") from exc

    def table(self, name: str) -> ir.Table:
        """A canonical table; an empty one of the canonical shape when the workspace has none."""
        if self.has(name):
            return self.backend.table(name)
        return ibis.memtable(
            {c: [] for c in canonical_schema(name).names}, schema=canonical_schema(name)
        )

    def data_range(self, until_now: bool = True) -> tuple[datetime, datetime]:
        """Earliest and latest instant any ticket or event carries (UTC, naive); with
        `until_now`, the latest is at least the current time."""
        lo: list[datetime] = []
        hi: list[datetime] = []
        # the support activity: tickets, their events, and the surveys about them (customers and
        # subscriptions may reach years back; they do not stretch a report's periods)
        for name, col in (
            ("tickets", "created_at"),
            ("events", "at"),
            ("surveys", "answered_at"),
            ("survey_requests", "sent_at"),
        ):
            if self.has(name):
                t = self.backend.table(name)
                row = self.backend.execute(t.aggregate(lo=t[col].min(), hi=t[col].max()))
                if len(row) and row["lo"].iloc[0] is not None and str(row["lo"].iloc[0]) != "NaT":
                    lo.append(row["lo"].iloc[0].to_pydatetime().replace(tzinfo=None))
                    hi.append(row["hi"].iloc[0].to_pydatetime().replace(tzinfo=None))
        now = datetime.now(UTC).replace(tzinfo=None)
        if not lo:
            return now - timedelta(days=1), now
        return min(lo), max([*hi, now]) if until_now else max(hi)

    def calendar(self, lo: datetime | None = None, hi: datetime | None = None) -> BusinessCalendar:
        """The business-day table covering [lo, hi] (default: all data), built from the
        settings at query time. Kept between requests, and rebuilt as soon as data arrives
        outside it: instants outside the calendar would miss its join."""
        if lo is None or hi is None:
            lo, hi = self.data_range()
        cal = self._calendar
        day = 86400
        # settings may be replaced on a live workspace: a calendar of other schedules is stale
        made_for = self.settings.model_dump_json()
        covered = (
            cal is not None
            and self._calendar_settings == made_for
            and cal.first_day * day <= lo.replace(tzinfo=UTC).timestamp()
            and (cal.last_day + 1) * day > hi.replace(tzinfo=UTC).timestamp()
        )
        if not covered:
            cal = build_business_calendar(self.settings, lo, hi + timedelta(days=400))
            self._calendar = cal
            self._calendar_settings = made_for
        assert cal is not None
        return cal

    def facts_version(self) -> str:
        """A token that changes whenever anything the facts are derived from changes: the data
        (every import and live ingest is logged in `_imports`; row counts also catch writes
        that bypass the store) and the settings (schedules, holidays, windows)."""
        con = self.backend.con
        parts = [self.settings.model_dump_json()]
        for sql in (
            "SELECT count(*), max(import_id) FROM _imports",
            "SELECT count(*) FROM tickets",
            "SELECT count(*) FROM events",
        ):
            parts.append(repr(con.execute(sql).fetchone()))
        return hashlib.sha256("|".join(parts).encode()).hexdigest()

    @property
    def keeps_facts(self) -> bool:
        """Whether fact tables are kept between requests: a writable DuckDB workspace large
        enough for re-deriving them per request to cost more than keeping them."""
        if not self.keep_facts or getattr(self.backend, "name", "") != "duckdb":
            return False
        if self.keep_facts_min_events <= 0:
            return True
        row = self.backend.con.execute(
            "SELECT count(*) FROM (SELECT 1 FROM events LIMIT ?)", [self.keep_facts_min_events]
        ).fetchone()
        return bool(row) and int(row[0]) >= self.keep_facts_min_events

    def _data_settled(self) -> bool:
        """No import or live ingest in the last `facts_settle_seconds`."""
        if self.facts_settle_seconds <= 0:
            return True
        row = self.backend.con.execute("SELECT max(imported_at) FROM _imports").fetchone()
        if row is None or row[0] is None:
            return True
        quiet = datetime.now(UTC).replace(tzinfo=None) - row[0]
        return quiet.total_seconds() >= self.facts_settle_seconds

    def kept_facts(self, name: str, expr: ir.Table, version: str) -> ir.Table | None:
        """The fact table `name` kept by this workspace when it was made for `version` (see
        facts_version); a stale or missing one is rebuilt from `expr` once the data has
        settled. None: stale while data is still arriving (derive it in the query instead).

        Kept as temporary tables of the workspace's connection (in memory, spilled to disk
        under the memory limit): writing them into the file cost more than deriving them
        (10M tickets), and they can never outlive the code that made them."""
        table = f"_facts_{name}"
        if self.kept_versions.get(name) != version:
            if not self._data_settled():
                return None
            self.backend.create_table(table, expr, overwrite=True, temp=True)
            self.kept_versions[name] = version
        return self.backend.table(table)


def open_duckdb(
    path: Path | str | None = None, settings: Settings | None = None, read_only: bool = False
) -> Workspace:
    """The default workspace: a DuckDB file (created with the canonical tables if new)."""
    p = Path(path) if path is not None else DEFAULT_DB
    try:
        backend = ibis.duckdb.connect(str(p), read_only=read_only)
        backend.raw_sql("SET TimeZone = 'UTC'")
    except Exception as exc:
        raise BackendError(
            f"cannot open the DuckDB workspace {p}: {exc}. Is another deskmetrics process "
            "writing to it? Use --db PATH for another file."
        ) from exc
    if not read_only:
        ensure_schema(backend.con)
        _drop_facts_kept_in_file(backend.con)
    return Workspace(backend=backend, settings=settings or Settings(), keep_facts=not read_only)


def _drop_facts_kept_in_file(con: Any) -> None:
    """Earlier versions kept fact tables in the file; they are stale by construction."""
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' "
        "AND database_name = current_database() "
        "AND (table_name LIKE '\\_facts\\_%' ESCAPE '\\')"
    ).fetchall()
    for (name,) in rows:
        con.execute(f'DROP TABLE "{name}"')


def duckdb_connection(ws: Workspace) -> Any:
    """The raw DuckDB connection of a DuckDB workspace (for the store)."""
    con = getattr(ws.backend, "con", None)
    if con is None or ws.backend.name != "duckdb":
        raise BackendError("imports write to the embedded DuckDB workspace only")
    return con


__all__ = ["DEFAULT_DB", "SQL_TYPES", "Workspace", "canonical_schema", "open_duckdb"]
