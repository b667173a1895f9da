"""Frames of mapped records, what the JSON exports' importers (Zendesk, Chatwoot, Zammad,
Freshdesk, Help Scout) share: a frame of dicts (or of tuples in column order) read column by
column as objects, and the rows of one table and file collected until they make one."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Generic, TypeVar

import numpy as np
import pandas as pd

from deskmetrics.model import TABLES, Reject, SourceFrame

Record = dict[str, Any]
#: a row as an importer collects it: a dict by column name or a tuple in the columns' order
R = TypeVar("R")


def record_frame(
    table: str,
    file: str,
    columns: Sequence[str],
    rows: Iterable[Record],
    numbers: Sequence[int],
    rejects: list[Reject],
) -> SourceFrame:
    """The frame of `rows` (read from lines `numbers` of `file`) with its rejects by row."""
    rows = list(rows)
    # column by column, as objects (missing keys and nulls both None): no type inference
    data = {c: np.array([r.get(c) for r in rows], dtype=object) for c in columns}
    return _source_frame(table, file, data, len(rows), columns, numbers, rejects)


def tuple_frame(
    table: str,
    file: str,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    numbers: Sequence[int],
    rejects: list[Reject],
) -> SourceFrame:
    """`record_frame` of rows given as tuples in `columns`' order (no dict per row; the
    columns are taken apart in C): the same frame as the dicts of the same values make."""
    data = _object_matrix(rows, len(columns))
    return _source_frame(table, file, data, len(rows), columns, numbers, rejects)


def _source_frame(
    table: str,
    file: str,
    data: Any,
    n: int,
    columns: Sequence[str],
    numbers: Sequence[int],
    rejects: list[Reject],
) -> SourceFrame:
    """The frame of `data` (columns by name, or a rows × columns object array) as objects,
    with the file's line numbers and its rejects by row."""
    frame = pd.DataFrame(data, index=pd.RangeIndex(n), columns=list(columns), dtype=object)
    return SourceFrame(
        table=TABLES[table],
        file=file,
        frame=frame,
        rows=np.asarray(numbers, dtype=np.int64),
        rejects=sorted(rejects, key=lambda r: r.row),
    )


def _object_matrix(rows: Sequence[tuple[Any, ...]], width: int) -> np.ndarray:
    """The rows as a 2-D object array (rows × `width`), each cell the value itself: made by
    NumPy at once when every value is a scalar, else column by column (a value that is a list
    or tuple would be taken apart by NumPy)."""
    try:
        matrix = np.array(rows, dtype=object) if rows else np.empty((0, width), dtype=object)
    except ValueError:  # ragged: a value is a sequence of another length
        matrix = None
    if matrix is not None and matrix.shape == (len(rows), width):
        return matrix
    if any(len(r) != width for r in rows):
        raise ValueError(f"rows of other than {width} values")
    matrix = np.empty((len(rows), width), dtype=object)
    for i, r in enumerate(rows):
        for j, v in enumerate(r):
            matrix[i, j] = v  # one cell each: a sequence stays a single value
    return matrix


class _Chunk(Generic[R]):
    """Rows of one table and file collected until they make a frame."""

    def __init__(self, table: str, file: str, columns: Sequence[str]) -> None:
        self.table, self.file, self.columns = table, file, columns
        self.rows: list[R] = []
        self.lines: list[int] = []

    def __len__(self) -> int:
        return len(self.rows)

    def add(self, line: int, row: R) -> None:
        self.rows.append(row)
        self.lines.append(line)

    def extend(self, line: int, rows: list[R]) -> None:
        """Add the rows one record (on `line`) maps to."""
        self.rows.extend(rows)
        self.lines.extend([line] * len(rows))

    def full(self, chunk_rows: int | None) -> bool:
        """Whether the chunk holds `chunk_rows` rows (never when None: read whole)."""
        return chunk_rows is not None and len(self.rows) >= chunk_rows

    def take(self, rejects: dict[str, list[Reject]]) -> SourceFrame:
        """The frame of the rows so far with their rejects found so far (taken out of
        `rejects`, by "<table>:<file>"), and empty again."""
        sf = self._frame(rejects.pop(f"{self.table}:{self.file}", []))
        self.rows, self.lines = [], []
        return sf

    def _frame(self, rejects: list[Reject]) -> SourceFrame:
        raise NotImplementedError


class RecordChunk(_Chunk[Record]):
    """Rows (dicts by column name) of one table and file collected until they make a frame."""

    def _frame(self, rejects: list[Reject]) -> SourceFrame:
        return record_frame(self.table, self.file, self.columns, self.rows, self.lines, rejects)


class TupleChunk(_Chunk[tuple[Any, ...]]):
    """Rows of one table and file, each a tuple in the columns' order, collected until they
    make a frame (`RecordChunk` without a dict per row: the mapping of a large export makes
    hundreds of thousands of events)."""

    def _frame(self, rejects: list[Reject]) -> SourceFrame:
        return tuple_frame(self.table, self.file, self.columns, self.rows, self.lines, rejects)
