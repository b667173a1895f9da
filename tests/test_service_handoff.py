"""`deskmetrics` commands work while `deskmetrics serve` runs on the same workspace (issue 12):
the service holds the DuckDB file only while it uses it and hands it over to a waiting
command (engine/handoff.py). A real server subprocess on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import build_workspace, msg, ticket
from deskmetrics import accounts
from deskmetrics.engine.handoff import marker

SRC = Path(__file__).resolve().parents[1] / "src"
CONFIG = """timezone = "UTC"
[schedules.office]
timezone = "UTC"
hours = { mon = "09:00-17:00", tue = "09:00-17:00" }
[web]
busy_wait_seconds = 3
release_idle_seconds = 2
"""
#: holds the workspace the way a command does (`open_waiting`) for argv[2] seconds
HOLDER = """
import sys, time
from deskmetrics.engine.handoff import open_waiting
ws = open_waiting(sys.argv[1], timeout=30)
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(SRC), "NO_COLOR": "1"}


def _command(db: Path, *args: str) -> list[str]:
    """`deskmetrics --db DB ARGS…` run from this checkout's sources."""
    return [sys.executable, "-m", "deskmetrics.cli", "--db", str(db), *args]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    def __init__(self, tmp: Path, port: int, token: str) -> None:
        self.db = tmp / "ws.duckdb"
        self.config = tmp / "deskmetrics.toml"
        self.url = f"http://127.0.0.1:{port}"
        self.token = token

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            _command(self.db, "--config", str(self.config), *args),
            capture_output=True,
            text=True,
            env=_env(),
            timeout=timeout,
        )

    def get(self, path: str, token: str | None = None, **kw: object) -> httpx.Response:
        auth = {"Authorization": f"Bearer {token or self.token}"}
        return httpx.get(self.url + path, headers=auth, timeout=30, **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("served")
    (tmp / "deskmetrics.toml").write_text(CONFIG)
    ws = build_workspace(
        {
            "tickets": [ticket("T1", "2026-03-02T09:00:00Z"), ticket("T2", "2026-03-02T10:00:00Z")],
            "events": [
                msg("e1", "T1", "2026-03-02T09:00:00Z", "customer"),
                msg("e2", "T1", "2026-03-02T09:30:00Z", "agent", "a1"),
                msg("e3", "T2", "2026-03-02T10:00:00Z", "customer"),
                msg("e4", "T2", "2026-03-02T11:00:00Z", "agent", "a1"),
            ],
        },
        path=str(tmp / "ws.duckdb"),
    )
    accounts.set_user(ws, "boss", "boss password", "admin")
    accounts.set_user(ws, "lead", "lead password", "manager")
    token = accounts.create_token(ws, "reader", "admin")
    ws.backend.disconnect()  # this test process lets go of the file, like a command ending
    port = _free_port()
    s = Served(tmp, port, token)
    server = subprocess.Popen(
        _command(s.db, "--config", str(s.config), "serve", "--port", str(port)),
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(s.url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        yield s
    finally:
        server.terminate()
        server.wait(10)


def _keep_asking(s: Served, stop: threading.Event, codes: list[int]) -> None:
    """Requests all along: the service keeps serving between the commands."""
    while not stop.is_set():
        codes.append(s.get("/api/me").status_code)
        time.sleep(0.05)


def test_commands_work_while_the_server_serves(served: Served) -> None:
    s = served
    stop = threading.Event()
    codes: list[int] = []
    asker = threading.Thread(target=_keep_asking, args=(s, stop, codes))
    asker.start()
    try:
        made = s.cli("tokens", "create", "etl", "--role", "viewer")
        assert made.returncode == 0, made.stderr
        etl = made.stdout.strip()
        assert s.get("/api/me", etl).json() == {"name": "etl", "role": "viewer", "kind": "token"}

        revoked = s.cli("tokens", "revoke", etl.split("_")[1])
        assert revoked.returncode == 0, revoked.stderr
        assert s.get("/api/me", etl).status_code == 401  # at once

        lead = httpx.Client(base_url=s.url, timeout=30)
        assert (
            lead.post(
                "/api/session", json={"name": "lead", "password": "lead password"}
            ).status_code
            == 200
        )
        assert lead.get("/api/me").status_code == 200
        changed = s.cli("users", "set", "lead", "--role", "viewer", "--password", "changed pw!")
        assert changed.returncode == 0, changed.stderr
        assert lead.get("/api/me").status_code == 401  # the password change ended the session
        assert lead.post(
            "/api/session", json={"name": "lead", "password": "changed pw!"}
        ).json() == {"name": "lead", "role": "viewer", "kind": "user"}

        removed = s.cli("users", "remove", "lead")
        assert removed.returncode == 0, removed.stderr
        assert lead.get("/api/me").status_code == 401

        report = s.cli("report", "first_response_time", "--format", "json")
        assert report.returncode == 0, report.stderr
        assert '"first_response_time"' in report.stdout

        listed = s.cli("users", "list")
        assert listed.returncode == 0, listed.stderr
        assert listed.stdout.split() == ["boss", "admin"]
    finally:
        stop.set()
        asker.join()
    assert codes and set(codes) == {200}, codes
    assert not list(s.db.parent.glob("ws.duckdb.wait.*"))  # every marker gone


def test_a_request_during_a_command_waits_and_succeeds_after(served: Served) -> None:
    s = served
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(s.db), "1.5"],
        env=_env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    began = time.monotonic()
    r = s.get("/api/me")
    waited = time.monotonic() - began
    assert holder.wait(10) == 0
    assert r.status_code == 200
    assert waited > 1.0  # it was answered once the command had let go of the file
    assert not marker(s.db, holder.pid).exists()


def test_a_request_gets_503_when_a_command_keeps_the_file_too_long(served: Served) -> None:
    s = served
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(s.db), "5"],
        env=_env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        r = s.get("/api/me")
        assert r.status_code == 503  # after busy_wait_seconds = 3
        assert r.headers["retry-after"] == "1"
        assert "in use by a deskmetrics command" in r.json()["detail"]
    finally:
        assert holder.wait(10) == 0
    assert s.get("/api/me").status_code == 200  # and served again once it is done


def test_a_command_gives_up_with_a_clear_error_when_the_file_stays_taken(served: Served) -> None:
    s = served
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(s.db), "4"],
        env=_env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        r = subprocess.run(
            _command(s.db, "--wait", "1", "users", "list"),
            capture_output=True,
            text=True,
            env=_env(),
            timeout=60,
        )
        assert r.returncode == 2
        assert "waiting for the running server to release" in r.stderr
        assert "stayed in use by another process for 1 s" in r.stderr
        assert "--wait SECONDS" in r.stderr
        assert "Traceback" not in r.stderr
    finally:
        holder.wait(10)


# --- the service's side, in process (no lock conflicts inside one process: markers only) ------


def test_the_service_releases_an_idle_file_and_reopens_it_keeping_its_state(
    tmp_path: Path,
) -> None:
    from deskmetrics.engine.handoff import SharedWorkspace

    db = tmp_path / "ws.duckdb"
    build_workspace({"tickets": [ticket("T1", "2026-03-02T09:00:00Z")]}, path=str(db))
    shared = SharedWorkspace(db, idle_seconds=0.1, wait_seconds=1)
    with shared.lock:  # a use, as `Service.using()` makes it
        ws = shared.acquire()
        cal = ws.calendar()
        shared.done()
    deadline = time.monotonic() + 5
    while shared.is_open and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not shared.is_open
    with shared.lock:
        again = shared.acquire()
        assert again is ws and shared.opened == 2
        assert again.calendar() is cal  # the calendar built before is kept
        assert again.table("tickets").count().execute() == 1
        shared.done()
    shared.close()
    assert not shared.is_open


def test_a_waiting_marker_makes_the_service_let_go_and_wait(tmp_path: Path) -> None:
    from deskmetrics.engine.handoff import SharedWorkspace, WorkspaceBusy, waiting

    db = tmp_path / "ws.duckdb"
    build_workspace({"tickets": [ticket("T1", "2026-03-02T09:00:00Z")]}, path=str(db))
    shared = SharedWorkspace(db, idle_seconds=60, wait_seconds=0.3)
    mine = marker(db)
    with shared.lock:
        shared.acquire()
        mine.write_text("")
        shared.done()
        assert not shared.is_open  # handed over after the use, not after the idle time
        with pytest.raises(WorkspaceBusy, match="in use by a deskmetrics command"):
            shared.acquire()
        mine.unlink()
        assert shared.acquire().table("tickets").count().execute() == 1
        shared.done()
    # a marker left by a process that has ended is stale: removed, not waited for
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()  # fmt: skip
    stale = marker(db, int(dead))
    stale.write_text("")
    assert waiting(db) == []
    assert not stale.exists()
    shared.close()


def test_users_sign_out_ends_every_session_from_the_command_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from deskmetrics.cli import app
    from deskmetrics.engine import open_duckdb

    db = tmp_path / "ws.duckdb"
    ws = open_duckdb(db)
    accounts.set_user(ws, "lead", "lead password", "manager")
    who = accounts.Principal("lead", accounts.Role.manager)
    sessions = [accounts.start_session(ws, who, 1) for _ in range(2)]
    r = CliRunner().invoke(app, ["--db", str(db), "users", "sign-out", "lead"])
    assert r.exit_code == 0, r.output
    assert "ended 2 sessions of lead" in r.output
    assert [accounts.session_user(ws, s) for s in sessions] == [None, None]
    r = CliRunner().invoke(app, ["--db", str(db), "users", "sign-out", "nobody"])
    assert r.exit_code == 2
    assert "no user 'nobody'" in r.output
