"""`deskmetrics connect`: the canonical tables defined as views over a connector's synced
schema (Fivetran's Zendesk tables, Airbyte's Zendesk streams), in a DuckDB file or another
engine (PostgreSQL).

Only views are created, in the engine's default schema: nothing is copied and nothing stored is
ever dropped. A canonical table that already holds rows is a refusal (an import's data stays);
an empty one (a DuckDB workspace makes them when first opened) gives way to the view."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import ibis.common.exceptions
import ibis.expr.types as ir

from deskmetrics.config import is_engine_url
from deskmetrics.engine import airbyte_zendesk, fivetran_zendesk
from deskmetrics.engine.workspace import WorkspaceLocked, url_without_password
from deskmetrics.errors import BackendError


@dataclass(frozen=True)
class Connected:
    """What `connect` made: the views (canonical table → connector tables read), and the
    connector's optional tables it did not find (what their views or columns then lack)."""

    target: str
    schema: str
    views: dict[str, list[str]]
    missing: list[str]
    replaced_empty: list[str]


def open_backend(db: str | Path) -> Any:
    """The Ibis backend `connect` writes its views to: a DuckDB file or an engine's URL."""
    if is_engine_url(db):
        try:
            return ibis.connect(str(db))
        except Exception as exc:
            raise BackendError(f"cannot connect to {url_without_password(str(db))}: {exc}") from exc
    try:
        backend = ibis.duckdb.connect(str(db))
        backend.raw_sql("SET TimeZone = 'UTC'")
        return backend
    except Exception as exc:
        if "lock" in str(exc).lower():
            raise WorkspaceLocked(f"the DuckDB workspace {db} is in use: {exc}") from exc
        raise BackendError(f"cannot open the DuckDB workspace {db}: {exc}") from exc


def _kinds(backend: Any, schema: str | None) -> dict[str, str]:
    """Tables and views of `schema` (None: the default one) by name: "BASE TABLE" or "VIEW"."""
    where = "current_schema()" if schema is None else "'" + schema.replace("'", "''") + "'"
    found = backend.sql(
        f"SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = {where}"
    ).execute()
    return {str(n): str(k) for n, k in zip(found["table_name"], found["table_type"], strict=True)}


def _rows(backend: Any, name: str) -> int:
    return int(backend.table(name).count().execute())


@dataclass(frozen=True)
class Connector:
    """A connector whose synced tables `connect` reads: the tables it needs and those it
    reads when synced, how they become the tables the views are made from, and which of them
    each view reads (for the summary)."""

    name: str
    title: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    shaped: Callable[[dict[str, ir.Table | None]], fivetran_zendesk.ConnectorTables]
    reads: dict[str, tuple[str, ...]]


def _fivetran(tables: dict[str, ir.Table | None]) -> fivetran_zendesk.ConnectorTables:
    return fivetran_zendesk.ConnectorTables(**tables)  # type: ignore[arg-type]


#: the connectors `connect` knows, by the name the command takes
CONNECTORS: dict[str, Connector] = {
    "fivetran-zendesk": Connector(
        "fivetran-zendesk",
        "Fivetran's Zendesk Support schema",
        fivetran_zendesk.REQUIRED,
        fivetran_zendesk.OPTIONAL,
        _fivetran,
        {
            "tickets": ("ticket", "user", "group", "ticket_tag", "ticket_field_history"),
            "events": ("ticket", "ticket_comment", "ticket_field_history", "user", "group",
                       "ticket_schedule"),
            "surveys": ("satisfaction_rating",),
            "survey_requests": ("satisfaction_rating",),
            "agents": ("user", "group"),
        },
    ),
    "airbyte-zendesk": Connector(
        "airbyte-zendesk",
        "Airbyte's Zendesk Support streams",
        airbyte_zendesk.REQUIRED,
        airbyte_zendesk.OPTIONAL,
        airbyte_zendesk.connector_tables,
        {
            "tickets": ("tickets", "users", "groups", "ticket_audits"),
            "events": ("tickets", "ticket_audits", "users", "groups"),
            "surveys": ("satisfaction_ratings",),
            "survey_requests": ("satisfaction_ratings",),
            "agents": ("users", "groups"),
        },
    ),
}  # fmt: skip


def connector_tables(
    backend: Any, connector: Connector, schema: str
) -> tuple[fivetran_zendesk.ConnectorTables, list[str]]:
    """The connector's tables in `schema`, and the optional ones missing; a clear refusal when
    a required one is missing."""
    present = _kinds(backend, schema)
    if not present:
        raise BackendError(
            f"no schema {schema!r} with tables here: give the schema the connector syncs into "
            f"(--schema; its {', '.join(connector.required)} … tables)"
        )
    lacking = [n for n in connector.required if n not in present]
    if lacking:
        raise BackendError(
            f"schema {schema!r} lacks the connector's {', '.join(lacking)} table"
            f"{'s' if len(lacking) > 1 else ''}: the views need "
            f"{', '.join(connector.required)} ({connector.title})"
        )

    def table(name: str) -> ir.Table | None:
        return backend.table(name, database=schema) if name in present else None

    tables = {n: table(n) for n in (*connector.required, *connector.optional)}
    missing = [n for n in connector.optional if n not in present]
    return connector.shaped(tables), missing


def connect(db: str | Path, connector: str, schema: str) -> Connected:
    """Define the canonical tables as views over `connector`'s tables in `schema` of `db` (a
    DuckDB file or an engine URL). Refuses, before creating anything, when a canonical table
    of the same name holds rows."""
    spec = CONNECTORS.get(connector)
    if spec is None:
        raise BackendError(f"unknown connector {connector!r}: one of {', '.join(CONNECTORS)}")
    backend = open_backend(db)
    try:
        try:
            src, missing = connector_tables(backend, spec, schema)
            made = fivetran_zendesk.views(src)
        except (AttributeError, KeyError, ibis.common.exceptions.IbisError) as exc:
            # a column the connector's schema documents is missing
            raise BackendError(
                f"the connector's tables in {schema!r} lack a column of {spec.title}: {exc}"
            ) from exc
        here = _kinds(backend, None)
        tables = [n for n in made if here.get(n) == "BASE TABLE"]
        full = [n for n in tables if _rows(backend, n)]
        if full:
            raise BackendError(
                f"{', '.join(full)} already hold{'s' if len(full) == 1 else ''} imported rows "
                "here: connect defines the canonical tables as views and never drops data. "
                "Connect in a new workspace (--db), or delete those tables yourself first."
            )
        try:
            for name in made:  # every view compiles before any is created
                backend.compile(made[name])
            for name in tables:  # empty: a DuckDB workspace's tables made when first opened
                backend.drop_table(name)
            for name in made:  # a view made before (PostgreSQL replaces one of the same types)
                if here.get(name) == "VIEW":
                    backend.drop_view(name)
            for name, expr in made.items():
                backend.create_view(name, expr, overwrite=True)
        except Exception as exc:
            raise BackendError(
                f"cannot define the views in {url_without_password(str(db))}: {exc}. The "
                f"connector's tables in {schema!r} must have the columns of {spec.title}."
            ) from exc
        read = {name: [t for t in spec.reads[name] if t not in missing] for name in made}
        return Connected(url_without_password(str(db)), schema, read, missing, tables)
    finally:
        backend.disconnect()
