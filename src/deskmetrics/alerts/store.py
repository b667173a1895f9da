"""Alert state and history in the workspace.

`_alert_episodes`: one row per episode (rule, group) — opened_at, closed_at (NULL while the
condition holds), whether its start was notified. `_alert_history`: one row per event (fired,
recovered), what was measured and which outbox messages carried it. `_alert_mutes`: rules muted
from the page, until an instant or until unmuted. `_alert_checks`: each rule's latest
evaluation (when, its state, the value shown for it)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from deskmetrics.appstate import state
from deskmetrics.engine.workspace import Workspace


def group_key(values: dict[str, Any]) -> str:
    """A stable text key for a group: JSON with sorted keys ("{}" when ungrouped)."""
    return json.dumps({k: str(v) for k, v in values.items()}, sort_keys=True)


@dataclass(frozen=True)
class Episode:
    episode_id: str
    rule: str
    group_key: str
    opened_at: datetime
    closed_at: datetime | None
    notified: bool


def open_episode(ws: Workspace, rule: str, key: str) -> Episode | None:
    row = state(ws).one(
        "SELECT episode_id, rule, group_key, opened_at, closed_at, notified "
        "FROM _alert_episodes WHERE rule = ? AND group_key = ? AND closed_at IS NULL",
        [rule, key],
    )
    return None if row is None else Episode(*row)


def open_groups(ws: Workspace, rule: str) -> list[str]:
    """Group keys with an open episode of `rule`."""
    rows = state(ws).all(
        "SELECT group_key FROM _alert_episodes WHERE rule = ? AND closed_at IS NULL", [rule]
    )
    return [r[0] for r in rows]


def last_notified_close(ws: Workspace, rule: str, key: str) -> datetime | None:
    """When the latest notified episode of this rule and group ended (cooldown start)."""
    row = state(ws).one(
        "SELECT max(closed_at) FROM _alert_episodes WHERE rule = ? AND group_key = ? "
        "AND notified AND closed_at IS NOT NULL",
        [rule, key],
    )
    return None if row is None else row[0]


def start_episode(
    ws: Workspace,
    rule: str,
    key: str,
    at: datetime,
    value: float | None,
    threshold: float | None,
    notified: bool,
) -> str:
    eid = uuid.uuid4().hex
    state(ws).run(
        "INSERT INTO _alert_episodes VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?)",
        [eid, rule, key, at, notified, value, value, threshold],
    )
    return eid


def update_episode(
    ws: Workspace, episode_id: str, value: float | None, notified: bool | None = None
) -> None:
    """Record the latest value, and whether the start was notified (None: unchanged)."""
    state(ws).run(
        "UPDATE _alert_episodes SET value_last = ?, notified = coalesce(?, notified) "
        "WHERE episode_id = ?",
        [value, notified, episode_id],
    )


def end_episode(ws: Workspace, episode_id: str, at: datetime, value: float | None) -> None:
    state(ws).run(
        "UPDATE _alert_episodes SET closed_at = ?, value_last = ? WHERE episode_id = ?",
        [at, value, episode_id],
    )


def add_event(
    ws: Workspace,
    at: datetime,
    rule: str,
    event: str,
    key: str,
    value: float | None,
    n: int | None,
    threshold: float | None,
    message: str,
    notified: bool,
    episode_id: str,
    message_ids: list[str],
) -> None:
    state(ws).run(
        "INSERT INTO _alert_history VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            uuid.uuid4().hex,
            at,
            rule,
            event,
            key,
            value,
            n,
            threshold,
            message,
            notified,
            episode_id,
            ",".join(message_ids) or None,
        ],
    )


def history(
    ws: Workspace, limit: int = 100, rule: str | None = None, open_only: bool = False
) -> list[dict[str, Any]]:
    """Newest events first, each with its episode's state, its delivery status (the worst of
    its messages: failed, pending or sent) and its recipients ("email lead@example.com",
    "webhook ops"; none when the rule names no e-mail or webhook)."""
    where, args = [], []
    if rule:
        where.append("h.rule = ?")
        args.append(rule)
    if open_only:
        where.append("e.closed_at IS NULL")
    sql = (
        "SELECT h.occurred_at AS at, h.rule, h.event, h.group_key, h.value, h.n, h.threshold, "
        "h.message, "
        "h.notified, h.episode_id, e.opened_at, e.closed_at, h.message_ids, "
        "(SELECT CASE WHEN count(*) = 0 THEN NULL WHEN bool_or(o.status = 'failed') THEN "
        "'failed' WHEN bool_or(o.status = 'pending') THEN 'pending' ELSE 'sent' END FROM _outbox o "
        "WHERE list_contains(string_split(coalesce(h.message_ids, ''), ','), o.message_id)) "
        "AS delivery, "
        "(SELECT list(o.channel || ' ' || o.target ORDER BY o.channel, o.target) FROM _outbox o "
        "WHERE list_contains(string_split(coalesce(h.message_ids, ''), ','), o.message_id)) "
        "AS recipients FROM _alert_history h JOIN _alert_episodes e USING (episode_id)"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY h.occurred_at DESC, h.event LIMIT ?"
    )
    out = []
    for d in state(ws).records(sql, [*args, limit]):
        d["group"] = json.loads(d.pop("group_key"))
        d["message_ids"] = d["message_ids"].split(",") if d["message_ids"] else []
        d["recipients"] = list(d["recipients"] or [])
        out.append(d)
    return out


def mute(ws: Workspace, rule: str, until: datetime | None, who: str | None, at: datetime) -> None:
    """Mute `rule` until `until` (None: until unmuted); muting again replaces the end."""
    state(ws).run("INSERT OR REPLACE INTO _alert_mutes VALUES (?, ?, ?, ?)", [rule, until, who, at])


def unmute(ws: Workspace, rule: str) -> bool:
    """End a mute; False when the rule was not muted."""
    return state(ws).run("DELETE FROM _alert_mutes WHERE rule = ?", [rule]) > 0


@dataclass(frozen=True)
class Mute:
    rule: str
    until: datetime | None
    muted_by: str | None
    muted_at: datetime


def mutes(ws: Workspace, at: datetime) -> dict[str, Mute]:
    """The mutes in force at `at`, by rule (a mute whose end has passed is not listed)."""
    rows = state(ws).all(
        "SELECT rule, until, muted_by, muted_at FROM _alert_mutes WHERE until IS NULL OR until > ?",
        [at],
    )
    return {r[0]: Mute(*r) for r in rows}


@dataclass(frozen=True)
class Check:
    """A rule's latest evaluation: `state` is ok, not_enough_data or error; `value`, `n` and
    `group` are those of the group shown for it (a firing one first)."""

    rule: str
    checked_at: datetime
    state: str
    value: float | None
    n: int | None
    group: dict[str, str]
    groups: int
    detail: str | None


def record_check(
    ws: Workspace,
    rule: str,
    at: datetime,
    check_state: str,
    value: float | None = None,
    n: int | None = None,
    group: dict[str, str] | None = None,
    groups: int = 0,
    detail: str | None = None,
) -> None:
    state(ws).run(
        "INSERT OR REPLACE INTO _alert_checks VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [rule, at, check_state, value, n, group_key(group or {}), groups, detail],
    )


def checks(ws: Workspace) -> dict[str, Check]:
    """Every rule's latest evaluation, by rule."""
    rows = state(ws).all(
        "SELECT rule, checked_at, state, value, n, group_key, groups, detail FROM _alert_checks"
    )
    return {
        r[0]: Check(r[0], r[1], r[2], r[3], r[4], json.loads(r[5] or "{}"), r[6], r[7])
        for r in rows
    }


__all__ = [
    "Check",
    "Episode",
    "Mute",
    "add_event",
    "checks",
    "end_episode",
    "group_key",
    "history",
    "last_notified_close",
    "mute",
    "mutes",
    "open_episode",
    "record_check",
    "start_episode",
    "unmute",
    "update_episode",
]
