"""The benchmark's pandas baseline (benchmarks/pandas_lifecycle.py) computes the same numbers as
deskmetrics for the whole lifecycle suite by channel × week: otherwise the benchmark would compare
different work. A small sample keeps it fast; `bench_lifecycle.py --check` runs the same check on
100k tickets and more."""

from __future__ import annotations

import importlib.util
import sys
from datetime import datetime
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

from deskmetrics.config import load_settings
from deskmetrics.engine.workspace import open_duckdb
from deskmetrics.importers import import_directory
from deskmetrics.metrics import REGISTRY
from deskmetrics.query import compute
from deskmetrics.sample import generate

ROOT = Path(__file__).resolve().parents[1]
#: the last backlog snapshot ends here (naive UTC) in both implementations
NOW = datetime(2026, 4, 22, 9, 15, 12, 345678)


def _baseline() -> ModuleType:
    path = ROOT / "benchmarks" / "pandas_lifecycle.py"
    spec = importlib.util.spec_from_file_location("pandas_lifecycle", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def pl() -> ModuleType:
    return _baseline()


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory, pl: ModuleType):  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("bench_eq")
    data = tmp / "sample"
    # 3,000 tickets over six weeks across both DST changes (US 8 March, EU 29 March): both
    # schedules, reopens, bots, calls, agent-created tickets, tickets still open at the end
    generate(data, tickets=3000, seed=11, start=datetime(2026, 3, 2), days=42)
    settings = load_settings(ROOT / "deskmetrics.toml")
    ws = open_duckdb(tmp / "ws.duckdb", settings)
    summary = import_directory(ws, data)
    assert summary.rejected == 0
    with pl.frozen_engine_clock(NOW):
        engine = compute(ws, list(pl.SUITE), by=["channel"], grain="week")
    ours = pl.compute_lifecycle(data, settings, now=NOW)
    return ours, engine


def test_suite_is_the_lifecycle_family_plus_volume(pl: ModuleType) -> None:
    family = {m.name for m in REGISTRY.values() if m.family == "ticket lifecycle"}
    assert set(pl.SUITE) == family | {"volume"}


def test_pandas_baseline_gives_the_same_numbers(results, pl: ModuleType) -> None:  # type: ignore[no-untyped-def]
    ours, engine = results
    problems = pl.compare(ours, engine, tol=1e-6)
    assert not problems, "\n".join(problems[:30])
    assert set(ours["metric"]) == set(pl.SUITE)
    assert len(ours) == len(engine)


def test_every_metric_has_rows_to_compare(results) -> None:  # type: ignore[no-untyped-def]
    ours, _ = results
    counted = ours[ours["n"] > 0].groupby("metric").size()
    # every metric of the suite is exercised by the sample (not only empty rows)
    assert set(counted.index) == set(ours["metric"])


def _ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def _edge_cases(folder: Path) -> None:
    """Hand-made tickets for what the sample rarely draws: ties in time (in file order, whatever
    the ids),
    a status change in the second of creation, agent-created tickets with an opening message,
    bot and internal messages, closed without solved, reopened and not solved again, a missing
    channel, calls without segments, repeat contacts at and within the window, tickets of one
    requester created in the same second."""
    folder.mkdir(parents=True)
    T = [
        # ticket, created, requester, channel, created_by, schedule
        ("T1", "2026-03-02 08:00:00", "C1", "email", "customer", None),
        ("T2", "2026-03-03 14:00:00", "C9", "chat", "agent", None),
        ("T3", "2026-03-06 22:00:00", "C1", None, "customer", "support-us"),
        ("T4", "2026-03-07 10:00:00", "C4", "web", None, "unknown-schedule"),
        ("T5", "2026-03-09 09:00:00", "C5", "phone", "customer", "support-us"),
        ("T6", "2026-03-16 09:00:00", "C5", "phone", "customer", None),
        ("T7", "2026-03-10 11:00:00", "C7", "email", "customer", None),
        ("T8", "2026-03-10 11:00:00", "C7", "email", "customer", None),
    ]
    tickets = pd.DataFrame(
        [
            {
                "ticket_id": t,
                "created_at": _ts(c),
                "requester_id": r,
                "channel": ch,
                "created_by": by,
                "schedule_id": s,
            }
            for t, c, r, ch, by, s in T
        ]
    )
    E: list[tuple] = [
        # event, ticket, at, type, role, public, status, talk, hold, wrap
        ("E010", "T1", "2026-03-02 08:00:00", "message", "customer", True, None),
        ("E005", "T1", "2026-03-02 09:30:00", "message", "agent", True, None),
        ("E004", "T1", "2026-03-02 09:30:00", "status", None, None, "open"),
        ("E003", "T1", "2026-03-02 09:30:00", "message", "customer", True, None),
        ("E020", "T1", "2026-03-02 10:00:00", "status", None, None, "solved"),
        ("E021", "T1", "2026-03-03 10:00:00", "status", None, None, "open"),
        ("E023", "T1", "2026-03-03 11:00:00", "message", "agent", None, None),
        ("E022", "T1", "2026-03-04 12:00:00", "status", None, None, "solved"),
        ("E100", "T2", "2026-03-03 14:00:00", "message", "agent", True, None),
        ("E101", "T2", "2026-03-03 14:00:05", "message", "bot", True, None),
        ("E102", "T2", "2026-03-03 14:10:00", "message", "customer", True, None),
        ("E099", "T2", "2026-03-03 14:10:00", "message", "customer", True, None),
        ("E103", "T2", "2026-03-03 14:20:00", "message", "agent", True, None),
        ("E104", "T2", "2026-03-03 14:20:00", "interaction", None, None, None, 300, None, 60),
        ("E105", "T2", "2026-03-03 14:40:00", "interaction", None, None, None),
        ("E106", "T2", "2026-03-03 15:00:00", "status", None, None, "closed"),
        ("E200", "T3", "2026-03-06 22:00:00", "status", None, None, "pending"),
        ("E204", "T3", "2026-03-07 09:00:00", "message", "customer", False, None),
        ("E205", "T3", "2026-03-07 09:05:00", "message", "agent", False, None),
        ("E206", "T3", "2026-03-09 12:00:00", "message", "agent", True, None),
        ("E201", "T3", "2026-03-09 13:00:00", "status", None, None, "hold"),
        ("E202", "T3", "2026-03-09 16:00:00", "status", None, None, "solved"),
        ("E203", "T3", "2026-03-10 08:00:00", "status", None, None, "open"),
        ("E300", "T4", "2026-03-07 10:00:00", "message", "customer", True, None),
        ("E301", "T4", "2026-03-07 10:00:01", "message", "bot", True, None),
        ("E400", "T5", "2026-03-09 09:00:00", "message", "customer", True, None),
        ("E401", "T5", "2026-03-09 09:05:00", "interaction", None, None, None, 600, 30, None),
        ("E402", "T5", "2026-03-09 09:16:00", "status", None, None, "solved"),
        ("E500", "T6", "2026-03-16 09:00:00", "message", "customer", True, None),
        ("E501", "T6", "2026-03-17 09:00:00", "message", "agent", True, None),
        ("E502", "T6", "2026-03-17 09:00:00", "status", None, None, "solved"),
        ("E700", "T7", "2026-03-10 11:00:00", "message", "customer", True, None),
        ("E701", "T7", "2026-03-10 12:00:00", "message", "agent", True, None),
        ("E702", "T7", "2026-03-10 12:00:00", "status", None, None, "solved"),
        ("E800", "T8", "2026-03-10 11:00:00", "message", "customer", True, None),
        ("E801", "T8", "2026-03-11 12:00:00", "message", "agent", True, None),
        ("E802", "T8", "2026-03-11 12:30:00", "status", None, None, "solved"),
    ]
    rows = []
    for e in E:
        eid, tid, at, typ, role, public, status, *seg = (*e, None, None, None)[:10]
        rows.append(
            {
                "event_id": eid,
                "ticket_id": tid,
                "at": _ts(at),
                "type": typ,
                "author_role": role,
                "author_id": "A1" if role == "agent" else None,
                "public": public,
                "status": status,
                "agent_id": "A1" if typ == "interaction" else None,
                "talk_seconds": seg[0],
                "hold_seconds": seg[1],
                "wrap_seconds": seg[2],
            }
        )
    events = pd.DataFrame(rows)
    for c in ("talk_seconds", "hold_seconds", "wrap_seconds"):
        events[c] = events[c].astype("float64")
    events["public"] = events["public"].astype("boolean")
    tickets.to_parquet(folder / "tickets.parquet", index=False)
    events.to_parquet(folder / "events.parquet", index=False)


def test_pandas_baseline_matches_on_edge_cases(tmp_path: Path, pl: ModuleType) -> None:
    data = tmp_path / "edge"
    _edge_cases(data)
    settings = load_settings(ROOT / "deskmetrics.toml")
    ws = open_duckdb(tmp_path / "edge.duckdb", settings)
    summary = import_directory(ws, data)
    assert summary.rejected == 0, [str(r) for r in summary.rejects]
    now = datetime(2026, 3, 25, 7, 0, 0, 500)
    with pl.frozen_engine_clock(now):
        engine = compute(ws, list(pl.SUITE), by=["channel"], grain="week")
    ours = pl.compute_lifecycle(data, settings, now=now)
    problems = pl.compare(ours, engine, tol=1e-6)
    assert not problems, "\n".join(problems[:30])
    # the hand-made cases reach every metric
    assert set(ours.loc[ours["n"] > 0, "metric"]) == set(pl.SUITE)
