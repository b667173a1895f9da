"""Canonical files: one file per table (tickets.csv, events.parquet, surveys.jsonl, …)."""

from __future__ import annotations

import csv
import itertools
import json
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from deskmetrics.errors import ImportDataError
from deskmetrics.model import DEFAULT_LIMITS, TABLES, Limits, Reject, SourceFrame, Table

SUFFIXES = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
CHUNK_ROWS = 100_000
#: bytes of a CSV file checked at a time (UTF-8, one record per line)
_BLOCK = 1 << 24
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(r"[\[\]{}]")
#: pandas' warning for a line it skipped (`on_bad_lines="warn"`)
_SKIPPED = re.compile(r"Skipping line (\d+): expected \d+ fields, saw (\d+)")


def find_files(directory: Path) -> tuple[list[tuple[str, Path]], list[str]]:
    """(table, file) pairs in load order, and notes about files that are not canonical."""
    if not directory.is_dir():
        raise ImportDataError(
            f"{directory} is not a folder; give the folder that holds tickets.csv etc."
        )
    found: list[tuple[str, Path]] = []
    notes = []
    for f in sorted(directory.iterdir()):
        if f.is_dir() or f.name.startswith("."):
            continue
        stem, suffix = f.name.split(".", 1)[0], "." + f.name.split(".", 1)[-1].lower()
        if suffix not in SUFFIXES:
            notes.append(f"ignored {f.name}: not .csv, .parquet or .jsonl")
        elif stem not in TABLES:
            notes.append(
                f"ignored {f.name}: {stem!r} is not a canonical table ({', '.join(TABLES)})"
            )
        else:
            found.append((stem, f))
    if not any(t == "tickets" for t, _ in found):
        raise ImportDataError(
            f"no tickets file in {directory}: expected tickets.csv, tickets.parquet or "
            "tickets.jsonl (only tickets is required)"
        )
    order = list(TABLES)
    found.sort(key=lambda tf: order.index(tf[0]))
    return found, notes


def unkept_columns(sf: SourceFrame) -> list[str]:
    """A note naming the file's columns its table does not keep (only tickets, customers and
    agents keep extra columns), so that nothing is left behind unsaid."""
    if sf.table.keeps_extra:
        return []
    known = {c.casefold() for c in sf.table.column_names}
    other = [str(c).strip() for c in sf.frame.columns if str(c).strip().casefold() not in known]
    if not other:
        return []
    return [
        f"{sf.file}: column{'s' if len(other) > 1 else ''} {', '.join(map(repr, other))} "
        f"not kept ({sf.table.name} keeps its canonical columns only)"
    ]


def count_rows(path: Path) -> int:
    kind = SUFFIXES["." + path.name.split(".", 1)[-1].lower()]
    if kind == "parquet":
        return int(pq.ParquetFile(path).metadata.num_rows)
    with path.open("rb") as fh:
        n = sum(1 for _ in fh)
    return max(0, n - 1) if kind == "csv" else n


def read_file(table: str, path: Path, limits: Limits | None = None) -> Iterator[SourceFrame]:
    """Raw rows of one canonical file in chunks; `rows` are the file's line numbers (CSV: the
    line a record starts on, the header being line 1; JSON Lines: the line) or 1-based row
    positions (Parquet)."""
    kind = SUFFIXES["." + path.name.split(".", 1)[-1].lower()]
    spec = TABLES[table]
    limits = limits or DEFAULT_LIMITS
    try:
        if kind == "csv":
            yield from _read_csv(table, path)
        elif kind == "parquet":
            pf = pq.ParquetFile(path)
            first = 1
            for batch in pf.iter_batches(batch_size=CHUNK_ROWS):
                frame = batch.to_pandas()
                rows = np.arange(first, first + len(frame))
                first += len(frame)
                yield SourceFrame(spec, path.name, frame, rows)
        else:
            yield from _read_jsonl(table, path, limits)
    except (UnicodeDecodeError, pd.errors.ParserError, OSError, ValueError) as exc:
        raise ImportDataError(f"cannot read {path}: {exc}") from exc


@dataclass
class _CsvShape:
    """What one pass over a CSV file's bytes tells: its header; whether every line is one
    record (no blank line, no quoted field across lines); whether every line also has the
    header's number of fields for sure (no quotes at all, the same number of commas)."""

    header: list[str]
    line_per_record: bool = True
    plain: bool = True
    commas: int = -1


def _csv_shape(path: Path) -> _CsvShape:
    """The header and shape of a CSV file; refuses a file that is not UTF-8 (naming the line)
    or whose header names a column twice."""
    with path.open(encoding="utf-8-sig", newline="", errors="replace") as fh:
        header = next(csv.reader(fh), [])
    seen: dict[str, str] = {}
    for name in (h.strip() for h in header):
        if name.casefold() in seen:
            raise ImportDataError(
                f"{path.name}, line 1: columns {seen[name.casefold()]!r} and {name!r} name the "
                "same column (column names ignore case); rename or remove one"
            )
        seen[name.casefold()] = name
    shape = _CsvShape(header)
    line = 1
    carry = b""
    with path.open("rb") as fh:
        while True:
            block = fh.read(_BLOCK)
            data = carry + block
            cut = data.rfind(b"\n") + 1 if block else len(data)
            piece, carry = data[:cut], data[cut:]
            if piece:
                try:
                    piece.decode("utf-8")
                except UnicodeDecodeError as exc:
                    at = line + piece.count(b"\n", 0, exc.start)
                    raise ImportDataError(
                        f"{path.name}, line {at}: not UTF-8 (byte 0x{piece[exc.start]:02x}); "
                        "save the file as UTF-8 and import it again"
                    ) from exc
                if shape.line_per_record:
                    _scan_lines(piece, shape)
                line += piece.count(b"\n")
            if not block:
                break
    return shape


def _scan_lines(piece: bytes, shape: _CsvShape) -> None:
    """Update `shape` with these whole lines (vectorized: counts per line by searchsorted)."""
    arr = np.frombuffer(piece, dtype=np.uint8)
    ends = np.flatnonzero(arr == ord("\n"))
    if piece[-1:] != b"\n":
        ends = np.append(ends, len(arr))
    starts = np.concatenate(([0], ends[:-1] + 1))

    def per_line(positions: np.ndarray) -> np.ndarray:
        return np.searchsorted(positions, ends) - np.searchsorted(positions, starts)

    ink = np.flatnonzero((arr != 32) & (arr != 9) & (arr != 13) & (arr != 10))
    quotes = per_line(np.flatnonzero(arr == ord('"')))
    if (per_line(ink) == 0).any() or (quotes % 2).any():
        shape.line_per_record = shape.plain = False  # a blank line, a field across lines
        return
    if quotes.any():
        shape.plain = False
    if shape.plain:
        commas = per_line(np.flatnonzero(arr == ord(",")))
        if shape.commas < 0 and len(commas):
            shape.commas = int(commas[0])
        if (commas != shape.commas).any():
            shape.plain = False


def _read_csv(table: str, path: Path) -> Iterator[SourceFrame]:
    """A file of one record per line is read by pandas, each row naming its line (rows with
    more fields than the header skipped by pandas, with their line, and rejected); any other
    (quoted fields across lines, blank lines) record by record, each naming the line it starts
    on. A row with more fields than the header is rejected; one with fewer has its last
    columns empty."""
    shape = _csv_shape(path)
    width = len(shape.header)
    if shape.line_per_record and not shape.plain:
        # pandas would shift every column of a first row with more fields than the header
        with path.open(encoding="utf-8-sig", newline="") as fh:
            first = list(itertools.islice(csv.reader(fh), 2))
        if len(first) == 2 and len(first[1]) > width:
            shape.line_per_record = False
    if shape.line_per_record:
        yield from _read_csv_lines(table, path, shape.header)
    else:
        yield from _read_csv_records(table, path, shape.header)


def _too_many_fields(table: str, file: str, line: int, fields: int, width: int) -> Reject:
    return Reject(
        table,
        file,
        line,
        "*",
        f"this row has {fields} fields but the header names {width} columns; quote values "
        "that hold a comma",
    )


def _read_csv_lines(table: str, path: Path, header: list[str]) -> Iterator[SourceFrame]:
    """pandas' reader for a file of one record per line: a data row's line is its position
    among the lines pandas kept, counting the ones it skipped for too many fields."""
    spec = TABLES[table]
    width = len(header)
    reader = pd.read_csv(
        path,
        dtype=str,
        keep_default_na=False,
        chunksize=CHUNK_ROWS,
        encoding="utf-8",
        index_col=False,
        on_bad_lines="warn",
    )
    skipped: list[int] = []
    next_line = 2
    while True:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            try:
                chunk = reader.get_chunk()
            except StopIteration:
                chunk = None
        rejects = []
        for w in caught:
            for m in _SKIPPED.finditer(str(w.message)):
                line, fields = int(m.group(1)), int(m.group(2))
                skipped.append(line)
                rejects.append(_too_many_fields(table, path.name, line, fields, width))
        if chunk is None:
            if rejects:
                empty = pd.DataFrame(columns=header, dtype=object)
                yield SourceFrame(spec, path.name, empty, np.array([], "int64"), rejects=rejects)
            return
        lines = np.arange(next_line, next_line + len(chunk) + len(skipped))
        lines = lines[~np.isin(lines, skipped)][: len(chunk)]
        if len(lines):
            next_line = int(lines[-1]) + 1
        yield SourceFrame(spec, path.name, chunk, lines, rejects=rejects)


def _read_csv_records(table: str, path: Path, header: list[str]) -> Iterator[SourceFrame]:
    """The csv module's reader, record by record, each naming the line it starts on."""
    spec = TABLES[table]
    width = len(header)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader_ = csv.reader(fh)
        next(reader_, None)
        records: list[list[str]] = []
        rows: list[int] = []
        rejects: list[Reject] = []
        chunks = 0
        line = reader_.line_num
        for record in reader_:
            start, line = line + 1, reader_.line_num
            if not record or (len(record) == 1 and not record[0].strip() and width > 1):
                continue  # a blank line
            if len(record) > width:
                rejects.append(_too_many_fields(table, path.name, start, len(record), width))
                continue
            records.append(record + [""] * (width - len(record)))
            rows.append(start)
            if len(records) >= CHUNK_ROWS:
                yield _csv_frame(spec, path, header, records, rows, rejects)
                records, rows, rejects = [], [], []
                chunks += 1
        if records or rejects or not chunks:
            yield _csv_frame(spec, path, header, records, rows, rejects)


def _csv_frame(
    spec: Table,
    path: Path,
    header: list[str],
    records: list[list[str]],
    rows: list[int],
    rejects: list[Reject],
) -> SourceFrame:
    frame = pd.DataFrame(records, columns=header, dtype=object)
    return SourceFrame(spec, path.name, frame, np.array(rows, dtype="int64"), rejects=list(rejects))


def _too_deep(line: str, deepest: int) -> bool:
    """Whether objects and arrays nest deeper than `deepest` in one line of JSON (strings,
    whose brackets do not count, left out), measured without parsing it."""
    depth = 0
    for bracket in _BRACKETS.findall(_STRINGS.sub("", line)):
        depth += 1 if bracket in "{[" else -1
        if depth > deepest:
            return True
    return False


def _read_jsonl(table: str, path: Path, limits: Limits) -> Iterator[SourceFrame]:
    spec = TABLES[table]
    records: list[dict[str, object]] = []
    rows: list[int] = []
    rejects: list[Reject] = []
    deepest = limits.max_json_depth
    with path.open("rb") as fh:
        for line_no, raw in enumerate(fh, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ImportDataError(
                    f"{path.name}, line {line_no}: not UTF-8 (byte 0x{raw[exc.start]:02x}); "
                    "save the file as UTF-8 and import it again"
                ) from exc
            if not line.strip():
                continue
            # nesting can be no deeper than the brackets a line holds: only then is it measured
            if line.count("{") + line.count("[") > deepest and _too_deep(line, deepest):
                rejects.append(
                    Reject(
                        table,
                        path.name,
                        line_no,
                        "*",
                        f"a JSON value nests deeper than {deepest} levels; flatten it, or raise "
                        "`max_json_depth` in [limits] of deskmetrics.toml",
                    )
                )
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ImportDataError(
                    f"{path.name}, line {line_no}: not valid JSON ({exc.msg} at column "
                    f"{exc.colno}); each line must be one JSON object"
                ) from exc
            if not isinstance(obj, dict):
                raise ImportDataError(f"{path.name}, line {line_no}: expected a JSON object")
            records.append(obj)
            rows.append(line_no)
            if len(records) >= CHUNK_ROWS:
                yield SourceFrame(
                    spec,
                    path.name,
                    pd.DataFrame.from_records(records),
                    np.array(rows),
                    rejects=rejects,
                )
                records, rows, rejects = [], [], []
    if records or rejects or not rows:
        yield SourceFrame(
            spec,
            path.name,
            pd.DataFrame.from_records(records),
            np.array(rows, dtype="int64"),
            rejects=rejects,
        )
