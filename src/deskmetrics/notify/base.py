"""The one error every notification channel raises."""

from __future__ import annotations

from deskmetrics.errors import DeskmetricsError


class NotificationError(DeskmetricsError):
    """A message could not be delivered (server unreachable, refused, bad address, not
    configured). The message says what failed; the outbox records it and retries."""


__all__ = ["NotificationError"]
