"""Exports that are safe to open in a spreadsheet (OWASP's CSV-injection guidance).

Ticket subjects, tags, comments and names come from customers. A text cell starting with `=`,
`+`, `-`, `@`, a tab or a carriage return is read as a formula by Excel, LibreOffice and
Google Sheets, so an exported `=HYPERLINK(...)` subject would become a live link (or worse)
in the support lead's spreadsheet. Every CSV and XLSX writer goes through this module:

- CSV: such a text cell is written with a leading `'` (the spreadsheet shows it as text).
- XLSX: the cell is written as text (and marked quote-prefixed), with its value unchanged; no
  cell of an export is ever a formula.

Only text is touched: numbers (negative ones included), booleans, dates and empty cells are
written as they are."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import pandas as pd

#: first characters that make a spreadsheet read a text cell as a formula
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: Any) -> bool:
    """True for text a spreadsheet would read as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def safe_cell(value: Any) -> Any:
    """`value` for a CSV cell: formula-like text gets a leading `'`, anything else is kept."""
    return "'" + value if is_formula_like(value) else value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of `df` whose text cells are safe to open (numeric columns are left alone)."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(safe_cell).astype(object)
    out.columns = [safe_cell(str(c)) for c in out.columns]
    return out


def frame_csv(df: pd.DataFrame) -> str:
    """`df` as CSV text (no index) with formula-like text neutralised."""
    return safe_frame(df).to_csv(index=False)


def write_frame_csv(df: pd.DataFrame, out: Path | IO[str]) -> None:
    """`df` as CSV (no index), formula-like text neutralised, to a path or an open stream."""
    safe_frame(df).to_csv(out, index=False)


def rows_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Rows of plain values as CSV text (lines end with `\\n`), formula-like text neutralised."""
    import csv

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([safe_cell(str(h)) for h in header])
    for r in rows:
        w.writerow([safe_cell(v) for v in r])
    return buf.getvalue()


def _xlsx_value(v: Any) -> Any:
    """A cell value openpyxl can store: missing → empty, NumPy/pandas scalars → Python."""
    if v is None or v is pd.NaT:
        return None
    if isinstance(v, float) and v != v:  # NaN
        return None
    if isinstance(v, pd.Timestamp):
        if pd.isna(v):
            return None
        return (v.tz_convert("UTC").tz_localize(None) if v.tzinfo else v).to_pydatetime()
    if isinstance(v, datetime) and v.tzinfo is not None:
        return v.astimezone(UTC).replace(tzinfo=None)  # Excel has no time zones: UTC
    if isinstance(v, str | bool | int | float | Decimal | date):
        return v
    if hasattr(v, "item"):
        return _xlsx_value(v.item())
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return str(v)


def write_xlsx(df: pd.DataFrame, out: Path | IO[bytes], sheet: str = "facts") -> None:
    """`df` as an XLSX workbook (one sheet, a header row): every text cell is a text cell,
    never a formula, and keeps its value; numbers stay numbers."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)

    def cell(value: Any) -> WriteOnlyCell:
        c = WriteOnlyCell(ws, value=_xlsx_value(value))
        if isinstance(c.value, str):
            c.data_type = "s"  # openpyxl would make text starting with '=' a formula
            if is_formula_like(c.value):
                c.quotePrefix = True  # Excel keeps it text even when the cell is edited
        return c

    ws.append([cell(str(c)) for c in df.columns])
    for row in df.itertuples(index=False, name=None):
        ws.append([cell(v) for v in row])
    wb.save(out)


__all__ = [
    "FORMULA_TRIGGERS",
    "frame_csv",
    "is_formula_like",
    "rows_csv",
    "safe_cell",
    "safe_frame",
    "write_frame_csv",
    "write_xlsx",
]
