"""One import run: read a source, validate every row, store everything in one transaction."""

from __future__ import annotations

import gc
import importlib
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from queue import Full, Queue
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from deskmetrics.engine.store import ImportSummary, load
from deskmetrics.engine.workspace import Workspace, duckdb_connection
from deskmetrics.errors import BackendError, ConfigError
from deskmetrics.importers import canonical
from deskmetrics.model import Limits, SourceFrame, ValidFrame, validate

if TYPE_CHECKING:
    from deskmetrics.importers.survey_csv import SurveyMapping
    from deskmetrics.ticket_text import ScoringAhead

#: DuckDB's memory while a Zendesk export is stored (the rest of 4 GB is the reader's).
ZENDESK_DUCKDB_MEMORY = "2GB"
#: DuckDB's memory at most while any import stores its rows: the run's staged rows spill to
#: the workspace's temporary folder beyond it instead of growing the process (a lower limit
#: set on the workspace stays)
IMPORT_DUCKDB_MEMORY = "1536MiB"
_UNITS = {
    "b": 1,
    "bytes": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}

T = TypeVar("T")
#: (what, done, total) — called as rows are read and validated
Progress = Callable[[str, int, int], None]


@dataclass
class ImportRun:
    """What a reader gets: the request, and where it reports notes and progress."""

    ws: Workspace
    directory: Path
    assume_tz: str | None
    progress: Progress | None
    mapping: SurveyMapping | Path | str | None
    amounts_in: Literal["units", "cents"]
    notes: list[str] = field(default_factory=list)
    done: int = 0
    total: int = 0

    @property
    def limits(self) -> Limits:
        return self.ws.settings.limits

    def tell(self, what: str) -> None:
        """Report progress: `done` rows of `total` read and validated, now in `what`."""
        if self.progress:
            self.progress(what, self.done, self.total)


#: a reader: the validated frames of one source, chunk by chunk (the store stages each chunk
#: as it comes, so a large export is never held in memory whole)
Reader = Callable[[ImportRun], Iterator[ValidFrame]]


def _canonical(run: ImportRun) -> Iterator[ValidFrame]:
    files, found_notes = canonical.find_files(run.directory)
    run.notes.extend(found_notes)
    run.total = sum(canonical.count_rows(p) for _, p in files)
    for table, path in files:
        for n, sf in enumerate(canonical.read_file(table, path, run.limits)):
            if n == 0:
                run.notes.extend(canonical.unkept_columns(sf))
            run.done += len(sf.frame)
            yield validate(sf, run.assume_tz, run.limits)
            run.tell(path.name)


def _streamed(
    run: ImportRun, frames: Iterable[SourceFrame], terms: Callable[[SourceFrame], dict[str, str]]
) -> Iterator[ValidFrame]:
    """A help desk's export streamed chunk by chunk; rejects name the source's own fields
    (`terms`: canonical column → the source's, by frame)."""
    # objects made so far (pandas, ibis, DuckDB) are never garbage: full collections, which
    # parsing JSON triggers often, need not walk them again and again
    gc.freeze()
    # read and validate the next chunk while the store stages this one (DuckDB works without
    # holding the interpreter)
    checked = (
        (sf, validate_in_file_terms(sf, terms(sf), run.assume_tz, run.limits)) for sf in frames
    )
    for sf, vf in _prefetched(checked):
        run.done += len(sf.frame)
        run.total = run.done  # not known before the export is read
        yield vf
        run.tell(sf.file)


def _zendesk(run: ImportRun) -> Iterator[ValidFrame]:
    from deskmetrics.importers.zendesk import stream_zendesk

    zd = stream_zendesk(run.directory)
    yield from _streamed(run, zd, lambda sf: {})  # rejects name the canonical columns
    run.notes.extend(f"skipped {n} {what}" for what, n in zd.skipped.items() if n)


def _intercom(run: ImportRun) -> Iterator[ValidFrame]:
    from deskmetrics.importers.intercom import INTERCOM_TERMS, stream_intercom

    ic = stream_intercom(run.directory)
    yield from _streamed(run, ic, lambda sf: INTERCOM_TERMS.get(sf.table.name, {}))
    run.notes.extend(f"skipped {n} {what}" for what, n in ic.skipped.items() if n)
    run.notes.extend(ic.notes)


def _help_desk(name: str) -> Reader:
    """The reader of a help desk's export whose importer `deskmetrics.importers.<name>` gives
    `stream_<name>` (with its skipped and noted counts) and `file_terms` (Freshdesk, Help Scout,
    Chatwoot, Zammad)."""

    def read(run: ImportRun) -> Iterator[ValidFrame]:
        importer = importlib.import_module(f"deskmetrics.importers.{name}")
        stream = getattr(importer, f"stream_{name}")(run.directory)
        yield from _streamed(run, stream, lambda sf: importer.file_terms(sf.table.name, sf.file))
        run.notes.extend(f"skipped {n} {what}" for what, n in stream.skipped.items() if n)
        run.notes.extend(f"{n} {what}" for what, n in stream.noted.items() if n)

    return read


def _exported(
    run: ImportRun,
    frames: Sequence[SourceFrame],
    headers: Sequence[dict[str, str]],
    skipped: Mapping[str, int],
) -> Iterator[ValidFrame]:
    """A tool's export read whole: rejects name the export's own columns."""
    run.notes.extend(f"skipped {n} {what}" for what, n in skipped.items() if n)
    run.total = sum(len(sf.frame) for sf in frames)
    for sf, named in zip(frames, headers, strict=True):
        run.done += len(sf.frame)
        yield validate_in_file_terms(sf, named, run.assume_tz, run.limits)
        run.tell(sf.file)


def _survey_csv(run: ImportRun) -> Iterator[ValidFrame]:
    from deskmetrics.importers.survey_csv import read_survey_export

    sv = read_survey_export(run.directory, _survey_mapping(run.ws, run.mapping))
    yield from _exported(run, sv.frames, sv.headers, sv.skipped)


def _ticket_csv(run: ImportRun) -> Iterator[ValidFrame]:
    from deskmetrics.importers.ticket_csv import load_ticket_mapping, read_ticket_export

    if run.mapping is None or not isinstance(run.mapping, Path | str):
        raise ConfigError(
            "--from csv needs a column mapping: --mapping FILE (`deskmetrics mapping init "
            "EXPORT.csv` suggests one from the export's header and values)"
        )
    ex = read_ticket_export(run.directory, load_ticket_mapping(run.mapping))
    yield from _exported(run, ex.frames, ex.headers, ex.skipped)


def _stripe(run: ImportRun) -> Iterator[ValidFrame]:
    from deskmetrics.importers.stripe import read_stripe_export

    st = read_stripe_export(run.directory, run.amounts_in)
    yield from _exported(run, st.frames, st.headers, st.skipped)


#: every import source by the name `--from` takes: a new importer is one reader added here
IMPORTERS: dict[str, Reader] = {
    "canonical": _canonical,
    "zendesk": _zendesk,
    "freshdesk": _help_desk("freshdesk"),
    "helpscout": _help_desk("helpscout"),
    "intercom": _intercom,
    "chatwoot": _help_desk("chatwoot"),
    "zammad": _help_desk("zammad"),
    "csv": _ticket_csv,
    "survey-csv": _survey_csv,
    "stripe": _stripe,
}
SOURCES: tuple[str, ...] = tuple(IMPORTERS)


def import_directory(
    ws: Workspace,
    directory: Path | str,
    source: str = "canonical",
    assume_tz: str | None = None,
    strict: bool = False,
    progress: Progress | None = None,
    *,
    mapping: SurveyMapping | Path | str | None = None,
    amounts_in: Literal["units", "cents"] = "units",
) -> ImportSummary:
    """Import a folder of canonical files, a Zendesk or Intercom export, a survey tool's CSV export
    (`survey-csv`) or a Stripe subscription export (`stripe`) into the workspace.

    `survey-csv` reads a CSV file or a folder of them through a column mapping: `mapping` (a
    `SurveyMapping` or a TOML file holding one), else the `[survey_csv]` table of the
    workspace's settings (deskmetrics.toml). `stripe` reads a CSV file or folder of them;
    `amounts_in="cents"` for exports whose amounts are in minor units."""
    if source not in IMPORTERS:
        raise ConfigError(f"unknown import source {source!r} (use {', '.join(SOURCES)})")
    if getattr(ws.backend, "name", "") != "duckdb":
        # another engine: the same import on a DuckDB working copy, what changed sent back
        if ws.read_only:
            raise BackendError("this workspace was opened read-only: nothing can be imported")
        from deskmetrics.engine.remote import working_copy

        if progress:
            progress(f"copying the stored tables from {ws.backend.name}", 0, 0)
        with working_copy(ws) as local:
            return import_directory(
                local,
                directory,
                source,
                assume_tz,
                strict,
                progress,
                mapping=mapping,
                amounts_in=amounts_in,
            )
    from deskmetrics.ticket_text import ScoringAhead, after_import

    run = ImportRun(ws, Path(directory), assume_tz, progress, mapping, amounts_in)
    con = duckdb_connection(ws)
    # the customer messages' sentiment is scored on another core while the import reads
    ahead = ScoringAhead()
    try:
        with _memory_at_most(con, IMPORT_DUCKDB_MEMORY):
            summary = load(
                con,
                _scored_ahead(IMPORTERS[source](run), ahead),
                source=f"{source}:{directory}",
                strict=strict,
                max_extra_columns=ws.settings.limits.max_extra_columns,
                progress=(
                    (lambda t: progress(f"storing {t}", run.done, run.total)) if progress else None
                ),
            )
        summary.notes = run.notes + summary.notes
        if summary.committed:
            # new customer messages get their sentiment, new tickets their topic (in seconds
            # for 10,000 tickets; no refit: see deskmetrics/ticket_text.py)
            if progress:  # minutes on a bulk load (thousands of messages a second): say so
                progress("scoring sentiment, placing tickets in topics", run.done, run.total)
            after_import(ws, ahead)
    finally:
        ahead.close()
    return summary


def _scored_ahead(frames: Iterable[ValidFrame], ahead: ScoringAhead) -> Iterator[ValidFrame]:
    """`frames` as they come; on the way, the bodies of customer messages go to `ahead`."""
    for vf in frames:
        f = vf.frame
        if (
            ahead.active
            and vf.table.name == "events"
            and {"body", "type", "author_role"} <= set(f.columns)
        ):
            said = f["body"].notna() & (f["type"] == "message") & (f["author_role"] == "customer")
            ahead.add(f.loc[said, "body"].tolist())
        yield vf


def _bytes(size: str) -> int | None:
    """A DuckDB memory size ('1.5 GiB', '2GB') in bytes; None when it is not one."""
    number = size.strip().rstrip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ ")
    unit = size.strip()[len(number) :].strip().lower() or "b"
    try:
        return int(float(number) * _UNITS[unit])
    except (ValueError, KeyError):
        return None


@contextmanager
def _memory_at_most(con: Any, limit: str) -> Iterator[None]:
    """Within: DuckDB's memory limit no higher than `limit` (as it was after)."""
    row = con.execute("SELECT current_setting('memory_limit')").fetchone()
    was = str(row[0]) if row else None
    now, cap = _bytes(was or ""), _bytes(limit)
    if was is None or now is None or cap is None or now <= cap:
        yield
        return
    con.execute(f"SET memory_limit = '{limit}'")
    try:
        yield
    finally:
        # the default exactly as it was (the setting reads back rounded: '18.8 GiB' set again
        # would be read as 18.7); a limit someone set, as it reads
        con.execute("RESET memory_limit")
        reset = con.execute("SELECT current_setting('memory_limit')").fetchone()
        if reset is None or str(reset[0]) != was:
            con.execute(f"SET memory_limit = '{was}'")


@contextmanager
def memory_capped(ws: Workspace, source: str) -> Iterator[None]:
    """Within: DuckDB's memory capped for an import of `source` and the per-ticket facts
    made after it (a Zendesk export of millions of events: DuckDB spills what exceeds to
    disk; an Intercom or Help Scout export likewise), as it was after."""
    if source not in ("zendesk", "intercom", "helpscout") or ws.backend.name != "duckdb":
        yield
        return
    with _memory_at_most(duckdb_connection(ws), ZENDESK_DUCKDB_MEMORY):
        yield


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
    "IMPORTERS",
    "SOURCES",
    "ImportRun",
    "Reader",
    "import_directory",
    "memory_capped",
    "validate_in_file_terms",
]
