"""The live queue narrows its inputs to tickets open at `now` before building clocks (for speed):
it must list exactly the breached and at-risk targets still running in the full SLA state."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd

from deskmetrics.config import load_settings
from deskmetrics.engine.workspace import open_duckdb
from deskmetrics.importers import import_directory
from deskmetrics.sample import generate
from deskmetrics.sla_query import sla_queue, sla_state

ROOT = Path(__file__).resolve().parents[2]


def test_queue_equals_the_running_breached_and_at_risk_targets_of_the_state(
    tmp_path: Path,
) -> None:
    data = tmp_path / "sample"
    generate(data, tickets=1200, seed=9, start=datetime(2026, 3, 2), days=14)
    ws = open_duckdb(tmp_path / "ws.duckdb", load_settings(ROOT / "deskmetrics.toml"))
    assert import_directory(ws, data).rejected == 0
    for now in (datetime(2026, 3, 9, 12, 0), datetime(2026, 3, 14, 3, 30)):
        state = sla_state(ws, now=now)
        want = state[state["stopped_at"].isna() & state["status"].isin(["breached", "at_risk"])]
        got = sla_queue(ws, now=now, limit=None)
        assert len(want) > 20  # a busy queue, not a trivial one
        key = ["ticket_id", "sla_target"]
        cols = [c for c in state.columns if c in got.columns]
        a = want[cols].sort_values(key).reset_index(drop=True)
        b = got[cols].sort_values(key).reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b, check_dtype=False)
