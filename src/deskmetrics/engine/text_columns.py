"""The ticket columns read from what customers wrote — `topic`, `topic_label` and the
sentiment of the customer's messages — joined to the per-ticket facts at query time from the
tables the ticket-text job writes (`deskmetrics/ticket_text.py`). Joined, not kept: a refit,
rename or merge of topics changes these small tables only, never the kept facts.

A workspace without those tables (nothing fitted or scored yet, another backend) reads every
ticket's topic as "other" and its sentiment as unknown (null)."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd

from deskmetrics.engine.workspace import Workspace

#: the tables the ticket-text job writes (deskmetrics/ticket_text.py makes them)
TEXT_TABLES = (
    "message_sentiment",
    "ticket_sentiment",
    "topics",
    "ticket_topics",
    "topic_edits",
    "topic_names",
)
#: the topic of a ticket without one (not fitted yet, or far from every topic)
OTHER_TOPIC = "other"
TEXT_COLUMNS = (
    "topic",
    "topic_label",
    "sentiment_first",
    "sentiment_last",
    "sentiment_mean",
    "sentiment_shift",
)


def _topics(ws: Workspace) -> ir.Table | None:
    if not (ws.has("ticket_topics") and ws.has("topic_names")):
        return None
    a = ws.backend.table("ticket_topics")
    n = ws.backend.table("topic_names")
    j = a.left_join(n, a.topic_id == n.topic_id)
    return j.select(
        _tt_id=j.ticket_id,
        topic=j.shown_id.fill_null(j.topic_id),
        topic_label=j.label.fill_null(j.topic_id),
    )


def _sentiment(ws: Workspace) -> ir.Table | None:
    if ws.as_of is None and ws.has("ticket_sentiment"):  # kept per ticket by the job
        return ws.backend.table("ticket_sentiment").rename(_ts_id="ticket_id")
    if not ws.has("message_sentiment"):
        return None
    # as of a past moment: from the messages known then
    s = ws.backend.table("message_sentiment")
    s = s.filter(s.sentiment.notnull())
    if ws.as_of is not None:  # messages written later are not known yet
        s = s.filter(s.at <= ibis.literal(ws.as_of, "timestamp"))
    agg = s.group_by("ticket_id").aggregate(
        sentiment_first=s.sentiment.argmin(s.at),
        sentiment_last=s.sentiment.argmax(s.at),
        sentiment_mean=s.sentiment.mean(),
        _ts_n=s.count(),
    )
    shift = ibis.cases(
        (agg._ts_n >= 2, agg.sentiment_last - agg.sentiment_first), else_=ibis.null("float64")
    )
    return agg.mutate(sentiment_shift=shift).rename(_ts_id="ticket_id").drop("_ts_n")


def with_text_columns(ws: Workspace, t: ir.Table) -> ir.Table:
    """`t` (one row per ticket, with `ticket_id`) with the topic and sentiment columns."""
    topics = _topics(ws)
    if topics is None:
        t = t.mutate(topic=ibis.literal(OTHER_TOPIC), topic_label=ibis.literal(OTHER_TOPIC))
    else:
        t = t.left_join(topics, t.ticket_id == topics._tt_id).drop("_tt_id")
        t = t.mutate(
            topic=t.topic.fill_null(OTHER_TOPIC), topic_label=t.topic_label.fill_null(OTHER_TOPIC)
        )
    sent = _sentiment(ws)
    if sent is None:
        none = ibis.null("float64")
        return t.mutate(**{c: none for c in TEXT_COLUMNS[2:]})
    return t.left_join(sent, t.ticket_id == sent._ts_id).drop("_ts_id")


def topic_names(ws: Workspace) -> pd.DataFrame:
    """Each topic as people read it: id, label, and the size it had when fitted (every
    engine: read by the topics table of the CLI, the API and the dashboard)."""
    if not (ws.has("topic_names") and ws.has("topics")):
        return pd.DataFrame({"topic": [], "topic_label": [], "fitted_tickets": []})
    n = ws.backend.table("topic_names")
    active = ws.backend.table("topics").filter(lambda t: t.active)
    sized = n.left_join(active, n.topic_id == active.topic_id).select(
        topic=n.shown_id, size=active.size.fill_null(0)
    )
    sizes = sized.group_by("topic").aggregate(fitted_tickets=sized.size.sum())
    labels = n.select(topic=n.topic_id, topic_label=n.label)
    out = sizes.join(labels, "topic").select("topic", "topic_label", "fitted_tickets")
    return ws.backend.execute(out.order_by([ibis.desc("fitted_tickets"), "topic"]))


def example_tickets(ws: Workspace, per_topic: int = 3) -> dict[str, list[str]]:
    """The tickets closest to each topic's centre (the most typical), by the id the topic
    reads as."""
    if not (ws.has("ticket_topics") and ws.has("topic_names")):
        return {}
    a = ws.backend.table("ticket_topics")
    n = ws.backend.table("topic_names")
    j = a.left_join(n, a.topic_id == n.topic_id).select(
        shown=n.shown_id.fill_null(a.topic_id), ticket_id=a.ticket_id, similarity=a.similarity
    )
    place = ibis.row_number().over(group_by=j.shown, order_by=[j.similarity.desc(), j.ticket_id])
    top = j.mutate(place=place).filter(lambda t: t.place < per_topic)
    rows = ws.backend.execute(top.order_by(["shown", "place"]))
    out: dict[str, list[str]] = {}
    for topic, ticket_id in zip(rows["shown"], rows["ticket_id"], strict=True):
        out.setdefault(str(topic), []).append(str(ticket_id))
    return out


__all__ = ["OTHER_TOPIC", "TEXT_COLUMNS", "example_tickets", "topic_names", "with_text_columns"]
