"""E-mail over SMTP: one message, plain text with an optional HTML part and inline images.

Stable API (used by alerts, scheduled reports and survey dispatch):

    send_email(settings, to, subject, text, html=None, images=None) -> None

`settings` is the `[email]` section (`EmailSettings`) or the whole `Settings`. `images` maps a
content id to PNG bytes; the HTML refers to each as `<img src="cid:NAME">` (e-mail clients run
no scripts and many block remote images, so charts travel inside the message). Raises
`NotificationError` when the message cannot be handed to the server."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping, Sequence
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from deskmetrics.config import EmailSettings, Settings
from deskmetrics.notify.base import NotificationError


def _email_settings(settings: EmailSettings | Settings) -> EmailSettings:
    return settings.email if isinstance(settings, Settings) else settings


def _check_addresses(to: Sequence[str]) -> list[str]:
    if isinstance(to, str):
        to = [to]
    out = [a.strip() for a in to if a and a.strip()]
    if not out:
        raise NotificationError("an e-mail needs at least one recipient")
    for a in out:
        try:
            Address(addr_spec=a)
        except (ValueError, IndexError) as exc:
            raise NotificationError(f"{a!r} is not an e-mail address") from exc
        if "@" not in a:
            raise NotificationError(f"{a!r} is not an e-mail address (no @)")
    return out


def build_message(
    settings: EmailSettings | Settings,
    to: Sequence[str],
    subject: str,
    text: str,
    html: str | None = None,
    images: Mapping[str, bytes] | None = None,
) -> EmailMessage:
    """The MIME message: text/plain, plus text/html (multipart/alternative) with the images as
    related parts (multipart/related) addressed by `cid:NAME`."""
    cfg = _email_settings(settings)
    rcpts = _check_addresses(to)
    msg = EmailMessage()
    msg["From"] = cfg.sender
    msg["To"] = ", ".join(rcpts)
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    domain = cfg.sender.rsplit("@", 1)[-1] if "@" in cfg.sender else None
    msg["Message-ID"] = make_msgid(domain=domain)
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
        if images:
            html_part = msg.get_body(preferencelist=("html",))
            assert isinstance(html_part, EmailMessage)
            for name, data in images.items():
                html_part.add_related(
                    data, maintype="image", subtype="png", cid=f"<{name}>", filename=f"{name}.png"
                )
    elif images:
        raise NotificationError("inline images need an HTML part that shows them")
    return msg


def send_message(settings: EmailSettings | Settings, msg: EmailMessage) -> None:
    """Hand a built message to the configured SMTP server."""
    cfg = _email_settings(settings)
    if not cfg.host:
        raise NotificationError(
            "e-mail is not configured: set host, port and sender under email in deskmetrics.toml "
            "(the email table)"
        )
    port = cfg.resolved_port
    try:
        smtp: smtplib.SMTP
        if cfg.security == "ssl":
            smtp = smtplib.SMTP_SSL(
                cfg.host, port, timeout=cfg.timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(cfg.host, port, timeout=cfg.timeout)
        with smtp:
            if cfg.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if cfg.username:
                password = cfg.resolved_password()
                if password is None:
                    raise NotificationError(
                        f"[email] username is set but the variable {cfg.password_env!r} holding "
                        "the password is not"
                    )
                smtp.login(cfg.username, password)
            refused = smtp.send_message(msg)
    except NotificationError:
        raise
    except smtplib.SMTPRecipientsRefused as exc:
        raise NotificationError(
            f"the mail server refused every recipient: {exc.recipients}"
        ) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise NotificationError(f"cannot send e-mail through {cfg.host}:{port}: {exc}") from exc
    if refused:
        raise NotificationError(f"the mail server refused some recipients: {sorted(refused)}")


def send_email(
    settings: EmailSettings | Settings,
    to: Sequence[str],
    subject: str,
    text: str,
    html: str | None = None,
    images: Mapping[str, bytes] | None = None,
) -> None:
    """Send one e-mail now (blocking: use `delivery.enqueue_email` from request handlers)."""
    send_message(settings, build_message(settings, to, subject, text, html, images))


__all__ = ["EmailSettings", "NotificationError", "build_message", "send_email", "send_message"]
