"""What the help desks' JSON exports share, written once: finding a file of an export folder
(`.json` or `.jsonl`), a JSON value as text or as an instant for ordering, joining the chunks of
one file into one frame, and iterating chunks with the garbage collector held back."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from deskmetrics.errors import ImportDataError
from deskmetrics.model import SourceFrame

T = TypeVar("T")

#: the names a file of an export may end in (an API page per line, or records)
EXTENSIONS = (".json", ".jsonl")


def find_file(directory: Path, stem: str) -> Path | None:
    """`stem.json` or `stem.jsonl` in `directory`; both at once is an error (which one?)."""
    present = [p for ext in EXTENSIONS if (p := directory / f"{stem}{ext}").is_file()]
    if len(present) > 1:
        names = " and ".join(p.name for p in present)
        raise ImportDataError(f"{directory} has both {names}: keep one of them")
    return present[0] if present else None


def text(value: Any) -> str | None:
    """A JSON value as text (APIs give ids as integers); null, "" and objects are null."""
    kind = type(value)  # the usual cases first: this runs for every field of every record
    if kind is str:
        return value.strip() or None
    if kind is int:
        return str(value)
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip() or None


def iso_seconds(value: Any) -> float:
    """Seconds since the epoch of an ISO timestamp, for ordering; unknown sorts first."""
    t = text(value)
    if t is None:
        return float("-inf")
    try:
        return datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return float("-inf")


def merge_frames(parts: list[SourceFrame]) -> SourceFrame:
    """The chunks of one table and file as one frame (rows and rejects in file order)."""
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    return SourceFrame(
        table=first.table,
        file=first.file,
        frame=pd.concat([p.frame for p in parts], ignore_index=True),
        rows=np.concatenate([p.row_numbers() for p in parts]),
        rejects=sorted((r for p in parts for r in p.rejects), key=lambda r: r.row),
    )


def collecting(items: Iterable[T], every: int = 8) -> Iterator[T]:
    """`items`, with the garbage collector held back and run once every `every` items:
    millions of short-lived records make it run often, and each full run walks the lookups an
    importer holds (a third of the time of mapping); reference counting frees the rest."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        for n, item in enumerate(items, 1):
            if n % every == 0:
                gc.collect()
            yield item
    finally:
        if enabled:
            gc.enable()
