"""The service answers a computed result again while no data arrived (issue 14: a page in a
blink): the same request is computed once; an import, ingest or delete through the store (a
new data version) is seen by the next request; `[web] result_cache_seconds = 0` turns it off;
a workspace handed to `create_app` open is never cached (its caller may change it behind the
store's back)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import deskmetrics.query
from conftest import UTC_9_TO_5, build_workspace, settings, ticket
from deskmetrics import accounts
from deskmetrics.api import create_app
from deskmetrics.importers import import_directory


def _served(tmp_path: Path, **web: Any) -> tuple[TestClient, Any]:
    db = tmp_path / "ws.duckdb"
    ws = build_workspace(
        {"tickets": [ticket("T1", "2026-03-02T09:00:00Z"), ticket("T2", "2026-03-03T09:00:00Z")]},
        path=str(db),
    )
    token = accounts.create_token(ws, "reader", "viewer")
    ws.backend.disconnect()
    app = create_app(db, settings({**UTC_9_TO_5, "web": web}), secret="s" * 32)
    client = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    return client, app


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times a result was computed (facts read) rather than answered again."""
    calls: list[int] = []
    real: Callable[..., Any] = deskmetrics.query.current_facts

    def counting(*a: Any, **kw: Any) -> Any:
        calls.append(1)
        return real(*a, **kw)

    monkeypatch.setattr(deskmetrics.query, "current_facts", counting)
    return calls


def _volume(client: TestClient, **params: str) -> float:
    r = client.get("/api/report", params={"metric": "volume", **params})
    assert r.status_code == 200, r.text
    return float(r.json()[0]["value"])


def test_the_same_request_is_computed_once_until_data_arrives(
    tmp_path: Path, computed: list[int]
) -> None:
    client, app = _served(tmp_path)
    assert _volume(client) == 2.0
    assert _volume(client) == 2.0
    assert len(computed) == 1
    # another request is another result
    assert _volume(client, now="2026-03-02T12:00:00Z") == 1.0
    assert len(computed) == 2
    # a new ticket through the store: the next request sees it
    data = tmp_path / "new"
    data.mkdir()
    (data / "tickets.csv").write_text(
        "ticket_id,created_at,requester_id\nT3,2026-03-04T09:00:00Z,c9\n"
    )
    with app.state.service.using() as ws:
        import_directory(ws, data)
    assert _volume(client) == 3.0
    assert len(computed) == 3
    assert _volume(client) == 3.0
    assert len(computed) == 3


def test_a_result_is_computed_again_after_result_cache_seconds(
    tmp_path: Path, computed: list[int]
) -> None:
    client, _ = _served(tmp_path, result_cache_seconds=0.5)
    assert _volume(client) == 2.0
    time.sleep(0.6)  # running clocks move on: the same request is measured again
    assert _volume(client) == 2.0
    assert len(computed) == 2


def test_no_cache_when_turned_off(tmp_path: Path, computed: list[int]) -> None:
    client, _ = _served(tmp_path, result_cache_seconds=0)
    assert _volume(client) == 2.0
    assert _volume(client) == 2.0
    assert len(computed) == 2


def test_an_open_workspace_given_to_the_app_is_never_cached(computed: list[int]) -> None:
    ws = build_workspace({"tickets": [ticket("T1", "2026-03-02T09:00:00Z")]})
    token = accounts.create_token(ws, "reader", "viewer")
    client = TestClient(
        create_app(ws, secret="s" * 32), headers={"Authorization": f"Bearer {token}"}
    )
    assert _volume(client) == 1.0
    # written around the store: the caller owns this workspace, so nothing may be kept
    ws.backend.con.execute("DELETE FROM tickets")
    r = client.get("/api/report", params={"metric": "volume"})
    assert r.status_code == 200 and r.json()[0]["value"] in (0.0, None)
    assert len(computed) == 2


def test_one_computation_for_many_asking_at_once() -> None:
    """Single-flight: eight threads asking for the same key while it is being made wait for
    the one computation; each gets its own copy of the result."""
    import threading

    from deskmetrics.engine.workspace import ResultCache

    cache = ResultCache()
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def make() -> list[int]:
        calls.append(1)
        started.set()
        release.wait(5)
        return [42]

    got: list[list[int]] = []
    threads = [
        threading.Thread(target=lambda: got.append(cache.fetch("k", lambda _: True, make)))
        for _ in range(8)
    ]
    threads[0].start()
    started.wait(5)
    for t in threads[1:]:
        t.start()
    release.set()
    for t in threads:
        t.join(5)
    assert len(calls) == 1
    assert got == [[42]] * 8
    assert len({id(x) for x in got}) == 8  # copies: one request cannot change another's


def test_a_failed_computation_is_made_again_by_the_next() -> None:
    from deskmetrics.engine.workspace import ResultCache

    cache = ResultCache()

    def fail() -> int:
        raise RuntimeError("engine gone")

    with pytest.raises(RuntimeError):
        cache.fetch("k", lambda _: True, fail)
    assert cache.fetch("k", lambda _: True, lambda: 7) == 7
    assert cache.fetch("k", lambda _: False, lambda: 8) == 8  # stale: made again
    assert cache.fetch("k", lambda _: True, lambda: 9) == 8
