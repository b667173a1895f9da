"""Validation's shortcuts for the usual case give what the general path gives: text already
trimmed kept as given, an instant in the usual form told to have an offset without a search,
no duplicate search when no id repeats."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from deskmetrics.model import TABLES, SourceFrame, validate
from deskmetrics.model.validate import _OFFSET, _checked_text, _has_offset, _whole_numbers

_STAMP_CHARS = st.text(alphabet="0123456789-T:Zz+.,  \n\t\x0b٣", max_size=32)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(_STAMP_CHARS, st.sampled_from(["2026-03-01T09:30:00Z"])), max_size=8))
def test_offsets_are_told_as_the_regular_expression_tells_them(values: list[str]) -> None:
    vals = pd.Series(values, index=range(0, 2 * len(values), 2), dtype=object)
    assert _has_offset(vals).tolist() == vals.str.contains(_OFFSET).astype(bool).tolist()


def test_usual_instants_and_their_near_misses() -> None:
    vals = pd.Series(
        ["2026-03-01T09:30:00Z", "2026-03-01T09:30:00.123+01:00", "2026-03-01 09:30:00",
         "2026-03-01T09:30:00+0100", "2026-03-01", "2026-03-01T09:30Z", "soon"]
    )  # fmt: skip
    assert _has_offset(vals).tolist() == [True, True, False, True, False, True, False]


def test_trimmed_text_is_kept_as_given_and_other_text_trimmed() -> None:
    kept = pd.Series(["a", None, "b c", float("nan")], dtype=object)
    out, _ = _checked_text(kept, None)
    assert out.tolist() == ["a", None, "b c", None]
    trimmed = pd.Series([" a", "", "b ", None], dtype=object)
    out, _ = _checked_text(trimmed, None)
    assert out.tolist() == ["a", None, "b", None]


def test_rows_with_distinct_ids_are_all_kept_and_a_repeated_id_still_rejected() -> None:
    def agents(ids: list[str], names: list[str]) -> SourceFrame:
        frame = pd.DataFrame({"agent_id": ids, "name": names}, dtype=object)
        return SourceFrame(table=TABLES["agents"], file="agents.csv", frame=frame)

    valid = validate(agents(["1", "2", "3"], ["Ann", "Bo", "Cy"]))
    assert valid.frame["agent_id"].tolist() == ["1", "2", "3"] and not valid.rejects
    assert valid.frame["_row"].tolist() == [1, 2, 3]
    same = validate(agents(["1", "1", "2"], ["Ann", "Ann", "Bo"]))  # identical: one kept
    assert same.frame["agent_id"].tolist() == ["1", "2"] and same.duplicates == 1
    clash = validate(agents(["1", "1", "2"], ["Ann", "Al", "Bo"]))  # different: both refused
    assert clash.frame["agent_id"].tolist() == ["2"]
    assert [(r.row, r.column) for r in clash.rejects] == [(1, "agent_id"), (2, "agent_id")]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.integers(-(10**15) + 1, 10**15 - 1).map(str),
            st.sampled_from(["007", "-0", "1e3", "1.5", "+4", "1_000", "x", "1234567890123456"]),
        ),
        max_size=8,
    )
)
def test_whole_numbers_read_as_pandas_reads_them(values: list[str | None]) -> None:
    text = pd.Series(values, index=range(1, len(values) + 1), dtype=object)
    got = _whole_numbers(text)
    if got is not None:
        want = pd.to_numeric(text, errors="coerce").astype("float64")
        assert got.index.equals(want.index)
        assert got.tolist() == want.tolist() or got.equals(want)
        assert all(v is not None and v.lstrip("-").isdigit() for v in values if v is not None)


def test_seq_numbers_are_read_in_arrow_and_others_by_pandas() -> None:
    got = _whole_numbers(pd.Series(["2", None, "-15", "007"], dtype=object))
    assert got is not None and got.isna().tolist() == [False, True, False, False]
    assert got.dropna().tolist() == [2.0, -15.0, 7.0]
    assert _whole_numbers(pd.Series(["2", "1.5"], dtype=object)) is None
    assert _whole_numbers(pd.Series([None, None], dtype=object)) is None
