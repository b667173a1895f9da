"""The service under live ingest: answers allowed to lag the data (`[web]
results_may_lag_seconds`), kept facts brought up to date after the answer to a delivery, and
credentials checked without waiting for the workspace.

Starting data (UTC; 2026-03-02 is a Monday), as in tests/test_api_ingest.py:
  T1 email created 09:00, customer message 09:00, agent reply 09:30 → first response 30 min
  T2 email created 10:00, not answered yet
A delivery then adds T2's reply at 11:30 (90 min): the mean becomes (30 + 90) / 2 = 60 min.
"""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import UTC_9_TO_5, build_workspace, msg, settings, ticket
from deskmetrics import accounts
from deskmetrics.api import create_app, deps
from deskmetrics.api.ingest import signed_headers
from deskmetrics.engine.kept import META
from deskmetrics.engine.workspace import STALE_GRACE, ResultCache

SECRET = "crm-shared-secret"
TABLES = {
    "tickets": [
        ticket("T1", "2026-03-02T09:00:00Z", channel="email"),
        ticket("T2", "2026-03-02T10:00:00Z", "c2", channel="email"),
    ],
    "events": [
        msg("E1", "T1", "2026-03-02T09:00:00Z", "customer"),
        msg("E2", "T1", "2026-03-02T09:30:00Z", "agent", "a1"),
    ],
}
REPLY_T2 = msg("E3", "T2", "2026-03-02T11:30:00Z", "agent", "a1")


def config(lag: float) -> dict[str, Any]:
    return {
        **UTC_9_TO_5,
        "web": {
            "sources": {"crm": {"secret": SECRET}},
            "results_may_lag_seconds": lag,
            "busy_wait_seconds": 1,
            # kept open between the requests of a test: letting go of the file (after 2 s
            # idle by default) makes every credential be checked again, with the workspace
            "release_idle_seconds": 600,
        },
    }


def serve(tmp_path: Path, lag: float) -> tuple[TestClient, str]:
    """A service over a workspace file (held only while used, as `deskmetrics serve` does),
    and a viewer's token."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "ws.duckdb"
    ws = build_workspace(TABLES, config(lag), path=str(path))
    viewer = accounts.create_token(ws, "dash", "viewer")
    ws.backend.disconnect()
    return TestClient(create_app(path, settings(config(lag)), secret="test-secret")), viewer


def deliver(c: TestClient, rows: list[dict[str, Any]]) -> None:
    body = json.dumps(rows).encode()
    r = c.post("/api/events", content=body, headers=signed_headers("crm", SECRET, body))
    assert r.status_code == 200, r.text


def frt(c: TestClient, viewer: str, **headers: str) -> tuple[float, int, str | None]:
    r = c.get(
        "/api/report",
        params={"metric": "first_response_time"},
        headers={"Authorization": f"Bearer {viewer}", **headers},
    )
    assert r.status_code == 200, r.text
    (row,) = r.json()
    return row["value"], row["n"], r.headers.get("age")


def test_by_default_the_next_read_has_what_was_acknowledged(tmp_path: Path) -> None:
    c, viewer = serve(tmp_path, lag=0)
    assert frt(c, viewer) == (30.0, 1, None)
    deliver(c, [REPLY_T2])
    assert frt(c, viewer) == (60.0, 2, None)  # made for this request: no Age


def test_a_lagging_answer_says_its_age_and_no_cache_asks_for_a_new_one(tmp_path: Path) -> None:
    c, viewer = serve(tmp_path, lag=60)
    assert frt(c, viewer) == (30.0, 1, None)
    deliver(c, [REPLY_T2])
    value, n, age = frt(c, viewer)
    assert (value, n) == (30.0, 1)  # made before the delivery, less than 60 s ago
    assert age is not None and 0 <= int(age) < 60
    assert frt(c, viewer, **{"Cache-Control": "no-cache"}) == (60.0, 2, None)
    value, n, age = frt(c, viewer)  # others are answered from the new one from then on
    assert (value, n) == (60.0, 2) and age is not None


def test_a_lagging_answer_is_made_again_once_older_than_the_lag(tmp_path: Path) -> None:
    """Past the lag, the old answer is given once more while the new one is made in the
    background; then the new one."""
    c, viewer = serve(tmp_path, lag=0.2)
    assert frt(c, viewer)[:2] == (30.0, 1)
    deliver(c, [REPLY_T2])
    threading.Event().wait(0.3)
    value, n, age = frt(c, viewer)
    assert (value, n) == (30.0, 1) and age is not None
    deadline = time.monotonic() + 10
    while frt(c, viewer)[:2] != (60.0, 2):
        assert time.monotonic() < deadline, "never made again"
        threading.Event().wait(0.05)


def test_a_lagging_read_does_not_wait_for_a_busy_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a write holds the workspace (here: the test holds its lock for longer than the
    1 s a request waits), a read answered from the recent result still gets 200 — its
    token, too, is known without the workspace. Without the lag it gets 503."""
    # a slow machine must not let the token's 5 s pass between the two reads
    monkeypatch.setattr(deps, "CREDENTIALS_SECONDS", 600.0)
    for lag, expected in ((60.0, 200), (0.0, 503)):
        c, viewer = serve(tmp_path / str(lag), lag=lag)
        assert frt(c, viewer)[:2] == (30.0, 1)
        svc = c.app.state.service  # type: ignore[attr-defined]
        with svc.lock:
            r = c.get(
                "/api/report",
                params={"metric": "first_response_time"},
                headers={"Authorization": f"Bearer {viewer}"},
            )
        assert r.status_code == expected, r.text
        if expected == 200:
            assert r.json()[0]["value"] == 30.0


def test_kept_facts_are_current_after_a_delivery_without_any_read(tmp_path: Path) -> None:
    c, viewer = serve(tmp_path, lag=0)
    assert frt(c, viewer)[:2] == (30.0, 1)  # makes the kept facts of the file
    deliver(c, [REPLY_T2])  # the update runs after the answer (TestClient waits for it)
    svc = c.app.state.service  # type: ignore[attr-defined]
    with svc.using() as ws:
        con = ws.backend.con
        (state,) = con.execute(f"SELECT state FROM {META}").fetchone()
        last = con.execute("SELECT max(import_id) FROM _imports WHERE committed").fetchone()[0]
        replied = con.execute(
            "SELECT count(*) FROM _facts_messages WHERE ticket_id = 'T2' AND author_role = 'agent'"
        ).fetchone()[0]
    assert json.loads(state)["import_id"] == last  # brought up to the delivery's import
    assert replied == 1
    assert frt(c, viewer) == (60.0, 2, None)


def test_a_revoked_token_is_refused_at_once_even_when_just_checked(tmp_path: Path) -> None:
    c, viewer = serve(tmp_path, lag=60)
    assert frt(c, viewer)[:2] == (30.0, 1)  # the token is now remembered as valid
    svc = c.app.state.service  # type: ignore[attr-defined]
    with svc.using() as ws:
        (token_id,) = [t["token_id"] for t in accounts.list_tokens(ws) if t["name"] == "dash"]
        assert accounts.revoke_token(ws, token_id)
    r = c.get(
        "/api/report",
        params={"metric": "first_response_time"},
        headers={"Authorization": f"Bearer {viewer}"},
    )
    assert r.status_code == 401


def test_an_out_of_date_result_is_answered_while_made_again_in_the_background() -> None:
    cache = ResultCache()
    cache.keep("k", 1)
    again = threading.Event()

    def make() -> int:
        again.wait(5)
        return 2

    value, age = cache.lagging("k", 0.0, make)  # past the lag: 1 now, 2 being made
    assert value == 1 and age is not None
    assert cache.lagging("k", 0.0, make)[0] == 1  # still being made: no second maker waits
    again.set()
    deadline = time.monotonic() + 5
    while cache.lagging("k", 60.0, lambda: 3)[0] != 2:
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_a_result_older_than_the_grace_is_made_by_the_request() -> None:
    cache = ResultCache()
    cache.keep("k", 1)
    cache._items["k"] = (time.monotonic() - STALE_GRACE - 1, 1)  # made long ago
    assert cache.lagging("k", 0.0, lambda: 2) == (2, None)


def test_a_dashboard_page_lags_like_a_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The overview, the trends and an explanation page, signed in: with a lag, answered while
    the workspace is held and without the delivery made since; without one, 503 while it is
    held."""
    monkeypatch.setattr(deps, "CREDENTIALS_SECONDS", 600.0)  # as above
    for lag, expected in ((60.0, 200), (0.0, 503)):
        c, _ = serve(tmp_path / str(lag), lag=lag)
        svc = c.app.state.service  # type: ignore[attr-defined]
        with svc.using() as ws:
            accounts.set_user(ws, "lead", "correct horse", "viewer")
        assert (
            c.post("/api/session", json={"name": "lead", "password": "correct horse"}).status_code
            == 200
        )
        pages = (
            "/dashboard?from=2026-03-02&to=2026-03-02",
            "/dashboard/trends?from=2026-03-02",
            "/dashboard/explain?metric=first_response_time&from=2026-03-02&to=2026-03-02",
        )
        first = {page: c.get(page) for page in pages}
        assert all(r.status_code == 200 for r in first.values())
        deliver(TestClient(c.app), [REPLY_T2])  # the help desk: no viewer's cookie
        with svc.lock:
            again = {page: c.get(page) for page in pages}
        for page in pages:
            assert again[page].status_code == expected, page
            assert "as of" not in first[page].text and "Age" not in first[page].headers
            if expected == 200:  # the same page as before the delivery, saying its age
                age = again[page].headers["Age"]
                tag = re.search(
                    r'<span class="tag lagging"[^>]*>as of (\d+) s ago</span>', again[page].text
                )
                assert tag is not None and tag.group(1) == age, page
                assert again[page].text.replace(tag.group(0), "") == first[page].text


def test_a_failed_facts_update_after_a_delivery_stops_neither_it_nor_the_callbacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    c, viewer = serve(tmp_path, lag=0)
    svc = c.app.state.service  # type: ignore[attr-defined]

    def busy(update: Any) -> None:
        raise RuntimeError("the workspace stayed busy")

    monkeypatch.setattr(svc, "keep_facts_current", busy)
    called: list[bool] = []
    c.app.state.after_ingest = [lambda: called.append(True)]  # type: ignore[attr-defined]
    deliver(c, [REPLY_T2])
    assert called == [True]
    assert frt(c, viewer) == (60.0, 2, None)  # the read brings the facts up itself
