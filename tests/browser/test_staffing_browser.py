"""The Staffing page in real headless Chromium, and the staffing API: the plan on a small
workspace of phone calls with measured handle time, checked by hand and against
`deskmetrics.staffing.plan.make_plan` on the same workspace."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from serving import serving

from conftest import UTC_9_TO_5, build_workspace, interaction, ticket
from deskmetrics import accounts
from deskmetrics.api import create_app
from deskmetrics.staffing import Target
from deskmetrics.staffing.plan import make_plan

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "correct horse battery"
MONDAY = date(2026, 3, 2)


def _calls() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Three weeks: every Monday 09:00–09:59 (UTC) 24 phone calls, 12 per half hour (talk 240 s +
    wrap 60 s = 300 s), every Tuesday 14:00–14:59 12 chats (talk 600 s); nothing else. Every
    channel's history ends with the data, Tuesday 17 March (the last chats), so the plan
    covers Wednesday 18 to Tuesday 24 March."""
    tickets, events = [], []
    n = 0
    for week in range(3):
        mon = MONDAY + timedelta(days=7 * week)
        for k in range(24):
            n += 1
            at = f"{mon.isoformat()}T09:{(k * 5) // 2:02d}:{(k * 5) % 2 * 30:02d}Z"
            tickets.append(ticket(f"P{n}", at, f"c{n}", channel="phone"))
            events.append(interaction(f"i{n}", f"P{n}", at, "a1", talk=240, wrap=60))
        tue = mon + timedelta(days=1)
        for k in range(12):
            n += 1
            at = f"{tue.isoformat()}T14:{k * 5:02d}:00Z"
            tickets.append(ticket(f"C{n}", at, f"c{n}", channel="chat"))
            events.append(interaction(f"i{n}", f"C{n}", at, "a2", talk=600))
    return tickets, events


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tickets, events = _calls()
    path = tmp_path_factory.mktemp("staffing") / "ws.duckdb"
    ws = build_workspace({"tickets": tickets, "events": events}, UTC_9_TO_5, path=str(path))
    accounts.set_user(ws, "lead", PASSWORD, "viewer")
    return ws


@pytest.fixture(scope="module")
def app(workspace: Any) -> Any:
    return create_app(workspace, secret="staffing-test-secret")


@pytest.fixture
def client(app: Any) -> TestClient:
    c = TestClient(app)
    r = c.post("/login", data={"name": "lead", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303
    return c


def test_plan_by_hand(workspace: Any) -> None:
    plan = make_plan(workspace, "phone", Target.parse("80/20"), 30, 85, 30, 7)
    r = plan.rows.set_index("interval_start")
    # the next Monday (23 March) 09:00 and 09:30: 12 calls each × 300 s / 1800 s = 2 erlangs
    for at in ("2026-03-23 09:00", "2026-03-23 09:30"):
        row = r.loc[at]
        assert row["volume"] == pytest.approx(12.0)
        assert row["aht_seconds"] == pytest.approx(300.0)
        assert row["traffic"] == pytest.approx(2.0)
        # Erlang C, A = 2: 3 agents → P(wait) = 4/9, SL = 1 − 4/9·e^(−20/300) = 58.4%;
        # 4 agents → P(wait) = 0.1739, SL = 1 − 0.1739·e^(−40/300) = 84.8% ≥ 80%; occupancy 50%
        assert row["agents"] == 4
        assert row["service_level"] == pytest.approx(84.77, abs=0.01)
        assert row["scheduled_agents"] == 6  # 4 / 0.7 = 5.7 → 6
    assert plan.rows["agents"].sum() == 8


def test_api_staffing_and_forecast(client: TestClient, workspace: Any) -> None:
    r = client.get("/api/staffing?channel=phone&target=80/20&shrinkage=30&max_occupancy=85")
    assert r.status_code == 200, r.text
    out = r.json()
    assert set(out) == {"inputs", "summary", "rows"}
    assert out["summary"]["peak_agents"] == 4 and out["summary"]["peak_scheduled_agents"] == 6
    want = make_plan(workspace, "phone", Target.parse("80/20"), 30, 85).as_json()
    assert out == want
    csv = client.get("/api/staffing?channel=phone&format=csv")
    assert csv.status_code == 200 and csv.text.startswith("channel,interval_start,weekday")
    f = client.get("/api/forecast?channel=phone&interval=60&backtest_days=7").json()
    assert {"model", "wape", "seasonal_naive_wape", "intervals", "forecast"} <= set(f)
    assert f["wape"] == 0.0 and f["seasonal_naive_wape"] == 0.0  # the weeks repeat exactly
    e = client.get("/api/erlang?volume=100&aht=180&shrinkage=30").json()
    assert (e["agents"], e["scheduled_agents"]) == (14, 20)
    assert client.get("/api/erlang?volume=100&aht=180&target=80").status_code == 400
    assert client.get("/api/erlang?volume=100&aht=180&interval=20").status_code == 400
    assert client.get("/api/staffing?channel=nope").status_code == 400


def test_api_needs_a_viewer(app: Any) -> None:
    assert TestClient(app).get("/api/staffing").status_code == 401


# ---------------------------------------------------------------------------------------------
# Chromium


@pytest.fixture(scope="module")
def server(app: Any) -> Iterator[str]:
    with serving(app) as url:
        yield url


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium")
def test_staffing_page_in_chromium(server: str) -> None:
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        ctx = b.new_context(viewport={"width": 1440, "height": 900})
        pg = ctx.new_page()
        pg.set_default_timeout(120_000)
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.goto(server + "/dashboard/staffing?channel=phone&shrinkage=30&max_occupancy=85")
        assert "/login" in pg.url
        pg.fill("#name", "lead")
        pg.fill("#password", PASSWORD)
        pg.click("button[type=submit]")
        pg.wait_for_selector("#staffing-cards")
        assert pg.title() == "deskmetrics · Staffing"
        assert pg.locator("nav a.on, nav a[aria-current]").first.inner_text().strip() == "Staffing"
        peak = pg.locator('.card[data-key="peak_agents"] .value')
        assert peak.inner_text() == "4"
        sched = pg.locator('.card[data-key="peak_scheduled_agents"] .value')
        assert sched.inner_text() == "6"
        # the heatmap: 7 days (Wed 18 – Tue 24 March) × 48 half hours; Monday 09:00 and
        # 09:30 need 4 agents
        heat = pg.locator("#staffing-heat tbody tr")
        assert heat.count() == 7
        assert heat.nth(5).locator("th").inner_text() == "Mon 23 Mar"
        monday = heat.nth(5).locator("td")
        assert monday.count() == 48
        assert [
            monday.nth(18).get_attribute("data-value"),
            monday.nth(19).get_attribute("data-value"),
        ] == ["4", "4"]
        # Plotly drew the forecast against history
        pg.wait_for_selector("#chart-staffing .main-svg")
        assert pg.locator("#chart-staffing .scatterlayer .trace").count() == 2
        # change the inputs in the form: 90/20 with 60-minute intervals, no shrinkage
        pg.fill('input[name="target"]', "90/20")
        pg.select_option('select[name="interval"]', "60")
        pg.fill('input[name="shrinkage"]', "0")
        pg.click("#staffing-form button[type=submit]")
        pg.wait_for_url("**target=90%2F20**")
        assert "interval=60" in pg.url
        heat = pg.locator("#staffing-heat tbody tr")
        assert heat.nth(5).locator("td").count() == 24
        # 09:00–10:00: 24 calls × 300 s / 3600 s = 2 erlangs; 90/20 needs 5 agents
        # (4 agents: SL 1 − 0.1739·e^(−40/300) = 84.8%; 5: 1 − 0.0597·e^(−60/300) = 95.1%)
        assert heat.nth(5).locator("td").nth(9).get_attribute("data-value") == "5"
        assert pg.locator('.card[data-key="peak_scheduled_agents"] .value').inner_text() == "5"
        # a bad target is said on the page, not a crash
        pg.fill('input[name="target"]', "eighty")
        pg.click("#staffing-form button[type=submit]")
        pg.wait_for_selector("#staffing-error")
        assert "PERCENT/SECONDS" in pg.inner_text("#staffing-error")
        assert errors == []
        ctx.close()
        b.close()
