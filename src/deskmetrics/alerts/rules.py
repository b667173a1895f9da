"""Alert rules: the `AlertRule` shape (defined with the other settings in `config`, as data),
checks against the metric registry, and rules added through the API (table `_alert_rules`).

Rules from deskmetrics.toml are read-only at run time; rules added through the API live in the
workspace and may not reuse a name from the file."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from deskmetrics.appstate import state
from deskmetrics.config import AlertRule, Settings
from deskmetrics.engine.periods import utc_now
from deskmetrics.engine.workspace import Workspace
from deskmetrics.errors import ConfigError
from deskmetrics.metrics import Aggregation, Direction, get_metric


def check_rule(rule: AlertRule) -> None:
    """Raise ConfigError when the rule names something the registry does not have, or asks a
    statistic the metric does not give."""
    if rule.metric is None:
        return
    try:
        m = get_metric(rule.metric)
    except Exception as exc:
        raise ConfigError(f"alert rule {rule.name!r}: {exc}") from exc
    worse_rate = (
        m.aggregation is Aggregation.PROPORTION and m.direction is Direction.LOWER_IS_BETTER
    )
    if rule.kind == "spike" and not (m.aggregation is Aggregation.COUNT or worse_rate):
        raise ConfigError(
            f"alert rule {rule.name!r}: a spike rule needs a count metric (e.g. volume, "
            "mentions) or a rate where higher is worse (e.g. ai_handoff_rate, reopen_rate); "
            f"{m.name} is a {m.aggregation.value} ({m.direction.value.replace('_', ' ')}): "
            "use a threshold rule"
        )
    if rule.statistic != "value" and m.aggregation is not Aggregation.MEAN:
        raise ConfigError(
            f"alert rule {rule.name!r}: {rule.statistic} exists for averaged metrics (durations "
            f"and counts per ticket); {m.name} is a {m.aggregation.value}, use statistic = value"
        )


def parse_rule(data: Any) -> AlertRule:
    """A rule from JSON data, checked against the registry; ConfigError names what to fix."""
    try:
        rule = AlertRule.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in e['loc']) or 'rule'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"alert rule: {problems}") from exc
    check_rule(rule)
    return rule


def stored_rules(ws: Workspace) -> list[AlertRule]:
    rows = state(ws).all("SELECT body FROM _alert_rules ORDER BY name")
    return [AlertRule.model_validate_json(r[0]) for r in rows]


def all_rules(ws: Workspace, settings: Settings) -> list[tuple[AlertRule, str]]:
    """Every rule with where it comes from ("config" or "api"), config rules first."""
    out = [(r, "config") for r in settings.alerts.rules]
    out += [(r, "api") for r in stored_rules(ws)]
    return out


def save_rule(ws: Workspace, settings: Settings, rule: AlertRule, who: str | None) -> None:
    """Add or replace an API rule; a name used in deskmetrics.toml is refused."""
    check_rule(rule)
    if any(r.name == rule.name for r in settings.alerts.rules):
        raise ConfigError(
            f"alert rule {rule.name!r} is defined in deskmetrics.toml; change it there or pick "
            "another name"
        )
    state(ws).run(
        "INSERT OR REPLACE INTO _alert_rules VALUES (?, ?, ?, ?)",
        [rule.name, rule.model_dump_json(), who, utc_now()],
    )


def delete_rule(ws: Workspace, settings: Settings, name: str) -> bool:
    """Remove an API rule; False when there is none by that name."""
    if any(r.name == name for r in settings.alerts.rules):
        raise ConfigError(f"alert rule {name!r} is defined in deskmetrics.toml; remove it there")
    return state(ws).run("DELETE FROM _alert_rules WHERE name = ?", [name]) > 0


__all__ = [
    "AlertRule",
    "all_rules",
    "check_rule",
    "delete_rule",
    "parse_rule",
    "save_rule",
    "stored_rules",
]
