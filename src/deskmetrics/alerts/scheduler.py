"""The service's background work: a scheduler thread that evaluates alert rules every
`[alerts] interval_minutes` (and soon after each live ingest), runs scheduled reports when
due, and dispatches due survey invitations; and the outbox's delivery worker.

Both threads open the workspace through `Service.using()` for one short step at a time (one
rule, one report), so requests and ingestion interleave with them; nothing they do waits on a
mail server or webhook receiver while holding the workspace.

Started by the alerts router's lifespan (`deskmetrics.api.routes.alerts`), i.e. whenever the
app runs under uvicorn (`deskmetrics serve`) or a `with TestClient(app)` block."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from deskmetrics.alerts.evaluate import (
    EvaluationReport,
    apply,
    observe,
    record_check,
    record_failure,
)
from deskmetrics.alerts.rules import all_rules
from deskmetrics.config import Settings
from deskmetrics.engine.periods import naive_utc
from deskmetrics.errors import DeskmetricsError
from deskmetrics.notify.delivery import DeliveryWorker, Using, enqueue_email
from deskmetrics.reports.weekly import run_due_reports

log = logging.getLogger(__name__)


def evaluate_unlocked(
    using: Using, settings: Settings, now: datetime | None = None
) -> EvaluationReport:
    """`evaluate`, opening the workspace once per rule (requests get their turn between)."""
    at = naive_utc(now)
    with using() as ws:
        rules = [r for r, _ in all_rules(ws, settings) if r.enabled]
    report = EvaluationReport()
    for rule in rules:
        with using() as ws:
            try:
                obs = observe(ws, rule, settings, at)
            except DeskmetricsError as exc:
                report.errors[rule.name] = str(exc)
                log.warning("alert rule %s cannot be evaluated: %s", rule.name, exc)
                record_failure(ws, rule, str(exc), at)
                continue
            report.observations += obs
            apply(ws, settings, obs, at, report)
            record_check(ws, rule, obs, at)
    return report


def dispatch_surveys(using: Using, settings: Settings, now: datetime, secret: str | None) -> Any:
    """Survey invitations due now (`deskmetrics.surveys.dispatch.dispatch_due`, when that
    module is present), handed to the outbox instead of sent inline."""
    try:
        from deskmetrics.surveys.dispatch import dispatch_due  # type: ignore[import-not-found]
    except ImportError:
        return None
    if not settings.surveys.model_dump().get("dispatch", {}).get("enabled", False):
        return None
    with using() as ws:

        def to_outbox(
            _settings: Settings, to: Sequence[str], subject: str, text: str, html: str | None
        ) -> None:
            enqueue_email(ws, to, subject, text, html, source="survey")

        return dispatch_due(ws, settings, now, mailer=to_outbox, secret=secret)


class Scheduler:
    """Evaluates alerts every `interval_minutes` or at once after `wake()`; then scheduled
    reports and survey dispatch; then wakes the delivery worker."""

    def __init__(
        self,
        using: Using,
        settings: Settings,
        secret: str | None = None,
        interval_minutes: float | None = None,
        delivery_poll_seconds: float = 5.0,
    ) -> None:
        self.using = using
        self.settings = settings
        self.secret = secret
        self.interval = 60 * (interval_minutes or settings.alerts.interval_minutes)
        self.delivery = DeliveryWorker(using, settings, delivery_poll_seconds)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.delivery.start()
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name="deskmetrics-scheduler", daemon=True
            )
            self._thread.start()

    def wake(self, *_: Any) -> None:
        """Evaluate soon (an `after_ingest` callback: returns at once)."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.delivery.stop(timeout)

    def run_once(self, now: datetime | None = None) -> EvaluationReport:
        """One pass: alerts, due reports, due surveys; then deliver."""

        at = now or datetime.now(UTC)
        report = evaluate_unlocked(self.using, self.settings, at)
        self.delivery.wake()
        try:
            with self.using() as ws:
                run_due_reports(ws, self.settings, at)
        except Exception:
            log.exception("scheduled reports failed")
        try:
            dispatch_surveys(self.using, self.settings, at, self.secret)
        except Exception:
            log.exception("survey dispatch failed")
        self.delivery.wake()
        return report

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self.run_once()
            except Exception:  # keep the scheduler alive; the next pass tries again
                log.exception("scheduler pass failed")
            self._wake.wait(self.interval)


__all__ = ["Scheduler", "dispatch_surveys", "evaluate_unlocked"]
