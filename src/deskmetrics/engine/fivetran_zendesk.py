"""The canonical tables as views over Fivetran's Zendesk Support schema (the connector's synced
tables), so that numbers come straight from the warehouse with no export.

The connector's tables read (Fivetran's published schema; `dbt_zendesk_source` documents the
columns): `ticket`, `ticket_comment`, `ticket_field_history` and `user` (required); `group`,
`ticket_tag`, `ticket_schedule` and `satisfaction_rating` when synced. A row the connector marks
`_fivetran_deleted` is left out (so is a ticket whose status is `deleted`, and everything of
it), as the export importer leaves out deleted tickets.

Zendesk's vocabulary is mapped as the export importer (importers/zendesk.py) maps it, from the
same constants (model/zendesk_vocabulary.py), so the same Zendesk data gives the same facts:

- tickets: the via channel as Zendesk names it (lower-cased, a numeric via id named), group by
  name, `created_by` from the submitter's role (agent or admin: `agent`; unknown role: `agent`
  when someone other than the requester submitted it; a customer's inbound call: `customer`);
- messages from comments: the system user (-1) writes `bot` messages, otherwise the author's
  role decides (end-user → customer, agent/admin → agent); with the role unknown a private
  comment is an agent's note and the requester's comment the customer's; a comment nobody can
  tell is left out (the importer rejects it). Voice comments are calls, not messages;
- `ticket_field_history`: `status` changes are status events; `priority` changes assignment
  events carrying the priority; `assignee_id`/`group_id` changes one assignment event per
  instant that changes either, carrying both as they stand then (as the importer's replay);
- `sla_policy` changes name the ticket's SLA policy (the latest); `ticket_schedule`: schedule
  events; `satisfaction_rating`: the ticket's latest good/bad rating is its CSAT answer
  (`zendesk-csat-<ticket>`), the first offer its survey request;
- agents: users whose role is agent or admin.

A source richer than Fivetran's (Airbyte's audits, flattened by engine/airbyte_zendesk.py) may
add columns the views then read: a comment's `via_channel`/`via_source_rel` (the AI agent's and
automatic comments told as the importer tells them), `audit_id` (the importer's event ids),
`answered_by_id`/`call_duration` (answered calls as interactions); a change's `audit_id` and
`event_id`; a ticket's `tags` in Zendesk's order; a user's `default_group_id` (agents' teams).

Every view is an Ibis expression that compiles on DuckDB and PostgreSQL (no ASOF join, no
`arg_max`): the latest value of a field is the maximum over the run of rows since its last
change (a running count of changes numbers the runs)."""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from deskmetrics.engine.workspace import canonical_schema
from deskmetrics.model import zendesk_vocabulary as vocabulary

#: the connector's tables the views need, and those they read when synced
REQUIRED = ("ticket", "ticket_comment", "ticket_field_history", "user")
OPTIONAL = ("group", "ticket_tag", "ticket_schedule", "satisfaction_rating")
#: the canonical tables defined as views, in the order they are created
VIEWS = ("tickets", "events", "surveys", "survey_requests", "agents")
#: fields of `ticket_field_history` that become events
HISTORY_FIELDS = ("status", "priority", "assignee_id", "group_id")


@dataclass(frozen=True)
class ConnectorTables:
    """The connector's tables as Ibis tables (None: not synced)."""

    ticket: ir.Table
    ticket_comment: ir.Table
    ticket_field_history: ir.Table
    user: ir.Table
    group: ir.Table | None = None
    ticket_tag: ir.Table | None = None
    ticket_schedule: ir.Table | None = None
    satisfaction_rating: ir.Table | None = None


def live(t: ir.Table) -> ir.Table:
    """Rows the connector has not marked deleted (`_fivetran_deleted`)."""
    if "_fivetran_deleted" in t.columns:
        return t.filter(~t._fivetran_deleted.cast("boolean").fill_null(False))
    return t


def _text(v: ir.Value) -> ir.StringValue:
    """An id or value as text, as the importer keeps ids (`"123"`, never `"123.0"`)."""
    if v.type().is_floating():
        v = v.cast("int64")
    return v.cast("string")


def _instant(v: ir.Value) -> ir.TimestampValue:
    """A synced instant as naive UTC (the canonical instants). An instant with a time zone is
    converted in the session's zone, which every session deskmetrics opens sets to UTC."""
    t = v.type()
    if t.is_timestamp() and t.timezone is not None:  # type: ignore[attr-defined]
        return v.cast(dt.Timestamp(timezone="UTC")).cast(dt.timestamp)
    return v.cast(dt.timestamp)


def _blank_null(v: ir.StringValue) -> ir.StringValue:
    """Empty text as null (the connector writes a cleared value either way)."""
    return ibis.cases((v == "", ibis.null("string")), else_=v)


def _shaped(t: ir.Table, table: str, **values: ir.Value) -> ir.Table:
    """`t` as canonical `table`: the given columns, typed, and null for the others."""
    schema = canonical_schema(table)
    if table == "events":  # the canonical default: every event is public unless it says
        values = {"public": ibis.literal(True), **values}
    cols = {
        name: (values[name] if name in values else ibis.null(typ)).cast(typ)
        for name, typ in schema.items()
    }
    extra = {k: v.cast("string") for k, v in values.items() if k not in schema}  # as stored
    return t.select(**cols, **extra)


def _roles(src: ConnectorTables) -> ir.Table:
    """Every user's id and Zendesk role (deleted users too: their role still says who wrote a
    comment)."""
    u = src.user
    return u.select(uid=_text(u.id), role=u.role.cast("string").lower()).distinct()


def _group_names(src: ConnectorTables) -> ir.Table | None:
    if src.group is None:
        return None
    g = src.group
    return g.select(gid=_text(g.id), gname=g["name"].cast("string")).distinct()


def _with_group_name(t: ir.Table, column: str, names: ir.Table | None) -> ir.Table:
    """`t` with `column` (a group id) replaced by the group's name, or kept as the id when no
    group table names it (as the importer does without groups.json)."""
    if names is None:
        return t
    j = t.view().left_join(names, [(column, "gid")])
    return j.mutate(**{column: j.gname.fill_null(j[column])}).drop("gid", "gname")


def live_tickets(src: ConnectorTables) -> ir.Table:
    """Tickets neither deleted by the connector nor in Zendesk (status `deleted`)."""
    t = live(src.ticket)
    return t.filter(t.status.cast("string").lower().fill_null("") != "deleted")


def tickets(src: ConnectorTables) -> ir.Table:
    t = live_tickets(src)
    via = _text(t.via_channel)
    via = via.substitute(vocabulary.VIA_NAMES, else_=via).lower()
    rel = (
        t.via_source_rel.cast("string").lower()
        if "via_source_rel" in t.columns
        else ibis.literal("")
    )
    roles = _roles(src)
    t = t.mutate(_via=via, _rel=rel.fill_null(""), _submitter=_text(t.submitter_id))
    j = t.left_join(roles, t._submitter == roles.uid)
    requester = _text(j.requester_id)
    called_in = j._via.isin(sorted(vocabulary.INBOUND_CALLS)) & (j._rel != "outbound")
    known = j.role.isin(sorted(vocabulary.ROLE_TO_AUTHOR))
    agent_role = j.role.isin(sorted(vocabulary.AGENT_ROLES))
    created_by = ibis.cases(
        (called_in.fill_null(False), "customer"),
        (known.fill_null(False), ibis.cases((agent_role, "agent"), else_="customer")),
        (j._submitter.isnull() | requester.isnull() | (j._submitter == requester), "customer"),
        else_="agent",
    )
    status = j.status.cast("string").lower()
    out = _shaped(
        j,
        "tickets",
        ticket_id=_text(j.id),
        created_at=_instant(j.created_at),
        requester_id=requester,
        channel=j._via,
        priority=j.priority.cast("string").lower(),
        group=_text(j.group_id),
        assignee_id=_text(j.assignee_id),
        created_by=created_by,
        subject=j.subject,
        brand=_text(j.brand_id),
        status=ibis.cases(
            (status.isin(sorted(vocabulary.STATUSES)), status), else_=ibis.null("string")
        ),
        updated_at=_instant(j.updated_at),
        organization_id=_text(j.organization_id),
        ticket_type=j.type.cast("string"),
    )
    out = _with_group_name(out, "group", _group_names(src))
    if "tags" in j.columns:  # joined in Zendesk's order already (an Airbyte-shaped source)
        tags_of = live_tickets(src)
        tags_of = tags_of.select(tid=_text(tags_of.id), joined=tags_of.tags.cast("string"))
        out = out.view().left_join(tags_of, [("ticket_id", "tid")])
        out = out.mutate(tags=out.joined).drop("tid", "joined")
    elif src.ticket_tag is not None:
        tags = src.ticket_tag
        tags = tags.select(tid=_text(tags.ticket_id), tag=tags.tag.cast("string"))
        joined = tags.group_by("tid").aggregate(
            joined=tags.tag.group_concat(";", order_by=tags.tag)
        )
        out = out.view().left_join(joined, [("ticket_id", "tid")])
        out = out.mutate(tags=out.joined).drop("tid", "joined")
    out = _with_sla_policy(out, src)
    return out.select(*EXTRA_TICKET_COLUMNS)


#: the tickets view's columns: the canonical ones, and those the importer adds
EXTRA_TICKET_COLUMNS = (
    *canonical_schema("tickets").names,
    "organization_id",
    "ticket_type",
    "sla_policy",
)


def _with_sla_policy(t: ir.Table, src: ConnectorTables) -> ir.Table:
    """The SLA policy the ticket's history names last (`sla_policy` field changes)."""
    h = src.ticket_field_history
    h = h.filter(h.field_name.cast("string").lower() == "sla_policy")
    h = h.select(
        tid=_text(h.ticket_id), at=_instant(h.updated), policy=_blank_null(h.value.cast("string"))
    )
    h = h.mutate(n=ibis.row_number().over(group_by=h.tid, order_by=h.at.desc()))
    h = h.filter(h.n == 0).select("tid", "policy")
    j = t.view().left_join(h, [("ticket_id", "tid")])
    return j.mutate(sla_policy=j.policy.cast("string")).drop("tid", "policy")


def _of_live_tickets(t: ir.Table, ids: ir.Table) -> ir.Table:
    """Rows of `t` (`ticket_id` as the source types it) whose ticket is live."""
    return t.semi_join(ids, _text(t.ticket_id) == ids.live_id)


def _messages(src: ConnectorTables, ids: ir.Table) -> ir.Table:
    """Comments as messages, and answered calls as interactions where the source names who
    answered (`answered_by_id`). A source that gives each comment's via (`via_channel`,
    `via_source_rel`) tells the AI agent's and automatic comments as the importer does; one
    that gives its audit (`audit_id`) gets the importer's event ids."""
    c = _of_live_tickets(live(src.ticket_comment), ids)
    voice = (
        c.voice_comment.cast("boolean").fill_null(False)
        if "voice_comment" in c.columns
        else ibis.literal(False)
    )
    roles = _roles(src)
    requesters = live_tickets(src)
    requesters = requesters.select(
        rtid=_text(requesters.id), requester=_text(requesters.requester_id)
    )
    raw = (
        c.via_channel.cast("string").lower() if "via_channel" in c.columns else ibis.null("string")
    )
    rel = (
        c.via_source_rel.cast("string").lower()
        if "via_source_rel" in c.columns
        else ibis.null("string")
    )
    c = c.mutate(
        _author=_text(c.user_id), _tid=_text(c.ticket_id), _voice=voice, _raw=raw, _rel=rel
    )
    j = c.left_join(roles, c._author == roles.uid).left_join(requesters, c._tid == requesters.rtid)
    public = j.public.cast("boolean").fill_null(True)
    via = j._raw.substitute(vocabulary.VIA_NAMES, else_=j._raw)
    ai = (via.startswith("answer_bot") & (via != vocabulary.AGENTS_ANSWER_BOT)).fill_null(False)
    automatic = (
        j._raw.isin(sorted(vocabulary.AUTOMATIC_CHANNELS))
        | j._raw.startswith("answer_bot")
        | j._rel.isin(sorted(vocabulary.AUTOMATIC_RELS))
    ).fill_null(False)
    known = j.role.isin(sorted(vocabulary.ROLE_TO_AUTHOR)).fill_null(False)
    role = ibis.cases(
        # the customer's own words in the bot's widget
        (ai & ((j.role == "end-user").fill_null(False)
               | (~known & (j._author == j.requester).fill_null(False))), "customer"),
        (ai, "ai_agent"),
        ((j._author == vocabulary.SYSTEM_USER).fill_null(False) | automatic, "bot"),
        (known, j.role.substitute(vocabulary.ROLE_TO_AUTHOR)),
        (j._author.isnull(), ibis.null("string")),
        (~public, "agent"),  # an internal note: only agents write them
        (j._author == j.requester, "customer"),
        else_=ibis.null("string"),
    )  # fmt: skip
    cid = _text(j.id)
    eid = (_text(j.audit_id) + "-" + cid) if "audit_id" in j.columns else "comment-" + cid
    written = j.filter(~j._voice)
    out = _shaped(
        written,
        "events",
        event_id=eid,
        ticket_id=j._tid,
        at=_instant(j.created),
        type=ibis.literal("message"),
        author_role=role,
        author_id=j._author,
        public=public,
        body=j.body.cast("string"),
        seq=j.id.cast("float64"),
    )
    out = out.filter(out.author_role.notnull())
    if "answered_by_id" not in j.columns:  # a call without who answered it: no interaction
        return out
    calls = j.filter(j._voice & j.answered_by_id.notnull())
    talk = calls.call_duration.cast("float64") if "call_duration" in j.columns else None
    return ibis.union(
        out,
        _shaped(
            calls,
            "events",
            event_id=eid + "-call",
            ticket_id=j._tid,
            at=_instant(j.created),
            type=ibis.literal("interaction"),
            agent_id=_text(j.answered_by_id),
            talk_seconds=talk if talk is not None else ibis.null("float64"),
            seq=j.id.cast("float64"),
        ),
        distinct=False,
    )


def _history(src: ConnectorTables, ids: ir.Table) -> ir.Table:
    """Field changes of live tickets: ticket, instant, author, field, value ('' is null)."""
    h = _of_live_tickets(src.ticket_field_history, ids)
    h = h.filter(h.field_name.cast("string").lower().isin(HISTORY_FIELDS))
    has_ids = "audit_id" in h.columns and "event_id" in h.columns
    return h.select(
        tid=_text(h.ticket_id),
        at=_instant(h.updated),
        author=_text(h.user_id),
        field=h.field_name.cast("string").lower(),
        value=_blank_null(h.value.cast("string")),
        aid=_text(h.audit_id) if has_ids else ibis.null("string"),
        cid=h.event_id.cast("int64") if has_ids else ibis.null("int64"),
    )


def _event_id(h: ir.Table, what: str) -> ir.StringValue:
    """A change's event id: `<audit>-<event>` as the importer makes it where the source names
    them; else (Fivetran's field history has no event ids) the ticket, what changed and the
    instant (one change of a field per ticket and instant)."""
    made = h.tid + f"-{what}-" + h.at.epoch_seconds().cast("int64").cast("string")
    return (h.aid + "-" + h.cid.cast("string")).fill_null(made)


def _statuses(h: ir.Table) -> ir.Table:
    s = h.filter((h.field == "status") & h.value.lower().isin(sorted(vocabulary.STATUSES)))
    return _shaped(
        s,
        "events",
        event_id=_event_id(s, "status"),
        ticket_id=s.tid,
        at=s.at,
        type=ibis.literal("status"),
        author_id=s.author,
        status=s.value.lower(),
        seq=s.cid.cast("float64"),
    )


def _priorities(h: ir.Table) -> ir.Table:
    """A priority set or changed: SLA policies follow it (a cleared one: the earlier stays)."""
    p = h.filter((h.field == "priority") & h.value.notnull())
    return _shaped(
        p,
        "events",
        event_id=_event_id(p, "priority"),
        ticket_id=p.tid,
        at=p.at,
        type=ibis.literal("assignment"),
        author_id=p.author,
        priority=p.value.lower(),
        seq=p.cid.cast("float64"),
    )


def _assignments(h: ir.Table, names: ir.Table | None) -> ir.Table:
    """One assignment event per ticket and instant that changes the assignee or the group,
    carrying both as they stand after it (the importer's replay of audits)."""
    a = h.filter(h.field.isin(["assignee_id", "group_id"]))
    # a change is a value other than the field's previous one (the first: other than none)
    before = ibis.window(group_by=[a.tid, a.field], order_by=[a.at, a.cid])
    a = a.mutate(prev=a.value.lag().over(before), first=ibis.row_number().over(before) == 0)
    changed = ibis.cases(
        (a.first, a.value.notnull()),
        else_=(a.value != a.prev).fill_null(a.value.isnull() != a.prev.isnull()),
    )
    a = a.filter(changed)
    is_a, is_g = a.field == "assignee_id", a.field == "group_id"
    per = a.group_by(["tid", "at", "aid"]).aggregate(
        author=a.author.max(),
        cid=a.cid.min(),  # the first change of the audit names the event (as the importer)
        a_val=ibis.cases((is_a, a.value), else_=ibis.null("string")).max(),
        a_set=ibis.cases((is_a, 1), else_=0).max(),
        g_val=ibis.cases((is_g, a.value), else_=ibis.null("string")).max(),
        g_set=ibis.cases((is_g, 1), else_=0).max(),
    )
    running = ibis.window(group_by=per.tid, order_by=[per.at, per.cid], preceding=None, following=0)
    per = per.mutate(a_run=per.a_set.sum().over(running), g_run=per.g_set.sum().over(running))
    per = per.mutate(
        assignee=per.a_val.max().over(group_by=[per.tid, per.a_run]),
        group=per.g_val.max().over(group_by=[per.tid, per.g_run]),
    )
    out = _shaped(
        per,
        "events",
        event_id=_event_id(per, "assignment"),
        ticket_id=per.tid,
        at=per.at,
        type=ibis.literal("assignment"),
        author_id=per.author,
        assignee_id=per.assignee,
        group=per.group,
        seq=per.cid.cast("float64"),
    )
    return _with_group_name(out, "group", names).select(*canonical_schema("events").names)


def _schedules(src: ConnectorTables, ids: ir.Table) -> ir.Table | None:
    if src.ticket_schedule is None:
        return None
    s = _of_live_tickets(live(src.ticket_schedule), ids)
    s = s.filter(s.schedule_id.notnull()).mutate(
        tid=_text(s.ticket_id),
        at=_instant(s.created_at),
        aid=ibis.null("string"),
        cid=ibis.null("int64"),
    )
    return _shaped(
        s,
        "events",
        event_id=_event_id(s, "schedule"),
        ticket_id=s.tid,
        at=s.at,
        type=ibis.literal("schedule"),
        schedule_id=_text(s.schedule_id),
    )


def events(src: ConnectorTables) -> ir.Table:
    t = live_tickets(src)
    ids = t.select(live_id=_text(t.id))
    h = _history(src, ids)
    parts = [
        _messages(src, ids),
        _statuses(h),
        _priorities(h),
        _assignments(h, _group_names(src)),
    ]
    schedules = _schedules(src, ids)
    if schedules is not None:
        parts.append(schedules)
    return ibis.union(*parts, distinct=False)


def _ratings(src: ConnectorTables) -> ir.Table:
    if src.satisfaction_rating is None:
        raise ValueError("no satisfaction_rating table synced")
    r = live(src.satisfaction_rating)
    r = r.filter(r.ticket_id.notnull())
    return r.mutate(
        tid=_text(r.ticket_id),
        score_=r.score.cast("string").lower(),
        sent=_instant(r.created_at),
        answered=_instant(r.updated_at).fill_null(_instant(r.created_at)),
    )


def surveys(src: ConnectorTables) -> ir.Table:
    """Each ticket's latest good or bad rating (Zendesk keeps one rating per ticket)."""
    r = _ratings(src)
    r = r.filter(r.score_.isin(sorted(vocabulary.ANSWERS)))
    latest = ibis.window(group_by=r.tid, order_by=[r.answered.desc(), r.id.desc()])
    r = r.mutate(n=ibis.row_number().over(latest))
    r = r.filter(r.n == 0)
    return _shaped(
        r,
        "surveys",
        response_id="zendesk-csat-" + r.tid,
        kind=ibis.literal("csat"),
        scale=ibis.literal("good-bad"),
        score=r.score_,
        answered_at=r.answered,
        customer_id=_text(r.requester_id),
        ticket_id=r.tid,
        agent_id=_text(r.assignee_id),
        comment=r.comment.cast("string"),
    )


def survey_requests(src: ConnectorTables) -> ir.Table:
    """Each ticket's survey request, sent when Zendesk first offered it (every rating but an
    unoffered one was offered)."""
    r = _ratings(src)
    r = r.filter((r.score_ != vocabulary.UNOFFERED) & r.sent.notnull())
    first = ibis.window(group_by=r.tid, order_by=[r.sent, r.id])
    r = r.mutate(n=ibis.row_number().over(first))
    r = r.filter(r.n == 0)
    return _shaped(
        r,
        "survey_requests",
        request_id="zendesk-offer-" + r.tid,
        kind=ibis.literal("csat"),
        sent_at=r.sent,
        customer_id=_text(r.requester_id),
        ticket_id=r.tid,
    )


def agents(src: ConnectorTables) -> ir.Table:
    """Agents and admins (end users are customers, not agents)."""
    u = live(src.user)
    role = u.role.cast("string").lower()
    u = u.filter(role.isin(sorted(vocabulary.AGENT_ROLES)))
    out = _shaped(
        u,
        "agents",
        agent_id=_text(u.id),
        name=u["name"].cast("string"),
        team=_text(u.default_group_id) if "default_group_id" in u.columns else ibis.null("string"),
        active=u.active.cast("boolean") if "active" in u.columns else ibis.literal(True),
        role=u.role.cast("string").lower(),
    )
    return _with_group_name(out, "team", _group_names(src))


def views(src: ConnectorTables) -> dict[str, ir.Table]:
    """Every canonical view over the connector's tables, by canonical table name."""
    out = {
        "tickets": tickets(src),
        "events": events(src),
        "agents": agents(src),
    }
    if src.satisfaction_rating is not None:
        out["surveys"] = surveys(src)
        out["survey_requests"] = survey_requests(src)
    return {name: out[name] for name in VIEWS if name in out}
