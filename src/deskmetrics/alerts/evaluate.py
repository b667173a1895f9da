"""Evaluate alert rules: measure each rule through `deskmetrics.query.compute` (never a formula
of its own), then move each (rule, group) through its episodes and queue notifications.

Episode semantics (also in DECISIONS.md):
- a group whose condition becomes true opens an episode and notifies once ("fired");
  evaluating again while it stays true sends nothing;
- when the condition becomes false the episode closes and, if its start was notified, a
  "recovered" message goes out;
- cooldown: if a new episode opens less than `cooldown_minutes` after the end of the previous
  *notified* episode of the same rule and group, it is recorded but not notified; should it
  still hold when the cooldown has passed, its start is notified then (a real, lasting problem
  is never swallowed; a flapping one pages once). A quiet episode's recovery is not notified;
- a group with fewer than `min_n` observations, or no value, is not judged: an open episode
  stays open and a closed one stays closed (one bad survey pages nobody, and an empty hour
  does not count as recovery);
- a muted rule (`store.mute`, from the alerts page) is still evaluated and its episodes open
  and close as usual, but nothing is sent: an episode that opens while muted is recorded as
  not notified, so should it still hold when the mute ends its start is sent then (like a
  cooldown); a recovery while muted is recorded, not sent.

Each evaluation of a rule is also kept as the rule's latest check (`record_check`): when, and
whether it was firing, ok, had not enough data to judge, or failed."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from deskmetrics.alerts import store
from deskmetrics.alerts.rules import all_rules, check_rule
from deskmetrics.config import AlertRule, Settings
from deskmetrics.engine.periods import naive_utc
from deskmetrics.engine.workspace import Workspace
from deskmetrics.errors import ConfigError, DeskmetricsError
from deskmetrics.metrics import Aggregation, get_metric
from deskmetrics.notify.delivery import enqueue_email, enqueue_webhook
from deskmetrics.present import format_value
from deskmetrics.query import compute
from deskmetrics.significance import two_proportion_p
from deskmetrics.sla_query import sla_queue

#: the dashboard page of alert rules and history, linked from every alert e-mail (the service
#: serves it there: tests/test_alerts_api.py checks the link opens it)
ALERTS_PAGE = "/dashboard/alerts"


@dataclass(frozen=True)
class Observation:
    """What one rule measured for one group: `firing` is None when the group is not judged."""

    rule: AlertRule
    group: dict[str, str]
    value: float | None
    n: int
    threshold: float | None
    firing: bool | None
    reason: str = ""


@dataclass
class EvaluationReport:
    """What one evaluation did: events per rule, rules that could not be evaluated."""

    fired: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    recovered: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    quiet: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    muted: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    observations: list[Observation] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)


def _aware(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC)


def _min_n(rule: AlertRule, settings: Settings) -> int:
    return settings.alerts.min_n if rule.min_n is None else rule.min_n


def _groups(df: pd.DataFrame, by: list[str]) -> list[tuple[dict[str, str], pd.Series]]:
    return [({k: str(r[k]) for k in by}, r) for _, r in df.iterrows()]


def _number(v: Any) -> float | None:
    if v is None:
        return None
    f = float(v)
    return None if math.isnan(f) else f


def observe(ws: Workspace, rule: AlertRule, settings: Settings, now: datetime) -> list[Observation]:
    """Measure the rule at `now` (UTC, naive) for every group the data has."""
    check_rule(rule)
    start = now - timedelta(hours=rule.window_hours)
    if rule.kind == "threshold":
        return _threshold(ws, rule, settings, start, now)
    if rule.kind == "spike":
        return _spike(ws, rule, settings, start, now)
    return _sla(ws, rule, settings, now)


def _threshold(
    ws: Workspace, rule: AlertRule, settings: Settings, start: datetime, end: datetime
) -> list[Observation]:
    assert rule.metric is not None
    df = compute(
        ws, rule.metric, by=rule.by, start=_aware(start), end=_aware(end), filters=rule.filters
    )
    threshold = rule.above if rule.above is not None else rule.below
    out = []
    for group, r in _groups(df, rule.by):
        value, n = _number(r[rule.statistic]), int(r["n"])
        if value is None:
            out.append(Observation(rule, group, None, n, threshold, None, "no value"))
        elif n < _min_n(rule, settings):
            out.append(Observation(rule, group, value, n, threshold, None, "too few to judge"))
        else:
            firing = (
                value > rule.above if rule.above is not None else value < float(rule.below or 0)
            )
            out.append(Observation(rule, group, value, n, threshold, firing))
    return out


def _spike(
    ws: Workspace, rule: AlertRule, settings: Settings, start: datetime, end: datetime
) -> list[Observation]:
    assert rule.metric is not None
    base_start = start - timedelta(days=rule.baseline_days)
    cur = compute(
        ws, rule.metric, by=rule.by, start=_aware(start), end=_aware(end), filters=rule.filters
    )
    base = compute(
        ws,
        rule.metric,
        by=rule.by,
        start=_aware(base_start),
        end=_aware(start),
        filters=rule.filters,
    )
    if get_metric(rule.metric).aggregation is Aggregation.PROPORTION:
        return _rate_spike(ws, rule, settings, cur, base)
    # the baseline's rate per window: its count scaled to the window's length
    scale = rule.window_hours / (rule.baseline_days * 24)
    expected = {
        store.group_key(g): (_number(r["value"]) or 0.0) * scale for g, r in _groups(base, rule.by)
    }
    out = []
    seen = set()
    for group, r in _groups(cur, rule.by):
        value = _number(r["value"]) or 0.0
        key = store.group_key(group)
        seen.add(key)
        threshold = rule.factor * expected.get(key, 0.0)
        # fewer than min_n is never a spike (and ends one): a quiet night with 1 ticket after
        # 0 is not news
        firing = value >= threshold and value >= _min_n(rule, settings)
        out.append(Observation(rule, group, value, int(value), threshold, firing))
    for key in store.open_groups(ws, rule.name):
        if key not in seen:  # no events at all in the window now: the spike is over
            out.append(Observation(rule, json.loads(key), 0.0, 0, expected.get(key), False))
    return out


def _rate_spike(
    ws: Workspace, rule: AlertRule, settings: Settings, cur: pd.DataFrame, base: pd.DataFrame
) -> list[Observation]:
    """A rate (a proportion, in percent) at least `factor` times its baseline's and above it by
    more than chance (pooled two-proportion test, p < 0.05): a handoff rate that doubles on 12
    conversations is not news, one that doubles on 300 is."""
    baseline = {
        store.group_key(g): (_number(r["value"]), int(r["n"])) for g, r in _groups(base, rule.by)
    }
    out = []
    for group, r in _groups(cur, rule.by):
        value, n = _number(r["value"]), int(r["n"])
        before, before_n = baseline.get(store.group_key(group), (None, 0))
        if value is None or before is None or n < _min_n(rule, settings):
            out.append(Observation(rule, group, value, n, None, None))  # not judged
            continue
        threshold = rule.factor * before
        p = two_proportion_p(before * before_n / 100, before_n, value * n / 100, n)
        firing = value >= threshold and p is not None and p < 0.05
        out.append(Observation(rule, group, value, n, threshold, firing))
    return out


def _sla(ws: Workspace, rule: AlertRule, settings: Settings, now: datetime) -> list[Observation]:
    """Open tickets' SLA targets that are breached (overdue now) or at risk, counted per group
    of ticket columns (`by`, e.g. group, priority, sla_target); more than `above` (default 0)
    fires. Not subject to `min_n`: one breached ticket is news."""
    states = sla_queue(
        ws,
        now=_aware(now),
        at_risk=rule.sla_state == "at_risk",
        breached=rule.sla_state == "breached",
        limit=None,
    )
    for col, values in rule.filters.items():
        if col not in states.columns:
            raise ConfigError(f"alert rule {rule.name!r}: SLA rows have no column {col!r}")
        wanted = [values] if isinstance(values, str) else list(values)
        states = states[states[col].astype(str).isin(wanted)]
    missing = [c for c in rule.by if c not in states.columns]
    if missing:
        raise ConfigError(
            f"alert rule {rule.name!r}: SLA rows have no column {missing}; group by one of "
            f"{', '.join(c for c in states.columns if not c.endswith('_at'))}"
        )
    threshold = rule.above if rule.above is not None else 0.0
    if rule.by:
        counts = states.groupby(rule.by, dropna=False).size().reset_index(name="value")
        rows = _groups(counts, rule.by)
        # groups with no matching target any more: a count of 0, so open episodes recover
        for key in store.open_groups(ws, rule.name):
            if key not in {store.group_key(g) for g, _ in rows}:
                rows.append((json.loads(key), pd.Series({"value": 0})))
    else:
        rows = [({}, pd.Series({"value": len(states)}))]
    return [
        Observation(
            rule, g, float(r["value"]), int(r["value"]), threshold, float(r["value"]) > threshold
        )
        for g, r in rows
    ]


def _fmt(rule: AlertRule, value: float | None) -> str:
    return format_value(value, get_metric(rule.metric).unit.value if rule.metric else "count")


def _window(hours: float) -> str:
    return f"{hours / 24:g} days" if hours % 24 == 0 else f"{hours:g} hours"


def describe(obs: Observation, event: str) -> str:
    """One line a support lead understands: what, how much, against what, for whom."""
    r = obs.rule
    who = ", ".join(f"{k}={v}" for k, v in obs.group.items()) or "all tickets"
    if r.filters:
        who += " (" + ", ".join(f"{k}={v}" for k, v in r.filters.items()) + ")"
    if r.kind == "threshold":
        stat = "" if r.statistic == "value" else f"{r.statistic} "
        side = "above" if r.above is not None else "below"
        what = (
            f"{stat}{r.metric} over the last {_window(r.window_hours)} is {_fmt(r, obs.value)} "
            f"({side} {_fmt(r, obs.threshold)}; n={obs.n})"
        )
    elif r.kind == "spike":
        what = (
            f"{r.metric} over the last {_window(r.window_hours)} is {_fmt(r, obs.value)}, "
            f"spike level {_fmt(r, obs.threshold)} ({r.factor:g}× the last "
            f"{r.baseline_days:g} days' rate)"
        )
    else:
        what = f"{obs.n} tickets {r.sla_state.replace('_', ' ')} (alert above {obs.threshold:g})"
    head = "ALERT" if event == "fired" else "RESOLVED"
    return f"[{head}] {r.name}: {what} — {who}"


def _notify(
    ws: Workspace,
    settings: Settings,
    obs: Observation,
    event: str,
    text: str,
    episode_id: str,
    now: datetime,
) -> list[str]:
    rule = obs.rule
    emails = rule.email or ([] if rule.webhooks else settings.alerts.email)
    hooks = rule.webhooks or ([] if rule.email else settings.alerts.webhooks)
    source = f"alert:{episode_id}:{event}"
    ids = []
    if emails:
        body = (
            f"{text}\n\nRule: {rule.name} ({rule.kind})\nEvaluated at: {now:%Y-%m-%d %H:%M} UTC\n"
            f"Alert history: {settings.web.public_url.rstrip('/')}{ALERTS_PAGE}\n"
        )
        ids.append(enqueue_email(ws, emails, text, body, source=source, now=now))
    payload = {
        "event": f"alert.{event}",
        "rule": rule.name,
        "kind": rule.kind,
        "metric": rule.metric,
        "statistic": rule.statistic if rule.kind == "threshold" else None,
        "group": obs.group,
        "filters": rule.filters,
        "value": obs.value,
        "n": obs.n,
        "threshold": obs.threshold,
        "direction": "above" if rule.below is None else "below",
        "window_hours": rule.window_hours,
        "at": now.replace(tzinfo=UTC).isoformat(),
        "episode_id": episode_id,
        "message": text,
    }
    for name in hooks:
        ids.append(enqueue_webhook(ws, name, payload, text, source=source, now=now))
    return ids


def _log(
    ws: Workspace,
    now: datetime,
    obs: Observation,
    key: str,
    event: str,
    text: str,
    notified: bool,
    episode_id: str,
    ids: list[str],
) -> None:
    """Keep what happened to a (rule, group) in the alert history."""
    store.add_event(
        ws, now, obs.rule.name, event, key, obs.value, obs.n, obs.threshold, text, notified,
        episode_id, ids,
    )  # fmt: skip


def apply(
    ws: Workspace,
    settings: Settings,
    observations: list[Observation],
    now: datetime,
    report: EvaluationReport,
) -> None:
    """Move each judged (rule, group) through its episode and queue the messages due (none
    for a rule muted at `now`)."""
    muted_rules = store.mutes(ws, now)
    for obs in observations:
        if obs.firing is None:
            continue
        rule = obs.rule
        key = store.group_key(obs.group)
        current = store.open_episode(ws, rule.name, key)
        cooldown = timedelta(
            minutes=settings.alerts.cooldown_minutes
            if rule.cooldown_minutes is None
            else rule.cooldown_minutes
        )
        muted = rule.name in muted_rules
        if obs.firing:
            last = store.last_notified_close(ws, rule.name, key)
            cooling = last is not None and now < last + cooldown
            quiet = cooling or muted
            if current is None:
                eid = store.start_episode(
                    ws, rule.name, key, now, obs.value, obs.threshold, notified=not quiet
                )
                text = describe(obs, "fired")
                if muted:
                    text += " (muted: not sent)"
                    report.muted.append((rule.name, obs.group))
                    ids: list[str] = []
                elif quiet:
                    assert last is not None
                    text += f" (quiet: cooldown until {last + cooldown:%Y-%m-%d %H:%M} UTC)"
                    report.quiet.append((rule.name, obs.group))
                    ids = []
                else:
                    ids = _notify(ws, settings, obs, "fired", text, eid, now)
                    report.fired.append((rule.name, obs.group))
                report.messages += ids
                _log(ws, now, obs, key, "fired", text, not quiet, eid, ids)
            elif not current.notified and not quiet:
                # a quiet episode outlasted its cooldown: now it is news
                text = describe(obs, "fired")
                ids = _notify(ws, settings, obs, "fired", text, current.episode_id, now)
                store.update_episode(ws, current.episode_id, obs.value, notified=True)
                _log(ws, now, obs, key, "fired", text, True, current.episode_id, ids)
                report.fired.append((rule.name, obs.group))
                report.messages += ids
            else:
                store.update_episode(ws, current.episode_id, obs.value)
        elif current is not None:
            store.end_episode(ws, current.episode_id, now, obs.value)
            text = describe(obs, "recovered")
            sent = current.notified and not muted
            if current.notified and muted:
                text += " (muted: not sent)"
                report.muted.append((rule.name, obs.group))
            ids = (
                _notify(ws, settings, obs, "recovered", text, current.episode_id, now)
                if sent
                else []
            )
            _log(ws, now, obs, key, "recovered", text, sent, current.episode_id, ids)
            report.recovered.append((rule.name, obs.group))
            report.messages += ids


def evaluate(
    ws: Workspace,
    settings: Settings | None = None,
    now: datetime | None = None,
    rules: list[AlertRule] | None = None,
) -> EvaluationReport:
    """Evaluate `rules` (default: every enabled rule, config and API) at `now` (default: the
    current time) and queue notifications in the outbox. A rule that fails (e.g. names a
    dimension its metric does not allow) is reported in `errors`; the others still run."""
    cfg = settings or ws.settings
    at = naive_utc(now)
    todo = rules if rules is not None else [r for r, _ in all_rules(ws, cfg) if r.enabled]
    report = EvaluationReport()
    for rule in todo:
        try:
            obs = observe(ws, rule, cfg, at)
        except DeskmetricsError as exc:
            report.errors[rule.name] = str(exc)
            record_failure(ws, rule, str(exc), at)
            continue
        report.observations += obs
        apply(ws, cfg, obs, at, report)
        record_check(ws, rule, obs, at)
    return report


def record_check(
    ws: Workspace, rule: AlertRule, observations: list[Observation], at: datetime
) -> None:
    """Keep this evaluation as the rule's latest check (after `apply`): firing when an episode
    is open, ok when a group was judged, else not enough data; the value shown is a firing
    group's, else a judged one's, else the first measured."""
    own = [o for o in observations if o.rule.name == rule.name]
    judged = [o for o in own if o.firing is not None]
    shown = next((o for o in own if o.firing), judged[0] if judged else (own[0] if own else None))
    if store.open_groups(ws, rule.name):
        check_state = "firing"
    else:
        check_state = "ok" if judged else "not_enough_data"
    detail = None
    if check_state == "not_enough_data":
        detail = shown.reason if shown is not None else "nothing to measure in the window"
    store.record_check(
        ws,
        rule.name,
        at,
        check_state,
        None if shown is None else shown.value,
        None if shown is None else shown.n,
        None if shown is None else shown.group,
        len(own),
        detail,
    )


def record_failure(ws: Workspace, rule: AlertRule, error: str, at: datetime) -> None:
    """Keep a failed evaluation as the rule's latest check (state error, the reason)."""
    store.record_check(ws, rule.name, at, "error", detail=error)


__all__ = [
    "EvaluationReport",
    "Observation",
    "apply",
    "describe",
    "evaluate",
    "observe",
    "record_check",
    "record_failure",
]
