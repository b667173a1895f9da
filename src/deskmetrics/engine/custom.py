"""The sources besides the engine's own aggregations over tickets: the rows of every source (a
table with its id column: tickets, replies, interactions, agent days, survey answers and
requests, SLA targets, customers, social posts, mentions), and the sources whose numbers are
still computed by a hand-written function (customers, subscriptions, social posts, mentions).
Listed here, in one place, and registered by one explicit call (engine/__init__): importing a
module decides nothing."""

from __future__ import annotations

from deskmetrics.engine import revenue, sla, social, surveys
from deskmetrics.engine.compile import (
    AGENT_DAY_ROWS,
    CUSTOM_SOURCES,
    EXPLAINERS,
    INTERACTION_ROWS,
    REPLY_ROWS,
    SOURCES,
    TICKET_ROWS,
    CustomSource,
    Explainer,
    RowSource,
    explain_backlog,
    explain_concurrency,
    explain_contact_rate,
    explain_cost_per_contact,
)
from deskmetrics.metrics.base import Source

#: the rows of each source: every mean, proportion, count and `explain` reads them
ROWS: dict[Source, RowSource] = {
    s.name: s
    for s in (
        TICKET_ROWS,
        REPLY_ROWS,
        INTERACTION_ROWS,
        AGENT_DAY_ROWS,
        surveys.SURVEY_ANSWER_ROWS,
        surveys.SURVEY_REQUEST_ROWS,
        sla.SLA_TARGET_ROWS,
        revenue.CUSTOMER_ROWS,
        social.SOCIAL_POST_ROWS,
        social.MENTION_ROWS,
    )
}

#: the function computing every metric of each source whose numbers are not (yet) the engine's
#: aggregation of its rows
CUSTOM: dict[Source, CustomSource] = {
    Source.CUSTOMERS: revenue.customer_rates,
    Source.SUBSCRIPTIONS: revenue.revenue,
    Source.SOCIAL_POSTS: social.engagement,
    Source.MENTIONS: social.mentions,
}


#: how `explain` lists the rows behind the numbers of each source without rows above
EXPLAIN: dict[Source, Explainer] = {
    Source.STATUS: explain_backlog,
    Source.CHAT_SESSIONS: explain_concurrency,
    Source.CONTACTS: explain_contact_rate,
    Source.COSTS: explain_cost_per_contact,
    Source.SUBSCRIPTIONS: revenue.explain_revenue,
}


def register_custom_sources() -> None:
    """Make the engine read every source's rows, compute the custom sources' metrics with
    their functions and explain the rest with theirs."""
    SOURCES.update(ROWS)
    CUSTOM_SOURCES.update(CUSTOM)
    EXPLAINERS.update(EXPLAIN)
