"""POST /api/webhooks/intercom: Intercom conversation notifications, stored as canonical rows.

The app's client secret, with which Intercom signs deliveries, is the one of source `intercom`
in the settings (`[web.sources.intercom] secret_env = "INTERCOM_CLIENT_SECRET"`; `?source=NAME`
picks another source, e.g. a second workspace). Rows go through the same validation and store
as every other ingest (`deskmetrics.api.ingest.store`): all or nothing, idempotent by id."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Header, HTTPException, Query, Request, status

from deskmetrics.api import ingest, intercom_events, webhooks
from deskmetrics.api.deps import MaybePrincipal, ServiceDep
from deskmetrics.api.routes.ingest import RawBody, rejected
from deskmetrics.api.schemas import WebhookResult
from deskmetrics.engine.workspace import duckdb_connection
from deskmetrics.errors import DeskmetricsError

router = APIRouter(tags=["ingest"])


def _status_before(con: Any) -> intercom_events.StatusBefore:
    """The stored status of a conversation just before an instant (its latest status event)."""

    def before(ticket_id: str, at: str) -> str | None:
        row = con.execute(
            "SELECT status FROM events WHERE ticket_id = ? AND type = 'status' AND \"at\" < ?"
            ' ORDER BY "at" DESC, seq DESC NULLS LAST LIMIT 1',
            [ticket_id, at.replace("T", " ").removesuffix("Z")],
        ).fetchone()
        return None if row is None else str(row[0])

    return before


@router.post(
    "/api/webhooks/intercom",
    **webhooks.route_doc(
        "Intercom conversation webhook (signed by Intercom)",
        "Missing or wrong X-Hub-Signature",
    ),
)
def intercom_webhook(
    request: Request,
    svc: ServiceDep,
    who: MaybePrincipal,
    background: BackgroundTasks,
    body: RawBody,
    signature: Annotated[str | None, Header(alias=intercom_events.SIGNATURE_HEADER)] = None,
    source: Annotated[
        str, Query(max_length=100, description="The settings' source holding the secret.")
    ] = "intercom",
) -> Any:
    """Conversation notifications (created, replied, noted, assigned, opened, closed, snoozed,
    rated …) become tickets, events and surveys rows; other topics are acknowledged and
    ignored (so that Intercom does not retry them). A delivery lacking a field the mapping
    needs is a 422 naming that field."""
    doc = webhooks.read(
        svc,
        who,
        source,
        body,
        lambda secret: intercom_events.check_signature(secret, signature, body),
    )
    try:
        with svc.using() as ws:
            mapped = intercom_events.map_delivery(doc, _status_before(duckdb_connection(ws)))
            if mapped.malformed is None and mapped.ignored is None:
                report = ingest.store(ws, mapped.frames, source)
    except ingest.RowsRejected as exc:
        return rejected(exc)
    except DeskmetricsError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc
    if mapped.malformed is not None:
        webhooks.refuse(svc, source, mapped.topic, *mapped.malformed)
    result = WebhookResult(
        event_type=mapped.topic, ticket_id=mapped.ticket_id, ignored=mapped.ignored
    )
    if mapped.ignored is not None:
        return result
    return webhooks.stored(request, background, result, report, source)
