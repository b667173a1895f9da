"""POST /api/webhooks/zendesk: Zendesk ticket event webhooks, stored as canonical rows.

The webhook's signing secret is the one of source `zendesk` in the settings
(`[web.sources.zendesk] secret_env = "ZENDESK_WEBHOOK_SECRET"`; `?source=NAME` picks another
source, e.g. a second Zendesk account). Rows go through the same validation and store as every
other ingest (`deskmetrics.api.ingest.store`): all or nothing, idempotent by id."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Header, Query, Request

from deskmetrics.api import webhooks, zendesk_events
from deskmetrics.api.deps import MaybePrincipal, ServiceDep
from deskmetrics.api.routes.ingest import RawBody
from deskmetrics.engine.workspace import Workspace

router = APIRouter(tags=["ingest"])


@router.post(
    "/api/webhooks/zendesk",
    **webhooks.route_doc(
        "Zendesk ticket event webhook (signed by Zendesk)",
        "Missing, stale or wrong Zendesk signature",
    ),
)
def zendesk_webhook(
    request: Request,
    svc: ServiceDep,
    who: MaybePrincipal,
    background: BackgroundTasks,
    body: RawBody,
    signature: Annotated[str | None, Header(alias=zendesk_events.SIGNATURE_HEADER)] = None,
    timestamp: Annotated[str | None, Header(alias=zendesk_events.TIMESTAMP_HEADER)] = None,
    source: Annotated[
        str, Query(max_length=100, description="The settings' source holding the secret.")
    ] = "zendesk",
) -> Any:
    """Ticket created, comment added (public or private; customer, agent or bot), messaging
    messages, status, priority, assignment and schedule changes become tickets/events rows;
    other event types are acknowledged and ignored (so that Zendesk does not retry them). A
    delivery lacking a field the mapping needs is a 422 naming that field."""
    doc = webhooks.read(
        svc,
        who,
        source,
        body,
        lambda secret: zendesk_events.check_signature(
            secret, signature, timestamp, body, datetime.now(UTC)
        ),
    )
    mapped = zendesk_events.map_delivery(doc)
    result = webhooks.answer(svc, source, mapped)
    if mapped.ignored is not None or (not mapped.events and not mapped.ticket_is_new):
        return result
    ticket_id = mapped.ticket_id
    assert ticket_id is not None

    def frames(ws: Workspace) -> webhooks.Frames:
        known = not mapped.ticket_is_new and webhooks.ticket_known(ws, ticket_id)
        if not known and not mapped.ticket:
            missing = mapped.ticket_missing or "detail"
            raise webhooks.Refused(
                missing,
                f"ticket {ticket_id} is not stored yet and the delivery lacks its {missing}, "
                "so its tickets row cannot be made (deliver ticket.created first)",
            )
        out: webhooks.Frames = []
        if mapped.ticket is not None and not known:
            out.append(("tickets", [mapped.ticket]))
        if mapped.events:
            out.append(("events", mapped.events))
        return out

    return webhooks.keep(request, svc, background, source, result, frames)
