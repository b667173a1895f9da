"""App state: the tables the surfaces keep in the workspace beside the canonical data (users,
API tokens, sessions, the service secret, alert rules, mutes, episodes, history and latest
checks, the outbox, the runs of scheduled reports), declared here and nowhere else.

`MIGRATIONS` is an ordered list of steps and `_schema_version` records those a workspace has,
so each runs once and a workspace made by an older version is brought up to date when it opens
(`ensure`). Step 1 is the tables as the earlier ad-hoc code made them (`IF NOT EXISTS`: their
rows are kept). A change of schema is a new step at the end, never an edit of a step.

Features read and write through `state(ws)`, never through the raw DuckDB connection."""

from __future__ import annotations

import re
import weakref
from collections.abc import Sequence
from typing import Any

from deskmetrics.engine.workspace import Workspace, app_connection
from deskmetrics.errors import BackendError

VERSION_TABLE = "_schema_version"
#: step N (1-based) brings a workspace from version N-1 to N
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version INTEGER PRIMARY KEY, "
        "applied_at TIMESTAMP NOT NULL)",
        "CREATE TABLE IF NOT EXISTS _users (name VARCHAR PRIMARY KEY, role VARCHAR NOT NULL, "
        "password_hash VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL)",
        "CREATE TABLE IF NOT EXISTS _api_tokens (token_id VARCHAR PRIMARY KEY, "
        "name VARCHAR NOT NULL, role VARCHAR NOT NULL, token_hash VARCHAR NOT NULL, "
        "created_at TIMESTAMP NOT NULL, revoked_at TIMESTAMP)",
        "CREATE TABLE IF NOT EXISTS _sessions (session_hash VARCHAR PRIMARY KEY, "
        "user_name VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL, "
        "expires_at TIMESTAMP NOT NULL, last_seen TIMESTAMP NOT NULL, ended_at TIMESTAMP, "
        "ended_why VARCHAR)",
        "CREATE TABLE IF NOT EXISTS _service (key VARCHAR PRIMARY KEY, value VARCHAR)",
        "CREATE TABLE IF NOT EXISTS _alert_rules (name VARCHAR PRIMARY KEY, "
        "body VARCHAR NOT NULL, created_by VARCHAR, created_at TIMESTAMP NOT NULL)",
        "CREATE TABLE IF NOT EXISTS _alert_episodes (episode_id VARCHAR PRIMARY KEY, "
        "rule VARCHAR NOT NULL, group_key VARCHAR NOT NULL, opened_at TIMESTAMP NOT NULL, "
        "closed_at TIMESTAMP, notified BOOLEAN NOT NULL, value_open DOUBLE, value_last DOUBLE, "
        "threshold DOUBLE)",
        "CREATE TABLE IF NOT EXISTS _alert_history (event_id VARCHAR PRIMARY KEY, "
        "occurred_at TIMESTAMP NOT NULL, rule VARCHAR NOT NULL, event VARCHAR NOT NULL, "
        "group_key VARCHAR NOT NULL, value DOUBLE, n BIGINT, threshold DOUBLE, "
        "message VARCHAR NOT NULL, notified BOOLEAN NOT NULL, episode_id VARCHAR NOT NULL, "
        "message_ids VARCHAR)",
        "CREATE TABLE IF NOT EXISTS _outbox (message_id VARCHAR PRIMARY KEY, "
        "channel VARCHAR NOT NULL, target VARCHAR NOT NULL, subject VARCHAR, "
        "payload VARCHAR NOT NULL, source VARCHAR, created_at TIMESTAMP NOT NULL, "
        "status VARCHAR NOT NULL, attempts INTEGER NOT NULL, next_attempt_at TIMESTAMP, "
        "last_attempt_at TIMESTAMP, last_error VARCHAR, sent_at TIMESTAMP)",
        "CREATE TABLE IF NOT EXISTS _report_runs (report VARCHAR NOT NULL, "
        "due_at TIMESTAMP NOT NULL, queued_at TIMESTAMP NOT NULL, message_id VARCHAR, "
        "PRIMARY KEY (report, due_at))",
    ),
    (
        # step 2: alert rules muted from the page (until NULL: until unmuted), config rules too
        "CREATE TABLE IF NOT EXISTS _alert_mutes (rule VARCHAR PRIMARY KEY, until TIMESTAMP, "
        "muted_by VARCHAR, muted_at TIMESTAMP NOT NULL)",
        # the latest evaluation of each rule: its state (ok, not_enough_data, error) and the
        # value shown for it (the firing group first, else the first judged one)
        "CREATE TABLE IF NOT EXISTS _alert_checks (rule VARCHAR PRIMARY KEY, "
        "checked_at TIMESTAMP NOT NULL, state VARCHAR NOT NULL, value DOUBLE, n BIGINT, "
        "group_key VARCHAR, groups INTEGER NOT NULL, detail VARCHAR)",
    ),
    (
        # saved views: a dashboard page with its range, filters and comparison, under a name
        "CREATE TABLE IF NOT EXISTS _saved_views (name VARCHAR PRIMARY KEY, "
        "path VARCHAR NOT NULL, query VARCHAR NOT NULL, created_by VARCHAR, "
        "created_at TIMESTAMP NOT NULL)",
        # a saved view's weekly e-mail, scheduled from the web (beside `[[reports.weekly]]`)
        "CREATE TABLE IF NOT EXISTS _view_reports (view VARCHAR PRIMARY KEY, "
        "recipients VARCHAR NOT NULL, day VARCHAR NOT NULL, hour INTEGER NOT NULL, "
        "timezone VARCHAR NOT NULL, created_by VARCHAR, created_at TIMESTAMP NOT NULL)",
    ),
)
#: the version a workspace has once `ensure` ran, and the tables it then has
VERSION = len(MIGRATIONS)
TABLES = tuple(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", " ".join(sum(MIGRATIONS, ()))))
#: connections whose workspace is known to be at `VERSION` (checked once per connection)
_CURRENT: weakref.WeakSet[Any] = weakref.WeakSet()


#: app-state writes made by this process so far (`AppState.run`): what a cache of anything
#: read from the app state (the service's credentials) compares to know it still holds
_writes = [0]


def writes() -> int:
    """How many app-state writes this process has made (see `_writes`)."""
    return _writes[0]


class AppState:
    """Typed reads and writes of the app tables of one workspace."""

    def __init__(self, con: Any) -> None:
        self._con = con

    def run(self, sql: str, args: Sequence[Any] = (), *, credentials: bool = True) -> int:
        """Execute an insert, update or delete; how many rows it changed. `credentials=False`:
        a write that cannot change who may do what (a session's `last_seen`), not counted in
        `writes()` — remembered credentials stay valid."""
        if credentials:
            _writes[0] += 1
        row = self._con.execute(sql, list(args)).fetchone()
        return int(row[0]) if row else 0

    def one(self, sql: str, args: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        """The first row, None when there is none."""
        row = self._con.execute(sql, list(args)).fetchone()
        return None if row is None else tuple(row)

    def all(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self._con.execute(sql, list(args)).fetchall()]

    def count(self, sql: str, args: Sequence[Any] = ()) -> int:
        """The first value of the first row as a whole number (0 when none): for counts."""
        row = self.one(sql, args)
        return int(row[0]) if row and row[0] is not None else 0

    def records(self, sql: str, args: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """The rows as dicts keyed by column name."""
        cur = self._con.execute(sql, list(args))
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def version(ws: Workspace) -> int:
    """The app-state version of the workspace (0: made before versioning, or new)."""
    st = AppState(app_connection(ws))
    if not st.count("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [VERSION_TABLE]):
        return 0
    return st.count(f"SELECT max(version) FROM {VERSION_TABLE}")


def ensure(ws: Workspace) -> list[int]:
    """Bring the workspace's app tables up to `VERSION`, each missing step in order and in one
    transaction; the steps applied. Called where a surface opens the workspace, and by `state`
    (once per connection)."""
    con = app_connection(ws)
    # a read-only workspace changes nothing; its app state in a file of its own (the canonical
    # tables in another engine) is the service's to bring up to date
    if con in _CURRENT or (ws.read_only and ws.app_state is None):
        return []
    current = version(ws)
    if current > VERSION:
        raise BackendError(
            f"this workspace was made by a newer deskmetrics (app state version {current}, "
            f"this one knows {VERSION}): upgrade deskmetrics to open it"
        )
    for step in range(current + 1, VERSION + 1):
        con.execute("BEGIN TRANSACTION")
        try:
            for sql in MIGRATIONS[step - 1]:
                con.execute(sql)
            con.execute(
                f"INSERT INTO {VERSION_TABLE} VALUES (?, current_timestamp AT TIME ZONE 'UTC')",
                [step],
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    _CURRENT.add(con)
    return list(range(current + 1, VERSION + 1))


def state(ws: Workspace) -> AppState:
    """The app state of `ws`, its tables made current first (once per connection)."""
    ensure(ws)
    return AppState(app_connection(ws))


__all__ = ["MIGRATIONS", "TABLES", "VERSION", "AppState", "ensure", "state", "version"]
