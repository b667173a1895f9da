"""The public way to ask for SLA state: per ticket and target, achieved / breached / running /
at risk, with due time and time left (engine/sla.py computes it; this module picks what to
show). The CLI (`deskmetrics sla`), GET /api/sla, GET /api/sla/targets, the dashboard SLA
page and SLA alerts read these functions.

`now` defaults to the workspace's (`Workspace.now()`: its `as_of` when it is seen as of a
moment, else the current time)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from deskmetrics.engine import Workspace
from deskmetrics.engine.kept import current_facts
from deskmetrics.engine.periods import naive_utc
from deskmetrics.engine.sla import STATES, sla_queue_frame, sla_state_frame
from deskmetrics.errors import QueryError

__all__ = ["STATES", "TARGET_EXPORT_COLUMNS", "sla_queue", "sla_state", "sla_targets"]

#: the per-target export (`deskmetrics sla --all`, GET /api/sla/targets), in this order
TARGET_EXPORT_COLUMNS = [
    "ticket_id",
    "policy",
    "sla_target",
    "status",
    "time",
    "target_minutes",
    "elapsed_business_minutes",
    "elapsed_calendar_minutes",
    "due_at",
    "started_at",
    "stopped_at",
    "settled_at",
]


def _check_states(states: Sequence[str]) -> tuple[str, ...]:
    bad = [s for s in states if s not in STATES]
    if bad:
        raise QueryError(f"unknown SLA status {', '.join(bad)}; use {', '.join(STATES)}")
    return tuple(states)


def sla_state(
    ws: Workspace,
    now: datetime | None = None,
    states: Sequence[str] | None = None,
    running_only: bool = False,
) -> pd.DataFrame:
    """Every SLA target of every ticket as of `now` (default: the current time, UTC).

    Columns: ticket_id, sla_target (first_reply, next_reply, periodic_update, resolution),
    policy, status (achieved, breached, running, at_risk), due_at (UTC; null for a target met
    before it was due or paused before it), time_left_minutes (target time left, negative
    when overdue; null once stopped), time ("business" or "calendar"), target_minutes,
    elapsed_minutes, paused (the clock is not running now), started_at, stopped_at,
    settled_at (when it was achieved or breached). `running_only` keeps targets still
    running (the ticket waits on us); `states` keeps those statuses."""
    df = sla_state_frame(current_facts(ws), naive_utc(now or ws.now()))
    if running_only:
        df = df[df["stopped_at"].isna()]
    if states is not None:
        df = df[df["status"].isin(_check_states(states))]
    return df.sort_values(["due_at", "ticket_id", "sla_target"], na_position="last").reset_index(
        drop=True
    )


def sla_queue(
    ws: Workspace,
    now: datetime | None = None,
    at_risk: bool = True,
    breached: bool = True,
    limit: int | None = 100,
) -> pd.DataFrame:
    """The live queue: targets of open tickets that are breached (overdue now) and/or at risk
    (due within the warning window), soonest due first, with subject, priority, group,
    assignee and channel of the ticket."""
    states = tuple(s for s, on in (("breached", breached), ("at_risk", at_risk)) if on)
    if not states:
        raise QueryError("ask for at-risk or breached targets (or both)")
    if limit is not None and limit < 1:
        raise QueryError("limit must be at least 1")
    return sla_queue_frame(current_facts(ws), naive_utc(now or ws.now()), states, limit)


def sla_targets(
    ws: Workspace, now: datetime | None = None, limit: int | None = None, offset: int = 0
) -> tuple[pd.DataFrame, int]:
    """Every SLA target of every ticket as of `now`, for export and audit: TARGET_EXPORT_COLUMNS
    in ticket, target and start order, and how many there are in all. `time` is the target's
    basis (business or calendar); the running time so far (pauses left out) is given in both
    business minutes (in the clock's schedule) and calendar minutes; `target_minutes` is in
    the target's basis. `limit` and `offset` cut a page."""
    if limit is not None and limit < 1:
        raise QueryError("limit must be at least 1")
    if offset < 0:
        raise QueryError("offset must be 0 or more")
    df = sla_state_frame(current_facts(ws), naive_utc(now or ws.now()), both_times=True)
    df = df.sort_values(["ticket_id", "sla_target", "started_at"], kind="stable")
    total = len(df)
    end: Any = None if limit is None else offset + limit
    return df[TARGET_EXPORT_COLUMNS].iloc[offset:end].reset_index(drop=True), total
