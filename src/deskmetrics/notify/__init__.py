"""Notifications: e-mail over SMTP, HMAC-signed webhooks, and the outbox that retries both.

`email.send_email` and `webhook.post_webhook` deliver one message now (raising a
`NotificationError` when they cannot); `delivery` keeps messages in a workspace table and
retries them with exponential backoff from a background worker, so nothing that produces a
message (ingestion, the alert scheduler) waits on a mail server or a webhook receiver."""

from __future__ import annotations

from deskmetrics.notify.base import NotificationError

__all__ = ["NotificationError"]
