"""Live ingestion: canonical rows posted as JSON, checked and stored exactly as the file
importer checks and stores them, all or nothing.

- Signature: each source named in `[web.sources.NAME]` shares a secret with deskmetrics; a
  request carries `X-Deskmetrics-Source: NAME` and `X-Deskmetrics-Signature: sha256=<hex>`,
  the HMAC-SHA256 of the raw body under that secret. Without both, or with a wrong one,
  nothing is read (401).
- Validation: `deskmetrics.model.validate` (the importer's rules) and then
  `deskmetrics.engine.store.load(strict=True)` (an event naming an unknown ticket, an id stored
  with different content): one bad row and nothing is stored; the answer names every bad row
  by its index in the posted array, its field and the reason.
- Idempotent by id: re-posting rows already stored changes nothing (tickets are the
  exception the importer makes too: a later version of a ticket updates its current state).
- Afterwards every callable in `app.state.after_ingest` runs in the background with the
  `IngestReport`; its failures are logged, never passed to the poster.
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from fastapi import FastAPI, HTTPException, status

from deskmetrics.config import Settings
from deskmetrics.engine import Workspace
from deskmetrics.engine.store import ImportSummary, load
from deskmetrics.engine.workspace import duckdb_connection
from deskmetrics.model import TABLES, Reject, SourceFrame, ValidFrame, validate

log = logging.getLogger("deskmetrics.ingest")

SOURCE_HEADER = "X-Deskmetrics-Source"
SIGNATURE_HEADER = "X-Deskmetrics-Signature"
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


def sign(secret: str, body: bytes) -> str:
    """The `X-Deskmetrics-Signature` value for `body` (what a source computes)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _unauthorized(why: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        why,
        headers={"WWW-Authenticate": f'HMAC-SHA256 header="{SIGNATURE_HEADER}"'},
    )


def source_secret(settings: Settings, name: str | None) -> str:
    """The configured secret of source `name`, or a 401 saying what is missing."""
    if not name:
        raise _unauthorized(
            f"name your source in {SOURCE_HEADER} and sign the body in {SIGNATURE_HEADER}"
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


def verify(settings: Settings, name: str | None, signature: str | None, body: bytes) -> str:
    """The source's name when `signature` is the HMAC-SHA256 of `body` under its secret."""
    secret = source_secret(settings, name)
    if not signature:
        raise _unauthorized(f"sign the body: {SIGNATURE_HEADER}: sha256=<hex HMAC-SHA256>")
    if not hmac.compare_digest(signature.strip().lower(), sign(secret, body)):
        raise _unauthorized(f"{SIGNATURE_HEADER} does not match the body for source {name!r}")
    assert name is not None
    return name


# --- rows --------------------------------------------------------------------------------


def parse_rows(body: bytes) -> list[dict[str, Any]]:
    """The posted rows: a JSON array of objects or `{"rows": [...]}`; scalar values only."""
    try:
        doc = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"the body is not JSON: {exc}") from exc
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
    valid: list[ValidFrame] = []
    rejects: list[Reject] = []
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
    "IngestReport",
    "RowsRejected",
    "callbacks",
    "parse_rows",
    "run_after_ingest",
    "sign",
    "store",
    "verify",
]
