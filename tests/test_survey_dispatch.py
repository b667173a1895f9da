"""Survey dispatch against a real SMTP server on loopback (aiosmtpd, started by the test):
one mail per solved ticket after the delay, none before, none for a reopened ticket, none
within the quiet period, nothing twice; the link in the mail works on the survey page."""

from __future__ import annotations

import email
import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from conftest import UTC_9_TO_5, build_workspace, one, status, ticket
from deskmetrics.api import create_app
from deskmetrics.cli import app as cli_app
from deskmetrics.config import Settings
from deskmetrics.engine import Workspace
from deskmetrics.query import compute
from deskmetrics.surveys import dispatch_due


class Inbox:
    """An aiosmtpd handler keeping every message it is handed."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 OK"

    def to(self) -> list[str]:
        return sorted(r for rcpts, _ in self.messages for r in rcpts)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def settings_for(port: int, **dispatch: Any) -> Settings:
    return Settings.model_validate(
        {
            **UTC_9_TO_5,
            "email": {"host": "127.0.0.1", "port": port, "sender": "support@example.com"},
            "surveys": {"dispatch": {"enabled": True, **dispatch}},
            "web": {"public_url": "https://help.example.com"},
        }
    )


def solved(tid: str, at: str, n: int = 1) -> dict[str, Any]:
    return status(f"{tid}-s{n}", tid, at, "solved")


#: now = Tuesday 10 March 2026 12:00 UTC; delay 24 h → tickets solved by 9 March 12:00 are due
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
LATER = datetime(2026, 3, 11, 7, 0, tzinfo=UTC)


def helpdesk(path: Path, config: Settings) -> Workspace:
    tickets = [
        ticket("T0", "2026-03-01T09:00:00Z", "c4"),  # c4's earlier ticket, surveyed on 6 March
        ticket("T1", "2026-03-09T08:00:00Z", "c1"),  # solved 9 Mar 10:00 → due
        ticket("T2", "2026-03-10T05:00:00Z", "c2"),  # solved 10 Mar 06:00 → due 11 Mar 06:00
        ticket("T3", "2026-03-08T08:00:00Z", "c3"),  # solved, then reopened → never
        ticket("T4", "2026-03-09T08:00:00Z", "c4"),  # due, but c4 is in the quiet period
        ticket("T5", "2026-03-09T08:00:00Z", "c5"),  # due, no e-mail address anywhere
        ticket("T6", "2026-03-09T08:00:00Z", "c6", requester_email="f@example.com"),
        ticket("T7", "2026-03-09T08:30:00Z", "c1"),  # c1 again: T1 goes first, T7 is quiet
        ticket("T8", "2026-01-20T08:00:00Z", "c8"),  # solved 1 Feb: outside the 7-day window
        ticket("T9", "2026-03-08T08:00:00Z", "c9"),  # due, already answered CSAT
        ticket("T10", "2026-03-08T08:00:00Z", "c10"),  # solved, reopened, solved 10 Mar 00:00
    ]
    events = [
        solved("T1", "2026-03-09T10:00:00Z"),
        solved("T2", "2026-03-10T06:00:00Z"),
        solved("T3", "2026-03-08T10:00:00Z"),
        status("T3-o", "T3", "2026-03-09T09:00:00Z", "open"),
        solved("T4", "2026-03-09T10:00:00Z"),
        solved("T5", "2026-03-09T10:00:00Z"),
        solved("T6", "2026-03-09T10:00:00Z"),
        solved("T7", "2026-03-09T11:00:00Z"),
        solved("T8", "2026-02-01T10:00:00Z"),
        solved("T9", "2026-03-08T10:00:00Z"),
        status("T9-c", "T9", "2026-03-09T10:00:00Z", "closed"),
        solved("T10", "2026-03-08T10:00:00Z"),
        status("T10-o", "T10", "2026-03-08T12:00:00Z", "open"),
        solved("T10", "2026-03-10T00:00:00Z", 2),
    ]
    customers = [
        {"customer_id": c, "email": f"{c}@example.com"}
        for c in ("c1", "c2", "c3", "c4", "c8", "c9", "c10")
    ] + [{"customer_id": "c5", "email": ""}]
    requests = [
        {"request_id": "old", "kind": "csat", "sent_at": "2026-03-06T09:00:00Z", "ticket_id": "T0"}
    ]
    answers = [
        {
            "response_id": "R9",
            "kind": "csat",
            "scale": "1-5",
            "score": "2",
            "answered_at": "2026-03-09T18:00:00Z",
            "ticket_id": "T9",
        }
    ]
    return build_workspace(
        {
            "tickets": tickets,
            "events": events,
            "customers": customers,
            "survey_requests": requests,
            "surveys": answers,
        },
        config,
        path=str(path),
    )


def requests_of(ws: Workspace) -> list[tuple[str, str, datetime, str, str]]:
    return ws.backend.con.execute(
        "SELECT request_id, kind, sent_at, customer_id, ticket_id FROM survey_requests "
        "ORDER BY sent_at, request_id"
    ).fetchall()


def test_one_mail_per_due_ticket_and_a_second_pass_sends_nothing(
    smtp: tuple[Inbox, int], tmp_path: Path
) -> None:
    inbox, port = smtp
    cfg = settings_for(port)
    ws = helpdesk(tmp_path / "ws.duckdb", cfg)

    report = dispatch_due(ws, cfg, NOW)
    # due: T1, T4, T5, T6, T7, T9 (solved 9 Mar 12:00 or before, within 7 days, still solved)
    assert report.due == 6
    assert [s.ticket_id for s in report.sent] == ["T1", "T6"]
    assert inbox.to() == ["c1@example.com", "f@example.com"]
    assert report.skipped_already_surveyed == 1  # T9
    assert report.skipped_quiet_period == 2  # T4 (c4 surveyed 6 Mar), T7 (c1 just now)
    assert report.skipped_no_email == ["T5"]
    assert report.failed == []
    assert report.waiting == 2  # T2 and T10 wait for their delay
    sent_at = datetime(2026, 3, 10, 12, 0)
    assert requests_of(ws) == [
        ("old", "csat", datetime(2026, 3, 6, 9, 0), None, "T0"),
        ("link-csat-T1", "csat", sent_at, "c1", "T1"),
        ("link-csat-T6", "csat", sent_at, "c6", "T6"),
    ]

    again = dispatch_due(ws, cfg, NOW)
    assert again.sent == [] and len(inbox.messages) == 2
    assert again.skipped_already_surveyed == 3  # T1, T6, T9

    # the next morning T2 (solved 10 Mar 06:00) and T10 (solved again 10 Mar 00:00) are due;
    # T3 stays reopened, T7 stays quiet (c1 was surveyed yesterday), T8 is too old
    later = dispatch_due(ws, cfg, LATER)
    assert sorted(s.ticket_id for s in later.sent) == ["T10", "T2"]
    assert inbox.to() == ["c10@example.com", "c1@example.com", "c2@example.com", "f@example.com"]
    assert "c3@example.com" not in inbox.to()  # T3 was reopened
    assert dispatch_due(ws, cfg, LATER).sent == []
    assert len(inbox.messages) == 4


def test_nothing_is_sent_before_the_delay(smtp: tuple[Inbox, int], tmp_path: Path) -> None:
    inbox, port = smtp
    cfg = settings_for(port, delay_hours=48)
    ws = helpdesk(tmp_path / "ws.duckdb", cfg)
    # with 48 h, on 10 Mar 12:00 only tickets solved by 8 Mar 12:00 are due: T9 (answered)
    report = dispatch_due(ws, cfg, NOW)
    assert report.sent == [] and inbox.messages == []
    assert report.due == 1 and report.skipped_already_surveyed == 1


def test_the_link_in_the_mail_works_and_the_answer_counts(
    smtp: tuple[Inbox, int], tmp_path: Path
) -> None:
    inbox, port = smtp
    # the fixed dates lie in the past: a long-lived link still opens today
    cfg = settings_for(port, link_days=3650)
    ws = helpdesk(tmp_path / "ws.duckdb", cfg)
    dispatch_due(ws, cfg, NOW)
    mail = next(m for rc, m in inbox.messages if rc == ["c1@example.com"])
    assert mail["From"] == "support@example.com"
    assert mail.is_multipart()
    text = next(p for p in mail.walk() if p.get_content_type() == "text/plain")
    html = next(p for p in mail.walk() if p.get_content_type() == "text/html")
    body = str(text.get_payload(decode=True), "utf-8")
    url = re.search(r"https://help\.example\.com/s/\S+", body)
    assert url is not None
    assert f'href="{url.group(0)}?score=5"' in str(html.get_payload(decode=True), "utf-8")

    client = TestClient(create_app(ws, cfg))  # the service secret the dispatch signed with
    path = url.group(0).removeprefix("https://help.example.com")
    page = client.get(path)
    assert page.status_code == 200 and "How satisfied are you" in page.text
    assert client.post(path, data={"score": "5"}).status_code == 200
    with client.app.state.service.using() as w:  # type: ignore[attr-defined]
        df = compute(w, ["csat", "survey_response_rate"])
    # CSAT: T9 answered 2, T1 answered 5 → 1 satisfied of 2 = 50%
    assert one(df, metric="csat")["value"] == 50.0
    # requests: old (T0, unanswered), T1 (answered), T6 (unanswered) → 1 of 3 = 33.3%
    rate = one(df, metric="survey_response_rate")
    assert (rate["n"], rate["value"]) == (3, pytest.approx(100 / 3))


def test_a_refused_mail_is_not_recorded_and_is_retried(
    smtp: tuple[Inbox, int], tmp_path: Path
) -> None:
    inbox, port = smtp
    dead = settings_for(free_port())  # nothing listens there
    ws = helpdesk(tmp_path / "ws.duckdb", dead)
    report = dispatch_due(ws, dead, NOW)
    # T7 is tried too: its customer c1 was not surveyed, T1's mail failed
    assert report.sent == [] and [t for t, _ in report.failed] == ["T1", "T6", "T7"]
    assert "cannot send e-mail" in report.failed[0][1]
    assert [r[0] for r in requests_of(ws)] == ["old"]
    # the server is back: the next pass sends both, once
    report = dispatch_due(ws, settings_for(port), NOW)
    assert [s.ticket_id for s in report.sent] == ["T1", "T6"] and len(inbox.messages) == 2


def test_dispatch_off_sends_nothing(smtp: tuple[Inbox, int], tmp_path: Path) -> None:
    inbox, port = smtp
    cfg = settings_for(port, enabled=False)
    ws = helpdesk(tmp_path / "ws.duckdb", cfg)
    report = dispatch_due(ws, cfg, NOW)
    assert not report.enabled and report.sent == [] and inbox.messages == []
    assert "dispatch is off" in report.summary()


def test_quiet_period_zero_surveys_every_ticket(smtp: tuple[Inbox, int], tmp_path: Path) -> None:
    inbox, port = smtp
    cfg = settings_for(port, quiet_days=0, kind="nps")
    ws = helpdesk(tmp_path / "ws.duckdb", cfg)
    report = dispatch_due(ws, cfg, NOW)
    # NPS: T9's answer is CSAT, so T9 is asked too; T4 and T7 are no longer quiet
    assert sorted(s.ticket_id for s in report.sent) == ["T1", "T4", "T6", "T7", "T9"]
    assert len(inbox.messages) == 5


def test_cli_runs_one_pass(smtp: tuple[Inbox, int], tmp_path: Path) -> None:
    inbox, port = smtp
    db = tmp_path / "ws.duckdb"
    helpdesk(db, settings_for(port)).backend.disconnect()
    toml = tmp_path / "deskmetrics.toml"
    toml.write_text(
        f'[email]\nhost = "127.0.0.1"\nport = {port}\n\n[surveys.dispatch]\nenabled = true\n',
        encoding="utf-8",
    )
    runner = CliRunner()
    args = ["--db", str(db), "--config", str(toml), "surveys", "dispatch"]
    r = runner.invoke(cli_app, [*args, "--now", "2026-03-10T12:00:00Z"])
    assert r.exit_code == 0, r.output
    assert "2 csat survey(s) sent of 6 due" in r.stdout
    assert inbox.to() == ["c1@example.com", "f@example.com"]
    r = runner.invoke(cli_app, [*args, "--now", "2026-03-10T12:00:00Z", "--json"])
    assert r.exit_code == 0 and '"sent": []' in r.stdout
    bad = runner.invoke(cli_app, [*args, "--now", "2026-03-10T12:00"])
    assert bad.exit_code == 2 and "needs an offset" in bad.output
