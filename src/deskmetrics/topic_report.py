"""The topics table: each topic beside the numbers support teams steer by — volume, share,
change against the previous period, first response time, full resolution time, FCR, CSAT and
customer sentiment — with example tickets. Every number comes from `query.compute` grouped by
topic (never computed here), so it reads the same as `report METRIC --by topic`."""

from __future__ import annotations

from typing import Any

import pandas as pd

from deskmetrics.engine.workspace import Workspace
from deskmetrics.query import compute
from deskmetrics.ticket_text import example_tickets

#: the metrics beside each topic, in the table's order
TOPIC_METRICS = (
    "volume",
    "first_response_time",
    "full_resolution_time",
    "fcr_rate",
    "csat",
    "sentiment",
)


#: a topic with at least this many times its tickets of the period before is emerging (the
#: default factor of a spike alert rule)
EMERGING_FACTOR = 2.0

#: each column's unit, for reading (present.format_value)
UNITS = {
    "tickets": "count",
    "share": "percent",
    "first_response_time": "minutes",
    "full_resolution_time": "minutes",
    "fcr_rate": "percent",
    "csat": "percent",
    "sentiment": "score",
}


def emerging(tickets: pd.Series, before: pd.Series, min_n: int) -> pd.Series:
    """Topics with at least EMERGING_FACTOR times their tickets of the period before *beyond
    the desk's own growth* (when every topic grows sevenfold — the business grew, or the data
    thins out before the range — none stands out), and at least `min_n` tickets."""
    growth = max(1.0, float(tickets.sum() / before.sum())) if before.sum() > 0 else 1.0
    return (tickets >= EMERGING_FACTOR * growth * before) & (tickets >= min_n)


def topic_table(
    ws: Workspace, start: Any = None, end: Any = None, examples: int = 3
) -> pd.DataFrame:
    """One row per topic, most tickets first: topic, topic_label, tickets, share (percent of
    the tickets in range), change (of tickets against the period before: only with a
    range), `emerging` (with a range: tickets at least EMERGING_FACTOR times the period
    before, and at least `[alerts] min_n`), the metrics of TOPIC_METRICS, and `examples` (the
    most typical ticket ids). A spike alert rule on `volume` by `topic` watches the same."""
    compare = "previous" if start is not None and end is not None else None
    df = compute(ws, list(TOPIC_METRICS), by=["topic"], start=start, end=end, compare=compare)
    labels = compute(ws, "volume", by=["topic", "topic_label"], start=start, end=end)
    label_of = dict(zip(labels.topic, labels.topic_label, strict=True))
    wide = df.pivot(index="topic", columns="metric", values="value")
    wide = wide.reindex(columns=list(TOPIC_METRICS))
    out = pd.DataFrame({"topic": wide.index})
    out["topic_label"] = out.topic.map(label_of)
    out["tickets"] = wide["volume"].fillna(0).to_numpy()
    total = out.tickets.sum()
    out["share"] = out.tickets / total * 100 if total else 0.0
    if compare is not None and "change" in df.columns:
        vol = df[df.metric == "volume"].set_index("topic")
        out["previous"] = out.topic.map(vol["previous"]).to_numpy()
        out["change"] = out.topic.map(vol["change"]).to_numpy()
        # flagged like a spike alert: at least EMERGING_FACTOR times the period before, and
        # enough tickets to be news (`[alerts] min_n`)
        before = pd.to_numeric(out.previous, errors="coerce").fillna(0.0)
        # when the data starts inside the range, the period before is no baseline: nothing
        # is emerging against it (every topic would read as "at least twice nothing")
        stored = ws.stored_range()
        baseline = stored is not None and stored[0].date() < pd.Timestamp(start).date()
        out["emerging"] = emerging(out.tickets, before, ws.settings.alerts.min_n) & baseline
    for m in TOPIC_METRICS[1:]:
        out[m] = wide[m].to_numpy()
    ex = example_tickets(ws, examples) if examples else {}
    out["examples"] = [", ".join(ex.get(t, [])) for t in out.topic]
    out = out[out.tickets > 0]
    return out.sort_values(["tickets", "topic"], ascending=[False, True]).reset_index(drop=True)


__all__ = ["TOPIC_METRICS", "UNITS", "emerging", "topic_table"]
