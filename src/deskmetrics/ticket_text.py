"""The ticket-text job: reads subjects and customer messages from the workspace, runs
`deskmetrics.text` (sentiment, topics) and writes what it finds into derived tables beside the
canonical ones. The engine joins these tables at query time (`engine/text_columns.py`), so a
refit, rename or merge never remakes the kept per-ticket facts.

Tables (DuckDB workspace):
- `message_sentiment`: one row per customer message with a body (event_id, ticket_id, at,
  sentiment in [−1, 1], null for a message without words);
- `ticket_sentiment`: per ticket, the first, last and mean sentiment of its customer's
  messages and the shift first → last (kept up to date as messages arrive: what queries join);
- `topics`: every topic ever fitted (ids are never reused), `active` for the current fit, with
  its centre so later imports assign new tickets without refitting;
- `ticket_topics`: each ticket's topic id (raw: as fitted or assigned) and its similarity;
- `topic_edits`: renames and merges in the order people made them (kept across refits);
- `topic_names`: each topic id → the id and label it reads as after the edits (what queries
  join)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from deskmetrics.engine.text_columns import example_tickets, topic_names
from deskmetrics.engine.workspace import Workspace, duckdb_connection
from deskmetrics.errors import QueryError
from deskmetrics.text import sentiment, topics
from deskmetrics.text.sentiment import ScoringAhead  # an import feeds it while it reads
from deskmetrics.text.topics import OTHER, Edit, Topic, TopicModel

DDL = (
    "CREATE TABLE IF NOT EXISTS message_sentiment (event_id VARCHAR, ticket_id VARCHAR, "
    '"at" TIMESTAMP, sentiment DOUBLE)',
    "CREATE TABLE IF NOT EXISTS ticket_sentiment (ticket_id VARCHAR, sentiment_first DOUBLE, "
    "sentiment_last DOUBLE, sentiment_mean DOUBLE, sentiment_shift DOUBLE)",
    "CREATE TABLE IF NOT EXISTS topics (topic_id VARCHAR, label VARCHAR, size BIGINT, "
    "radius DOUBLE, centroid FLOAT[], active BOOLEAN, seed BIGINT)",
    "CREATE TABLE IF NOT EXISTS ticket_topics (ticket_id VARCHAR, topic_id VARCHAR, "
    "similarity DOUBLE)",
    "CREATE TABLE IF NOT EXISTS topic_edits (seq BIGINT, action VARCHAR, topic_id VARCHAR, "
    "value VARCHAR)",
    "CREATE TABLE IF NOT EXISTS topic_names (topic_id VARCHAR, shown_id VARCHAR, label VARCHAR)",
)

#: each ticket's subject and its customer's messages (in order), cut to the length embedded
_TEXTS = f"""
SELECT t.ticket_id,
       left(concat_ws(chr(10), t.subject, string_agg(e.body, chr(10) ORDER BY e."at", e.seq)),
            {topics.MAX_TEXT_CHARS}) AS text
FROM tickets t
LEFT JOIN events e ON e.ticket_id = t.ticket_id AND e.type = 'message'
     AND e.author_role = 'customer' AND coalesce(e.public, true)
{{where}}
GROUP BY t.ticket_id, t.subject
ORDER BY t.ticket_id
"""


def _con(ws: Workspace) -> Any:
    if ws.read_only:
        raise QueryError("the workspace is open read-only: topics and sentiment are not written")
    con = duckdb_connection(ws)
    for sql in DDL:
        con.execute(sql)
    return con


def _transaction(con: Any, steps: list[tuple[str, list[Any] | None]]) -> None:
    con.execute("BEGIN TRANSACTION")
    try:
        for sql, params in steps:
            con.execute(sql, params) if params is not None else con.execute(sql)
    except Exception:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


# ---------------------------------------------------------------------------------------------
# sentiment


def score_new_messages(ws: Workspace, ahead: ScoringAhead | None = None) -> int:
    """Score every customer message not scored yet (all of them the first time); how many
    have words (and so a sentiment). Running it again scores nothing: a message is scored
    once. `ahead`: the scores an import made while it read (the same numbers, sooner)."""
    con = _con(ws)
    kept, scored = con.execute(
        "SELECT (SELECT count(*) FROM ticket_sentiment), (SELECT count(*) FROM message_sentiment)"
    ).fetchone()
    if kept == 0 and scored > 0:  # scored before tickets' sentiment was kept: made once
        _transaction(con, _per_ticket("SELECT DISTINCT ticket_id FROM message_sentiment"))
    new = con.execute(
        'SELECT e.event_id, e.ticket_id, e."at", e.body FROM events e '
        "WHERE e.type = 'message' AND e.author_role = 'customer' AND e.body IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM message_sentiment s WHERE s.event_id = e.event_id)"
    ).df()
    if new.empty:
        return 0
    # a message without words is kept with no sentiment: scored once, never again
    new["sentiment"] = pd.array(
        sentiment.score_all(new.pop("body").tolist(), ahead=ahead), dtype="Float64"
    )
    con.register("_new_sentiment", new)
    try:
        _transaction(
            con,
            [
                (
                    'INSERT INTO message_sentiment SELECT event_id, ticket_id, "at", sentiment '
                    "FROM _new_sentiment",
                    None,
                ),
                *_per_ticket("SELECT DISTINCT ticket_id FROM _new_sentiment"),
            ],
        )
    finally:
        con.unregister("_new_sentiment")
    return int(new.sentiment.notna().sum())


def _per_ticket(tickets: str) -> list[tuple[str, list[Any] | None]]:
    """Statements bringing `ticket_sentiment` (first, last, mean and shift of each ticket's
    scored customer messages: what queries join) up to date for the tickets `tickets`
    selects."""
    return [
        (f"DELETE FROM ticket_sentiment WHERE ticket_id IN ({tickets})", None),
        (
            "INSERT INTO ticket_sentiment SELECT ticket_id, first, last, mean, "
            "CASE WHEN n >= 2 THEN last - first END FROM (SELECT ticket_id, "
            'arg_min(sentiment, "at") AS first, arg_max(sentiment, "at") AS last, '
            "avg(sentiment) AS mean, count(*) AS n FROM message_sentiment "
            f"WHERE sentiment IS NOT NULL AND ticket_id IN ({tickets}) GROUP BY ticket_id)",
            None,
        ),
    ]


# ---------------------------------------------------------------------------------------------
# topics


def ticket_texts(ws: Workspace, only_unassigned: bool = False) -> pd.DataFrame:
    """ticket_id and text (subject + customer messages) of every ticket, or of those without
    a topic yet."""
    con = _con(ws)
    where = (
        "WHERE NOT EXISTS (SELECT 1 FROM ticket_topics a WHERE a.ticket_id = t.ticket_id)"
        if only_unassigned
        else ""
    )
    df = con.execute(_TEXTS.format(where=where)).df()
    df["text"] = df["text"].fillna("").astype(str)
    return df


def current_model(ws: Workspace) -> TopicModel | None:
    """The active topics with their centres, or None before the first fit."""
    con = _con(ws)
    rows = con.execute(
        "SELECT topic_id, label, size, radius, centroid FROM topics WHERE active "
        "ORDER BY size DESC, topic_id"
    ).fetchall()
    if not rows:
        return None
    return TopicModel(
        tuple(
            Topic(tid, label, np.asarray(c, dtype=np.float32), int(size), float(radius))
            for tid, label, size, radius, c in rows
        )
    )


@dataclass(frozen=True)
class FitSummary:
    """What a fit did: topics found, tickets placed, ids kept from the previous fit."""

    topics: int
    tickets: int
    other: int
    kept_ids: tuple[str, ...]
    new_ids: tuple[str, ...]
    silhouettes: dict[int, float]


def fit_topics(ws: Workspace, seed: int = 0, min_size: int | None = None) -> FitSummary:
    """(Re)discover the topics of every ticket; persisting topics keep their ids, renames and
    merges stay applied. One transaction: a failure leaves the previous topics in place."""
    con = _con(ws)
    texts = ticket_texts(ws)
    previous = dict(con.execute("SELECT ticket_id, topic_id FROM ticket_topics").fetchall())
    used = [r[0] for r in con.execute("SELECT topic_id FROM topics").fetchall()]
    fitted = topics.fit(
        texts.text.tolist(),
        seed=seed,
        min_size=min_size,
        keys=texts.ticket_id.tolist(),
        previous=previous,
        used_ids=used,
    )
    new_topics = pd.DataFrame(
        {
            "topic_id": [t.topic_id for t in fitted.model.topics],
            "label": [t.label for t in fitted.model.topics],
            "size": [t.size for t in fitted.model.topics],
            "radius": [t.radius for t in fitted.model.topics],
            "centroid": [t.centroid.astype(np.float32).tolist() for t in fitted.model.topics],
            "active": True,
            "seed": seed,
        }
    )
    assigned = pd.DataFrame(
        {
            "ticket_id": texts.ticket_id,
            "topic_id": fitted.topic_of,
            "similarity": fitted.similarity.astype(float),
        }
    )
    con.register("_new_topics", new_topics)
    con.register("_new_assigned", assigned)
    try:
        _transaction(
            con,
            [
                ("UPDATE topics SET active = false", None),
                ("DELETE FROM topics WHERE topic_id IN (SELECT topic_id FROM _new_topics)", None),
                (
                    "INSERT INTO topics SELECT topic_id, label, size, radius, "
                    "CAST(centroid AS FLOAT[]), active, seed FROM _new_topics",
                    None,
                ),
                ("DELETE FROM ticket_topics", None),
                ("INSERT INTO ticket_topics SELECT * FROM _new_assigned", None),
                *_names_steps(con, {t.topic_id: t.label for t in fitted.model.topics}),
            ],
        )
    finally:
        con.unregister("_new_topics")
        con.unregister("_new_assigned")
    old = set(previous.values())
    ids = [t.topic_id for t in fitted.model.topics]
    return FitSummary(
        topics=len(ids),
        tickets=len(assigned),
        other=int((assigned.topic_id == OTHER).sum()),
        kept_ids=tuple(t for t in ids if t in old),
        new_ids=tuple(t for t in ids if t not in old),
        silhouettes=fitted.silhouettes,
    )


def assign_new_tickets(ws: Workspace) -> int:
    """Place tickets without a topic in the nearest existing topic (or "other"), without
    refitting; how many. Nothing before the first fit; running it again places nothing."""
    model = current_model(ws)
    if model is None:
        return 0
    texts = ticket_texts(ws, only_unassigned=True)
    if texts.empty:
        return 0
    ids, sims = model.assign(texts.text.tolist())
    out = pd.DataFrame(
        {"ticket_id": texts.ticket_id, "topic_id": ids, "similarity": sims.astype(float)}
    )
    con = _con(ws)
    con.register("_new_assigned", out)
    try:
        _transaction(con, [("INSERT INTO ticket_topics SELECT * FROM _new_assigned", None)])
    finally:
        con.unregister("_new_assigned")
    return len(out)


def after_import(ws: Workspace, ahead: ScoringAhead | None = None) -> list[str]:
    """What an import runs at its end: score the new customer messages (`ahead`: what it
    scored while reading) and place the new tickets in the existing topics; notes saying
    what it did."""
    if getattr(ws.backend, "name", "") != "duckdb" or ws.read_only:
        return []
    notes = []
    scored = score_new_messages(ws, ahead)
    if scored:
        notes.append(f"sentiment scored for {scored:,} customer messages")
    placed = assign_new_tickets(ws)
    if placed:
        notes.append(f"{placed:,} new tickets placed in the existing topics")
    return notes


# ---------------------------------------------------------------------------------------------
# renames and merges


def edits(ws: Workspace) -> list[Edit]:
    con = _con(ws)
    rows = con.execute("SELECT action, topic_id, value FROM topic_edits ORDER BY seq").fetchall()
    return [Edit(a, t, v) for a, t, v in rows]


def _labels(con: Any) -> dict[str, str]:
    return dict(con.execute("SELECT topic_id, label FROM topics WHERE active").fetchall())


def _names_steps(
    con: Any, labels: dict[str, str], new: Edit | None = None
) -> list[tuple[str, list[Any] | None]]:
    """The statements rewriting `topic_names` from the active topics' labels and the edits
    (with `new` after those stored)."""
    rows = con.execute("SELECT action, topic_id, value FROM topic_edits ORDER BY seq").fetchall()
    made = [Edit(a, t, v) for a, t, v in rows] + ([new] if new else [])
    resolved = topics.resolve(labels, made)
    steps: list[tuple[str, list[Any] | None]] = [("DELETE FROM topic_names", None)]
    for tid, (shown, label) in sorted(resolved.items()):
        steps.append(("INSERT INTO topic_names VALUES (?, ?, ?)", [tid, shown, label]))
    return steps


def _edit(ws: Workspace, action: str, topic_id: str, value: str) -> None:
    con = _con(ws)
    labels = _labels(con)
    known = {*labels, OTHER}
    for t in [topic_id, value] if action == "merge" else [topic_id]:
        if t not in known:
            shown = ", ".join(sorted(labels)) or "none (run `deskmetrics topics fit`)"
            raise QueryError(f"no topic {t!r}; topics: {shown}")
    seq = con.execute("SELECT coalesce(max(seq), 0) + 1 FROM topic_edits").fetchone()[0]
    add = ("INSERT INTO topic_edits VALUES (?, ?, ?, ?)", [seq, action, topic_id, value])
    _transaction(con, [add, *_names_steps(con, labels, Edit(action, topic_id, value))])


def rename_topic(ws: Workspace, topic_id: str, name: str) -> None:
    """Name a topic (kept across refits while the topic persists)."""
    if not name.strip():
        raise QueryError("a topic's name cannot be empty")
    _edit(ws, "rename", topic_id, name.strip())


def merge_topics(ws: Workspace, topic_id: str, into: str) -> None:
    """Count topic `topic_id` as topic `into` from now on (kept across refits)."""
    if topic_id == into:
        raise QueryError("a topic cannot be merged into itself")
    _edit(ws, "merge", topic_id, into)


__all__ = [
    "FitSummary",
    "ScoringAhead",
    "after_import",
    "assign_new_tickets",
    "current_model",
    "edits",
    "example_tickets",
    "fit_topics",
    "merge_topics",
    "rename_topic",
    "score_new_messages",
    "ticket_texts",
    "topic_names",
]
