"""Shared test helpers: a workspace built from literal rows through the real import path."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
import pytest

from deskmetrics.config import Settings
from deskmetrics.engine import Workspace, open_duckdb
from deskmetrics.engine.store import load
from deskmetrics.model import TABLES, SourceFrame, validate

#: Monday–Friday 09:00–17:00 UTC, no holidays: business time is easy to compute by hand
UTC_9_TO_5 = {
    "schedules": {
        "office": {
            "timezone": "UTC",
            "hours": {d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")},
            "default": True,
        }
    },
    "timezone": "UTC",
}


def settings(data: Mapping[str, Any] | None = None) -> Settings:
    return Settings.model_validate(dict(data) if data is not None else UTC_9_TO_5)


def build_workspace(
    tables: Mapping[str, Iterable[Mapping[str, Any]]],
    config: Mapping[str, Any] | Settings | None = None,
    path: str = ":memory:",
) -> Workspace:
    """A DuckDB workspace holding `tables` (rows as dicts, canonical columns), loaded through
    validation and the store exactly as an import would; fails on any reject."""
    s = config if isinstance(config, Settings) else settings(config)
    ws = open_duckdb(path, s)
    frames = []
    for name, rows in tables.items():
        frame = pd.DataFrame(list(rows))
        frames.append(validate(SourceFrame(TABLES[name], f"{name}.test", frame), limits=s.limits))
    summary = load(ws.backend.con, frames, source="test")
    assert not summary.rejects, [str(r) for r in summary.rejects]
    return ws


def ticket(tid: str, created: str, requester: str = "c1", **kw: Any) -> dict[str, Any]:
    return {"ticket_id": tid, "created_at": created, "requester_id": requester, **kw}


def msg(
    eid: str, tid: str, at: str, role: str, author: str | None = None, public: bool = True
) -> dict[str, Any]:
    return {
        "event_id": eid,
        "ticket_id": tid,
        "at": at,
        "type": "message",
        "author_role": role,
        "author_id": author or role,
        "public": "true" if public else "false",
    }


def status(eid: str, tid: str, at: str, value: str, author: str | None = None) -> dict[str, Any]:
    return {
        "event_id": eid,
        "ticket_id": tid,
        "at": at,
        "type": "status",
        "status": value,
        "author_id": author,
    }


def interaction(
    eid: str,
    tid: str,
    at: str,
    agent: str | None,
    talk: float | None = None,
    hold: float | None = None,
    wrap: float | None = None,
) -> dict[str, Any]:
    return {
        "event_id": eid,
        "ticket_id": tid,
        "at": at,
        "type": "interaction",
        "agent_id": agent,
        "talk_seconds": talk,
        "hold_seconds": hold,
        "wrap_seconds": wrap,
    }


def one(df: pd.DataFrame, **where: Any) -> pd.Series:
    """The single result row matching `where` (fails when there is not exactly one)."""
    sel = df
    for k, v in where.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, f"expected one row for {where}, got {len(sel)}:\n{df}"
    return sel.iloc[0]


@pytest.fixture
def make_ws():  # type: ignore[no-untyped-def]
    return build_workspace
