"""What every help desk's webhook route shares: the refusal of a broken delivery (422, kept in
the rejects), whether a ticket is stored, the OpenAPI description of the route, and the answer
after the rows are stored (their counts; the after-ingest work in the background). Each route
keeps only its own: the signature check and the mapping of its source's deliveries."""

from __future__ import annotations

from typing import Any, NoReturn

from fastapi import BackgroundTasks, HTTPException, Request, status

from deskmetrics.api import ingest
from deskmetrics.api.schemas import Ingested, Rejected, WebhookResult
from deskmetrics.engine.store import log_rejects
from deskmetrics.engine.workspace import Workspace, duckdb_connection
from deskmetrics.model import Reject


def refuse(svc: Any, source: str, event_type: str, field: str, reason: str) -> NoReturn:
    """Keep a broken delivery in the rejects and answer 422 naming the field it lacks."""
    with svc.using() as ws:
        log_rejects(
            duckdb_connection(ws),
            f"api:{source}",
            [Reject("events", f"webhook:{source}", 1, field, reason, event_type)],
        )
    raise HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        f"{field}: {reason}; nothing stored (kept in the rejects: deskmetrics rejects)",
    )


def ticket_known(ws: Workspace, ticket_id: str) -> bool:
    """Whether the workspace stores ticket `ticket_id`."""
    row = (
        duckdb_connection(ws)
        .execute("SELECT 1 FROM tickets WHERE ticket_id = ? LIMIT 1", [ticket_id])
        .fetchone()
    )
    return row is not None


def route_doc(summary: str, unauthorized: str) -> dict[str, Any]:
    """The OpenAPI description every webhook route gives (`@router.post(path, **route_doc())`):
    its answers and a JSON object body."""
    return {
        "response_model": WebhookResult,
        "summary": summary,
        "responses": {
            400: {"description": "Not JSON, or nested too deeply"},
            401: {"description": unauthorized},
            413: {"description": "The body is larger than [web] max_body_bytes"},
            403: {"description": "A viewer's sign-in or token was sent"},
            422: {
                "model": Rejected,
                "description": "A malformed delivery, or mapped rows that break a rule; "
                "nothing stored",
            },
        },
        "openapi_extra": {
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
        },
    }


def stored(
    request: Request,
    background: BackgroundTasks,
    result: WebhookResult,
    report: Any,
    source: str,
) -> WebhookResult:
    """`result` with the counts of what the delivery stored; what follows an ingest (kept
    facts, alerts) runs in the background."""
    background.add_task(ingest.after_ingest, request.app, report)
    result.stored = [
        Ingested(
            source=source,
            table=table,
            received=c["received"],
            inserted=c["inserted"],
            updated=c["updated"],
            unchanged=c["unchanged"],
            import_id=report.import_id,
        )
        for table, c in report.tables.items()
    ]
    return result
