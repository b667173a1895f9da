"""POST /api/webhooks/zendesk: Zendesk ticket event webhooks, stored as canonical rows.

The webhook's signing secret is the one of source `zendesk` in the settings
(`[web.sources.zendesk] secret_env = "ZENDESK_WEBHOOK_SECRET"`; `?source=NAME` picks another
source, e.g. a second Zendesk account). Rows go through the same validation and store as every
other ingest (`deskmetrics.api.ingest.store`): all or nothing, idempotent by id."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Header, HTTPException, Query, Request, status

from deskmetrics.api import ingest, webhooks, zendesk_events
from deskmetrics.api.deps import MaybePrincipal, ServiceDep
from deskmetrics.api.limits import parse_json
from deskmetrics.api.routes.ingest import RawBody, refuse_viewers, rejected
from deskmetrics.api.schemas import WebhookResult
from deskmetrics.errors import DeskmetricsError

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
    refuse_viewers(who)
    secret = ingest.source_secret(svc.settings, source)
    why = zendesk_events.check_signature(secret, signature, timestamp, body, datetime.now(UTC))
    if why is not None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, why)
    doc = parse_json(body, svc.settings.limits.max_json_depth)
    mapped = zendesk_events.map_delivery(doc)
    if mapped.malformed is not None:
        webhooks.refuse(svc, source, mapped.event_type, *mapped.malformed)
    result = WebhookResult(
        event_type=mapped.event_type, ticket_id=mapped.ticket_id, ignored=mapped.ignored
    )
    if mapped.ignored is not None or (not mapped.events and not mapped.ticket_is_new):
        return result
    try:
        with svc.using() as ws:
            assert mapped.ticket_id is not None
            known = not mapped.ticket_is_new and webhooks.ticket_known(ws, mapped.ticket_id)
            missing = None if known or mapped.ticket else mapped.ticket_missing or "detail"
            if missing is None:
                frames: list[tuple[str, list[dict[str, Any]]]] = []
                if mapped.ticket is not None and not known:
                    frames.append(("tickets", [mapped.ticket]))
                if mapped.events:
                    frames.append(("events", mapped.events))
                report = ingest.store(ws, frames, source)
    except ingest.RowsRejected as exc:
        return rejected(exc)
    except DeskmetricsError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc
    if missing is not None:
        webhooks.refuse(
            svc,
            source,
            mapped.event_type,
            missing,
            f"ticket {mapped.ticket_id} is not stored yet and the delivery lacks its {missing}, "
            "so its tickets row cannot be made (deliver ticket.created first)",
        )
    return webhooks.stored(request, background, result, report, source)
