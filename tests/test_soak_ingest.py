"""Soak (bounded, loopback): `deskmetrics serve` as a real process, signed ingest and reads
from several threads, and the server killed with SIGKILL three times at random moments and
started again. Afterwards every acknowledged (2xx) delivery is stored, every delivery is stored
whole or not at all, and the import log accounts for exactly the stored rows.

About 40 s on a loaded 2-core machine: four server starts and a few seconds of traffic each."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

import deskmetrics
from conftest import UTC_9_TO_5, build_workspace, msg, ticket
from deskmetrics import accounts
from deskmetrics.api.ingest import signed_headers

SECRET = "soak-secret"
SOURCE = "soak"
POSTERS = 3
KILLS = 3
SRC = Path(deskmetrics.__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One `deskmetrics serve` process at a time over the same workspace file."""

    def __init__(self, db: Path, config: Path, log: Path) -> None:
        self.db, self.config, self.log = db, config, log
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self) -> None:
        port = _free_port()
        env = {**os.environ, "PYTHONPATH": str(SRC)}
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "deskmetrics.cli", "--db", str(self.db), "--config",
                 str(self.config), "serve", "--port", str(port)],
                env=env, stdout=out, stderr=out,
            )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()[-2000:]
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    self.url = url
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError(f"the server did not start: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown hook, no checkpoint, no flush."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.proc = None


@pytest.fixture
def server(tmp_path: Path) -> Any:
    db = tmp_path / "soak.duckdb"
    ws = build_workspace(
        {
            "tickets": [ticket("T1", "2026-03-02T09:00:00Z", channel="email")],
            "events": [msg("E1", "T1", "2026-03-02T09:00:00Z", "customer")],
        },
        UTC_9_TO_5,
        path=str(db),
    )
    token = accounts.create_token(ws, "soak-reader", "viewer")
    ws.backend.con.close()
    config = tmp_path / "deskmetrics.toml"
    config.write_text(
        'timezone = "UTC"\n[schedules.office]\ntimezone = "UTC"\n'
        'hours = { mon = "09:00-17:00", tue = "09:00-17:00" }\ndefault = true\n'
        f'[web.sources.{SOURCE}]\nsecret = "{SECRET}"\n',
        encoding="utf-8",
    )
    srv = Server(db, config, tmp_path / "server.log")
    srv.start()
    yield srv, token, db
    if srv.proc is not None:
        srv.kill()


def test_every_acknowledged_delivery_survives_kill_9(server: Any) -> None:
    srv, token, db = server
    stop = threading.Event()
    acked: list[list[str]] = []  # the event ids of each 2xx delivery
    sent: list[list[str]] = []  # every delivery attempted
    reads: list[int] = []
    errors: list[str] = []  # answers no client should get (threads cannot fail the test)
    lock = threading.Lock()

    def poster(worker: int) -> None:
        n = 0
        with httpx.Client(timeout=5) as http:
            while not stop.is_set():
                ids = [f"soak-{worker}-{n}-{k}" for k in range(2)]
                n += 1
                minute = n % 600
                rows = [
                    msg(i, "T1", f"2026-03-02T{10 + minute // 60:02d}:{minute % 60:02d}:00Z",
                        "agent", f"a{worker}")
                    for i in ids
                ]  # fmt: skip
                body = json.dumps(rows).encode()
                with lock:
                    sent.append(ids)
                try:
                    r = http.post(
                        f"{srv.url}/api/events",
                        content=body,
                        headers=signed_headers(SOURCE, SECRET, body),
                    )
                except httpx.HTTPError:
                    time.sleep(0.05)  # the server is down: try the next delivery
                    continue
                if r.status_code == 200 and r.json()["inserted"] == 2:
                    with lock:
                        acked.append(ids)
                else:
                    errors.append(f"POST {r.status_code}: {r.text[:300]}")

    def reader() -> None:
        with httpx.Client(timeout=5) as http:
            while not stop.is_set():
                try:
                    r = http.get(
                        f"{srv.url}/api/report",
                        params={"metric": "volume"},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                except httpx.HTTPError:
                    time.sleep(0.05)
                    continue
                if r.status_code == 200:
                    reads.append(r.json()[0]["n"])
                else:
                    errors.append(f"GET {r.status_code}: {r.text[:300]}")

    threads = [threading.Thread(target=poster, args=(w,)) for w in range(POSTERS)]
    threads.append(threading.Thread(target=reader))
    for t in threads:
        t.start()
    seed = time.time_ns()
    rnd = random.Random(seed)
    try:
        for _ in range(KILLS):
            time.sleep(rnd.uniform(2.0, 4.0))
            srv.kill()
            srv.start()
        time.sleep(2.5)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=20)
    srv.kill()

    assert errors == [], (seed, errors[:5])
    assert len(acked) >= 10 and reads, (seed, len(acked), len(reads))
    con = duckdb.connect(str(db))
    try:
        stored = {
            r[0]
            for r in con.execute(
                "SELECT event_id FROM events WHERE event_id LIKE 'soak-%'"
            ).fetchall()
        }
        lost = [ids for ids in acked if not set(ids) <= stored]
        assert lost == [], (seed, lost[:5])
        # a delivery is stored whole or not at all
        halves = [ids for ids in sent if len(set(ids) & stored) == 1]
        assert halves == [], (seed, halves[:5])
        # the import log accounts for exactly the stored rows: no commit without its log entry
        logged = sum(
            json.loads(s)["tables"]["events"]["inserted"]
            for (s,) in con.execute(
                "SELECT summary FROM _imports WHERE source = ? AND committed", [f"api:{SOURCE}"]
            ).fetchall()
        )
        assert logged == len(stored), (seed, logged, len(stored))
        (copies,) = con.execute(
            "SELECT count(*) - count(DISTINCT event_id) FROM events"
        ).fetchone() or (None,)
        assert copies == 0
    finally:
        con.close()
