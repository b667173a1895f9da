"""POST /api/webhooks/helpscout: Help Scout webhooks, stored as canonical rows.

The secret key is the one of source `helpscout` in the settings
(`[web.sources.helpscout] secret_env = "HELPSCOUT_WEBHOOK_SECRET"`; `?source=NAME` picks
another source, e.g. a second Help Scout account); Help Scout signs the raw body with it (see
`deskmetrics.api.helpscout_events`). Rows go through the same validation and store as every
other ingest (`deskmetrics.api.ingest.store`): all or nothing, idempotent by id."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Header, Query, Request

from deskmetrics.api import helpscout_events, webhooks
from deskmetrics.api.deps import MaybePrincipal, ServiceDep
from deskmetrics.api.routes.ingest import RawBody
from deskmetrics.engine.workspace import Workspace, duckdb_connection

router = APIRouter(tags=["ingest"])


def _not_stored(con: Any, ticket_id: str | None, events: list[dict[str, Any]]) -> list[Any]:
    """The events of a delivery not stored yet. Each delivery carries the whole conversation:
    threads stored before are left out, so a thread edited in Help Scout since (a note's text)
    keeps what was stored rather than refusing the delivery as a changed row."""
    stored = {
        r[0]
        for r in con.execute(
            "SELECT event_id FROM events WHERE ticket_id = ?", [ticket_id]
        ).fetchall()
    }
    return [e for e in events if e["event_id"] not in stored]


@router.post(
    "/api/webhooks/helpscout",
    **webhooks.route_doc(
        "Help Scout webhook (X-HelpScout-Signature: base64 HMAC-SHA1 of the body)",
        "Missing or wrong signature",
    ),
)
def helpscout_webhook(
    request: Request,
    svc: ServiceDep,
    who: MaybePrincipal,
    background: BackgroundTasks,
    body: RawBody,
    signature: Annotated[str | None, Header(alias=helpscout_events.SIGNATURE_HEADER)] = None,
    event: Annotated[str | None, Header(alias=helpscout_events.EVENT_HEADER)] = None,
    source: Annotated[
        str, Query(max_length=100, description="The settings' source holding the secret.")
    ] = "helpscout",
) -> Any:
    """A conversation event brings the conversation (its tickets row, every thread's message
    and status change) up to date; a satisfaction rating becomes a CSAT answer; other events
    are acknowledged and ignored (so that Help Scout does not retry them). A delivery lacking
    a field the mapping needs is a 422 naming that field."""
    doc = webhooks.read(
        svc,
        who,
        source,
        body,
        lambda secret: helpscout_events.check_signature(secret, body, signature),
    )
    with svc.using() as ws:  # the stored agents tell agents' threads from bots', as users.json
        rows = duckdb_connection(ws).execute("SELECT agent_id FROM agents").fetchall()
    mapped = helpscout_events.map_delivery(event, doc, {str(r[0]) for r in rows})
    result = webhooks.answer(svc, source, mapped)
    if mapped.ignored is not None:
        return result

    def frames(ws: Workspace) -> webhooks.Frames:
        if mapped.ticket is None:
            return [] if mapped.survey is None else [("surveys", [mapped.survey])]
        fresh = _not_stored(duckdb_connection(ws), mapped.ticket_id, mapped.events)
        return [("tickets", [mapped.ticket]), *([("events", fresh)] if fresh else [])]

    return webhooks.keep(request, svc, background, source, result, frames)
