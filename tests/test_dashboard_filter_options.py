"""The dashboard's filters offer each dimension's values as the tickets have them: asked in
one query over all the dimensions together, they are those each dimension has alone."""

from __future__ import annotations

from pathlib import Path

from deskmetrics.api.routes.dashboard import filter_options
from deskmetrics.config import Settings
from deskmetrics.engine import open_duckdb
from deskmetrics.importers import import_directory
from deskmetrics.query import compute
from deskmetrics.sample import generate


def test_filter_options_are_each_dimensions_own_values(tmp_path: Path) -> None:
    generate(tmp_path / "sample", tickets=300, seed=5)
    ws = open_duckdb(tmp_path / "ws.duckdb", Settings())
    import_directory(ws, tmp_path / "sample")
    options = filter_options(object(), ws)  # type: ignore[arg-type]
    for dim in ("channel", "team", "agent", "priority", "topic", "handled_by"):
        alone = compute(ws, "volume", by=[dim])
        expected = sorted(str(v) for v in alone[dim].dropna().unique() if str(v))
        assert options[dim] == expected, dim
    assert len(options["channel"]) >= 3 and len(options["agent"]) >= 3
    assert options["tag"]
