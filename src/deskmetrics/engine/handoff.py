"""One DuckDB workspace file shared by the running service and CLI commands.

DuckDB lets one process at a time open a file for writing, so a service that kept the file open
would lock every `deskmetrics` command out of the workspace (`tokens revoke` among them). The
file is therefore handed over:

* the service (`SharedWorkspace`) opens the file for a burst of uses and closes it after
  `idle_seconds` without one, or at once after the current use when a command waits for it;
* a command (`open_waiting`) that finds the file taken leaves a marker next to it,
  `<db>.wait.<pid>`, and retries with backoff up to its timeout; the marker stays until the
  command's process ends, and the service does not take the file back while a live marker
  exists (a marker whose process has ended is stale and removed);
* a use of the service that finds the file taken waits up to `wait_seconds`, then fails with
  `WorkspaceBusy` (the web service answers 503 with Retry-After).

Every write is a DuckDB statement committed before the file changes hands, so nothing is lost;
uses never overlap, so writes are serialized. The `Workspace` object of the service is kept
across reopenings (settings, calendar cache): only its backend is replaced. Kept facts live in
the file and are checked against it at every request (engine/kept.py)."""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path

from deskmetrics.config import Settings
from deskmetrics.engine.compiled import keep_compiled
from deskmetrics.engine.workspace import Workspace, WorkspaceLocked, open_duckdb
from deskmetrics.errors import BackendError

log = logging.getLogger(__name__)

#: how long a command waits for the running service to release the file (seconds)
DEFAULT_WAIT_SECONDS = 30.0
#: how often the service looks for waiting commands while it holds the file unused
WATCH_SECONDS = 0.05


class WorkspaceBusy(BackendError):
    """The workspace file stayed taken by another process for longer than the wait allowed."""

    def __init__(self, message: str, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def marker(db: Path, pid: int | None = None) -> Path:
    """The marker a waiting process leaves next to the workspace file."""
    return db.with_name(f"{db.name}.wait.{pid if pid is not None else os.getpid()}")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def waiting(db: Path) -> list[int]:
    """Processes waiting for (or holding, after waiting) the workspace file; stale markers
    (their process has ended) are removed."""
    pids: list[int] = []
    for m in db.parent.glob(f"{db.name}.wait.*"):
        try:
            pid = int(m.name.rsplit(".", 1)[1])
        except ValueError:
            continue
        if _alive(pid):
            pids.append(pid)
        else:
            with contextlib.suppress(OSError):
                m.unlink()
    return pids


_MARKERS: set[Path] = set()


def _remove_markers() -> None:
    for m in list(_MARKERS):
        with contextlib.suppress(OSError):
            m.unlink()
        _MARKERS.discard(m)


atexit.register(_remove_markers)


def open_waiting(
    path: Path | str,
    settings: Settings | None = None,
    timeout: float = DEFAULT_WAIT_SECONDS,
    on_wait: Callable[[str], None] | None = None,
) -> Workspace:
    """The DuckDB workspace at `path`, for a command: when another process (the running
    service) holds the file, leave a marker asking for it, call `on_wait` once with what is
    awaited, and retry with backoff up to `timeout` seconds. The marker stays until this
    process ends (the service does not take the file back before)."""
    db = Path(path)
    deadline = time.monotonic() + timeout
    delay = 0.02
    mine = marker(db)
    while True:
        try:
            return open_duckdb(db, settings)
        except WorkspaceLocked as exc:
            if mine not in _MARKERS:
                mine.write_text(str(os.getpid()))
                _MARKERS.add(mine)
                if on_wait is not None:
                    on_wait(f"waiting for the running server to release {db} (up to {timeout:g} s)")
            if time.monotonic() >= deadline:
                _MARKERS.discard(mine)
                with contextlib.suppress(OSError):
                    mine.unlink()
                raise WorkspaceBusy(
                    f"{db} stayed in use by another process for {timeout:g} s ({exc}). Try "
                    "again when it is done, or raise the wait with --wait SECONDS."
                ) from exc
            time.sleep(max(0.0, min(delay, deadline - time.monotonic())))
            delay = min(delay * 2, 0.5)


class SharedWorkspace:
    """The service's side of the handoff: the workspace file, held only while used.

    `acquire()`/`done()` bracket one use, made holding `lock` (uses are serialized:
    `api.deps.Service.using()` does so); a watcher thread closes the file when it is idle for
    `idle_seconds` or a command waits for it, never during a use."""

    def __init__(
        self,
        path: Path | str,
        settings: Settings | None = None,
        idle_seconds: float = 2.0,
        wait_seconds: float = DEFAULT_WAIT_SECONDS,
    ) -> None:
        self.path = Path(path)
        self.idle_seconds = idle_seconds
        self.wait_seconds = wait_seconds
        self.lock = threading.Lock()
        self.opened = 0
        #: how many times the file was let go (a command may have written to it since)
        self.released = 0
        self._open = False
        self._last_use = time.monotonic()
        self.workspace = self._first_open(settings)
        self._stop = threading.Event()
        self._watcher = threading.Thread(
            target=_watch,
            args=(weakref.ref(self), self._stop),
            name="deskmetrics-handoff",
            daemon=True,
        )
        self._watcher.start()

    def _first_open(self, settings: Settings | None) -> Workspace:
        ws = open_waiting(self.path, settings, self.wait_seconds)
        keep_compiled(ws.backend)
        _MARKERS.discard(marker(self.path))  # the service keeps no marker of its own
        with contextlib.suppress(OSError):
            marker(self.path).unlink()
        self._open = True
        self.opened += 1
        return ws

    def acquire(self, deadline: float | None = None) -> Workspace:
        """The workspace, open (reopened if it was released), for one use; waits while a
        command holds or awaits the file, up to `deadline` (monotonic seconds)."""
        if deadline is None:
            deadline = time.monotonic() + self.wait_seconds
        delay = 0.02
        while not self._open:
            if not waiting(self.path):
                try:
                    fresh = open_duckdb(self.path, self.workspace.settings)
                except WorkspaceLocked:
                    pass
                else:
                    self.workspace.backend = keep_compiled(fresh.backend)
                    self._open = True
                    self.opened += 1
                    break
            left = deadline - time.monotonic()
            if left <= 0:
                raise WorkspaceBusy(
                    f"the workspace {self.path.name} is in use by a deskmetrics command; "
                    "try again in a few seconds",
                    retry_after=max(1, round(self.wait_seconds / 6)),
                )
            time.sleep(min(delay, left))
            delay = min(delay * 2, 0.25)
        return self.workspace

    def done(self) -> None:
        """After a use: hand the file over at once when a command waits for it."""
        self._last_use = time.monotonic()
        if self._open and waiting(self.path):
            self._release()

    @property
    def is_open(self) -> bool:
        return self._open

    def _release(self) -> None:
        try:
            self.workspace.backend.disconnect()
        except Exception:  # a failed close still lets the next use reopen the file
            log.exception("closing the workspace %s failed", self.path)
        self._open = False
        self.released += 1

    def _watch_once(self) -> None:
        """Release the file when unused and idle, or awaited by a command."""
        if not self._open or not self.lock.acquire(blocking=False):
            return
        try:
            idle = time.monotonic() - self._last_use >= self.idle_seconds
            if self._open and (idle or waiting(self.path)):
                self._release()
        finally:
            self.lock.release()

    def close(self) -> None:
        """Stop watching and close the file (the service is shutting down)."""
        self._stop.set()
        with self.lock:
            if self._open:
                self._release()


def _watch(ref: weakref.ref[SharedWorkspace], stop: threading.Event) -> None:
    """The watcher thread: ends with `close()` or when its workspace is no longer used."""
    while not stop.wait(WATCH_SECONDS):
        shared = ref()
        if shared is None:
            return
        shared._watch_once()
        del shared


__all__ = [
    "DEFAULT_WAIT_SECONDS",
    "SharedWorkspace",
    "WorkspaceBusy",
    "marker",
    "open_waiting",
    "waiting",
]
