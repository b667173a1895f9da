"""The weekly report e-mail: hand-computed headline numbers, their change, the inline chart,
delivered to a real SMTP server on loopback; and its schedule."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest

from conftest import UTC_9_TO_5, build_workspace, ticket
from deskmetrics.engine import Workspace
from deskmetrics.notify.delivery import deliver_due, delivery_log
from deskmetrics.reports.weekly import CHART_CID, due_instant, run_due_reports, send_report
from receivers import MailSink

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def csat(rid: str, tid: str, score: int, at: str) -> dict[str, Any]:
    return {
        "response_id": rid,
        "kind": "csat",
        "scale": "1-5",
        "score": str(score),
        "answered_at": at,
        "ticket_id": tid,
    }


@pytest.fixture
def ws() -> Workspace:
    # week of Mon 2026-03-02 … Sun 03-08 (UTC):
    #   billing: 3 tickets (B1-B3); tech: 1 (T1)
    #   billing CSAT: 4 answers, 3 satisfied (5, 4, 4; 2 is not) → 3/4 = 75.0%
    # week before (Mon 02-23 … Sun 03-01):
    #   billing: 1 ticket (B0); CSAT 2 answers, both satisfied → 100.0%
    # change: volume 3 vs 1 → +200.0%; CSAT 75 − 100 = −25.0 points
    return build_workspace(
        {
            "tickets": [
                ticket("B0", "2026-02-24T10:00:00Z", group="billing"),
                ticket("B1", "2026-03-02T10:00:00Z", group="billing"),
                ticket("B2", "2026-03-03T10:00:00Z", group="billing"),
                ticket("B3", "2026-03-03T11:00:00Z", group="billing"),
                ticket("T1", "2026-03-04T10:00:00Z", group="tech"),
            ],
            "surveys": [
                csat("p1", "B0", 5, "2026-02-25T10:00:00Z"),
                csat("p2", "B0", 4, "2026-02-25T11:00:00Z"),
                csat("c1", "B1", 5, "2026-03-03T10:00:00Z"),
                csat("c2", "B2", 4, "2026-03-04T10:00:00Z"),
                csat("c3", "B3", 4, "2026-03-04T11:00:00Z"),
                csat("c4", "B3", 2, "2026-03-05T10:00:00Z"),
            ],
        },
        UTC_9_TO_5,
    )


@pytest.fixture
def smtp() -> Iterator[MailSink]:
    sink = MailSink().start()
    yield sink
    sink.stop()


def test_report_email_has_the_hand_computed_numbers_and_the_chart(
    ws: Workspace, smtp: MailSink
) -> None:
    s = ws.settings.model_copy(deep=True)
    s.email = s.email.model_validate({"host": "127.0.0.1", "port": smtp.port})
    rep = send_report(
        ws,
        s,
        ["lead@example.com"],
        team="billing",
        start=date(2026, 3, 2),
        metrics=["volume", "csat"],
        tz="UTC",
    )
    assert smtp.wait_for(1)
    msg = smtp.messages[0]
    assert msg["Subject"] == "Weekly support report · team billing · Mon 02 Mar – Sun 08 Mar 2026"
    html_part = msg.get_body(preferencelist=("html",))
    assert html_part is not None
    page = html_part.get_content()
    # volume: 3 this week, 1 the week before, +200.0%
    assert ">3</td>" in page and ">1</td>" in page and "+200.0%" in page
    # CSAT: 75.0% vs 100.0%, −25.0 points (a drop: shown in red)
    assert "75.0%" in page and "100.0%" in page and "−25.0 pts" in page
    assert "#c62828'>−25.0 pts" in page
    assert f"cid:{CHART_CID}" in page and "<script" not in page
    text = msg.get_body(preferencelist=("plain",))
    assert text is not None and "75.0%" in text.get_content()
    (img,) = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert img["Content-ID"] == f"<{CHART_CID}>"
    assert img.get_payload(decode=True).startswith(PNG_MAGIC)
    # the numbers come from compute: the report's rows say the same
    rows = rep.rows.set_index("metric")
    assert rows.loc["volume", "value"] == 3 and rows.loc["volume", "previous"] == 1
    assert rows.loc["csat", "value"] == pytest.approx(75.0)


def test_schedule_is_due_once_per_week_in_its_zone(ws: Workspace, smtp: MailSink) -> None:
    from deskmetrics.config import ReportSchedule

    sch = ReportSchedule(
        name="billing-weekly",
        to=["lead@example.com"],
        team="billing",
        day="mon",
        hour=8,
        timezone="Europe/Berlin",
        metrics=["volume"],
    )
    # Monday 2026-03-09 08:00 in Berlin (CET, UTC+1) = 07:00 UTC
    assert due_instant(sch, datetime(2026, 3, 9, 7, 30)) == datetime(2026, 3, 9, 7, 0)
    # before it, the previous Monday's instant
    assert due_instant(sch, datetime(2026, 3, 9, 6, 59)) == datetime(2026, 3, 2, 7, 0)

    s = ws.settings.model_copy(deep=True)
    s.email = s.email.model_validate({"host": "127.0.0.1", "port": smtp.port})
    s.reports.weekly = [sch]
    ws.settings = s
    now = datetime(2026, 3, 9, 7, 30)
    assert len(run_due_reports(ws, s, now)) == 1
    assert run_due_reports(ws, s, datetime(2026, 3, 9, 9, 0)) == []  # once per instant
    assert run_due_reports(ws, s, datetime(2026, 3, 11, 9, 0)) == []  # more than a day late
    deliver_due(ws, s, now)
    assert smtp.wait_for(1) and len(smtp.messages) == 1
    assert "Mon 02 Mar – Sun 08 Mar 2026" in smtp.messages[0]["Subject"]
    assert delivery_log(ws)[0]["source"] == "report:billing-weekly"


def test_report_command_emails_the_report_now(ws: Workspace, smtp: MailSink, tmp_path: Any) -> None:
    """`deskmetrics report --email TO` sends the report at once (the issue's command)."""
    from typer.testing import CliRunner

    from deskmetrics.cli import app
    from deskmetrics.engine import open_duckdb

    db = tmp_path / "ws.duckdb"
    ws.backend.raw_sql(f"ATTACH '{db}' AS f; COPY FROM DATABASE memory TO f; DETACH f")
    cfg = tmp_path / "deskmetrics.toml"
    cfg.write_text(
        'timezone = "UTC"\n[schedules.office]\ntimezone = "UTC"\n'
        'hours = { mon = "09:00-17:00" }\n'
        f'[email]\nhost = "127.0.0.1"\nport = {smtp.port}\n',
        encoding="utf-8",
    )
    args = ["--db", str(db), "--config", str(cfg), "report", "--email", "lead@example.com"]
    res = CliRunner().invoke(app, [*args, "--team", "billing", "--from", "2026-03-02"])
    assert res.exit_code == 0, res.output
    assert smtp.wait_for(1)
    page = smtp.messages[0].get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    # billing volume: 3 this week (B1–B3), 1 the week before (B0) → +200.0%
    assert "+200.0%" in page
    # metric names together with --email are refused with what to do
    bad = CliRunner().invoke(app, [*args, "csat"])
    assert bad.exit_code == 2 and "drop the metric names" in bad.output
    assert open_duckdb(db).has("tickets")
