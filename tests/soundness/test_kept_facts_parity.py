"""Kept facts brought up to date import by import equal facts derived from all the data at once:
a realistic data set arrives in three imports (new tickets, later events of earlier tickets,
new contacts of earlier requesters), then an export that updates tickets."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from deskmetrics.config import load_settings
from deskmetrics.engine import kept
from deskmetrics.engine.workspace import Workspace, open_duckdb
from deskmetrics.importers import import_directory
from deskmetrics.query import compute, facts_frame
from deskmetrics.sample import generate

ROOT = Path(__file__).resolve().parents[2]
SUITE = [
    "first_response_time_business",
    "average_reply_time",
    "full_resolution_time_business",
    "requester_wait_time",
    "on_hold_time_business",
    "reopen_rate",
    "fcr_rate",
    "average_handle_time",
    "backlog",
    "backlog_age",
    "volume",
]
END = datetime(2026, 3, 30)


def _both(ws: Workspace) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(kept facts, derived facts, kept suite, derived suite)."""
    kept_facts = facts_frame(ws)
    kept_suite = compute(ws, SUITE, by=["channel"], grain="week", end=END)
    ws.keep_facts = False
    try:
        derived_facts = facts_frame(ws)
        derived_suite = compute(ws, SUITE, by=["channel"], grain="week", end=END)
    finally:
        ws.keep_facts = True
    return kept_facts, derived_facts, kept_suite, derived_suite


def _write(folder: Path, tickets: pd.DataFrame, events: pd.DataFrame) -> Path:
    folder.mkdir(parents=True)
    tickets.to_parquet(folder / "tickets.parquet", index=False)
    events.to_parquet(folder / "events.parquet", index=False)
    return folder


@pytest.fixture(scope="module")
def imports(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    tmp = tmp_path_factory.mktemp("kept_parity")
    data = tmp / "sample"
    generate(data, tickets=1500, seed=5, start=datetime(2026, 3, 2), days=21)
    t = pd.read_parquet(data / "tickets.parquet")
    e = pd.read_parquet(data / "events.parquet")
    t1 = pd.Timestamp("2026-03-09", tz="UTC")
    t2 = pd.Timestamp("2026-03-16", tz="UTC")
    first = t[t.created_at < t1]
    second = t[(t.created_at >= t1) & (t.created_at < t2)]
    third = t[t.created_at >= t2]
    e1 = e[e.ticket_id.isin(first.ticket_id) & (e["at"] < t1)]
    e2 = e[e.ticket_id.isin(pd.concat([first, second]).ticket_id) & (e["at"] < t2)]
    e2 = e2[~e2.event_id.isin(e1.event_id)]
    e3 = e[~e.event_id.isin(pd.concat([e1, e2]).event_id)]
    # an export that moves some tickets to another channel and others to another requester
    moved = third.head(40).copy()
    moved["channel"] = "chat"
    other = first.head(20).copy()
    other["requester_id"] = third.requester_id.iloc[-1]
    updated = pd.concat([moved, other])
    return [
        _write(tmp / "1", first, e1),
        _write(tmp / "2", second, e2),
        _write(tmp / "3", third, e3),
        _write(tmp / "4", updated, e.head(0)),
    ]


def test_kept_facts_equal_derived_facts_after_every_import(
    imports: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[int] = []
    real = kept._make_all
    monkeypatch.setattr(kept, "_make_all", lambda f: (made.append(1), real(f)))
    ws = open_duckdb(tmp_path / "ws.duckdb", load_settings(ROOT / "deskmetrics.toml"))
    ws.keep_facts_min_events = 0
    for n, folder in enumerate(imports, start=1):
        summary = import_directory(ws, folder)
        assert summary.rejected == 0
        kf, df, ks, ds = _both(ws)
        assert len(kf) == len(df) > 0
        pd.testing.assert_frame_equal(kf, df, check_exact=False, rtol=1e-9)
        key = ["metric", "channel", "period"]
        ks = ks.sort_values(key).reset_index(drop=True)
        ds = ds.sort_values(key).reset_index(drop=True)
        pd.testing.assert_frame_equal(ks, ds, check_exact=False, rtol=1e-9)
        # made once from the first import; every later import only touched some tickets
        assert made == [1], f"import {n}"
    assert (kf["channel"] == "chat").sum() >= 40
