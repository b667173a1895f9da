"""The notification channels by name: how the outbox delivers one queued message now.

A channel is a `Sender` registered in `CHANNELS` under the name its outbox rows carry
(`_outbox.channel`); the outbox looks the sender up and knows nothing else about it. A new
channel (Slack, Teams …) is a module beside `email.py` with its send function, one sender
here, and an `enqueue_<name>` in `delivery.py` that queues its payload."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any

from deskmetrics.config import Settings
from deskmetrics.notify.base import NotificationError
from deskmetrics.notify.email import send_email
from deskmetrics.notify.webhook import post_webhook

#: delivers one message (its target and stored payload) now; raises NotificationError
Sender = Callable[[str, Mapping[str, Any], Settings], None]


def _email(target: str, p: Mapping[str, Any], settings: Settings) -> None:
    images = {k: base64.b64decode(v) for k, v in (p.get("images") or {}).items()}
    send_email(settings, p["to"], p["subject"], p["text"], p.get("html"), images or None)


def _webhook(target: str, p: Mapping[str, Any], settings: Settings) -> None:
    hook = settings.webhooks.get(target)
    if hook is None:
        raise NotificationError(
            f"no webhook named {target!r}: add [webhooks.{target}] url = ... to deskmetrics.toml"
        )
    post_webhook(hook, p["body"], p.get("text", ""), target)


CHANNELS: dict[str, Sender] = {"email": _email, "webhook": _webhook}


def deliver(channel: str, target: str, payload: Mapping[str, Any], settings: Settings) -> None:
    """Deliver one message through `channel` now; raise `NotificationError` when it cannot."""
    sender = CHANNELS.get(channel)
    if sender is None:
        raise NotificationError(f"unknown channel {channel!r}")
    sender(target, payload, settings)


__all__ = ["CHANNELS", "Sender", "deliver"]
