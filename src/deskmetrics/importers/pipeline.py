"""One import run: read a source, validate every row, store everything in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

from deskmetrics.engine.store import ImportSummary, load
from deskmetrics.engine.workspace import Workspace, duckdb_connection
from deskmetrics.importers import canonical
from deskmetrics.model import ValidFrame, validate

SourceName = Literal["canonical", "zendesk"]
#: (what, done, total) — called as rows are read and validated
Progress = Callable[[str, int, int], None]


def import_directory(
    ws: Workspace,
    directory: Path | str,
    source: SourceName = "canonical",
    assume_tz: str | None = None,
    strict: bool = False,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import a folder of canonical files (or a Zendesk export) into the workspace."""
    directory = Path(directory)
    frames: list[ValidFrame] = []
    notes: list[str] = []
    if source == "zendesk":
        from deskmetrics.importers.zendesk import read_zendesk

        export = read_zendesk(directory)
        total = sum(len(sf.frame) for sf in export.frames)
        done = 0
        for sf in export.frames:
            frames.append(validate(sf, assume_tz))
            done += len(sf.frame)
            if progress:
                progress(sf.file, done, total)
        notes += [f"skipped {n} {what}" for what, n in export.skipped.items() if n]
    else:
        files, notes = canonical.find_files(directory)
        total = sum(canonical.count_rows(p) for _, p in files)
        done = 0
        for table, path in files:
            for sf in canonical.read_file(table, path):
                frames.append(validate(sf, assume_tz))
                done += len(sf.frame)
                if progress:
                    progress(path.name, done, total)
    summary = load(
        duckdb_connection(ws),
        frames,
        source=f"{source}:{directory}",
        strict=strict,
        progress=(lambda t: progress(f"storing {t}", done, total)) if progress else None,
    )
    summary.notes = notes + summary.notes
    return summary
