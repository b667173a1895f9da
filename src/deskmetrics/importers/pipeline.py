"""One import run: read a source, validate every row, store everything in one transaction."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from queue import Full, Queue
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from deskmetrics.engine.store import ImportSummary, load
from deskmetrics.engine.workspace import Workspace, duckdb_connection
from deskmetrics.errors import ConfigError
from deskmetrics.importers import canonical
from deskmetrics.model import Limits, SourceFrame, ValidFrame, validate

if TYPE_CHECKING:
    from deskmetrics.importers.survey_csv import SurveyMapping

#: DuckDB's memory while a Zendesk export is stored (the rest of 4 GB is the reader's).
ZENDESK_DUCKDB_MEMORY = "2GB"

SourceName = Literal["canonical", "zendesk", "survey-csv", "stripe"]
SOURCES: tuple[str, ...] = ("canonical", "zendesk", "survey-csv", "stripe")
T = TypeVar("T")
#: (what, done, total) — called as rows are read and validated
Progress = Callable[[str, int, int], None]


def import_directory(
    ws: Workspace,
    directory: Path | str,
    source: SourceName = "canonical",
    assume_tz: str | None = None,
    strict: bool = False,
    progress: Progress | None = None,
    *,
    mapping: SurveyMapping | Path | str | None = None,
    amounts_in: Literal["units", "cents"] = "units",
) -> ImportSummary:
    """Import a folder of canonical files, a Zendesk export, a survey tool's CSV export
    (`survey-csv`) or a Stripe subscription export (`stripe`) into the workspace.

    `survey-csv` reads a CSV file or a folder of them through a column mapping: `mapping` (a
    `SurveyMapping` or a TOML file holding one), else the `[survey_csv]` table of the
    workspace's settings (deskmetrics.toml). `stripe` reads a CSV file or folder of them;
    `amounts_in="cents"` for exports whose amounts are in minor units."""
    directory = Path(directory)
    if source not in SOURCES:
        raise ConfigError(f"unknown import source {source!r} (use {', '.join(SOURCES)})")
    notes: list[str] = []
    counted = {"done": 0, "total": 0}
    limits = ws.settings.limits

    def validated() -> Iterator[ValidFrame]:
        """Read and validate chunk by chunk; the store stages each chunk as it comes, so a
        large export is never held in memory whole."""
        read: list[SourceFrame]
        headers: list[dict[str, str]]
        skipped: dict[str, int]
        if source == "canonical":
            files, found_notes = canonical.find_files(directory)
            notes.extend(found_notes)
            counted["total"] = sum(canonical.count_rows(p) for _, p in files)
            for table, path in files:
                for n, sf in enumerate(canonical.read_file(table, path, limits)):
                    if n == 0:
                        notes.extend(canonical.unkept_columns(sf))
                    counted["done"] += len(sf.frame)
                    yield validate(sf, assume_tz, limits)
                    if progress:
                        progress(path.name, counted["done"], counted["total"])
            return
        if source == "zendesk":
            from deskmetrics.importers.zendesk import stream_zendesk

            # objects made so far (pandas, ibis, DuckDB) are never garbage: full collections,
            # which parsing JSON triggers often, need not walk them again and again
            gc.freeze()
            zd = stream_zendesk(directory)
            # read and validate the next chunk while the store stages this one (DuckDB works
            # without holding the interpreter)
            for sf, vf in _prefetched((sf, validate(sf, assume_tz, limits)) for sf in zd):
                counted["done"] += len(sf.frame)
                counted["total"] = counted["done"]  # not known before the export is read
                yield vf
                if progress:
                    progress(sf.file, counted["done"], counted["total"])
            notes.extend(f"skipped {n} {what}" for what, n in zd.skipped.items() if n)
            return
        if source == "survey-csv":
            from deskmetrics.importers.survey_csv import read_survey_export

            sv = read_survey_export(directory, _survey_mapping(ws, mapping))
            read, headers, skipped = sv.frames, sv.headers, sv.skipped
        else:
            from deskmetrics.importers.stripe import read_stripe_export

            st = read_stripe_export(directory, amounts_in)
            read, headers, skipped = st.frames, st.headers, st.skipped
        notes.extend(f"skipped {n} {what}" for what, n in skipped.items() if n)
        counted["total"] = sum(len(sf.frame) for sf in read)
        for sf, named in zip(read, headers, strict=True):
            counted["done"] += len(sf.frame)
            yield validate_in_file_terms(sf, named, assume_tz, limits)
            if progress:
                progress(sf.file, counted["done"], counted["total"])

    summary = load(
        duckdb_connection(ws),
        validated(),
        source=f"{source}:{directory}",
        strict=strict,
        max_extra_columns=ws.settings.limits.max_extra_columns,
        progress=(
            (lambda t: progress(f"storing {t}", counted["done"], counted["total"]))
            if progress
            else None
        ),
    )
    summary.notes = notes + summary.notes
    return summary


@contextmanager
def memory_capped(ws: Workspace, source: str) -> Iterator[None]:
    """Within: DuckDB's memory capped for an import of `source` and the per-ticket facts
    made after it (a Zendesk export of millions of events: DuckDB spills what exceeds to
    disk), as it was after."""
    if source != "zendesk":
        yield
        return
    con = duckdb_connection(ws)
    limit = con.execute("SELECT current_setting('memory_limit')").fetchone()
    con.execute(f"SET memory_limit = '{ZENDESK_DUCKDB_MEMORY}'")
    try:
        yield
    finally:
        if limit is not None:
            con.execute(f"SET memory_limit = '{limit[0]}'")


def _prefetched(items: Iterator[T], depth: int = 1) -> Iterator[T]:
    """`items`, produced in a thread up to `depth` ahead of the consumer; an exception of the
    producer is raised to the consumer."""
    done = object()
    queue: Queue[Any] = Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        queue.put((item, None), timeout=0.1)
                        break
                    except Full:
                        continue
                if stop.is_set():
                    return
            queue.put((done, None))
        except BaseException as exc:  # handed to the consumer
            queue.put((done, exc))

    thread = threading.Thread(target=produce, name="import-reader", daemon=True)
    thread.start()
    try:
        while True:
            item, exc = queue.get()
            if exc is not None:
                raise exc
            if item is done:
                return
            yield item
    finally:
        stop.set()
        thread.join()


def validate_in_file_terms(
    sf: SourceFrame,
    headers: Mapping[str, str],
    assume_tz: str | None = None,
    limits: Limits | None = None,
) -> ValidFrame:
    """`validate`, with each reject naming the source file's column (`headers`: canonical
    column → the file's header) rather than the canonical column it was mapped to."""
    valid = validate(sf, assume_tz, limits)
    if not headers:
        return valid
    rejects = [
        replace(r, column=headers[r.column]) if r.column in headers else r for r in valid.rejects
    ]
    return replace(valid, rejects=rejects)


def _survey_mapping(ws: Workspace, given: SurveyMapping | Path | str | None) -> SurveyMapping:
    from deskmetrics.importers.survey_csv import SurveyMapping, load_mapping, mapping_from

    if isinstance(given, SurveyMapping):
        return given
    if given is not None:
        return load_mapping(given)
    extra = ws.settings.model_extra or {}
    if "survey_csv" in extra:
        return mapping_from(extra["survey_csv"], "deskmetrics.toml")
    raise ConfigError(
        "a survey CSV import needs a column mapping: add a [survey_csv] table to "
        "deskmetrics.toml or give a mapping file (--mapping FILE)"
    )


__all__: Sequence[str] = [
    "SOURCES",
    "SourceName",
    "import_directory",
    "memory_capped",
    "validate_in_file_terms",
]
