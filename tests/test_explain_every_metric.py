"""`explain` works for every registry metric and lists the rows its number is made of: on the
sample data, the rows `explain` counts are the report's n for every metric, and whenever rows
are counted their ids are listed (issue 13: every number explains itself)."""

from __future__ import annotations

from pathlib import Path

import pytest

from deskmetrics.config import load_settings
from deskmetrics.engine import open_duckdb
from deskmetrics.engine.workspace import Workspace
from deskmetrics.importers import import_directory
from deskmetrics.metrics import REGISTRY
from deskmetrics.query import compute, explain
from deskmetrics.sample import generate

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sample_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    tmp = tmp_path_factory.mktemp("every-metric")
    generate(tmp / "sample", tickets=600, seed=7, ai_agent=True)  # every metric has rows
    ws = open_duckdb(tmp / "w.duckdb", load_settings(ROOT / "deskmetrics.toml"))
    import_directory(ws, tmp / "sample")
    return ws


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_explain_counts_the_rows_behind_n(sample_ws: Workspace, name: str) -> None:
    n = int(compute(sample_ws, name, tz="UTC")["n"].sum())
    _, ex = explain(sample_ws, name, tz="UTC", limit=5)
    assert ex.counted == n
    assert n > 0, "the sample data should give every metric some rows"
    assert len(ex.ids) == min(5, n) and ex.ids == sorted(ex.ids)
    for reason, count in ex.left_out:
        assert count > 0 and ex.left_out_ids[reason], reason
