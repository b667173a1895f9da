"""POST /api/webhooks/zammad: Zammad trigger webhooks, stored as canonical rows.

The signature token is the secret of source `zammad` in the settings
(`[web.sources.zammad] secret_env = "ZAMMAD_WEBHOOK_SECRET"`; `?source=NAME` picks another
source, e.g. a second Zammad), checked against `X-Hub-Signature` (see
`deskmetrics.api.zammad_events`). Rows go through the same validation and store as every
other ingest (`deskmetrics.api.ingest.store`): all or nothing, idempotent by id."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Header, Query, Request

from deskmetrics.api import webhooks, zammad_events
from deskmetrics.api.deps import MaybePrincipal, ServiceDep
from deskmetrics.api.routes.ingest import RawBody

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
    doc = webhooks.read(
        svc,
        who,
        source,
        body,
        lambda secret: zammad_events.check_signature(secret, signature, body),
    )
    mapped = zammad_events.map_delivery(doc)
    result = webhooks.answer(svc, source, mapped)
    if mapped.ignored is not None:
        return result
    assert mapped.ticket is not None
    frames: webhooks.Frames = [("tickets", [mapped.ticket])]
    if mapped.events:
        frames.append(("events", mapped.events))
    return webhooks.keep(request, svc, background, source, result, lambda ws: frames)
