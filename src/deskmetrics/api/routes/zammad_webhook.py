"""POST /api/webhooks/zammad: Zammad trigger webhooks, stored as canonical rows.

The signature token is the secret of source `zammad` in the settings
(`[web.sources.zammad] secret_env = "ZAMMAD_WEBHOOK_SECRET"`; `?source=NAME` picks another
source, e.g. a second Zammad), checked against `X-Hub-Signature` (see
`deskmetrics.api.zammad_events`). Rows go through the same validation and store as every
other ingest (`deskmetrics.api.ingest.store`): all or nothing, idempotent by id."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Header, HTTPException, Query, Request, status

from deskmetrics.api import ingest, webhooks, zammad_events
from deskmetrics.api.deps import MaybePrincipal, ServiceDep
from deskmetrics.api.limits import parse_json
from deskmetrics.api.routes.ingest import RawBody, refuse_viewers, rejected
from deskmetrics.api.schemas import WebhookResult
from deskmetrics.errors import DeskmetricsError

router = APIRouter(tags=["ingest"])


@router.post(
    "/api/webhooks/zammad",
    **webhooks.route_doc(
        "Zammad trigger webhook (X-Hub-Signature: HMAC-SHA1 of the body)",
        "Missing or wrong Zammad signature",
    ),
)
def zammad_webhook(
    request: Request,
    svc: ServiceDep,
    who: MaybePrincipal,
    background: BackgroundTasks,
    body: RawBody,
    signature: Annotated[str | None, Header(alias=zammad_events.SIGNATURE_HEADER)] = None,
    source: Annotated[
        str, Query(max_length=100, description="The settings' source holding the secret.")
    ] = "zammad",
) -> Any:
    """The ticket and article a trigger sends become a tickets row, a message event and a
    status event; merged and removed tickets are acknowledged and ignored. A delivery lacking
    a field the mapping needs is a 422 naming that field."""
    refuse_viewers(who)
    secret = ingest.source_secret(svc.settings, source)
    why = zammad_events.check_signature(secret, signature, body)
    if why is not None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, why)
    doc = parse_json(body, svc.settings.limits.max_json_depth)
    mapped = zammad_events.map_delivery(doc)
    if mapped.malformed is not None:
        webhooks.refuse(svc, source, mapped.event_type, *mapped.malformed)
    result = WebhookResult(
        event_type=mapped.event_type, ticket_id=mapped.ticket_id, ignored=mapped.ignored
    )
    if mapped.ignored is not None:
        return result
    assert mapped.ticket is not None
    frames: list[tuple[str, list[dict[str, Any]]]] = [("tickets", [mapped.ticket])]
    if mapped.events:
        frames.append(("events", mapped.events))
    try:
        with svc.using() as ws:
            report = ingest.store(ws, frames, source)
    except ingest.RowsRejected as exc:
        return rejected(exc)
    except DeskmetricsError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc
    return webhooks.stored(request, background, result, report, source)
