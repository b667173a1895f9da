"""POST /api/webhooks/freshdesk: Freshdesk automation-rule webhooks, stored as canonical rows.

The shared secret is the one of source `freshdesk` in the settings
(`[web.sources.freshdesk] secret_env = "FRESHDESK_WEBHOOK_SECRET"`; `?source=NAME` picks
another source, e.g. a second Freshdesk account), sent by the rule as a custom header (see
`deskmetrics.api.freshdesk_events` for why). Rows go through the same validation and store as
every other ingest (`deskmetrics.api.ingest.store`): all or nothing, idempotent by id."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Header, Query, Request

from deskmetrics.api import freshdesk_events, webhooks
from deskmetrics.api.deps import MaybePrincipal, ServiceDep
from deskmetrics.api.routes.ingest import RawBody
from deskmetrics.engine.workspace import Workspace

router = APIRouter(tags=["ingest"])


@router.post(
    "/api/webhooks/freshdesk",
    **webhooks.route_doc(
        "Freshdesk automation webhook (shared secret in a custom header)",
        "Missing or wrong shared secret",
    ),
)
def freshdesk_webhook(
    request: Request,
    svc: ServiceDep,
    who: MaybePrincipal,
    background: BackgroundTasks,
    body: RawBody,
    secret_header: Annotated[str | None, Header(alias=freshdesk_events.SECRET_HEADER)] = None,
    source: Annotated[
        str, Query(max_length=100, description="The settings' source holding the secret.")
    ] = "freshdesk",
) -> Any:
    """A ticket created, a reply (customer, agent or bot), a note and a status change become
    tickets/events rows; other events are acknowledged and ignored (so that Freshdesk does not
    retry them). A delivery lacking a field the mapping needs is a 422 naming that field."""
    doc = webhooks.read(
        svc, who, source, body, lambda secret: freshdesk_events.check_secret(secret, secret_header)
    )
    received = datetime.now(UTC).replace(microsecond=0).isoformat()
    mapped = freshdesk_events.map_delivery(doc, body, received)
    result = webhooks.answer(svc, source, mapped)
    if mapped.ignored is not None:
        return result
    ticket_id = mapped.ticket_id
    assert ticket_id is not None

    def frames(ws: Workspace) -> webhooks.Frames:
        if mapped.ticket is None and not webhooks.ticket_known(ws, ticket_id):
            raise webhooks.Refused(
                "ticket_id",
                f"ticket {ticket_id} is not stored yet, so its events cannot be kept "
                "(deliver ticket_created first, or import the export)",
            )
        out: webhooks.Frames = [] if mapped.ticket is None else [("tickets", [mapped.ticket])]
        return [*out, ("events", mapped.events)]

    return webhooks.keep(request, svc, background, source, result, frames)
