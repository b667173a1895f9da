"""The canonical tables as views over Airbyte's Zendesk Support streams.

Airbyte syncs Zendesk's API records nearly as they are: `tickets`, `ticket_audits` (each audit
with its `events` as a JSON array), `users`, and when selected `groups` and
`satisfaction_ratings` (the connector's published stream schemas name the columns); nested
objects (`via`, `events`, `tags`) are JSON columns. The audits are flattened here into the
shapes of Fivetran's tables (comments, field history) with what Fivetran lacks kept as extra
columns (each comment's via and audit, the events' ids, who answered a call), and the views
are then made exactly as for Fivetran (engine/fivetran_zendesk.py): one mapping of Zendesk's
vocabulary, the importer's.

A stream synced in an append mode may hold a record more than once: the version updated last
is read (tickets, users, ratings), as the importer reads an incremental export."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from deskmetrics.engine.fivetran_zendesk import ConnectorTables

#: Airbyte's streams the views need, and those they read when synced
REQUIRED = ("tickets", "ticket_audits", "users")
OPTIONAL = ("groups", "satisfaction_ratings")


def _json(v: ir.Value) -> ir.JSONValue:
    """A JSON column (a destination may keep it as text)."""
    return v if v.type().is_json() else v.cast("json")  # type: ignore[return-value]


def _scalar_text(v: ir.JSONValue) -> ir.StringValue:
    """A JSON string or number as text (Zendesk gives ids either way)."""
    return v.str.fill_null(v.int.cast("string"))


def latest(t: ir.Table) -> ir.Table:
    """One row per `id`: the one updated last."""
    if "updated_at" not in t.columns:
        return t
    w = ibis.window(group_by=t.id, order_by=[t.updated_at.desc()])
    t = t.mutate(_version=ibis.row_number().over(w))
    return t.filter(t._version == 0).drop("_version")


def tickets(t: ir.Table) -> ir.Table:
    """Tickets in the shape of Fivetran's `ticket`, tags joined in Zendesk's order."""
    t = latest(t)
    via = _json(t.via)
    tags = _json(t.tags).array.map(lambda x: x.str).join(";")
    subject = t.subject.cast("string")
    if "raw_subject" in t.columns:
        subject = subject.fill_null(t.raw_subject.cast("string"))
    return t.select(
        "id", "created_at", "updated_at", "requester_id", "submitter_id", "assignee_id",
        "group_id", "brand_id", "organization_id", "priority", "status", "type",
        subject=subject,
        via_channel=_scalar_text(via["channel"]),
        via_source_rel=via["source"]["rel"].str,
        tags=ibis.cases((tags == "", ibis.null("string")), else_=tags),
    )  # fmt: skip


def audit_events(a: ir.Table) -> ir.Table:
    """Every event of every audit, one row each, with its audit's ticket, instant, author and
    via."""
    via = _json(a.via)
    rows = a.select(
        aid=a.id,
        tid=a.ticket_id,
        at=a.created_at,
        author=a.author_id,
        audit_channel=_scalar_text(via["channel"]),
        audit_rel=via["source"]["rel"].str,
        e=_json(a.events).array.unnest(),
    )
    e = rows.e
    value = e["value"]
    return rows.mutate(
        cid=e["id"].int,
        kind=e["type"].str,
        field=e["field_name"].str.lower(),
        # an SLA policy's change names the policy (its title, else its id)
        value=_scalar_text(value)
        .fill_null(_scalar_text(value["title"]))
        .fill_null(_scalar_text(value["id"])),
        public=e["public"].bool,
        writer=e["author_id"].int.fill_null(rows.author),
        has_via=e["via"].notnull(),
        channel=_scalar_text(e["via"]["channel"]),
        rel=e["via"]["source"]["rel"].str,
        body=e["body"].str.fill_null(e["plain_body"].str),
        answered_by_id=e["data"]["answered_by_id"].int,
        call_duration=e["data"]["call_duration"].float,
    ).drop("e")


def comments(events: ir.Table) -> ir.Table:
    """Comments and voice comments in the shape of Fivetran's `ticket_comment`, with the via
    of each (the comment's own, else its audit's), its audit, and who answered a call."""
    c = events.filter(events.kind.isin(["Comment", "VoiceComment"]))
    own = c.has_via.fill_null(False)
    return c.select(
        id=c.cid,
        ticket_id=c.tid,
        user_id=c.writer,
        created=c.at,
        public=c.public,
        body=c.body,
        voice_comment=c.kind == "VoiceComment",
        audit_id=c.aid,
        via_channel=ibis.cases((own, c.channel), else_=c.audit_channel),
        via_source_rel=ibis.cases((own, c.rel), else_=c.audit_rel),
        answered_by_id=c.answered_by_id,
        call_duration=c.call_duration,
    )


def field_history(events: ir.Table) -> ir.Table:
    """Field changes in the shape of Fivetran's `ticket_field_history`, with each change's
    audit and event ids."""
    h = events.filter(events.kind.isin(["Create", "Change"]) & events.field.notnull())
    return h.select(
        ticket_id=h.tid,
        field_name=h.field,
        updated=h.at,
        user_id=h.author,
        value=h.value,
        audit_id=h.aid,
        event_id=h.cid,
    )


def connector_tables(streams: dict[str, ir.Table | None]) -> ConnectorTables:
    """Airbyte's streams (by name; None: not synced) as the Fivetran-shaped tables the views
    are made from."""
    tickets_, audits, users = (streams[n] for n in REQUIRED)
    assert tickets_ is not None and audits is not None and users is not None
    events = audit_events(audits)
    users = latest(users)
    groups, ratings = streams.get("groups"), streams.get("satisfaction_ratings")
    user_columns = ["id", "name", "role", "active"]
    if "default_group_id" in users.columns:
        user_columns.append("default_group_id")
    return ConnectorTables(
        ticket=tickets(tickets_),
        ticket_comment=comments(events),
        ticket_field_history=field_history(events),
        user=users.select(*user_columns),
        group=None if groups is None else groups.select("id", "name"),
        satisfaction_rating=None if ratings is None else latest(ratings),
    )
