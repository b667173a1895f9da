"""The demo as a new user first sees it, in real headless Chromium: the workspace is built the
way `make demo` builds it (`deskmetrics sample` ending now, `import`, the alert rules evaluated
as of two days ago and now, a login), with the repository's deskmetrics.toml, at a small size.

The first page shows the last 7 days with a number on every card; the SLA page lists a handful
of breached targets, not months of leftovers; the alerts page shows a rule firing now and the
ticket surge of the sample's outage fired and recovered."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import uvicorn
from typer.testing import CliRunner

from deskmetrics.api import create_app
from deskmetrics.cli import app as cli
from deskmetrics.config import load_settings

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian chromium (`make test` installs it)"
)
playwright_api = pytest.importorskip("playwright.sync_api")

REPO = Path(__file__).resolve().parents[2]
SETTINGS = REPO / "deskmetrics.toml"
PASSWORD = "demo password for the test"
TICKETS = 3000


def run(*args: str, env: dict[str, str] | None = None) -> str:
    r = CliRunner().invoke(cli, list(args), env=env)
    assert r.exit_code == 0, r.output
    return r.output


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`make demo` at 3,000 tickets, then its server (uvicorn in a thread, scheduler included)."""
    tmp = tmp_path_factory.mktemp("demo")
    data, db = tmp / "sample", str(tmp / "demo.duckdb")
    ws_args = ["--db", db, "--config", str(SETTINGS)]
    run("sample", "--out", str(data), "--tickets", str(TICKETS), "--seed", "7")
    run(*ws_args, "import", str(data))
    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    run(*ws_args, "alerts", "run", "--now", f"{two_days_ago:%Y-%m-%dT%H:%M:%SZ}")
    run(*ws_args, "alerts", "run")
    login = {"DESKMETRICS_PASSWORD": PASSWORD}
    run(*ws_args, "users", "set", "demo", "--role", "viewer", env=login)

    settings = load_settings(SETTINGS)
    server_app = create_app(db, settings, secret="demo-browser-test-secret")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    srv = uvicorn.Server(
        uvicorn.Config(server_app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield {"url": f"http://127.0.0.1:{port}", "tz": settings.report_timezone}
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def page(demo: dict[str, Any]) -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        pg = b.new_page(viewport={"width": 1440, "height": 900})
        pg.set_default_timeout(180_000)  # pages compute on a shared, busy machine
        pg.goto(demo["url"] + "/login")
        pg.fill("#name", "demo")
        pg.fill("#password", PASSWORD)
        pg.click("button[type=submit]")
        pg.wait_for_selector(".cards")
        yield pg
        b.close()


def test_first_page_last_7_days_every_card_has_data(page: Any, demo: dict[str, Any]) -> None:
    today = datetime.now(ZoneInfo(demo["tz"])).date()
    first = today - timedelta(days=6)
    # the last 7 days to today, named in the URL (the same as the dashboard's default range)
    page.goto(demo["url"] + f"/dashboard?from={first}&to={today}")
    page.wait_for_selector(".cards")
    assert f"{today:%-d %b %Y} (7 days)" in page.inner_text(".pagehead")
    cards = page.locator(".cards .card")
    assert cards.count() >= 10
    for i in range(cards.count()):
        card = cards.nth(i)
        name = card.get_attribute("data-metric")
        value = card.locator("a.value")
        assert value.count() == 1, f"{name}: {card.inner_text()}"
        assert value.get_attribute("data-value") not in ("", None), f"{name} has no data"
        assert float(card.locator(".n").get_attribute("data-value")) > 0, name
        # and a week before it to compare against
        assert "no data to compare" not in card.inner_text(), name
    # the dashboard opens on this range by itself: the last 7 days to today
    page.goto(demo["url"] + "/dashboard")
    page.wait_for_selector(".cards")
    assert page.locator('input[name="from"]').input_value() == first.isoformat()
    assert page.locator('input[name="to"]').input_value() == today.isoformat()
    assert "Dates: Last 7 days" in page.inner_text("details.presets-menu > summary")


def test_sla_page_shows_a_handful_of_breaches(page: Any, demo: dict[str, Any]) -> None:
    page.goto(demo["url"] + "/dashboard/sla")
    summary = page.inner_text("#sla-summary")
    m = re.fullmatch(r"(\d+) breached · (\d+) at risk", summary.strip())
    assert m, summary
    assert 0 < int(m.group(1)) < 50
    assert page.locator("#sla-queue tbody tr").count() == int(m.group(1)) + int(m.group(2))


def test_alerts_page_shows_a_firing_rule_and_a_recovery(page: Any, demo: dict[str, Any]) -> None:
    page.goto(demo["url"] + "/dashboard/alerts")
    firing = page.locator("section.panel", has_text="Firing now").locator("tbody tr")
    assert firing.count() > 0
    assert "mentions-spike" in page.locator("section.panel", has_text="Firing now").inner_text()
    history = page.locator("section.panel", has_text="History").inner_text()
    assert "[ALERT] ticket-surge" in history and "[RESOLVED] ticket-surge" in history


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_of_the_demo_fits_a_phone(page: Any, demo: dict[str, Any], scheme: str) -> None:
    """On a 390 px phone, light and dark, no page of a full demo is wider than the screen: long
    tables (SLA queue, alerts, breakdowns) scroll inside their card, the heatmap inside its own."""
    phone = page.context.browser.new_context(
        viewport={"width": 390, "height": 844}, color_scheme=scheme
    )
    pg = phone.new_page()
    pg.set_default_timeout(180_000)
    pg.goto(demo["url"] + "/login")
    pg.fill("#name", "demo")
    pg.fill("#password", PASSWORD)
    pg.click("button[type=submit]")
    pg.wait_for_selector(".cards")
    try:
        for path in (
            "/dashboard",
            "/dashboard/trends",
            "/dashboard/breakdowns?dim=agent",
            "/dashboard/heatmap",
            "/dashboard/surveys",
            "/dashboard/followups?state=all",
            "/dashboard/explain?metric=first_response_time",
            "/dashboard/sla",
            "/dashboard/alerts",
            "/dashboard/staffing",
            "/dashboard/views",
        ):
            response = pg.goto(demo["url"] + path)
            assert response is not None and response.status == 200, path
            pg.wait_for_load_state("load")
            wider = pg.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert wider <= 0, f"{path} ({scheme}) is {wider} px wider than the phone"
    finally:
        phone.close()
