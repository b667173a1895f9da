"""DELETE /api/data/{table} (manager): delete stored rows to correct bad data.

The rows are named by key (`id`, repeatable; costs by their `_row_hash`) or by the import that
stored them (`import_id`; table `all`: every table's rows of that import). A ticket's events go
with it; its survey answers stay. One transaction, logged in the import log as
`delete:<table>` with the signed-in user; `dry_run=true` says what would go and deletes
nothing. Importing the rows again brings them back (a delete is no tombstone)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field

from deskmetrics.api.deps import Manager, ServiceDep
from deskmetrics.engine.store import DeleteError, NothingToDelete, delete, plan_delete
from deskmetrics.engine.workspace import duckdb_connection

router = APIRouter(tags=["data"])

#: ids one call may name (a query string has its limits; an import is deleted by its id)
MAX_IDS = 1000


class Deleted(BaseModel):
    """What a delete removed (or, with `dry_run`, would remove)."""

    table: str
    deleted: dict[str, int] = Field(
        description="Rows per table: the named rows, and the events of deleted tickets."
    )
    kept: dict[str, int] = Field(
        description="Rows that name a deleted ticket and are kept (survey answers, requests)."
    )
    dry_run: bool
    import_id: str | None = Field(
        None, description="The delete's own entry in the import log (none for a dry run)."
    )
    notes: list[str] = []


@router.delete(
    "/api/data/{table}",
    response_model=Deleted,
    summary="Delete stored rows by id or by import (manager)",
    responses={
        400: {"description": "Neither or both of id and import_id, or too many ids"},
        401: {"description": "Not signed in and no bearer token"},
        403: {"description": "Signed in without the manager role"},
        404: {"description": "Unknown table, id or import: nothing was deleted"},
        422: {"description": "A query parameter is malformed"},
    },
)
def delete_rows(
    table: str,
    svc: ServiceDep,
    who: Manager,
    ids: Annotated[
        list[str] | None,
        Query(alias="id", description="Key of a row to delete (repeat for several)."),
    ] = None,
    import_id: Annotated[
        str | None, Query(description="Delete the rows this import stored.")
    ] = None,
    dry_run: Annotated[bool, Query(description="Say what would go; delete nothing.")] = False,
) -> Deleted:
    """Delete rows of a canonical table, all or nothing; see the module docstring."""
    if ids is not None and len(ids) > MAX_IDS:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            f"{len(ids):,} ids in one call; send at most {MAX_IDS:,} per call",
        )
    try:
        with svc.using() as ws:
            con = duckdb_connection(ws)
            if dry_run:
                plan = plan_delete(con, table, ids or [], import_id)
                return Deleted(
                    table=table, deleted=plan.rows, kept=plan.kept, dry_run=True, import_id=None
                )
            plan = plan_delete(con, table, ids or [], import_id)
            summary = delete(con, table, ids or [], import_id, by=who.name)
    except NothingToDelete as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except DeleteError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc
    return Deleted(
        table=table,
        deleted={name: tc.deleted for name, tc in summary.tables.items()},
        kept=plan.kept,
        dry_run=False,
        import_id=summary.import_id,
        notes=summary.notes,
    )
