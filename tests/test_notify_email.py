"""E-mail over SMTP to a real server on loopback (aiosmtpd), and the outbox that retries it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from deskmetrics.config import EmailSettings, Settings
from deskmetrics.engine import open_duckdb
from deskmetrics.notify import NotificationError
from deskmetrics.notify.delivery import (
    deliver_due,
    delivery_log,
    enqueue_email,
)
from deskmetrics.notify.email import send_email
from receivers import MailSink, free_port

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@pytest.fixture
def smtp() -> Iterator[MailSink]:
    sink = MailSink().start()
    yield sink
    sink.stop()


def test_send_email_delivers_text_html_and_an_inline_image(smtp: MailSink) -> None:
    cfg = EmailSettings(host="127.0.0.1", port=smtp.port, sender="desk@example.com")
    send_email(
        cfg,
        ["lead@example.com", "ops@example.com"],
        "CSAT below 85%",
        "CSAT is 80%.",
        html='<p>CSAT is <b>80%</b></p><img src="cid:chart">',
        images={"chart": PNG},
    )
    assert smtp.wait_for(1)
    msg = smtp.messages[0]
    assert msg["Subject"] == "CSAT below 85%"
    assert msg["From"] == "desk@example.com"
    assert smtp.envelopes[0] == ["lead@example.com", "ops@example.com"]
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    assert text is not None and text.get_content().strip() == "CSAT is 80%."
    assert html is not None and 'src="cid:chart"' in html.get_content()
    images = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1
    assert images[0]["Content-ID"] == "<chart>"
    assert images[0].get_payload(decode=True) == PNG


def test_unconfigured_or_unreachable_server_and_bad_addresses_raise() -> None:
    with pytest.raises(NotificationError, match="e-mail is not configured"):
        send_email(EmailSettings(), ["a@example.com"], "s", "t")
    down = EmailSettings(host="127.0.0.1", port=free_port(), timeout=2)
    with pytest.raises(NotificationError, match="cannot send e-mail"):
        send_email(down, ["a@example.com"], "s", "t")
    with pytest.raises(NotificationError, match="not an e-mail address"):
        send_email(down, ["not-an-address"], "s", "t")
    with pytest.raises(NotificationError, match="at least one recipient"):
        send_email(down, [], "s", "t")


def test_outbox_retries_with_backoff_until_the_server_answers(smtp: MailSink) -> None:
    port = free_port()  # nobody listens here yet
    s = Settings.model_validate(
        {
            "email": {"host": "127.0.0.1", "port": port, "timeout": 2},
            "delivery": {"retry_base_seconds": 60, "max_attempts": 5},
        }
    )
    ws = open_duckdb(":memory:", s)
    t0 = datetime(2025, 3, 3, 9, 0)
    mid = enqueue_email(ws, ["lead@example.com"], "subject", "body", source="test", now=t0)

    first = deliver_due(ws, s, now=t0)
    assert first.retrying == [mid]
    row = delivery_log(ws)[0]
    assert row["status"] == "pending" and row["attempts"] == 1
    assert "cannot send e-mail" in row["last_error"]
    # backoff after attempt 1 = 60 s · 2^0 = 60 s
    assert row["next_attempt_at"] == t0 + timedelta(seconds=60)
    # not due 59 s later: nothing is attempted
    assert deliver_due(ws, s, now=t0 + timedelta(seconds=59)).retrying == []
    second = deliver_due(ws, s, now=t0 + timedelta(seconds=60))
    assert second.retrying == [mid]
    # backoff after attempt 2 = 60 s · 2^1 = 120 s
    assert delivery_log(ws)[0]["next_attempt_at"] == t0 + timedelta(seconds=60 + 120)

    # the server comes up (the sink's port) and the third attempt delivers
    s.email.port = smtp.port
    third = deliver_due(ws, s, now=t0 + timedelta(seconds=180))
    assert third.sent == [mid]
    assert smtp.wait_for(1)
    row = delivery_log(ws)[0]
    assert row["status"] == "sent" and row["attempts"] == 3
    assert row["last_error"] is None and row["sent_at"] == t0 + timedelta(seconds=180)


def test_outbox_gives_up_after_max_attempts_but_keeps_the_message() -> None:
    s = Settings.model_validate(
        {
            "email": {"host": "127.0.0.1", "port": free_port(), "timeout": 2},
            "delivery": {"retry_base_seconds": 1, "max_attempts": 2},
        }
    )
    ws = open_duckdb(":memory:", s)
    t0 = datetime(2025, 3, 3, 9, 0)
    mid = enqueue_email(ws, ["lead@example.com"], "subject", "body", now=t0)
    assert deliver_due(ws, s, now=t0).retrying == [mid]
    assert deliver_due(ws, s, now=t0 + timedelta(seconds=1)).failed == [mid]
    row = delivery_log(ws, status="failed")[0]
    assert row["attempts"] == 2 and row["last_error"]
    assert deliver_due(ws, s, now=t0 + timedelta(days=1)).failed == []
