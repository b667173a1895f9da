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
    facts: Any = SimpleNamespace(ws=SimpleNamespace(backend=con), kept=False, materialize=False)
    expected = execute(facts, t)
    got = execute_rows(facts, t)
    pd.testing.assert_frame_equal(got, expected)
    assert got["at"].isna().tolist() == [False, True, False]


def test_a_query_over_stored_facts_compiles_unmerged_to_the_same_rows() -> None:
    """`execute` over stored fact tables compiles with Ibis's select merging off
    (`selects_unfused`): other SQL, the same rows; the option is as it was after, also when
    threads overlap inside."""
    import threading

    from deskmetrics.engine.compile import selects_unfused

    con = ibis.duckdb.connect()
    t = ibis.memtable({"channel": ["email", "chat", "email", None], "minutes": [1.0, 2.5, 4.0, 8]})
    t = t.mutate(m2=t.minutes * 2).filter(lambda x: x.minutes > 1).mutate(m3=lambda x: x.m2 + 1)
    q = t.group_by("channel").aggregate(n=t.count(), mean=t.m3.mean()).order_by("channel")
    fused_sql = ibis.to_sql(q, dialect="duckdb")
    with selects_unfused():
        assert ibis.options.sql.fuse_selects is False
        unfused_sql = ibis.to_sql(q, dialect="duckdb")
    assert ibis.options.sql.fuse_selects is True
    assert unfused_sql != fused_sql
    merged: Any = SimpleNamespace(ws=SimpleNamespace(backend=con), kept=False, materialize=False)
    stored: Any = SimpleNamespace(ws=SimpleNamespace(backend=con), kept=True, materialize=False)
    expected = pd.DataFrame(
        {"channel": ["chat", "email", None], "n": [1, 1, 1], "mean": [6.0, 9.0, 17.0]}
    )
    pd.testing.assert_frame_equal(execute(merged, q), expected)
    pd.testing.assert_frame_equal(execute(stored, q), expected)
    assert ibis.options.sql.fuse_selects is True

    inside, release = threading.Barrier(3), threading.Event()

    def hold() -> None:
        with selects_unfused():
            inside.wait()
            release.wait()

    threads = [threading.Thread(target=hold) for _ in range(2)]
    for th in threads:
        th.start()
    inside.wait()
    assert ibis.options.sql.fuse_selects is False
    release.set()
    for th in threads:
        th.join()
    assert ibis.options.sql.fuse_selects is True
