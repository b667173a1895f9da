"""Live ingestion: canonical rows posted as JSON, checked and stored exactly as the file
importer checks and stores them, all or nothing.

- Signature: each source named in `[web.sources.NAME]` shares a secret with deskmetrics; a
  delivery carries `X-Deskmetrics-Source: NAME`, `X-Deskmetrics-Timestamp: <unix seconds>` and
  `X-Deskmetrics-Signature: sha256=<hex>`, the HMAC-SHA256 of `<timestamp>.<raw body>` under
  that secret (the scheme of deskmetrics' own outgoing webhooks, and of Stripe's). A timestamp
  further than `[web] signature_tolerance_seconds` (300) from now, either way, is refused: an
  old signed body cannot be replayed. Without all three, or with a wrong one, nothing is read
  (401). `signed_headers` makes the headers of one delivery.
- Bounded: the body is read only up to `[web] max_body_bytes` (`deskmetrics.api.limits`), parsed
  only up to `[limits] max_json_depth` levels, and a row bringing more fields beyond the
  canonical columns than `[limits] max_extra_columns` (or a table that would then hold more
  extra columns than that) is refused before any frame or column is made.
- Validation: `deskmetrics.model.validate` (the importer's rules) and then
  `deskmetrics.engine.store.load(strict=True)` (an event naming an unknown ticket, an id stored
  with different content): one bad row and nothing is stored; the answer names every bad row
  by its index in the posted array, its field and the reason.
- Idempotent by id: re-posting rows already stored changes nothing (tickets are the
  exception the importer makes too: a later version of a ticket updates its current state).
  So a delivery replayed within the tolerance stores nothing new.
- Afterwards, in the background (`after_ingest`): the kept per-ticket facts are brought up to
  date, then every callable in `app.state.after_ingest` runs with the `IngestReport`; their
  failures are logged, never passed to the poster.
"""

from __future__ import annotations

import hmac
import inspect
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from fastapi import FastAPI, HTTPException, status

from deskmetrics.api.limits import parse_json
from deskmetrics.config import LimitSettings, Settings
from deskmetrics.engine import Workspace
from deskmetrics.engine.kept import refresh
from deskmetrics.engine.store import ImportSummary, load
from deskmetrics.engine.workspace import duckdb_connection
from deskmetrics.model import TABLES, Reject, SourceFrame, ValidFrame, validate
from deskmetrics.notify.webhook import signature as _timestamped_signature

log = logging.getLogger("deskmetrics.ingest")

SOURCE_HEADER = "X-Deskmetrics-Source"
SIGNATURE_HEADER = "X-Deskmetrics-Signature"
TIMESTAMP_HEADER = "X-Deskmetrics-Timestamp"
#: what a source must send, in the words of every 401
HOW_TO_SIGN = (
    f"send {TIMESTAMP_HEADER}: <unix seconds now> and {SIGNATURE_HEADER}: sha256=<hex "
    'HMAC-SHA256 of "<timestamp>.<body>" under the source\'s secret>'
)
#: canonical tables the API accepts rows for (every table with a natural key or rows that
#: never change: costs are keyed by their content)
INGEST_TABLES = (
    "tickets",
    "events",
    "surveys",
    "survey_requests",
    "agents",
    "customers",
    "subscriptions",
    "costs",
    "social_posts",
    "mentions",
)
MAX_ROWS = 100_000

#: what `after_ingest` callbacks receive
AfterIngest = Callable[..., Any]


@dataclass(frozen=True)
class IngestReport:
    """What one successful ingest call stored: per table, rows inserted/updated/unchanged."""

    source: str
    import_id: str
    tables: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(c["inserted"] or c["updated"] for c in self.tables.values())


class RowsRejected(Exception):
    """Some posted rows are wrong; nothing was stored."""

    def __init__(self, rejects: Sequence[Reject]) -> None:
        super().__init__(f"{len(rejects)} problems")
        self.rejects = list(rejects)

    def detail(self) -> list[dict[str, Any]]:
        """FastAPI's validation-error shape, plus the row index and field by name."""
        return [
            {
                "loc": ["body", r.row, r.column],
                "msg": (f"{r.table} row {r.row}, field {r.column!r}: {r.reason}"),
                "type": "value_error",
                "row": r.row,
                "field": r.column,
                "input": r.value,
            }
            for r in sorted(self.rejects, key=lambda r: (r.row, r.column))
        ]


# --- signatures --------------------------------------------------------------------------


def sign(secret: str, body: bytes, timestamp: str | int) -> str:
    """The `X-Deskmetrics-Signature` value of `body` sent at `timestamp` (unix seconds): what
    a source computes, `sha256=` + hex HMAC-SHA256 of `<timestamp>.<body>`."""
    return _timestamped_signature(secret, str(timestamp), body)


def signed_headers(
    source: str, secret: str, body: bytes, now: float | None = None
) -> dict[str, str]:
    """Every header of one signed delivery of `body` from `source`, timestamped `now`."""
    ts = str(int(time.time() if now is None else now))
    return {
        "Content-Type": "application/json",
        SOURCE_HEADER: source,
        TIMESTAMP_HEADER: ts,
        SIGNATURE_HEADER: sign(secret, body, ts),
    }


def _unauthorized(why: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        why,
        headers={
            "WWW-Authenticate": (
                f'HMAC-SHA256 header="{SIGNATURE_HEADER}" timestamp="{TIMESTAMP_HEADER}"'
            )
        },
    )


def source_secret(settings: Settings, name: str | None) -> str:
    """The configured secret of source `name`, or a 401 saying what is missing."""
    if not name:
        raise _unauthorized(
            f"name your source in {SOURCE_HEADER} and sign the delivery: {HOW_TO_SIGN}"
        )
    src = settings.web.sources.get(name)
    if src is None:
        raise _unauthorized(f"unknown source {name!r}: add [web.sources.{name}] to the settings")
    secret = src.resolved_secret()
    if not secret:
        raise _unauthorized(
            f"source {name!r} has no secret configured (set {src.secret_env or 'secret_env'})"
        )
    return secret


def verify(
    settings: Settings,
    name: str | None,
    signature: str | None,
    timestamp: str | None,
    body: bytes,
    now: float | None = None,
) -> str:
    """The source's name when `signature` is its HMAC of `<timestamp>.<body>` and `timestamp`
    lies within `[web] signature_tolerance_seconds` of `now`; a 401 saying what to send else."""
    secret = source_secret(settings, name)
    if not signature:
        raise _unauthorized(f"sign the delivery: {HOW_TO_SIGN}")
    if not timestamp:
        raise _unauthorized(
            f"{TIMESTAMP_HEADER} is missing: a signature of the body alone is no longer accepted "
            f"(it could be replayed); {HOW_TO_SIGN}"
        )
    ts = timestamp.strip()
    if not ts.isdigit() or len(ts) > 12:
        raise _unauthorized(f"{TIMESTAMP_HEADER} must be unix seconds, e.g. 1767225600")
    if not hmac.compare_digest(signature.strip().lower(), sign(secret, body, ts)):
        raise _unauthorized(
            f"{SIGNATURE_HEADER} does not match the timestamp and body for source {name!r}; "
            + HOW_TO_SIGN
        )
    tolerance = settings.web.signature_tolerance_seconds
    age = (time.time() if now is None else now) - int(ts)
    if abs(age) > tolerance:
        when = f"{age:,.0f} s ago" if age > 0 else f"{-age:,.0f} s in the future"
        raise _unauthorized(
            f"the delivery was signed {when}, more than the {tolerance:,.0f} s allowed "
            "([web] signature_tolerance_seconds): sign each delivery when sending it, with "
            "the current time (check the sender's clock); an old signed body is not replayed"
        )
    assert name is not None
    return name


# --- rows --------------------------------------------------------------------------------


def parse_rows(
    body: bytes, max_json_depth: int = LimitSettings().max_json_depth
) -> list[dict[str, Any]]:
    """The posted rows: a JSON array of objects or `{"rows": [...]}`; scalar values only."""
    doc = parse_json(body, max_json_depth)
    if isinstance(doc, dict) and set(doc) == {"rows"}:
        doc = doc["rows"]
    if not isinstance(doc, list):
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            'send a JSON array of row objects, or {"rows": [...]}',
        )
    if len(doc) > MAX_ROWS:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"{len(doc):,} rows in one call; send at most {MAX_ROWS:,} per call",
        )
    problems: list[Reject] = []
    for i, row in enumerate(doc):
        if not isinstance(row, dict):
            problems.append(Reject("", "api", i, "", "a row must be a JSON object"))
            continue
        for k, v in row.items():
            if isinstance(v, dict | list):
                why = "a value must be text, a number, true/false or null"
                problems.append(Reject("", "api", i, str(k), why, json.dumps(v)[:200]))
    if problems:
        raise RowsRejected(problems)
    return doc


def stored_extra_columns(ws: Workspace, table: str) -> set[str]:
    """The extra (non-canonical) columns `table` holds already."""
    rows = (
        duckdb_connection(ws)
        .execute("SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table])
        .fetchall()
    )
    canonical = set(TABLES[table].column_names)
    return {r[0] for r in rows if r[0] not in canonical and not r[0].startswith("_")}


def extra_column_problems(
    table: str, rows: Sequence[dict[str, Any]], stored: set[str], cap: int
) -> list[Reject]:
    """Rows bringing more fields beyond the canonical columns than `cap`, or new extra
    columns that would make `table` hold more than `cap` of them (counting `stored`).

    Checked before any frame is built: each extra field becomes a column of the table, and
    DuckDB keeps every intermediate version of a table altered column by column inside one
    transaction, so 10,000 extra fields on one ticket took over 20 GB."""
    canonical = set(TABLES[table].column_names)
    keeps = TABLES[table].keeps_extra
    held = set(stored)
    problems: list[Reject] = []
    for i, row in enumerate(rows):
        extra = [k for k in row if k not in canonical and not str(k).startswith("_")]
        if len(extra) > cap:
            problems.append(
                Reject(
                    table,
                    "api",
                    i,
                    "",
                    f"{len(extra):,} fields beyond the canonical {table} columns; at most {cap} "
                    "extra columns per table ([limits] max_extra_columns): send only the fields "
                    "you report on",
                )
            )
            continue
        new = [k for k in extra if k not in held] if keeps else []
        if new and len(held) + len(new) > cap:
            problems.append(
                Reject(
                    table,
                    "api",
                    i,
                    str(new[0]),
                    f"{table} would hold {len(held) + len(new):,} extra columns, more than the "
                    f"{cap} allowed ([limits] max_extra_columns): drop the new field(s) "
                    f"{', '.join(map(repr, new[:5]))}{' …' if len(new) > 5 else ''}",
                )
            )
            continue
        held.update(new)
    return problems


def frame_of(table: str, rows: list[dict[str, Any]], source: str) -> SourceFrame:
    """Posted rows as the importer's raw frame; row numbers are the array indexes."""
    frame = pd.DataFrame.from_records(rows) if rows else pd.DataFrame()
    frame = frame.astype(object).where(frame.notna(), None)
    return SourceFrame(
        TABLES[table], f"api:{source}", frame, rows=np.arange(len(rows), dtype=np.int64)
    )


def store(
    ws: Workspace, frames: Sequence[tuple[str, list[dict[str, Any]]]], source: str
) -> IngestReport:
    """Validate and store rows of one or more tables in one transaction, all or nothing.

    Raises `RowsRejected` (nothing stored) when any row breaks a rule."""
    cap = ws.settings.limits.max_extra_columns
    rejects: list[Reject] = []
    for table, rows in frames:
        rejects.extend(extra_column_problems(table, rows, stored_extra_columns(ws, table), cap))
    if rejects:  # before any frame is built or column added
        raise RowsRejected(rejects)
    valid: list[ValidFrame] = []
    for table, rows in frames:
        vf = validate(frame_of(table, rows, source), limits=ws.settings.limits)
        valid.append(vf)
        rejects.extend(vf.rejects)
    if rejects:  # caught before the store is touched: nothing is written at all
        raise RowsRejected(rejects)
    summary: ImportSummary = load(duckdb_connection(ws), valid, source=f"api:{source}", strict=True)
    if not summary.committed:
        raise RowsRejected(summary.rejects)
    return IngestReport(
        source=source,
        import_id=summary.import_id,
        tables={
            name: {
                "received": tc.read,
                "inserted": tc.inserted,
                "updated": tc.updated,
                "unchanged": tc.unchanged,
                "duplicate": tc.duplicate,
            }
            for name, tc in summary.tables.items()
        },
    )


# --- after ingest ------------------------------------------------------------------------


def callbacks(app: FastAPI) -> list[AfterIngest]:
    """`app.state.after_ingest`, created empty when missing (others append to it)."""
    found = getattr(app.state, "after_ingest", None)
    if found is None:
        found = []
        app.state.after_ingest = found
    return list(found)


def after_ingest(app: FastAPI, report: IngestReport) -> None:
    """What follows a stored delivery, after its answer was sent: the kept per-ticket facts
    brought up to date — deliveries arriving together are covered by one update
    (`Service.keep_facts_current`), and the poster never waits for it — then every
    `app.state.after_ingest` callback. A request reading before that brings the facts up to
    date itself: no answer reads facts older than the data."""
    if report.changed:
        try:
            app.state.service.keep_facts_current(refresh)
        except Exception:  # stored all the same (the next request brings the facts up), and
            # the callbacks still run: a busy workspace (503) or a failed update stops neither
            log.exception(
                "per-ticket facts not brought up to date after ingest %s", report.import_id
            )
    run_after_ingest(callbacks(app), report)


def run_after_ingest(hooks: Sequence[AfterIngest], report: IngestReport) -> None:
    """Call each hook with the report (or with nothing, if it takes no argument); a failing
    hook is logged and the others still run."""
    for hook in hooks:
        try:
            try:
                takes_args = bool(inspect.signature(hook).parameters)
            except (TypeError, ValueError):
                takes_args = True
            hook(report) if takes_args else hook()
        except Exception:
            log.exception("after_ingest callback %r failed (the ingest itself succeeded)", hook)


__all__ = [
    "INGEST_TABLES",
    "SIGNATURE_HEADER",
    "SOURCE_HEADER",
    "TIMESTAMP_HEADER",
    "IngestReport",
    "RowsRejected",
    "after_ingest",
    "callbacks",
    "extra_column_problems",
    "parse_rows",
    "run_after_ingest",
    "sign",
    "signed_headers",
    "store",
    "verify",
]
