"""Alert rules as the alerts page's form sees them: the fields a support lead fills in (a
threshold in the metric's own unit — "2h", "90m" or minutes for durations, "85" or "85%" for
rates —, a window like "24h" or "7d", filters one per line) turned into an `AlertRule`, and a
rule back into those fields (to edit it) and into one readable condition.

Every rule still goes through `parse_rule` (the same checks as the API and deskmetrics.toml);
this module only translates, and its errors name the form field to fix."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from deskmetrics.alerts.rules import parse_rule
from deskmetrics.config import AlertRule, parse_duration
from deskmetrics.errors import ConfigError, DeskmetricsError
from deskmetrics.metrics import Metric, get_metric
from deskmetrics.present import format_value

#: the form's fields, in the order of the page
FIELDS = (
    "name",
    "kind",
    "metric",
    "statistic",
    "direction",
    "threshold",
    "window",
    "by",
    "filters",
    "email",
    "webhooks",
    "min_n",
    "factor",
    "baseline_days",
    "sla_state",
)
_UNIT_HINT = {
    "minutes": "minutes, or a duration like 90m, 2h or 1d",
    "percent": "percent, like 85 or 85%",
}
_SPLIT = re.compile(r"[,;\s]+")


def _list(text: str) -> list[str]:
    return [x for x in _SPLIT.split(text.strip()) if x]


def parse_threshold(text: str, unit: str) -> float:
    """A threshold typed in the metric's unit: minutes for durations ("2h" → 120, "90m" → 90,
    "45" → 45), percent for rates ("85%" → 85), a plain number otherwise."""
    raw = text.strip()
    hint = _UNIT_HINT.get(unit, "a number")
    number = raw[:-1].strip() if unit == "percent" and raw.endswith("%") else raw
    try:
        return float(number)
    except ValueError:
        pass
    if unit == "minutes" and raw:
        try:
            return parse_duration(raw) / 60
        except ValueError:
            pass
    raise ConfigError(f"threshold={raw[:40]!r}: give a number in {hint}")


def parse_window(text: str) -> float:
    """A window in hours: "24h", "7d", "90m", or a number of hours."""
    raw = text.strip()
    try:
        return float(raw)
    except ValueError:
        pass
    try:
        return parse_duration(raw) / 3600
    except ValueError:
        raise ConfigError(
            f"window={raw[:40]!r}: give hours, or a length like 24h, 7d or 90m"
        ) from None


def parse_filters(text: str) -> dict[str, str | list[str]]:
    """Filters one per line (or separated by ";"): `channel = chat, email`."""
    out: dict[str, str | list[str]] = {}
    for line in re.split(r"[\n;]+", text):
        if not line.strip():
            continue
        column, sep, values = line.partition("=")
        wanted = [v.strip() for v in values.split(",") if v.strip()]
        if not sep or not column.strip() or not wanted:
            raise ConfigError(f"filters: {line.strip()[:60]!r} is not like 'channel = chat, email'")
        out[column.strip()] = wanted[0] if len(wanted) == 1 else wanted
    return out


def _metric(name: str) -> Metric:
    try:
        return get_metric(name)
    except DeskmetricsError as exc:
        raise ConfigError(f"metric: {exc}") from exc


def _whole(text: str, field: str) -> int | None:
    if not text.strip():
        return None
    try:
        return int(text.strip())
    except ValueError:
        raise ConfigError(f"{field}={text.strip()[:40]!r}: give a whole number") from None


def _number(text: str, field: str) -> float | None:
    if not text.strip():
        return None
    try:
        return float(text.strip())
    except ValueError:
        raise ConfigError(f"{field}={text.strip()[:40]!r}: give a number") from None


def rule_from_form(form: Mapping[str, str]) -> AlertRule:
    """The rule the form describes, checked like any rule; ConfigError names the field."""
    f = {k: str(form.get(k) or "") for k in FIELDS}
    kind = f["kind"] or "threshold"
    data: dict[str, Any] = {"name": f["name"].strip(), "kind": kind}
    unit = "count"
    if kind in ("threshold", "spike"):
        if not f["metric"].strip():
            raise ConfigError(f"metric: a {kind} rule names a metric")
        metric = _metric(f["metric"].strip())
        data["metric"] = metric.name
        unit = metric.unit.value
    if kind == "threshold":
        data["statistic"] = f["statistic"] or "value"
        if f["direction"] not in ("above", "below"):
            raise ConfigError(f"direction={f['direction'][:20]!r}: above or below")
        if not f["threshold"].strip():
            raise ConfigError("threshold: give the value the rule compares with")
        data[f["direction"]] = parse_threshold(f["threshold"], unit)
    elif kind == "sla":
        data["sla_state"] = f["sla_state"] or "breached"
        if f["threshold"].strip():
            data["above"] = parse_threshold(f["threshold"], "count")
    elif kind == "spike":
        for key in ("factor", "baseline_days"):
            value = _number(f[key], key)
            if value is not None:
                data[key] = value
    if f["window"].strip():
        data["window_hours"] = parse_window(f["window"])
    data["by"] = _list(f["by"])
    data["filters"] = parse_filters(f["filters"])
    data["email"] = _list(f["email"])
    data["webhooks"] = _list(f["webhooks"])
    min_n = _whole(f["min_n"], "min_n")
    if min_n is not None:
        data["min_n"] = min_n
    return parse_rule(data)


def _plain(v: float) -> str:
    return f"{v:g}"


def form_from_rule(rule: AlertRule) -> dict[str, str]:
    """The form's fields for `rule` (to edit it): thresholds and windows in plain numbers."""
    threshold = rule.above if rule.above is not None else rule.below
    return {
        "name": rule.name,
        "kind": rule.kind,
        "metric": rule.metric or "",
        "statistic": rule.statistic,
        "direction": "below" if rule.below is not None else "above",
        "threshold": "" if threshold is None else _plain(threshold),
        "window": f"{_plain(rule.window_hours)}h",
        "by": ", ".join(rule.by),
        "filters": "\n".join(
            f"{k} = {v if isinstance(v, str) else ', '.join(v)}" for k, v in rule.filters.items()
        ),
        "email": ", ".join(rule.email),
        "webhooks": ", ".join(rule.webhooks),
        "min_n": "" if rule.min_n is None else str(rule.min_n),
        "factor": _plain(rule.factor),
        "baseline_days": _plain(rule.baseline_days),
        "sla_state": rule.sla_state,
    }


def unit_of(rule: AlertRule) -> str:
    """The unit the rule's values are in (a count for SLA rules)."""
    if rule.metric is None:
        return "count"
    try:
        return get_metric(rule.metric).unit.value
    except DeskmetricsError:
        return "count"


def window_text(hours: float) -> str:
    """A window as people say it: "7 days", "1 day", "36 hours"."""
    if hours % 24 == 0:
        days = hours / 24
        return f"{days:g} day" if days == 1 else f"{days:g} days"
    return f"{hours:g} hour" if hours == 1 else f"{hours:g} hours"


def condition(rule: AlertRule) -> str:
    """The rule's condition as one line, its threshold in the metric's unit: "csat below
    85.0% over 7 days", "p90 first_response_time above 2.0 h over 24 hours"."""
    window = f"over {window_text(rule.window_hours)}"
    if rule.kind == "spike":
        return (
            f"{rule.metric} at least {rule.factor:g}× its usual rate (last "
            f"{rule.baseline_days:g} days) {window}"
        )
    if rule.kind == "sla":
        above = 0.0 if rule.above is None else rule.above
        return f"tickets {rule.sla_state.replace('_', ' ')} now above {above:g}"
    stat = "" if rule.statistic == "value" else f"{rule.statistic} "
    side, value = ("below", rule.below) if rule.below is not None else ("above", rule.above)
    return f"{stat}{rule.metric} {side} {format_value(value, unit_of(rule))} {window}"


__all__ = [
    "FIELDS",
    "condition",
    "form_from_rule",
    "parse_filters",
    "parse_threshold",
    "parse_window",
    "rule_from_form",
    "unit_of",
    "window_text",
]
