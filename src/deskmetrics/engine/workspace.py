"""A workspace: an Ibis backend holding the canonical tables, plus the settings that measure it.

DuckDB (a file) is the default; any Ibis backend whose tables follow the canonical model works
unchanged (Spark, Postgres, BigQuery, …)."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from copy import deepcopy
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from time import monotonic
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit, urlunsplit

import duckdb
import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from deskmetrics.calendar import BusinessCalendar, build_business_calendar, first_calendar_day
from deskmetrics.config import Settings
from deskmetrics.engine.periods import naive_utc, utc_now
from deskmetrics.engine.portable import as_int
from deskmetrics.engine.store import IMPORT_ID, SQL_TYPES, ensure_schema
from deskmetrics.errors import BackendError, QueryError
from deskmetrics.model import DEFAULT_CHANNELS, TABLES, Column, Kind, plausible_span

log = logging.getLogger(__name__)

IBIS_TYPES = {
    Kind.TEXT: dt.string,
    Kind.TIMESTAMP: dt.timestamp,
    Kind.DATE: dt.date,
    Kind.NUMBER: dt.float64,
    Kind.BOOLEAN: dt.boolean,
}
DEFAULT_DB = Path("deskmetrics.duckdb")


#: the instant each canonical table's rows are recorded at (`Workspace.as_of` leaves out later
#: ones); costs are placed by the first day of their period
AS_OF_COLUMNS = {
    "tickets": "created_at",
    "events": "at",
    "surveys": "answered_at",
    "survey_requests": "sent_at",
    "customers": "created_at",
    "subscriptions": "started_at",
    "costs": "period_start",
    "social_posts": "posted_at",
    "mentions": "at",
}
#: how far ahead of this machine's clock an as-of moment may be (another machine's clock)
CLOCK_SKEW = timedelta(minutes=5)
#: tables whose time column may be empty (such rows are kept: their time is unknown)
NULL_KNOWN = {"customers", "subscriptions"}
#: instants of what happens to a row later: unknown (null) while after `as_of`
LATER_UNKNOWN = {"customers": ("churned_at",), "subscriptions": ("ended_at",)}


#: ids named per table in a note about implausible stored rows
IMPLAUSIBLE_IDS = 5


@dataclass(frozen=True)
class Implausible:
    """Stored rows of `table` whose `column` lies outside the plausible span of `[limits]`:
    left out of every query (`left_out`) or read with that instant unknown."""

    table: str
    column: str
    left_out: bool
    count: int
    ids: list[str]

    def __str__(self) -> str:
        what = f"{self.count} {self.table} row{'s' if self.count != 1 else ''}"
        how = "left out of every number" if self.left_out else f"read with {self.column} unknown"
        named = f" ({', '.join(self.ids)}{' …' if self.count > len(self.ids) else ''})"
        delete = (
            f"; delete {'them' if self.count != 1 else 'it'} with `deskmetrics delete "
            f"{self.table} --id ID`"
            if self.ids
            else ""
        )
        return (
            f"{what}{named if self.ids else ''} with {self.column} outside the plausible range "
            f"([limits] of deskmetrics.toml): {how}{delete}, or fix and import again"
        )


def canonical_schema(name: str) -> ibis.Schema:
    return ibis.schema({c.name: IBIS_TYPES[c.kind] for c in TABLES[name].columns})


T = TypeVar("T")

#: the tables listed and read within `Workspace.steady_catalog` (per thread; None outside)
_CATALOG: ContextVar[dict[Hashable, Any] | None] = ContextVar("deskmetrics_catalog", default=None)


#: how much older than `[web] results_may_lag_seconds` a result may still be answered while it
#: is made again in the background (seconds); older, the request makes it itself
STALE_GRACE = 60.0


class ResultCache:
    """The last `size` results by key with when they were made (monotonic seconds), for
    `Workspace.results` (the least recently used go first). Safe to share between threads —
    the pooled workspaces of a service on another engine share one — and single-flight: while
    one request makes a result, others asking for the same key wait for it instead of making
    it again (fifty people opening the same page cost one computation)."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._items: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._making: dict[str, threading.Event] = {}

    def __len__(self) -> int:
        return len(self._items)

    def fetch(self, key: str, fresh: Callable[[float], bool], make: Callable[[], T]) -> T:
        """A copy of the result kept under `key` if `fresh(made_at)`, else `make()` (kept)."""
        while True:
            with self._lock:
                hit = self._items.get(key)
                if hit is not None and fresh(hit[0]):
                    self._items.move_to_end(key)
                    return cast(T, deepcopy(hit[1]))
                other = self._making.get(key)
                if other is None:
                    mine = self._making[key] = threading.Event()
                    break
            other.wait()  # made by another request: read it (or make it, if that one failed)
        try:
            value = make()
            self.keep(key, value)
            return value
        finally:
            with self._lock:
                self._making.pop(key, None)
            mine.set()

    def keep(self, key: str, value: Any) -> None:
        """Keep a copy of `value` under `key`, made now."""
        kept = deepcopy(value)
        with self._lock:
            self._items[key] = (monotonic(), kept)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def lagging(self, key: str, lag: float, make: Callable[[], T]) -> tuple[T, float | None]:
        """`fetch` for results allowed to lag the data: a copy of the result kept under `key`
        if made less than `lag` seconds ago, whatever arrived since. An older one (up to
        `lag` + `STALE_GRACE` seconds) is still answered while it is made again in the
        background, one request at a time: no reader waits for it. With the age in seconds
        of a result made before (None: made for this request)."""
        with self._lock:  # (copies are made outside the lock: a kept result never changes)
            hit = self._items.get(key)
            again = answer = False
            if hit is not None:
                age = monotonic() - hit[0]
                if age < lag or key in self._making:
                    self._items.move_to_end(key)
                    answer = True
                elif age < lag + STALE_GRACE:
                    self._making[key] = threading.Event()
                    again = answer = True
        if again:
            threading.Thread(
                target=self._make_again, args=(key, make), name="deskmetrics-remake", daemon=True
            ).start()
        if hit is not None and answer:
            return cast(T, deepcopy(hit[1])), age
        made: list[bool] = []

        def mine() -> T:
            made.append(True)
            return make()

        value = self.fetch(key, lambda at: monotonic() - at < lag, mine)
        if made:
            return value, None
        with self._lock:  # made by another request meanwhile
            hit = self._items.get(key)
        return value, (monotonic() - hit[0]) if hit is not None else None

    def _make_again(self, key: str, make: Callable[[], Any]) -> None:
        try:
            self.keep(key, make())
        except Exception:  # the old result stays answered; a later request tries again
            log.exception("making a result again in the background failed")
        finally:
            with self._lock:
                done = self._making.pop(key, None)
            if done is not None:
                done.set()


@dataclass
class Workspace:
    """The tables metrics read, and the settings (schedules, windows) that measure them."""

    backend: Any
    settings: Settings = field(default_factory=Settings)
    #: keep the per-ticket fact tables in the workspace and maintain them as data arrives
    #: (engine/kept.py; on another engine, made by its imports: engine/remote.py)
    keep_facts: bool = False
    #: opened read-only: kept facts are read when current, never made
    read_only: bool = False
    #: below this many events the facts are derived inside each query instead of kept (an
    #: in-memory workspace; a file keeps them whatever its size, see `open_duckdb`)
    keep_facts_min_events: int = 20_000
    #: the moment the workspace is seen at (naive UTC): data recorded later does not exist yet
    #: and running clocks stop here; None: the current time, with everything stored
    as_of: datetime | None = None
    #: results a long-lived surface (the service) answers again while the data is unchanged
    #: (`remembered`); None: compute every time
    results: ResultCache | None = None
    #: the DuckDB connection (a file's cursor) holding the app state (users, sessions, alert
    #: rules, …) when the canonical tables live in another engine; None: the workspace's own
    #: DuckDB file holds it (see `app_connection`)
    app_state: Any = None
    _calendar: BusinessCalendar | None = None
    _calendar_settings: str = ""

    def remembered(self, request: Hashable, make: Callable[[], T]) -> T:
        """`make()`, or a copy of what it gave for the same `request` while the stored data,
        the settings and the moment measured at are the same: as of now, for up to `[web]
        result_cache_seconds` (running clocks move on); as of a fixed moment, until data
        arrives. Only a workspace with `results` (the service's) keeps anything."""
        ttl = self.settings.web.result_cache_seconds
        version = self.data_version() if self.results is not None and ttl > 0 else None
        if self.results is None or version is None:
            return make()
        moment = self.as_of.isoformat() if self.as_of is not None else "now"
        key = repr((request, moment, version, self.settings.model_dump_json()))
        fixed = self.as_of is not None
        return self.results.fetch(key, lambda made: fixed or monotonic() - made < ttl, make)

    def data_version(self) -> str | None:
        """What the stored data is at: the last write through the store (an import, ingest
        or delete, each logged in `_imports`) and how many there were; None where it cannot
        be told (nothing stored through deskmetrics: e.g. a connector's tables)."""
        if getattr(self.backend, "name", "") != "duckdb":
            # another engine written by deskmetrics imports (engine/remote.py) logs them too
            if not self.has("_imports"):
                return None
            log = self.backend.table("_imports").filter(lambda t: t.committed)
            got = self.backend.execute(log.aggregate(last=log.import_id.max(), n=log.count()))
            return f"{got['last'].iloc[0]}#{got['n'].iloc[0]}"
        try:
            row = self.backend.con.execute(
                "SELECT max(import_id), count(*) FROM _imports WHERE committed"
            ).fetchone()
        except duckdb.CatalogException:  # no _imports table yet: nothing was ever stored
            return None
        return f"{row[0]}#{row[1]}" if row else None

    def now(self) -> datetime:
        """The instant numbers are measured at (naive UTC): `as_of`, or the current time."""
        if self.as_of is not None:
            return self.as_of
        return utc_now()

    def at(self, as_of: datetime | None) -> Workspace:
        """This workspace as of `as_of` (aware, or naive UTC; None: as it is now): a copy over
        the same backend, so a shared workspace is never changed for other requests."""
        if as_of is not None:
            as_of = naive_utc(as_of)
        if as_of is not None and as_of > utc_now() + CLOCK_SKEW:
            raise QueryError(
                f"{as_of:%Y-%m-%dT%H:%M:%S}Z is in the future: numbers are measured as of a "
                "moment that has come (data recorded by then)"
            )
        return replace(self, as_of=as_of)

    def _as_known_at(self, name: str, t: ir.Table) -> ir.Table:
        """Canonical table `name` as it was at `as_of`: rows recorded later are left out, and
        what happened later (a churn, a subscription's end, a source status reported after
        `as_of`) is not known yet. Other columns stay as last imported."""
        at = self.as_of
        if at is None or name not in AS_OF_COLUMNS:
            return t
        col = AS_OF_COLUMNS[name]
        day = TABLES[name].column(col).kind is Kind.DATE
        bound = ibis.literal(at.date()) if day else ibis.literal(at, "timestamp")
        recorded = t[col] <= bound
        t = t.filter(t[col].isnull() | recorded if name in NULL_KNOWN else recorded)
        lit = ibis.literal(at, "timestamp")
        if name == "tickets":  # the source's status, when reported after `as_of`, is not known
            later = (t.updated_at > lit).fill_null(False)
            t = t.mutate(
                status=ibis.cases((later, ibis.null("string")), else_=t.status),
                updated_at=ibis.cases((later, ibis.null("timestamp")), else_=t.updated_at),
            )
        for c in LATER_UNKNOWN.get(name, ()):
            t = t.mutate(**{c: ibis.cases((t[c] > lit, ibis.null("timestamp")), else_=t[c])})
        return t

    @contextmanager
    def steady_catalog(self) -> Iterator[None]:
        """Within (this thread): which tables the workspace has, and each table's shape, are
        asked of the backend once. A request's queries ask them dozens of times — each a
        catalog query of a few milliseconds — while nothing it does makes or drops a table
        or changes a column (its facts are brought up to date before)."""
        token = _CATALOG.set({})
        try:
            yield
        finally:
            _CATALOG.reset(token)

    def has(self, name: str) -> bool:
        memo = _CATALOG.get()
        key = ("tables", id(self.backend))
        if memo is not None and key in memo:
            return name in memo[key]
        try:
            tables = self.backend.list_tables()
        except Exception as exc:  # a backend error here means the workspace is unusable
            raise BackendError(f"cannot list tables of the workspace: {exc}") from exc
        if memo is not None:
            memo[key] = frozenset(tables)
        return name in tables

    def _backend_table(self, name: str) -> ir.Table:
        memo = _CATALOG.get()
        if memo is None:
            return self.backend.table(name)
        key = ("table", id(self.backend), name)
        if key not in memo:
            memo[key] = self.backend.table(name)
        return cast(ir.Table, memo[key])

    def table(self, name: str) -> ir.Table:
        """A canonical table as metrics read it (channel names mapped by the settings); an
        empty one of the canonical shape when the workspace has none."""
        if self.has(name):
            return self.reading(name, self._backend_table(name))
        return ibis.memtable(
            {c: [] for c in canonical_schema(name).names}, schema=canonical_schema(name)
        )

    @property
    def channel_map(self) -> dict[str, str]:
        """Every channel name reported under another name: the help desks' names, then the
        settings' `[channels]`."""
        merged = {**DEFAULT_CHANNELS, **self.settings.channels}
        return {k: v for k, v in merged.items() if k != v}

    def _plausible(self, name: str, t: ir.Table) -> ir.Table:
        """Canonical table `name` without what no import accepts any more (an older version
        may have stored it): a row whose required instant lies outside the plausible span of
        `[limits]` is left out, another instant outside it is unknown (null). Nothing stored
        can then crash a query (pandas holds instants of 1677–2262 only)."""
        for col, lo, hi in self._instant_spans(name):
            if col.name not in t.columns:
                continue
            inside = t[col.name].between(lo, hi)
            if col.required:
                t = t.filter(inside)
            else:
                kind = "date" if col.kind is Kind.DATE else "timestamp"
                t = t.mutate(**{col.name: ibis.cases((inside, t[col.name]), else_=ibis.null(kind))})
        return t

    def _instant_spans(self, name: str) -> list[tuple[Column, ir.Scalar, ir.Scalar]]:
        """Per instant or date column of table `name`: its plausible span, as literals."""
        now = utc_now()
        out = []
        for col in TABLES[name].columns:
            if col.kind not in (Kind.TIMESTAMP, Kind.DATE):
                continue
            lo, hi = plausible_span(col, self.settings.limits, now)
            if col.kind is Kind.DATE:
                out.append((col, ibis.literal(lo.date()), ibis.literal(hi.date())))
            else:
                out.append((col, ibis.literal(lo, "timestamp"), ibis.literal(hi, "timestamp")))
        return out

    def implausible(self) -> list[Implausible]:
        """Per table, the stored rows left out of every query (or read with an instant
        unknown) because an instant lies outside the plausible span, with a few ids."""
        checked = []
        for name, table in TABLES.items():
            spans = self._instant_spans(name)
            if not spans or not self.has(name):
                continue
            t = self.backend.table(name)
            spans = [(c, lo, hi) for c, lo, hi in spans if c.name in t.columns]
            outside = {
                c.name: t[c.name].notnull() & ~t[c.name].between(lo, hi) for c, lo, hi in spans
            }
            checked.append((name, table, t, spans, outside))
        if not checked:
            return []
        # one query counts every column of every table (one pass over each, one round trip)
        counted = [
            t.aggregate(**{f"{name}__{c}": as_int(m).sum() for c, m in outside.items()})
            for name, _, t, _, outside in checked
        ]
        together = counted[0]
        for one in counted[1:]:
            together = together.cross_join(one)
        counts = self.backend.execute(together)
        found = []
        for name, table, t, spans, outside in checked:
            for col, _, _ in spans:
                v = counts[f"{name}__{col.name}"].iloc[0]
                n = int(v) if v is not None and v == v else 0  # an empty table sums to null
                if not n:
                    continue
                out = t.filter(outside[col.name])
                ids: list[str] = []
                if table.key is not None:
                    first = out.select(table.key).order_by(table.key).limit(IMPLAUSIBLE_IDS)
                    ids = [str(x) for x in self.backend.execute(first)[table.key]]
                found.append(Implausible(name, col.name, col.required, n, ids))
        return found

    def reading(self, name: str, t: ir.Table) -> ir.Table:
        """Rows of canonical table `name` as metrics read them: without implausible instants
        (`_plausible`), as known at `as_of`; a ticket's or answer's channel is stored as its
        source gave it and reported under the name the settings map it to. The store's record
        of which import stored a row is not data of the row: it is left out."""
        if IMPORT_ID in t.columns:
            t = t.drop(IMPORT_ID)
        if name in TABLES:
            t = self._plausible(name, t)
        t = self._as_known_at(name, t)
        if name in ("tickets", "surveys") and "channel" in t.columns:
            mapping = self.channel_map
            if mapping:
                t = t.mutate(channel=t.channel.substitute(mapping, else_=t.channel))
        return t

    def data_range(self, until_now: bool = True) -> tuple[datetime, datetime]:
        """Earliest and latest instant any ticket or event carries (UTC, naive); with
        `until_now`, the latest is at least `now()` (as of `as_of`, no later data exists)."""
        return self.range_from(self.stored_range(), until_now)

    def stored_range(self) -> tuple[datetime, datetime] | None:
        """Earliest and latest instant of the support activity stored (a scan of the data),
        None when nothing is stored."""
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
                t = self.table(name)
                row = self.backend.execute(t.aggregate(lo=t[col].min(), hi=t[col].max()))
                if len(row) and row["lo"].iloc[0] is not None and str(row["lo"].iloc[0]) != "NaT":
                    lo.append(row["lo"].iloc[0].to_pydatetime().replace(tzinfo=None))
                    hi.append(row["hi"].iloc[0].to_pydatetime().replace(tzinfo=None))
        return (min(lo), max(hi)) if lo else None

    def range_from(
        self, stored: tuple[datetime, datetime] | None, until_now: bool = True
    ) -> tuple[datetime, datetime]:
        """`data_range` from a `stored_range` already known."""
        now = self.now()
        if stored is None:
            return now - timedelta(days=1), now
        lo, hi = stored
        return lo, max(hi, now) if until_now else hi

    def calendar(self, lo: datetime | None = None, hi: datetime | None = None) -> BusinessCalendar:
        """The business-day table covering [lo, hi] (default: all data), built from the
        settings at query time. Kept between requests, and rebuilt as soon as data arrives
        outside it: instants outside the calendar would miss its join."""
        if lo is None or hi is None:
            lo, hi = self.data_range()
        cal = self._kept_calendar(lo, hi)
        if cal is None:
            cal = build_business_calendar(self.settings, lo, hi + timedelta(days=400))
            self._calendar = cal
            self._calendar_settings = self.settings.model_dump_json()
        return cal

    def calendar_first_day(self, lo: datetime, hi: datetime) -> int:
        """The first day of the calendar `calendar(lo, hi)` gives, without building it."""
        cal = self._kept_calendar(lo, hi)
        return cal.first_day if cal is not None else first_calendar_day(lo)

    def _kept_calendar(self, lo: datetime, hi: datetime) -> BusinessCalendar | None:
        """The calendar kept from an earlier request, if it covers [lo, hi] and was built from
        the settings in force (settings may be replaced on a live workspace)."""
        cal = self._calendar
        day = 86400
        if (
            cal is not None
            and self._calendar_settings == self.settings.model_dump_json()
            and cal.first_day * day <= lo.replace(tzinfo=UTC).timestamp()
            and (cal.last_day + 1) * day > hi.replace(tzinfo=UTC).timestamp()
        ):
            return cal
        return None


class WorkspaceLocked(BackendError):
    """Another process holds the workspace file (DuckDB lets one process write to a file at a
    time): the running service, or another command. `engine.handoff` waits for it."""


def url_without_password(url: str) -> str:
    """The URL without its password (for messages)."""
    parts = urlsplit(url)
    if parts.password:
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}{port}"))
    return url


def open_url(url: str, settings: Settings | None = None, read_only: bool = True) -> Workspace:
    """A workspace whose canonical tables live in another engine (PostgreSQL, Spark, a
    warehouse), reached through Ibis. Imports reach it through a DuckDB working copy
    (engine/remote.py), which also keeps its per-ticket fact tables there; while those are not
    current, the facts are derived inside each query."""
    try:
        backend = ibis.connect(url)
    except Exception as exc:
        scheme = urlsplit(url).scheme.split("+")[0] or "postgres"
        extra = {"postgresql": "postgres", "sc": "pyspark"}.get(scheme, scheme)
        raise BackendError(
            f"cannot connect to {url_without_password(url)}: {exc}. Check the URL (e.g. "
            "postgres://user:password@host:5432/database) and that the engine's Python driver "
            f"is installed (pip install 'ibis-framework[{extra}]')."
        ) from exc
    if read_only and "tickets" not in backend.list_tables():
        raise BackendError(
            f"{url_without_password(url)} has no `tickets` table: deskmetrics reads the canonical "
            "tables (tickets, events, surveys, …; see the README's 'The canonical data') there"
        )
    return Workspace(
        backend=backend, settings=settings or Settings(), keep_facts=True, read_only=read_only
    )


def open_duckdb(
    path: Path | str | None = None, settings: Settings | None = None, read_only: bool = False
) -> Workspace:
    """The default workspace: a DuckDB file (created with the canonical tables if new)."""
    p = Path(path) if path is not None else DEFAULT_DB
    try:
        backend = ibis.duckdb.connect(str(p), read_only=read_only)
        backend.raw_sql("SET TimeZone = 'UTC'")
    except Exception as exc:
        if "Could not set lock" in str(exc) or "Conflicting lock" in str(exc):
            raise WorkspaceLocked(
                f"the DuckDB workspace {p} is in use by another process: {exc}"
            ) from exc
        raise BackendError(
            f"cannot open the DuckDB workspace {p}: {exc}. Is another deskmetrics process "
            "writing to it? Use --db PATH for another file."
        ) from exc
    if not read_only:
        ensure_schema(backend.con)
    return Workspace(
        backend=backend,
        settings=settings or Settings(),
        keep_facts=True,
        read_only=read_only,
        # a file is asked again and again: its facts are kept whatever its size (deriving them
        # inside every request costs more than keeping them from the second request on); an
        # in-memory workspace lives for one job and derives them in its queries
        keep_facts_min_events=20_000 if str(p) == ":memory:" else 0,
    )


def duckdb_connection(ws: Workspace) -> Any:
    """The raw DuckDB connection of a DuckDB workspace (for the store)."""
    con = getattr(ws.backend, "con", None)
    if con is None or ws.backend.name != "duckdb":
        raise BackendError("imports write to the embedded DuckDB workspace only")
    return con


def app_connection(ws: Workspace) -> Any:
    """The DuckDB connection holding the app state of `ws`: its `app_state` when the canonical
    tables are in another engine (served from a URL), else the workspace's own file."""
    if ws.app_state is not None:
        return ws.app_state
    return duckdb_connection(ws)


__all__ = [
    "DEFAULT_DB",
    "SQL_TYPES",
    "Implausible",
    "Workspace",
    "WorkspaceLocked",
    "canonical_schema",
    "open_duckdb",
]
