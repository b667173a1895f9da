"""The presentation layer: values by unit, changes and their wording by hand, and the same KPI
string on the terminal, the dashboard and the weekly e-mail."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from conftest import UTC_9_TO_5, build_workspace, msg, ticket
from deskmetrics import accounts
from deskmetrics.api import create_app
from deskmetrics.cli import app as cli_app
from deskmetrics.metrics import REGISTRY, Direction
from deskmetrics.present import METRIC_SETS, expand_sets, format_change, format_value, trend
from deskmetrics.reports.weekly import DEFAULT_METRICS, build_report


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (9.5, "minutes", "9.5 min"),
        (10, "minutes", "10 min"),
        (59, "minutes", "59 min"),
        (60, "minutes", "1.0 h"),  # 60 / 60
        (90, "minutes", "1.5 h"),
        (119, "minutes", "2.0 h"),  # 1.98 h, one decimal
        (120, "minutes", "2.0 h"),
        (1440, "minutes", "24.0 h"),  # one day still reads in hours
        (2879, "minutes", "48.0 h"),  # 47.98 h: below two days
        (2880, "minutes", "2.0 d"),  # 2880 / 1440
        (4320, "minutes", "3.0 d"),
        (-90, "minutes", "-1.5 h"),
        (None, "minutes", "–"),
        (float("nan"), "percent", "–"),
        (75, "percent", "75.0%"),
        (66.666, "percent", "66.7%"),
        (3, "count", "3"),
        (2.5, "count", "2.5"),
        (1234, "count", "1,234"),
        (150.4, "count", "150"),  # from 100 on, whole
        (1234.5, "currency", "1,234.50"),
        (8.456, "score", "8.46"),
        (12.34, "score", "12.3"),
        (7.836, "seconds", "7.8 s"),  # a staffing plan's waits and handle times
        (565.6, "seconds", "566 s"),
        (1800, "seconds", "1,800 s"),
    ],
)
def test_values_read_by_unit(value: object, unit: str, shown: str) -> None:
    assert format_value(value, unit) == shown


@pytest.mark.parametrize(
    ("change", "unit", "previous", "shown"),
    [
        (-25.0, "percent", 100.0, "−25.0 pts"),  # a percent changes in points, never relatively
        (2.5, "percent", None, "+2.5 pts"),
        (2, "count", 1, "+200.0%"),  # 3 against 1
        (-1, "count", 4, "−25.0%"),
        (-40, "minutes", None, "−40 min"),
        (90, "minutes", 0, "+1.5 h"),  # from zero: no relative change, the amount
        (0, "count", None, "±0"),
        (None, "count", 1, "–"),
    ],
)
def test_changes_are_signed_points_relative_or_in_the_unit(
    change: object, unit: str, previous: object, shown: str
) -> None:
    assert format_change(change, unit, previous) == shown


def test_change_wording_follows_the_metrics_direction() -> None:
    assert trend(2, Direction.HIGHER_IS_BETTER) == "better"
    assert trend(-2, Direction.HIGHER_IS_BETTER) == "worse"
    assert trend(-40, Direction.LOWER_IS_BETTER) == "better"  # a faster first response
    assert trend(5, Direction.LOWER_IS_BETTER) == "worse"
    assert trend(5, Direction.LOWER_IS_BETTER, significant=False) == "noise"
    assert trend(5, Direction.NEUTRAL) == "neutral"
    assert trend(0, Direction.HIGHER_IS_BETTER) == "neutral"
    assert trend(None, Direction.HIGHER_IS_BETTER) == "neutral"


def test_metric_sets_name_registry_metrics_and_the_headline_is_the_e_mails_default() -> None:
    for name, metrics in METRIC_SETS.items():
        assert set(metrics) <= set(REGISTRY), name
    assert list(METRIC_SETS["headline"]) == DEFAULT_METRICS


def test_terminal_dashboard_and_e_mail_show_the_same_kpi(tmp_path: Path) -> None:
    # two tickets in the week of Mon 2026-03-02, each first answered after 90 minutes:
    # first response time 90 min, which reads "1.5 h" everywhere
    path = tmp_path / "ws.duckdb"
    ws = build_workspace(
        {
            "tickets": [
                ticket("T1", "2026-03-02T10:00:00Z"),
                ticket("T2", "2026-03-03T10:00:00Z"),
            ],
            "events": [
                msg("E1", "T1", "2026-03-02T11:30:00Z", "agent", "A1"),
                msg("E2", "T2", "2026-03-03T11:30:00Z", "agent", "A1"),
            ],
        },
        UTC_9_TO_5,
        path=str(path),
    )
    accounts.set_user(ws, "lead", "correct horse", "viewer")

    report = build_report(ws, None, date(2026, 3, 2), ["first_response_time"], tz="UTC")
    assert "font-weight:600'>1.5 h</td>" in report.html

    client = TestClient(create_app(ws, secret="test-secret"))
    client.post("/login", data={"name": "lead", "password": "correct horse"})
    page = client.get("/dashboard?from=2026-03-02&to=2026-03-08").text
    card = page.split('data-metric="first_response_time"', 1)[1]
    shown = re.search(r'class="value num"[^>]*>([^<]*)</a>', card)
    assert shown is not None and shown.group(1) == "1.5 h"
    ws.backend.con.close()  # the CLI opens the file itself

    r = CliRunner().invoke(
        cli_app, ["--db", str(path), "report", "first_response_time", "--format", "markdown"]
    )
    assert r.exit_code == 0, r.output
    assert "| 1.5 h |" in r.output


def test_a_set_name_stands_for_its_metrics_once_in_the_order_asked() -> None:
    assert expand_sets(["fcr_rate", "breakdown"]) == [
        "fcr_rate",
        "volume",
        "first_response_time",
        "full_resolution_time",
        "reopen_rate",
    ]
    assert expand_sets(["csat"]) == ["csat"]
