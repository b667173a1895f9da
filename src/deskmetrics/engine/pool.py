"""Workspaces over another engine (PostgreSQL, a warehouse) for the service, one per request.

A DuckDB file serves one thread at a time, so the service over a file hands one workspace to
one request after another (engine/handoff.py). An engine reached by URL answers many
connections at once: the pool holds up to `size` workspaces, each with its own connection to
the engine (`ibis.connect`) and its own cursor on the app-state file (users, sessions, alert
rules: a local DuckDB file, since the engine is only read). A request takes a free workspace,
or opens one more while fewer than `size` are open, or waits up to `wait_seconds` for one to
come back; then `WorkspaceBusy` (the web service answers 503 with Retry-After)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import duckdb

from deskmetrics.config import Settings
from deskmetrics.engine.compiled import keep_compiled
from deskmetrics.engine.handoff import WorkspaceBusy
from deskmetrics.engine.workspace import (
    ResultCache,
    Workspace,
    WorkspaceLocked,
    open_url,
    url_without_password,
)
from deskmetrics.errors import BackendError

#: where the app state of a service over another engine lives, unless `--state` says otherwise
DEFAULT_STATE = Path("deskmetrics-app.duckdb")


def open_state(path: Path | str) -> Any:
    """The app-state file (a DuckDB file made if new) of a workspace over another engine."""
    try:
        con = duckdb.connect(str(path))
        con.execute("SET TimeZone = 'UTC'")
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise WorkspaceLocked(
                f"the app-state file {path} is in use by another process (a running "
                "`deskmetrics serve`?): stop it, or change users and tokens through its API"
            ) from exc
        raise BackendError(f"cannot open the app-state file {path}: {exc}") from exc
    return con


class StateCursor:
    """A cursor of the app-state file whose statements run one at a time across the pool: two
    requests updating the same row at once (a shared session's last-seen time) would otherwise
    fail with a DuckDB transaction conflict. App-state statements take microseconds."""

    def __init__(self, cursor: Any, lock: threading.Lock) -> None:
        self._cursor = cursor
        self._lock = lock

    def execute(self, sql: str, params: Any = None) -> Any:
        with self._lock:
            if params is None:
                return self._cursor.execute(sql)
            return self._cursor.execute(sql, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


def with_state(ws: Workspace, state: Any) -> Workspace:
    """`ws` keeping its app state in `state` (a DuckDB connection of the app-state file)."""
    ws.app_state = state
    return ws


class WorkspacePool:
    """Up to `size` workspaces over the engine at `url`, each used by one request at a time."""

    def __init__(
        self,
        url: str,
        settings: Settings,
        state: Path | str,
        size: int,
        wait_seconds: float,
    ) -> None:
        self.url = url
        self.settings = settings
        self.size = size
        self.wait_seconds = wait_seconds
        self.state = open_state(state)
        self._state_lock = threading.Lock()
        self._free: list[Workspace] = []
        self._open: list[Workspace] = []
        self._opening = 0
        self._cond = threading.Condition()
        #: how many workspaces are in use now, and the most at once (the load test reads it)
        self.in_use = 0
        self.most_in_use = 0
        #: the results every pooled workspace answers again while the data is unchanged
        self.results = ResultCache()
        self._free.append(self._new())  # fails now, at start, when the engine is unreachable
        self._open.append(self._free[0])

    def _new(self) -> Workspace:
        ws = open_url(self.url, self.settings)
        keep_compiled(ws.backend)  # a long-lived connection: the same requests come again
        # one cache for the pool (thread-safe, single-flight): a result made on one connection
        # answers the same request on every other
        ws.results = self.results
        # a DuckDB cursor is a connection of its own to the same file, usable from any thread
        return with_state(ws, StateCursor(self.state.cursor(), self._state_lock))

    def take(self) -> Workspace:
        """A free workspace (opening one more while fewer than `size` are open), waiting up to
        `wait_seconds`; `WorkspaceBusy` after that. Give it back with `give`."""
        deadline = time.monotonic() + self.wait_seconds
        with self._cond:
            while True:
                if self._free:
                    return self._taken(self._free.pop())
                if len(self._open) + self._opening < self.size:
                    self._opening += 1
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    raise WorkspaceBusy(
                        f"all {self.size} connections to {url_without_password(self.url)} are "
                        f"answering other requests (waited {self.wait_seconds:g} s); try again "
                        "in a few seconds, or raise [web] pool_size",
                        retry_after=max(1, round(self.wait_seconds)),
                    )
                self._cond.wait(left)
        try:  # outside the lock: connecting takes a round trip or more
            ws = self._new()
        except BaseException:
            with self._cond:
                self._opening -= 1
                self._cond.notify()  # a waiting request may open one instead
            raise
        with self._cond:
            self._opening -= 1
            self._open.append(ws)
            return self._taken(ws)

    def _taken(self, ws: Workspace) -> Workspace:
        """Count `ws` as in use (called holding the condition's lock)."""
        self.in_use += 1
        self.most_in_use = max(self.most_in_use, self.in_use)
        return ws

    def give(self, ws: Workspace) -> None:
        """Give back a workspace `take` gave."""
        with self._cond:
            self.in_use -= 1
            self._free.append(ws)
            self._cond.notify()

    @contextmanager
    def taking(self) -> Iterator[Workspace]:
        """A workspace for the block's use alone, given back at its end."""
        ws = self.take()
        try:
            yield ws
        finally:
            self.give(ws)

    @property
    def first(self) -> Workspace:
        """A workspace of the pool (settings and app state are the same in all)."""
        return self._open[0]

    def close(self) -> None:
        """Disconnect every workspace and close the app-state file (the service stops)."""
        with self._cond:
            for ws in self._open:
                with suppress(Exception):
                    ws.backend.disconnect()
                with suppress(Exception):
                    ws.app_state.close()
            self._open.clear()
            self._free.clear()
        with suppress(Exception):
            self.state.close()


__all__ = ["DEFAULT_STATE", "WorkspacePool", "open_state", "with_state"]
