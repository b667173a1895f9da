"""Emerging topics: a topic whose tickets jump against its own baseline is flagged in the
topics table and fires a spike alert rule on volume by topic ("topic spike")."""

from __future__ import annotations

from datetime import datetime, timedelta

from conftest import UTC_9_TO_5, build_workspace, ticket
from deskmetrics.alerts import evaluate
from deskmetrics.ticket_text import fit_topics
from deskmetrics.topic_report import topic_table
from test_text_topics import BILLING, CRASH, LOGIN

NOW = datetime(2026, 3, 10, 12, 0)


def _at(t: datetime) -> str:
    return f"{t:%Y-%m-%dT%H:%M:%SZ}"


def _workspace():  # type: ignore[no-untyped-def]
    # the 28 days before the last 24 h: one billing or login ticket a day; then 5 crashes
    # and one billing ticket in the last 24 h
    base = [
        ticket(f"B{i}", _at(NOW - timedelta(days=1, hours=12) - timedelta(days=i)),
               subject=(BILLING + LOGIN)[i % 12])
        for i in range(28)
    ]  # fmt: skip
    recent = [
        ticket(f"R{i}", _at(NOW - timedelta(hours=10 - i)), subject=CRASH[i]) for i in range(5)
    ]
    recent.append(ticket("R9", _at(NOW - timedelta(hours=2)), subject=BILLING[0]))
    config = {
        **UTC_9_TO_5,
        "alerts": {
            "min_n": 3,
            "rules": [
                {
                    "name": "topic-spike",
                    "kind": "spike",
                    "metric": "volume",
                    "by": ["topic"],
                    "window_hours": 24,
                }
            ],
        },
    }
    ws = build_workspace({"tickets": base + recent}, config)
    fit_topics(ws, seed=0, min_size=3)
    return ws


def test_a_topic_spike_fires_for_the_topic_that_jumped() -> None:
    ws = _workspace()
    obs = {o.group["topic"]: o for o in evaluate(ws, now=NOW).observations}
    crash = {o.group["topic"] for o in obs.values() if o.value == 5}
    assert len(crash) == 1
    (topic,) = crash
    # 5 tickets in 24 h against none in the 28 days before → firing
    assert obs[topic].firing is True and obs[topic].threshold == 0
    # billing: 1 ticket in the window (14 over 28 days → 0.5 a day: threshold 1) but fewer
    # than min_n 3: not news
    assert not any(o.firing for t, o in obs.items() if t != topic)


def test_the_topics_table_flags_the_emerging_topic() -> None:
    ws = _workspace().at(NOW)
    df = topic_table(ws, start="2026-03-10", end="2026-03-10").set_index("topic")
    emerging = df.index[df.emerging].tolist()
    assert len(emerging) == 1 and df.loc[emerging[0], "tickets"] == 5


def test_nothing_is_emerging_when_the_data_starts_in_the_range() -> None:
    """The range covers the data's first days: the period before has no ticket at all, which is
    no baseline — every topic would otherwise read as 'at least twice nothing'."""
    ws = _workspace().at(NOW)
    df = topic_table(ws, start="2026-02-01", end="2026-03-10")
    assert df["tickets"].sum() == 34
    assert not df["emerging"].any()


def test_a_topic_growing_with_the_whole_desk_is_not_emerging() -> None:
    """Three topics with 2 tickets each before (total 6). All double to 4 (total 12, growth 2):
    threshold 2 × 2 × 2 = 8, none emerging. One grows to 12 (total 20, growth 3.33): threshold
    13.3, still not. One grows to 20 (total 28, growth 4.67): threshold 18.7 → emerging. With
    min_n 25 nothing is news."""
    import pandas as pd

    from deskmetrics.topic_report import emerging

    before = pd.Series([2.0, 2.0, 2.0])
    cases = (
        ([4, 4, 4], [False] * 3),
        ([12, 4, 4], [False] * 3),
        ([20, 4, 4], [True, False, False]),
    )
    for now, expected in cases:
        assert list(emerging(pd.Series([float(x) for x in now]), before, 3)) == expected
    assert not emerging(pd.Series([20.0, 4.0, 4.0]), before, 25).any()
