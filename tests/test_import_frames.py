"""Frames of mapped rows: rows given as tuples make the frame their dicts make."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deskmetrics.importers.frames import record_frame, tuple_frame

COLUMNS = ("event_id", "ticket_id", "at", "type", "body")

#: cell values a mapping may give (text, null, numbers, objects)
CELLS = st.one_of(
    st.none(),
    st.text(max_size=5),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    assert a.index.equals(b.index)
    assert all(a[c].dtype == object and b[c].dtype == object for c in a.columns)
    for c in a.columns:
        assert all(x is y for x, y in zip(a[c], b[c], strict=True)), c


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(*[CELLS] * len(COLUMNS)), max_size=8))
def test_tuples_make_the_frame_their_dicts_make(rows: list[tuple[Any, ...]]) -> None:
    """Every cell is the row's own value (a list or tuple stays one cell), in a frame of
    objects with the same columns and index as `record_frame` makes from the dicts."""
    lines = list(range(1, len(rows) + 1))
    dicts = [dict(zip(COLUMNS, r, strict=True)) for r in rows]
    want = record_frame("events", "f.json", COLUMNS, dicts, lines, [])
    got = tuple_frame("events", "f.json", COLUMNS, rows, lines, [])
    _same(got.frame, want.frame)
    assert list(got.row_numbers()) == list(want.row_numbers())


@pytest.mark.parametrize("cell", [[1, 2], (1, 2), [], ["a"]], ids=["list", "tuple", "empty", "one"])
def test_a_sequence_stays_one_cell(cell: Any) -> None:
    """NumPy would take a list or tuple apart (a column of them: another dimension): each
    stays the row's own value."""
    rows = [("a", cell, None, "x", "y"), ("b", cell, None, "x", "y")]
    got = tuple_frame("events", "f.json", COLUMNS, rows, [1, 2], []).frame
    assert got.shape == (2, 5)
    assert got["ticket_id"].iloc[0] is cell and got["ticket_id"].iloc[1] is cell


def test_a_row_of_another_width_is_an_error() -> None:
    with pytest.raises(ValueError):
        tuple_frame("events", "f.json", COLUMNS, [("a",) * 5, ("b",) * 4], [1, 2], [])
