"""The outbox: every notification is first written to the workspace table `_outbox`, then
delivered by whoever runs `deliver_due` (the service's background `DeliveryWorker`, or the
`deskmetrics alerts run` command). A failed attempt is recorded (attempt count, last error)
and retried after an exponentially growing wait; after `[delivery] max_attempts` the message
is marked `failed` and stays in the table — an alert is never silently lost.

Delivery is at-least-once: a process that dies between sending and recording sends again.

Producers (ingestion, the alert scheduler, survey dispatch) only insert a row, which takes
milliseconds; the network work happens with the workspace lock released."""

from __future__ import annotations

import base64
import json
import logging
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from deskmetrics.appstate import state
from deskmetrics.config import DeliverySettings, Settings
from deskmetrics.engine.periods import utc_now
from deskmetrics.engine.workspace import Workspace
from deskmetrics.notify.base import NotificationError
from deskmetrics.notify.channels import deliver
from deskmetrics.notify.email import _check_addresses

log = logging.getLogger(__name__)

PENDING, SENT, FAILED = "pending", "sent", "failed"

#: opens the workspace for one short use (the service's `Service.using`)
Using = Callable[[], AbstractContextManager[Workspace]]


@dataclass(frozen=True)
class OutboxMessage:
    """One queued notification: an e-mail (target = recipients) or a webhook post (target =
    the name of a `[webhooks.NAME]` receiver)."""

    message_id: str
    channel: str
    target: str
    subject: str | None
    payload: dict[str, Any]
    source: str | None
    attempts: int


def _insert(
    ws: Workspace,
    channel: str,
    target: str,
    subject: str | None,
    payload: Mapping[str, Any],
    source: str | None,
    now: datetime | None,
) -> str:
    mid = uuid.uuid4().hex
    when = now or utc_now()
    state(ws).run(
        "INSERT INTO _outbox VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, NULL, NULL, NULL)",
        [mid, channel, target, subject, json.dumps(payload), source, when, PENDING, when],
    )
    return mid


def enqueue_email(
    ws: Workspace,
    to: Sequence[str],
    subject: str,
    text: str,
    html: str | None = None,
    images: Mapping[str, bytes] | None = None,
    source: str | None = None,
    now: datetime | None = None,
) -> str:
    """Queue an e-mail (same arguments as `email.send_email`); returns its message id."""
    rcpts = _check_addresses(to)
    payload = {
        "to": rcpts,
        "subject": subject,
        "text": text,
        "html": html,
        "images": {k: base64.b64encode(v).decode() for k, v in (images or {}).items()},
    }
    return _insert(ws, "email", ", ".join(rcpts), subject, payload, source, now)


def enqueue_webhook(
    ws: Workspace,
    webhook: str,
    payload: Mapping[str, Any],
    text: str,
    source: str | None = None,
    now: datetime | None = None,
) -> str:
    """Queue a post to the receiver `[webhooks.<webhook>]`: `payload` is the JSON body,
    `text` the one-line message used for Slack-compatible receivers."""
    return _insert(
        ws, "webhook", webhook, text[:200], {"body": dict(payload), "text": text}, source, now
    )


def claim_due(ws: Workspace, now: datetime | None = None, limit: int = 50) -> list[OutboxMessage]:
    """Pending messages whose next attempt is due, oldest first."""
    rows = state(ws).all(
        "SELECT message_id, channel, target, subject, payload, source, attempts FROM _outbox "
        "WHERE status = ? AND next_attempt_at <= ? ORDER BY next_attempt_at, created_at LIMIT ?",
        [PENDING, now or utc_now(), limit],
    )
    return [OutboxMessage(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6]) for r in rows]


def send(msg: OutboxMessage, settings: Settings) -> None:
    """Deliver one message now; raise `NotificationError` when it cannot be delivered."""
    deliver(msg.channel, msg.target, msg.payload, settings)


def backoff(attempts: int, cfg: DeliverySettings) -> timedelta:
    """The wait after the `attempts`-th failed attempt: base·2^(attempts-1), at most the cap."""
    return timedelta(
        seconds=min(cfg.retry_base_seconds * 2 ** (attempts - 1), cfg.retry_max_seconds)
    )


def record(
    ws: Workspace,
    msg: OutboxMessage,
    error: str | None,
    cfg: DeliverySettings,
    now: datetime | None = None,
) -> str:
    """Store the outcome of one attempt; returns the message's new status."""
    when = now or utc_now()
    attempts = msg.attempts + 1
    if error is None:
        status, nxt = SENT, None
    elif attempts >= cfg.max_attempts:
        status, nxt = FAILED, None
    else:
        status, nxt = PENDING, when + backoff(attempts, cfg)
    state(ws).run(
        "UPDATE _outbox SET status = ?, attempts = ?, next_attempt_at = ?, last_attempt_at = ?, "
        "last_error = ?, sent_at = ? WHERE message_id = ?",
        [status, attempts, nxt, when, error, when if error is None else None, msg.message_id],
    )
    if error is not None:
        log.warning(
            "delivery of %s to %s failed (attempt %d): %s", msg.channel, msg.target, attempts, error
        )
    return status


@dataclass
class DeliveryReport:
    """What one delivery pass did."""

    sent: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def _attempt(msg: OutboxMessage, settings: Settings) -> str | None:
    try:
        send(msg, settings)
    except NotificationError as exc:
        return str(exc)
    except Exception as exc:  # a bug in one channel must not stop the others' delivery
        log.exception("unexpected error delivering %s", msg.message_id)
        return f"{type(exc).__name__}: {exc}"
    return None


def _tally(report: DeliveryReport, mid: str, status: str) -> None:
    {SENT: report.sent, PENDING: report.retrying, FAILED: report.failed}[status].append(mid)


def deliver_due(ws: Workspace, settings: Settings, now: datetime | None = None) -> DeliveryReport:
    """Attempt every due message, holding `ws` throughout (for the CLI and tests)."""
    report = DeliveryReport()
    for msg in claim_due(ws, now, limit=10_000):
        _tally(
            report, msg.message_id, record(ws, msg, _attempt(msg, settings), settings.delivery, now)
        )
    return report


def deliver_due_unlocked(using: Using, settings: Settings) -> DeliveryReport:
    """Attempt every due message, opening the workspace only to read and to record: the
    network waits happen with the workspace free for ingestion and queries."""
    report = DeliveryReport()
    with using() as ws:
        due = claim_due(ws)
    for msg in due:
        error = _attempt(msg, settings)
        with using() as ws:
            _tally(report, msg.message_id, record(ws, msg, error, settings.delivery))
    return report


def delivery_log(
    ws: Workspace, limit: int = 100, status: str | None = None, source: str | None = None
) -> list[dict[str, Any]]:
    """Newest messages first with status, attempts and last error (payload left out)."""
    where, args = [], []
    if status:
        where.append("status = ?")
        args.append(status)
    if source:
        where.append("source LIKE ?")
        args.append(source + "%")
    sql = (
        "SELECT message_id, channel, target, subject, source, created_at, status, attempts, "
        "next_attempt_at, last_attempt_at, last_error, sent_at FROM _outbox"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY created_at DESC LIMIT ?"
    )
    return state(ws).records(sql, [*args, limit])


class DeliveryWorker:
    """A daemon thread that delivers due messages: after `wake()` (a producer queued
    something) at once, otherwise every `poll_seconds` (retries come due over time)."""

    def __init__(self, using: Using, settings: Settings, poll_seconds: float = 5.0) -> None:
        self.using = using
        self.settings = settings
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name="deskmetrics-delivery", daemon=True
            )
            self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                deliver_due_unlocked(self.using, self.settings)
            except Exception:  # keep the worker alive; the next pass retries
                log.exception("delivery pass failed")
            self._wake.wait(self.poll_seconds)


__all__ = [
    "FAILED",
    "PENDING",
    "SENT",
    "DeliveryReport",
    "DeliveryWorker",
    "OutboxMessage",
    "backoff",
    "claim_due",
    "deliver_due",
    "deliver_due_unlocked",
    "delivery_log",
    "enqueue_email",
    "enqueue_webhook",
    "record",
    "send",
]
