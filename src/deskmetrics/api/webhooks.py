"""What every help desk's webhook route shares: the checks before a delivery is read (no
viewer, the source's secret), the refusal of a broken delivery (422, kept in the rejects),
whether a ticket is stored, the OpenAPI description of the route, and the storing of the rows
and the answer after it (their counts; the after-ingest work in the background). Each route
keeps only its own: the signature check and the mapping of its source's deliveries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

from fastapi import BackgroundTasks, HTTPException, Request, status

from deskmetrics.accounts import Principal
from deskmetrics.api import ingest
from deskmetrics.api.deliveries import Mapped, Refused
from deskmetrics.api.limits import parse_json
from deskmetrics.api.routes.ingest import refuse_viewers, rejected
from deskmetrics.api.schemas import Ingested, Rejected, WebhookResult
from deskmetrics.engine.store import log_rejects
from deskmetrics.engine.workspace import Workspace, duckdb_connection
from deskmetrics.errors import DeskmetricsError
from deskmetrics.model import Reject

#: what a delivery stores: (table, rows) pairs
Frames = list[tuple[str, list[dict[str, Any]]]]


def read(
    svc: Any, who: Principal | None, source: str, body: bytes, check: Callable[[str], str | None]
) -> Any:
    """The JSON of a delivery, once it is known not to come from a viewer and `check` (given
    the source's secret; it says why not, or None) accepts it (401 if not)."""
    refuse_viewers(who)
    why = check(ingest.source_secret(svc.settings, source))
    if why is not None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, why)
    return parse_json(body, svc.settings.limits.max_json_depth)


def answer(svc: Any, source: str, mapped: Mapped) -> WebhookResult:
    """The answer to a mapped delivery before anything is stored; a malformed one is refused."""
    if mapped.malformed is not None:
        refuse(svc, source, mapped.event_type, *mapped.malformed)
    return WebhookResult(
        event_type=mapped.event_type, ticket_id=mapped.ticket_id, ignored=mapped.ignored
    )


def keep(
    request: Request,
    svc: Any,
    background: BackgroundTasks,
    source: str,
    result: WebhookResult,
    frames: Callable[[Workspace], Frames],
) -> Any:
    """Store the rows `frames` makes in the workspace and answer `result` with their counts:
    rows that break a rule are a 422 with the rejects, a `Refused` delivery a 422 kept in the
    rejects, other errors a 400."""
    try:
        with svc.using() as ws:
            report = ingest.store(ws, frames(ws), source)
    except Refused as exc:
        refuse(svc, source, result.event_type, exc.field, exc.reason)
    except ingest.RowsRejected as exc:
        return rejected(exc)
    except DeskmetricsError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc
    return stored(request, background, result, report, source)


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
