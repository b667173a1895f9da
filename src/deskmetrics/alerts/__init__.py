"""Alerts: rules over registry metrics, evaluated on a schedule and after live ingest, firing
once per episode with a recovery message and a cooldown, kept in a history table."""

from __future__ import annotations

from deskmetrics.alerts.evaluate import EvaluationReport, evaluate
from deskmetrics.alerts.rules import AlertRule, all_rules

__all__ = ["AlertRule", "EvaluationReport", "all_rules", "evaluate"]
