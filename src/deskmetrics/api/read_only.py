"""Served from another engine (`deskmetrics --db URL serve`), the service reads the canonical
tables and never writes them: what would store tickets, events or survey answers (signed
ingestion, help-desk webhooks, deleting rows, survey links and answers) is refused with 409
and a message saying where the data comes from, before any of the request is read. Everything
else (pages, reports, explanations, app state such as users and alert rules) works."""

from __future__ import annotations

import re

from fastapi import status
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from deskmetrics.api import ingest

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
#: (methods, path pattern) of the routes that write canonical data
WRITES: tuple[tuple[set[str] | None, re.Pattern[str]], ...] = (
    (UNSAFE, re.compile(rf"/api/({'|'.join(map(re.escape, ingest.INGEST_TABLES))})/?")),
    (UNSAFE, re.compile(r"/api/webhooks/.*")),
    (UNSAFE, re.compile(r"/api/data/.*")),
    (UNSAFE, re.compile(r"/api/survey-links/?")),
    # the survey page exists to record an answer: it is refused too (None: every method)
    (None, re.compile(r"/s/.*")),
)


def writes_canonical(method: str, path: str) -> bool:
    """Whether a request would write the canonical tables."""
    return any(
        (methods is None or method in methods) and pattern.fullmatch(path)
        for methods, pattern in WRITES
    )


class CanonicalReadOnly:
    """Refuses requests that would write the canonical tables (see the module docstring)."""

    def __init__(self, app: ASGIApp, engine: str) -> None:
        self.app = app
        self.engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and writes_canonical(scope["method"], scope["path"]):
            detail = (
                f"this service reads the data from {self.engine} and does not write it: "
                "ingestion, webhooks, deletions and survey answers are off. Load data with "
                "`deskmetrics --db URL import …` (or the engine's own tools), or serve a "
                "DuckDB workspace file to receive webhooks."
            )
            response = JSONResponse({"detail": detail}, status_code=status.HTTP_409_CONFLICT)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


__all__ = ["CanonicalReadOnly", "writes_canonical"]
