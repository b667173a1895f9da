"""Scheduled e-mail reports: per team, the headline metrics of the past week against the week
before, with a chart, built from the registry through `deskmetrics.query.compute`."""

from __future__ import annotations

from deskmetrics.reports.weekly import WeeklyReport, build_report, run_due_reports, send_report

__all__ = ["WeeklyReport", "build_report", "run_due_reports", "send_report"]
