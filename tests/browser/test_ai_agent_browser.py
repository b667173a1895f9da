"""The AI-agent page: its cards, the side-by-side table by `handled_by` against people and the
charts, on the hand-computed workspace of tests/golden/test_ai_agents.py — through the
service (numbers and CSV) and in real headless Chromium."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from serving import serving, signed_in, signed_in_client

from conftest import UTC_9_TO_5, build_workspace
from deskmetrics import accounts
from deskmetrics.api import create_app
from golden.test_ai_agents import _rows

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "correct horse battery"
#: the golden tickets span Mon 2 – Mon 9 March 2026
RANGE = "from=2026-03-02&to=2026-03-09"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = tmp_path_factory.mktemp("ai") / "ws.duckdb"
    ws = build_workspace(_rows(), UTC_9_TO_5, path=str(path))
    accounts.set_user(ws, "lead", PASSWORD, "viewer")
    return create_app(ws, secret="ai-test-secret")


@pytest.fixture
def client(app: Any) -> TestClient:
    return signed_in_client(app, "lead", PASSWORD)  # type: ignore[no-any-return]


def test_ai_page_numbers_and_csv(client: TestClient) -> None:
    """Cards: automated resolution 1/7, handoff 2/7, wait after handoff 1,945 min (32.4 h)
    calendar and 25 min business. Side by side: CSAT ai_only 50 %, people 50 % → +0.0 pts."""
    page = client.get(f"/dashboard/ai?{RANGE}")
    assert page.status_code == 200
    html = page.text
    assert "7 in this range" in html
    assert 'data-metric="automated_resolution_rate"' in html
    assert "14.3%" in html and "28.6%" in html
    assert "32.4 h" in html and "25 min" in html
    side = client.get(f"/dashboard/ai?{RANGE}&csv=by_handled_by").text
    rows = list(csv.DictReader(io.StringIO(side)))
    by = {r["handled_by"]: r for r in rows}
    assert list(by) == ["AI agent alone", "AI agent, then a person", "People only"]
    assert float(by["AI agent alone"]["csat"]) == 50.0
    assert float(by["AI agent alone"]["csat_change"]) == 0.0
    assert float(by["AI agent, then a person"]["csat_change"]) == 50.0
    assert by["People only"]["csat_change"] == ""
    assert float(by["People only"]["fcr_rate"]) == 100.0
    assert float(by["AI agent alone"]["fcr_rate"]) == pytest.approx(100 / 3)


def test_ai_page_without_an_ai_agent_says_so(client: TestClient) -> None:
    page = client.get("/dashboard/ai?from=2026-03-04&to=2026-03-04")
    assert "No AI agent answered a ticket in this range" in page.text


def test_breakdowns_offer_handled_by(client: TestClient) -> None:
    page = client.get(f"/dashboard/breakdowns?{RANGE}&dim=handled_by&m=csat&m=fcr_rate")
    assert page.status_code == 200
    assert "ai_then_human" in page.text


@pytest.fixture(scope="module")
def server(app: Any) -> Iterator[str]:
    with serving(app) as url:
        yield url


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium")
def test_ai_page_in_chromium(server: str) -> None:
    pytest.importorskip("playwright.sync_api")
    with signed_in(server, f"/dashboard/ai?{RANGE}", "lead", PASSWORD) as (pg, errors):
        pg.wait_for_selector('.card[data-metric="ai_handoff_rate"]')
        assert pg.title() == "deskmetrics · AI agent"
        nav = pg.locator("nav a.on, nav a[aria-current]").first.inner_text().strip()
        assert nav == "AI agent"
        card = pg.locator('.card[data-metric="automated_resolution_rate"] .value').first
        assert card.inner_text().strip() == "14.3%"
        side = pg.locator("#table-by_handled_by tbody tr")
        assert side.count() == 3
        assert side.nth(0).locator("td").first.inner_text().strip() == "AI agent alone"
        # the three charts drew
        for name in ("automated_resolution_rate", "ai_handoff_rate", "ai_handoff_wait_time"):
            pg.wait_for_selector(f"#chart-{name} .main-svg")
        # a number drills into the tickets behind it
        pg.locator('.card[data-metric="automated_resolution_rate"] a').first.click()
        pg.wait_for_url("**/dashboard/explain**")
        assert "T1" in pg.content()
        assert errors == []
