"""Within a request's queries the workspace asks the backend which tables it has, and each
table's shape, once (`Workspace.steady_catalog`); the numbers are those asked every time."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import build_workspace, msg, ticket
from deskmetrics.engine import Workspace
from deskmetrics.query import compute


@pytest.fixture
def ws() -> Workspace:
    return build_workspace(
        {
            "tickets": [
                ticket("t1", "2026-03-02T09:00:00Z", channel="email"),
                ticket("t2", "2026-03-02T10:00:00Z", channel="chat"),
            ],
            "events": [
                msg("e1", "t1", "2026-03-02T09:00:00Z", "customer"),
                msg("e2", "t1", "2026-03-02T09:30:00Z", "agent"),
                msg("e3", "t2", "2026-03-02T10:00:00Z", "customer"),
                msg("e4", "t2", "2026-03-02T11:00:00Z", "agent"),
            ],
        }
    )


def _counting(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    calls = {"list_tables": 0, "table": 0}
    backend: Any = ws.backend
    real_list, real_table = backend.list_tables, backend.table

    def list_tables(*a: Any, **k: Any) -> Any:
        calls["list_tables"] += 1
        return real_list(*a, **k)

    def table(*a: Any, **k: Any) -> Any:
        calls["table"] += 1
        return real_table(*a, **k)

    monkeypatch.setattr(backend, "list_tables", list_tables)
    monkeypatch.setattr(backend, "table", table)
    return calls


def test_within_the_scope_tables_are_listed_and_read_once(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _counting(ws, monkeypatch)
    with ws.steady_catalog():
        for _ in range(3):
            assert ws.has("tickets") and not ws.has("no_such_table")
            assert "channel" in ws.table("tickets").columns
    assert calls == {"list_tables": 1, "table": 1}
    ws.has("tickets")  # outside: asked again, every time
    ws.has("tickets")
    assert calls["list_tables"] == 3


def test_a_request_asks_the_catalog_a_few_times_for_the_same_numbers(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = compute(ws, ["first_response_time", "volume"], by=["channel"])
    calls = _counting(ws, monkeypatch)
    again = compute(ws, ["first_response_time", "volume"], by=["channel"])
    assert again.equals(before)
    # by hand: chat 60 min, email 30 min
    frt = again[again.metric == "first_response_time"].set_index("channel")["value"]
    assert frt.to_dict() == {"chat": 60.0, "email": 30.0}
    assert calls["list_tables"] <= 3  # was once per table a query read (a dozen and more)
