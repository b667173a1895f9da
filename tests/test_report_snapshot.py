"""Every registry metric by channel × month on the sample data, compared with a snapshot made
before the engine's single-path refactor (issue 13): a change of structure must not change a
number. Metrics that do not group by channel are compared by month alone.

Regenerate only for a deliberate change of a definition (recorded in DECISIONS.md):
`DESKMETRICS_UPDATE_SNAPSHOT=1 pytest tests/test_report_snapshot.py`."""

from __future__ import annotations

import json
import math
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from deskmetrics.config import load_settings
from deskmetrics.engine import open_duckdb
from deskmetrics.errors import QueryError
from deskmetrics.importers import import_directory
from deskmetrics.metrics import REGISTRY
from deskmetrics.query import compute
from deskmetrics.sample import generate

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "tests" / "fixtures" / "snapshots" / "report_by_channel_month.json"
#: the moment numbers are measured at: fixed, so that running clocks and open periods never move
AS_OF = datetime(2026, 6, 1)


def _value(v: Any) -> Any:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float):
        return float(f"{float(v):.10g}")
    return str(v)


def _report(tmp: Path) -> dict[str, list[dict[str, Any]]]:
    data = tmp / "sample"
    generate(data, tickets=1500, seed=7)
    ws = open_duckdb(tmp / "w.duckdb", load_settings(ROOT / "deskmetrics.toml"))
    import_directory(ws, data)
    ws = ws.at(AS_OF)
    out: dict[str, list[dict[str, Any]]] = {}
    for name in sorted(REGISTRY):
        try:
            df = compute(ws, name, by=["channel"], grain="month", tz="UTC")
        except QueryError:  # the metric does not group by channel
            df = compute(ws, name, grain="month", tz="UTC")
        keep = [c for c in ("channel", "period", "value", "n") if c in df.columns]
        df = df[keep].sort_values([c for c in ("period", "channel") if c in keep])
        out[name] = [
            {c: _value(r[c].isoformat() if isinstance(r[c], pd.Timestamp) else r[c]) for c in keep}
            for _, r in df.iterrows()
        ]
    return out


@pytest.mark.skipif(not (ROOT / "deskmetrics.toml").exists(), reason="needs the demo settings")
def test_every_metric_by_channel_and_month_matches_the_snapshot(tmp_path: Path) -> None:
    got = _report(tmp_path)
    if os.environ.get("DESKMETRICS_UPDATE_SNAPSHOT") == "1":
        SNAPSHOT.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    assert SNAPSHOT.exists(), "no snapshot: make it deliberately (see the module docstring)"
    want = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert sorted(got) == sorted(want), "metrics added or removed: regenerate deliberately"
    for name in want:
        assert got[name] == want[name], name
