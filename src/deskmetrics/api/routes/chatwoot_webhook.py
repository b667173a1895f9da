"""POST /api/webhooks/chatwoot: Chatwoot account webhooks, stored as canonical rows.

The shared secret is the one of source `chatwoot` in the settings
(`[web.sources.chatwoot] secret_env = "CHATWOOT_WEBHOOK_SECRET"`; `?source=NAME` picks another
source, e.g. a second Chatwoot account), sent in the webhook's URL as `?token=` (see
`deskmetrics.api.chatwoot_events` for why). Rows go through the same validation and store as
every other ingest (`deskmetrics.api.ingest.store`): all or nothing, idempotent by id."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, HTTPException, Query, Request, status

from deskmetrics.api import chatwoot_events, ingest, webhooks
from deskmetrics.api.deps import MaybePrincipal, ServiceDep
from deskmetrics.api.limits import parse_json
from deskmetrics.api.routes.ingest import RawBody, refuse_viewers, rejected
from deskmetrics.api.schemas import WebhookResult
from deskmetrics.errors import DeskmetricsError

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
    refuse_viewers(who)
    secret = ingest.source_secret(svc.settings, source)
    why = chatwoot_events.check_secret(secret, token)
    if why is not None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, why)
    doc = parse_json(body, svc.settings.limits.max_json_depth)
    received = datetime.now(UTC).replace(microsecond=0).isoformat()
    mapped = chatwoot_events.map_delivery(doc, received)
    if mapped.malformed is not None:
        webhooks.refuse(svc, source, mapped.event_type, *mapped.malformed)
    result = WebhookResult(
        event_type=mapped.event_type, ticket_id=mapped.ticket_id, ignored=mapped.ignored
    )
    if mapped.ignored is not None:
        return result
    assert mapped.ticket_id is not None
    try:
        with svc.using() as ws:
            known = webhooks.ticket_known(ws, mapped.ticket_id)
            if known or mapped.ticket is not None:
                frames: list[tuple[str, list[dict[str, Any]]]] = []
                if mapped.ticket is not None:
                    frames.append(("tickets", [mapped.ticket]))
                if mapped.events:
                    frames.append(("events", mapped.events))
                if mapped.requests:
                    frames.append(("survey_requests", mapped.requests))
                report = ingest.store(ws, frames, source)
    except ingest.RowsRejected as exc:
        return rejected(exc)
    except DeskmetricsError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc
    if not known and mapped.ticket is None:
        webhooks.refuse(
            svc,
            source,
            mapped.event_type,
            "conversation.id",
            f"conversation {mapped.ticket_id} is not stored yet, so its events cannot be kept "
            "(deliver conversation_created first, or import the export)",
        )
    return webhooks.stored(request, background, result, report, source)
