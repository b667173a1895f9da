"""Canonical files: one file per table (tickets.csv, events.parquet, surveys.jsonl, …)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from deskmetrics.errors import ImportDataError
from deskmetrics.model import TABLES, SourceFrame

SUFFIXES = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
CHUNK_ROWS = 250_000


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


def count_rows(path: Path) -> int:
    kind = SUFFIXES["." + path.name.split(".", 1)[-1].lower()]
    if kind == "parquet":
        return int(pq.ParquetFile(path).metadata.num_rows)
    with path.open("rb") as fh:
        n = sum(1 for _ in fh)
    return max(0, n - 1) if kind == "csv" else n


def read_file(table: str, path: Path) -> Iterator[SourceFrame]:
    """Raw rows of one canonical file in chunks; `rows` are the line numbers in the file
    (CSV: the header is line 1) or 1-based row positions (Parquet)."""
    kind = SUFFIXES["." + path.name.split(".", 1)[-1].lower()]
    spec = TABLES[table]
    try:
        if kind == "csv":
            reader = pd.read_csv(
                path, dtype=str, keep_default_na=False, chunksize=CHUNK_ROWS, encoding="utf-8"
            )
            first = 2
            for chunk in reader:
                rows = np.arange(first, first + len(chunk))
                first += len(chunk)
                yield SourceFrame(spec, path.name, chunk, rows)
        elif kind == "parquet":
            pf = pq.ParquetFile(path)
            first = 1
            for batch in pf.iter_batches(batch_size=CHUNK_ROWS):
                frame = batch.to_pandas()
                rows = np.arange(first, first + len(frame))
                first += len(frame)
                yield SourceFrame(spec, path.name, frame, rows)
        else:
            yield from _read_jsonl(table, path)
    except (UnicodeDecodeError, pd.errors.ParserError, OSError, ValueError) as exc:
        raise ImportDataError(f"cannot read {path}: {exc}") from exc


def _read_jsonl(table: str, path: Path) -> Iterator[SourceFrame]:
    spec = TABLES[table]
    records: list[dict[str, object]] = []
    rows: list[int] = []
    with path.open(encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
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
                    spec, path.name, pd.DataFrame.from_records(records), np.array(rows)
                )
                records, rows = [], []
    if records or not rows:
        yield SourceFrame(
            spec, path.name, pd.DataFrame.from_records(records), np.array(rows, dtype="int64")
        )
