"""POST /api/webhooks/chatwoot: Chatwoot account webhooks, stored as canonical rows.

The shared secret is the one of source `chatwoot` in the settings
(`[web.sources.chatwoot] secret_env = "CHATWOOT_WEBHOOK_SECRET"`; `?source=NAME` picks another
source, e.g. a second Chatwoot account), sent in the webhook's URL as `?token=` (see
`deskmetrics.api.chatwoot_events` for why). Rows go through the same validation and store as
every other ingest (`deskmetrics.api.ingest.store`): all or nothing, idempotent by id."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Request

from deskmetrics.api import chatwoot_events, webhooks
from deskmetrics.api.deps import MaybePrincipal, ServiceDep
from deskmetrics.api.routes.ingest import RawBody
from deskmetrics.engine.workspace import Workspace

router = APIRouter(tags=["ingest"])


@router.post(
    "/api/webhooks/chatwoot",
    **webhooks.route_doc(
        "Chatwoot account webhook (shared secret as ?token= in the URL)",
        "Missing or wrong shared secret",
    ),
)
def chatwoot_webhook(
    request: Request,
    svc: ServiceDep,
    who: MaybePrincipal,
    background: BackgroundTasks,
    body: RawBody,
    token: Annotated[str | None, Query(description="The source's shared secret.")] = None,
    source: Annotated[
        str, Query(max_length=100, description="The settings' source holding the secret.")
    ] = "chatwoot",
) -> Any:
    """A conversation created, a message and a status change become tickets, events and
    survey-request rows; other events are acknowledged and ignored (so that Chatwoot does not
    retry them). A delivery lacking a field the mapping needs is a 422 naming that field."""
    doc = webhooks.read(
        svc, who, source, body, lambda secret: chatwoot_events.check_secret(secret, token)
    )
    received = datetime.now(UTC).replace(microsecond=0).isoformat()
    mapped = chatwoot_events.map_delivery(doc, received)
    result = webhooks.answer(svc, source, mapped)
    if mapped.ignored is not None:
        return result
    ticket_id = mapped.ticket_id
    assert ticket_id is not None

    def frames(ws: Workspace) -> webhooks.Frames:
        if mapped.ticket is None and not webhooks.ticket_known(ws, ticket_id):
            raise webhooks.Refused(
                "conversation.id",
                f"conversation {ticket_id} is not stored yet, so its events cannot be kept "
                "(deliver conversation_created first, or import the export)",
            )
        out: webhooks.Frames = []
        if mapped.ticket is not None:
            out.append(("tickets", [mapped.ticket]))
        if mapped.events:
            out.append(("events", mapped.events))
        if mapped.requests:
            out.append(("survey_requests", mapped.requests))
        return out

    return webhooks.keep(request, svc, background, source, result, frames)
