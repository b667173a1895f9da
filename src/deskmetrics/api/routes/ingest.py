"""POST /api/<table>: canonical rows from a signed source (see `deskmetrics.api.ingest`).

A request must carry a valid, fresh HMAC signature of a configured source over its timestamp
and body; that signature is the credential (and proves the body was not changed on the way nor
replayed later). A sign-in or token sent along must be manager or admin: a viewer never
ingests. The body was read only up to `[web] max_body_bytes` (`deskmetrics.api.limits`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Header, HTTPException, Request, status
from fastapi.responses import JSONResponse

from deskmetrics.accounts import Principal, Role
from deskmetrics.api import ingest
from deskmetrics.api.deps import MaybePrincipal, ServiceDep
from deskmetrics.api.schemas import Ingested, Rejected
from deskmetrics.errors import DeskmetricsError
from deskmetrics.model import TABLES

router = APIRouter(tags=["ingest"])


async def raw_body(request: Request) -> bytes:
    """The body exactly as sent: the signature covers these bytes."""
    return await request.body()


RawBody = Annotated[bytes, Depends(raw_body)]
SourceH = Annotated[
    str | None,
    Header(alias=ingest.SOURCE_HEADER, description="The source name, as in [web.sources.NAME]."),
]
SignatureH = Annotated[
    str | None,
    Header(
        alias=ingest.SIGNATURE_HEADER,
        description='sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" under the source\'s '
        "secret>",
    ),
]
TimestampH = Annotated[
    str | None,
    Header(
        alias=ingest.TIMESTAMP_HEADER,
        description="Unix seconds when the delivery was signed; refused when further than "
        "[web] signature_tolerance_seconds (300) from now.",
    ),
]


def refuse_viewers(who: Principal | None) -> None:
    if who is not None and not who.role.allows(Role.manager):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"ingesting needs the manager role; you are {who.role}"
        )


def rejected(exc: ingest.RowsRejected) -> JSONResponse:
    return JSONResponse({"detail": exc.detail()}, status.HTTP_422_UNPROCESSABLE_CONTENT)


def _body_spec(table: str) -> dict[str, Any]:
    cols = TABLES[table].columns
    row = {
        "type": "object",
        "properties": {c.name: {"description": f"{c.kind.value}"} for c in cols},
        "required": [c.name for c in cols if c.required],
        "additionalProperties": True,
    }
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            {"type": "array", "items": row},
                            {
                                "type": "object",
                                "properties": {"rows": {"type": "array", "items": row}},
                                "required": ["rows"],
                            },
                        ]
                    }
                }
            },
        }
    }


def _endpoint(table: str):  # type: ignore[no-untyped-def]
    def post_rows(
        request: Request,
        svc: ServiceDep,
        who: MaybePrincipal,
        background: BackgroundTasks,
        body: RawBody,
        source: SourceH = None,
        signature: SignatureH = None,
        timestamp: TimestampH = None,
    ) -> Any:
        refuse_viewers(who)
        name = ingest.verify(svc.settings, source, signature, timestamp, body)
        try:
            rows = ingest.parse_rows(body, svc.settings.limits.max_json_depth)
            with svc.using() as ws:
                report = ingest.store(ws, [(table, rows)], name)
        except ingest.RowsRejected as exc:
            return rejected(exc)
        except DeskmetricsError as exc:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc
        background.add_task(ingest.after_ingest, request.app, report)
        counts = report.tables.get(table, {"received": len(rows)})
        return Ingested(
            source=name,
            table=table,
            received=counts.get("received", len(rows)),
            inserted=counts.get("inserted", 0),
            updated=counts.get("updated", 0),
            unchanged=counts.get("unchanged", 0),
            duplicate=counts.get("duplicate", 0),
            import_id=report.import_id,
        )

    post_rows.__name__ = f"post_{table}"
    post_rows.__doc__ = (
        f'Store canonical `{table}` rows (a JSON array, or {{"rows": [...]}}), validated '
        "like the file importer; all or nothing; idempotent by id."
    )
    return post_rows


for _table in ingest.INGEST_TABLES:
    router.add_api_route(
        f"/api/{_table}",
        _endpoint(_table),
        methods=["POST"],
        response_model=Ingested,
        summary=f"Ingest {_table} rows (signed)",
        responses={
            400: {"description": "Not JSON rows, or nested too deeply"},
            401: {"description": "Missing, unknown, wrong or stale signature"},
            413: {"description": "The body is larger than [web] max_body_bytes"},
            403: {"description": "A viewer's sign-in or token was sent"},
            422: {"model": Rejected, "description": "Bad rows; nothing was stored"},
        },
        openapi_extra=_body_spec(_table),
    )
