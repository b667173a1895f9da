"""`execute_rows` (Arrow's conversion where it changes nothing) gives the very frame of Ibis's
`execute` on DuckDB, nulls and all."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any

import ibis
import pandas as pd

from deskmetrics.engine.compile import execute, execute_rows


def test_execute_rows_gives_the_frame_execute_gives() -> None:
    con = ibis.duckdb.connect()
    t = ibis.memtable(
        {
            "text": ["a", None, "c"],
            "text_full": ["x", "y", "z"],
            "whole": [1, None, 3],
            "whole_full": [1, 2, 3],
            "real": [1.5, None, float("nan")],
            "flag": [True, None, False],
            "flag_full": [True, False, True],
            "at": [datetime(2026, 1, 2, 3, 4, 5), None, datetime(2026, 3, 1)],
            "at_full": [datetime(2026, 1, 2), datetime(2026, 1, 3), datetime(2026, 1, 4)],
            "valuepq": [[1.0, 2.0], None, [3.0, 4.0]],
        }
    )
    t = t.mutate(minutes=t.at.epoch_seconds() / 60.0, missing=ibis.null("timestamp"))
    facts: Any = SimpleNamespace(ws=SimpleNamespace(backend=con))
    expected = execute(facts, t)
    got = execute_rows(facts, t)
    pd.testing.assert_frame_equal(got, expected)
    assert got["at"].isna().tolist() == [False, True, False]
