"""The dashboard in real headless Chromium (Debian `chromium`, driven by Playwright; no browser
download): sign in, read the overview, change a filter and see the engine's numbers for it,
drill into a number, download a CSV, and answer a survey page and watch CSAT move.

The server is uvicorn in a thread on a free loopback port over a small workspace; expected
values come from `deskmetrics.query.compute` on the same workspace (and by hand)."""

from __future__ import annotations

import csv
import io
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from conftest import UTC_9_TO_5, build_workspace, msg, ticket
from deskmetrics import accounts
from deskmetrics.api import create_app
from deskmetrics.present import format_value as fmt_value
from deskmetrics.query import compute

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian chromium (`make test` installs it)"
)
playwright_api = pytest.importorskip("playwright.sync_api")

TICKETS = [
    ticket(
        "T1",
        "2026-01-12T10:00:00Z",
        channel="email",
        priority="high",
        group="billing",
        assignee_id="A1",
        tags="billing;vip",
        subject="Refund for a double charge",
    ),
    ticket(
        "T2",
        "2026-01-13T09:00:00Z",
        channel="chat",
        priority="normal",
        group="technical",
        assignee_id="A2",
        tags="technical",
        subject="App crashes on start",
    ),
    ticket(
        "T3",
        "2026-01-14T15:00:00Z",
        channel="email",
        priority="normal",
        group="billing",
        assignee_id="A1",
        subject="Invoice address",
    ),
    ticket(
        "T4",
        "2026-01-15T11:00:00Z",
        channel="phone",
        priority="urgent",
        group="technical",
        assignee_id="A2",
        subject="Cannot log in",
    ),
]
EVENTS = [
    msg("E1", "T1", "2026-01-12T10:30:00Z", "agent", "A1"),  # first response 30 min
    msg("E2", "T2", "2026-01-13T09:10:00Z", "agent", "A2"),  # 10 min
    msg("E3", "T3", "2026-01-14T17:00:00Z", "agent", "A1"),  # 120 min
    msg("E4", "T4", "2026-01-15T11:05:00Z", "agent", "A2"),  # 5 min
]
SURVEYS = [
    {
        "response_id": "R1",
        "kind": "csat",
        "scale": "1-5",
        "score": "5",
        "ticket_id": "T1",
        "answered_at": "2026-01-16T09:00:00Z",
        "comment": "quick and kind",
    },
    {
        "response_id": "R2",
        "kind": "csat",
        "scale": "1-5",
        "score": "2",
        "ticket_id": "T2",
        "answered_at": "2026-01-16T10:00:00Z",
        "comment": "too slow",
    },
]
AGENTS = [
    {"agent_id": "A1", "name": "Ana Lima", "team": "billing"},
    {"agent_id": "A2", "name": "Ben Okafor", "team": "technical"},
]
PASSWORD = "correct horse battery"
#: from the first ticket to today, so a survey answered now is in range
TODAY = datetime.now(UTC).date().isoformat()
SCOPE = f"from=2026-01-12&to={TODAY}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    path = tmp_path_factory.mktemp("browser") / "ws.duckdb"
    ws = build_workspace(
        {"tickets": TICKETS, "events": EVENTS, "surveys": SURVEYS, "agents": AGENTS},
        UTC_9_TO_5,
        path=str(path),
    )
    accounts.set_user(ws, "lead", PASSWORD, "viewer")
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


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, server: dict[str, Any]) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    pg = ctx.new_page()
    pg.set_default_timeout(120_000)  # pages compute on a shared, busy machine
    pg.goto(server["url"] + f"/dashboard?{SCOPE}")
    assert "/login" in pg.url  # not signed in yet
    pg.fill("#name", "lead")
    pg.fill("#password", PASSWORD)
    pg.click("button[type=submit]")
    pg.wait_for_selector(".cards")
    yield pg
    ctx.close()


def engine(server: dict[str, Any], metric: str, **kw: Any) -> Any:
    with server["app"].state.service.using() as ws:
        return compute(ws, metric, **kw)


def card(page: Any, metric: str) -> Any:
    return page.locator(f'.card[data-metric="{metric}"] a.value')


def test_sign_in_overview_and_a_filter(page: Any, server: dict[str, Any]) -> None:
    assert page.title() == "deskmetrics · Overview"
    # all four tickets; first responses 30, 10, 120, 5 → mean 41.25 min
    assert float(card(page, "volume").get_attribute("data-value")) == 4
    assert float(card(page, "first_response_time").get_attribute("data-value")) == 41.25
    assert card(page, "first_response_time").inner_text() == "41 min"

    # choose channel = email in the filter bar and apply
    page.click('details[data-filter="channel"] > summary')
    page.check('details[data-filter="channel"] input[value="email"]')
    page.click("#filters button[type=submit]")
    page.wait_for_url("**channel=email**")
    want = engine(
        server,
        ["volume", "first_response_time", "csat"],
        start="2026-01-12",
        end=TODAY,
        filters={"channel": ["email"]},
    ).set_index("metric")
    for metric in ("volume", "first_response_time", "csat"):
        shown = card(page, metric)
        assert float(shown.get_attribute("data-value")) == pytest.approx(want.loc[metric, "value"])
        assert shown.inner_text() == fmt_value(want.loc[metric, "value"], want.loc[metric, "unit"])
    # by hand: email = T1 (30 min) and T3 (120 min) → 2 tickets, mean 75 min; CSAT R1 → 100%
    assert float(card(page, "volume").get_attribute("data-value")) == 2
    assert float(card(page, "first_response_time").get_attribute("data-value")) == 75
    assert card(page, "csat").inner_text() == "100.0%"
    assert "Channel: email" in page.inner_text('details[data-filter="channel"] > summary')


def test_date_presets_and_the_comparison_in_the_filter_bar(page: Any) -> None:
    """Dates as people think: a preset menu relative to today, and the comparison chosen in
    the bar travels to the next page."""
    page.click("details.presets-menu > summary")
    page.click("details.presets-menu a >> text=Last week")
    page.wait_for_url("**from=*")
    today = datetime.now(UTC).date()
    monday = today - timedelta(days=today.weekday())
    start, end = monday - timedelta(days=7), monday - timedelta(days=1)
    assert f"from={start.isoformat()}&to={end.isoformat()}" in page.url
    assert "Dates: Last week" in page.inner_text("details.presets-menu > summary")
    # back to the data's week, compared with the same dates a year earlier
    page.goto(page.url.split("/dashboard")[0] + f"/dashboard?{SCOPE}")
    page.select_option('select[name="compare"]', "year")
    page.click("#filters button[type=submit]")
    page.wait_for_url("**compare=year**")
    delta = page.locator('.card[data-metric="volume"] .delta')
    # nothing a year earlier: +4 tickets against 0
    assert float(delta.get_attribute("data-value")) == 4
    assert "a year earlier" in delta.get_attribute("title")
    page.click("nav.mainnav >> text=Trends")
    assert "compare=year" in page.url
    assert page.locator('select[name="compare"]').input_value() == "year"


def test_drill_into_a_number(page: Any) -> None:
    card(page, "first_response_time").click()
    page.wait_for_selector("#counted")
    assert "First response time" in page.inner_text("h1")
    assert page.inner_text("#counted") == "4"
    assert page.locator("#counted-ids code").all_inner_texts() == ["T1", "T2", "T3", "T4"]
    rows = page.locator("#table-tickets tbody tr")
    assert rows.count() == 4
    assert "Refund for a double charge" in page.inner_text("#table-tickets")


def test_sort_and_export_a_breakdown(page: Any, server: dict[str, Any]) -> None:
    page.click("nav.mainnav >> text=Breakdowns")
    page.wait_for_selector("#table-by_channel")
    # sort by mean first response, highest first: email 75, chat 10, phone 5
    page.click('#table-by_channel th[data-key="first_response_time"]')
    firsts = page.locator("#table-by_channel tbody tr td:first-child").all_inner_texts()
    assert [f.strip() for f in firsts] == ["email", "chat", "phone"]
    with page.expect_download() as dl:
        page.click("a.csv")
    text = Path(dl.value.path()).read_text(encoding="utf-8")
    rows = {r["channel"]: r for r in csv.DictReader(io.StringIO(text))}
    want = engine(
        server, ["volume", "first_response_time"], by=["channel"], start="2026-01-12", end=TODAY
    )
    for _, r in want.iterrows():
        assert float(rows[r["channel"]][r["metric"]]) == pytest.approx(r["value"])
    assert float(rows["email"]["first_response_time"]) == 75


def test_agents_by_name_and_the_agent_filter(page: Any, server: dict[str, Any]) -> None:
    """By agent, rows carry the agent's name; the agent filter lists names and filters by id:
    Ben Okafor (A2) has T2 (10 min) and T4 (5 min) → 2 tickets, mean first response 7.5 min."""
    page.goto(server["url"] + f"/dashboard/breakdowns?{SCOPE}&dim=agent")
    page.wait_for_selector("#table-by_agent")
    names = page.locator("#table-by_agent tbody tr td:nth-child(2)").all_inner_texts()
    assert sorted(n.strip() for n in names) == ["Ana Lima", "Ben Okafor"]
    page.click('details[data-filter="agent"] summary')
    page.locator('details[data-filter="agent"] label', has_text="Ben Okafor").click()
    page.click("#filters button[type=submit]")
    page.wait_for_url("**agent=A2**")
    rows = page.locator("#table-by_agent tbody tr")
    assert rows.count() == 1
    cells = [c.strip() for c in rows.first.locator("td").all_inner_texts()]
    assert cells[:3] == ["A2", "Ben Okafor", "2"]
    frt = rows.first.locator('td[data-key="first_response_time"]').inner_text()
    assert float(frt.split()[0]) == 7.5


def test_a_survey_answer_moves_csat(page: Any, server: dict[str, Any]) -> None:
    links = pytest.importorskip("deskmetrics.surveys.links")
    page.goto(server["url"] + f"/dashboard/surveys?{SCOPE}")
    # before: R1 satisfied (5), R2 not (2) → 1/2 = 50%
    assert card(page, "csat").inner_text() == "50.0%"
    token, _ = links.make_token(server["app"].state.service.secret, "T3", "csat")
    survey = page.context.new_page()
    survey.goto(server["url"] + f"/s/{token}")
    survey.click('label[for="score-5"]')
    survey.fill("#comment", "sorted in no time")
    survey.click("button[type=submit]")
    survey.wait_for_load_state()
    survey.close()
    page.reload()
    # after: R1 (5) and the new answer (5) satisfied, R2 not → 2/3 = 66.7%
    assert card(page, "csat").inner_text() == "66.7%"
    assert float(card(page, "csat").get_attribute("data-value")) == pytest.approx(200 / 3)
    assert "sorted in no time" in page.inner_text("#table-comments")


def test_no_page_breaks_the_content_security_policy(page: Any, server: dict[str, Any]) -> None:
    """Every page works under the service's CSP (scripts only from the service itself): no
    violation is reported on the console or as a `securitypolicyviolation` event, and the
    plotly charts draw."""
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation', "
        "e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    links = pytest.importorskip("deskmetrics.surveys.links")
    token, _ = links.make_token(server["app"].state.service.secret, "T4", "csat")
    for path in (
        f"/dashboard?{SCOPE}",
        f"/dashboard/trends?{SCOPE}",
        f"/dashboard/breakdowns?{SCOPE}",
        f"/dashboard/heatmap?{SCOPE}",
        f"/dashboard/surveys?{SCOPE}",
        f"/dashboard/explain?{SCOPE}&metric=first_response_time",
        "/dashboard/sla",
        "/dashboard/alerts",
        f"/s/{token}",
    ):
        response = page.goto(server["url"] + path)
        assert response is not None and response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("load")
        if "trends" in path or "surveys" in path:
            page.wait_for_selector(".js-plotly-plot .main-svg")
        assert page.evaluate("window.__csp") == [], path
    assert violations == []


def test_api_docs_work_offline(page: Any, server: dict[str, Any]) -> None:
    """/docs draws Swagger UI from the service's own files: every request the page makes goes
    to this server (this machine has no internet, so a CDN would leave the page blank)."""
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    page.goto(server["url"] + "/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "deskmetrics" in page.inner_text(".swagger-ui .info .title")
    # the operations are listed, e.g. the report
    page.wait_for_selector('.opblock-summary-path[data-path="/api/report"]')
    assert asked and all(u.startswith(server["url"]) or u.startswith("data:") for u in asked)
