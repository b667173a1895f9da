"""The alerts page in real headless Chromium (Debian `chromium`, driven by Playwright): a
manager creates a rule in the form, sees it listed with its condition, and "test now" shows
the value the evaluator measures (hand-computed: billing CSAT 7 of 10 satisfied = 70.0%)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from conftest import UTC_9_TO_5, build_workspace, ticket
from deskmetrics import accounts
from deskmetrics.api import create_app
from deskmetrics.engine.periods import utc_now

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian chromium (`make test` installs it)"
)
playwright_api = pytest.importorskip("playwright.sync_api")

PASSWORD = "correct horse battery"


def _answers(prefix: str, ticket_id: str, scores: list[int], at: str) -> list[dict[str, Any]]:
    return [
        {
            "response_id": f"{prefix}{i}",
            "kind": "csat",
            "scale": "1-5",
            "score": str(s),
            "answered_at": at,
            "ticket_id": ticket_id,
        }
        for i, s in enumerate(scores)
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    path = tmp_path_factory.mktemp("alerts-browser") / "ws.duckdb"
    day_ago = (utc_now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    opened = (utc_now() - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    # billing: 10 answers, 7 satisfied → 70.0%; tech: 10 answers, 9 satisfied → 90.0%
    ws = build_workspace(
        {
            "tickets": [ticket("B", opened, group="billing"), ticket("T", opened, group="tech")],
            "surveys": _answers("b", "B", [5, 5, 5, 5, 4, 4, 4, 1, 2, 3], day_ago)
            + _answers("t", "T", [5] * 9 + [1], day_ago),
        },
        {**UTC_9_TO_5, "alerts": {"min_n": 10}},
        path=str(path),
    )
    accounts.set_user(ws, "lead", PASSWORD, "manager")
    app = create_app(ws, secret="browser-test-secret")
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield {"url": f"http://127.0.0.1:{port}", "app": app}
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page(server: dict[str, Any]) -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        ctx = b.new_context(viewport={"width": 1440, "height": 900})
        pg = ctx.new_page()
        pg.set_default_timeout(120_000)  # pages compute on a shared, busy machine
        pg.goto(server["url"] + "/dashboard/alerts")
        assert "/login" in pg.url
        pg.fill("#name", "lead")
        pg.fill("#password", PASSWORD)
        pg.click("button[type=submit]")
        pg.wait_for_selector("#rule-form")
        yield pg
        ctx.close()
        b.close()


def test_a_manager_creates_a_rule_and_tests_it_now(page: Any) -> None:
    # the page's script runs under the service's CSP: no violation is reported
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation', "
        "e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page.reload()
    form = page.locator("#rule-form form")
    form.locator('input[name="name"]').fill("csat-low")
    # the form shows the fields of the chosen kind only
    form.locator('select[name="kind"]').select_option("spike")
    assert not form.locator('select[name="statistic"]').is_visible()
    assert form.locator('input[name="factor"]').is_visible()
    form.locator('select[name="kind"]').select_option("threshold")
    assert form.locator('select[name="statistic"]').is_visible()
    assert not form.locator('input[name="factor"]').is_visible()
    form.locator('select[name="metric"]').select_option("csat")
    form.locator('select[name="direction"]').select_option("below")
    form.locator('input[name="threshold"]').fill("85%")
    form.locator('input[name="window"]').fill("7d")
    form.locator('input[name="by"]').fill("team")
    form.locator('button[type="submit"]').click()
    page.wait_for_url("**test=csat-low**")

    row = page.locator('#alert-rules tr[data-rule="csat-low"]')
    assert "csat below 85.0% over 7 days" in row.locator(".condition").inner_text()
    result = page.locator("#test-result")
    assert "Test now: csat-low" in result.inner_text()
    values = {
        r.locator("td").nth(0).inner_text(): r.locator(".test-value").inner_text()
        for r in result.locator("tr.test-row").all()
    }
    assert values == {"team=billing": "70.0%", "team=tech": "90.0%"}

    # the row's own "Test now" button measures it again
    page.goto(page.url.split("?")[0])
    assert page.locator("#test-result").count() == 0
    row.locator("a.test-now").click()
    page.wait_for_selector("#test-result")
    billing = page.locator("#test-result tr.test-row", has_text="team=billing")
    assert billing.locator(".test-value").get_attribute("data-value") == "70.0"
    assert "would fire" in billing.inner_text()

    # deleting asks first; accepted, the rule is gone
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator('#alert-rules tr[data-rule="csat-low"] button[value="delete"]').click()
    page.wait_for_load_state("load")
    page.wait_for_selector("#rule-form")
    assert page.locator('#alert-rules tr[data-rule="csat-low"]').count() == 0
    assert page.evaluate("window.__csp") == [] and violations == []
