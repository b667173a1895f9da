"""The public survey page: asks one question, records one answer per ticket and kind, and
refuses forged, expired or altered links with a readable 4xx page."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import build_workspace, one, ticket
from deskmetrics.api import create_app
from deskmetrics.engine import Workspace
from deskmetrics.query import compute
from deskmetrics.surveys import make_token

SECRET = "page-secret"


def survey(rid: str, score: str, tid: str, at: str = "2026-03-02T10:00:00Z") -> dict[str, str]:
    return {
        "response_id": rid,
        "kind": "csat",
        "scale": "1-5",
        "score": score,
        "answered_at": at,
        "ticket_id": tid,
    }


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    tickets = [
        ticket("T1", "2026-03-01T09:00:00Z", "c1", subject="Refund for order 1234"),
        ticket("T2", "2026-03-01T09:00:00Z", "c2"),
        ticket("T3", "2026-03-01T09:00:00Z", "c3"),
        ticket("T4", "2026-03-01T09:00:00Z", "c4"),
    ]
    # three CSAT answers from the survey tool: 5 and 4 are satisfied, 2 is not
    answers = [survey("R1", "5", "T1"), survey("R2", "4", "T2"), survey("R3", "2", "T3")]
    return build_workspace(
        {"tickets": tickets, "surveys": answers}, path=str(tmp_path / "ws.duckdb")
    )


@pytest.fixture
def client(ws: Workspace) -> TestClient:
    return TestClient(create_app(ws, secret=SECRET))


def token_for(tid: str, kind: str = "csat", days: float = 7) -> str:
    return make_token(SECRET, tid, kind, days=days)[0]


def csat(client: TestClient) -> tuple[float, int]:
    with client.app.state.service.using() as w:  # type: ignore[attr-defined]
        row = one(compute(w, ["csat"]), metric="csat")
    return float(row["value"]), int(row["n"])


def test_the_page_asks_one_question_as_a_plain_form(client: TestClient) -> None:
    r = client.get(f"/s/{token_for('T1')}")
    assert r.status_code == 200
    html = r.text
    assert "How satisfied are you with the support you received?" in html
    assert "Refund for order 1234" in html
    # a form that works without JavaScript: POST to the same address, five radio buttons
    assert re.search(r'<form method="post" action="/s/[\w.-]+">', html)
    assert "<script" not in html
    radios = re.findall(r'<input type="radio" name="score" id="score-(\d+)" value="(\d+)"', html)
    assert [v for _, v in radios] == ["1", "2", "3", "4", "5"]
    # every radio has a label a screen reader can read, the ends say what they mean
    for v in range(1, 6):
        assert f'<label for="score-{v}"' in html
    assert "1 star — very dissatisfied" in html and "5 stars — very satisfied" in html
    assert '<textarea id="comment" name="comment"' in html


@pytest.mark.parametrize(
    ("kind", "values", "words"),
    [
        ("nps", list(range(11)), "How likely are you to recommend us"),
        ("ces", list(range(1, 8)), "How easy was it"),
    ],
)
def test_nps_and_ces_pages_show_their_scales(
    client: TestClient, kind: str, values: list[int], words: str
) -> None:
    html = client.get(f"/s/{token_for('T1', kind)}").text
    assert words in html
    found = re.findall(r'name="score" id="score-\d+" value="(\d+)"', html)
    assert [int(v) for v in found] == values


def test_an_answer_moves_csat_and_a_second_submit_updates_it(
    client: TestClient, ws: Workspace
) -> None:
    # before: 2 satisfied of 3 answers → 66.67%
    value, n = csat(client)
    assert n == 3 and value == pytest.approx(200 / 3)
    tok = token_for("T4")
    r = client.post(f"/s/{tok}", data={"score": "1", "comment": "  Took a week. "})
    assert r.status_code == 200 and "Thank you" in r.text
    # T4 answers 1 (not satisfied): 2 of 4 → 50%
    value, n = csat(client)
    assert (value, n) == (50.0, 4)
    # the customer changes their mind: 5 replaces 1, still 4 answers; 3 of 4 → 75%
    r = client.post(f"/s/{tok}", data={"score": "5", "comment": ""})
    assert r.status_code == 200 and "your answer is updated" in r.text
    value, n = csat(client)
    assert (value, n) == (75.0, 4)
    rows = ws.backend.con.execute(
        "SELECT response_id, kind, scale, score, customer_id, ticket_id, comment FROM surveys "
        "WHERE ticket_id = 'T4'"
    ).fetchall()
    assert rows == [("link-csat-T4", "csat", "1-5", "5", "c4", "T4", None)]


def test_the_page_shows_the_earlier_answer_and_the_mail_preselects(client: TestClient) -> None:
    tok = token_for("T4", "nps")
    client.post(f"/s/{tok}", data={"score": "9", "comment": "quick & kind <3"})
    html = client.get(f"/s/{tok}").text
    assert re.search(r'value="9" required\s+checked', html)
    assert len(re.findall(r"required\s+checked", html)) == 1
    # the earlier comment is not shown to whoever opens the link again (issue 12): the page
    # says there was one and that a new answer replaces it, and the comment box is empty
    assert "quick &amp; kind" not in html and "kind &lt;3" not in html
    assert '<textarea id="comment" name="comment" maxlength="5000"></textarea>' in html
    assert "You answered 9 before with a comment, which is not shown here" in html
    html = client.get(f"/s/{token_for('T3', 'nps')}?score=7").text
    assert re.search(r'value="7" required\s+checked', html)
    # a preselected answer is not an answer: nothing is stored by opening the link
    assert "You answered" not in html


def test_one_answer_per_kind_each_kind_separately(client: TestClient, ws: Workspace) -> None:
    for kind, score in (("csat", "4"), ("nps", "10"), ("ces", "6"), ("csat", "3")):
        assert client.post(f"/s/{token_for('T4', kind)}", data={"score": score}).status_code == 200
    rows = ws.backend.con.execute(
        "SELECT kind, score FROM surveys WHERE ticket_id = 'T4' ORDER BY kind"
    ).fetchall()
    assert rows == [("ces", "6"), ("csat", "3"), ("nps", "10")]


@pytest.mark.parametrize(
    ("kind", "score", "why"),
    [
        ("csat", "6", "outside the scale 1–5"),
        ("csat", "0", "outside the scale 1–5"),
        ("nps", "11", "outside the scale 0–10"),
        ("ces", "8", "outside the scale 1–7"),
        ("csat", "4.5", "not a whole number"),
        ("csat", "", "please pick an answer"),
        ("csat", None, "please pick an answer"),
    ],
)
def test_an_answer_off_the_scale_is_refused(
    client: TestClient, ws: Workspace, kind: str, score: str | None, why: str
) -> None:
    data = {"comment": "keep me"} if score is None else {"score": score, "comment": "keep me"}
    r = client.post(f"/s/{token_for('T4', kind)}", data=data)
    assert r.status_code == 422
    assert why in r.text
    assert "keep me" in r.text  # the form comes back with what was typed
    assert ws.backend.con.execute(
        "SELECT count(*) FROM surveys WHERE ticket_id = 'T4'"
    ).fetchone() == (0,)


def test_forged_expired_and_tampered_links_are_refused(client: TestClient) -> None:
    good = token_for("T4")
    forged = make_token("not-the-secret", "T4", "csat")[0]
    tampered = good[:-3] + ("xyz" if not good.endswith("xyz") else "abc")
    expired = make_token(SECRET, "T4", "csat", days=1, now=datetime.now(UTC) - timedelta(days=2))[0]
    for tok, status, words in (
        (forged, 404, "This survey link does not work"),
        (tampered, 404, "This survey link does not work"),
        ("x" * 600, 404, "far too long"),
        (expired, 410, "This survey has closed"),
    ):
        for r in (client.get(f"/s/{tok}"), client.post(f"/s/{tok}", data={"score": "5"})):
            assert r.status_code == status, (tok, r.text)
            assert words in r.text
            assert "Traceback" not in r.text
    assert csat(client)[1] == 3  # nothing was recorded


def test_a_link_to_an_unknown_ticket_is_refused(client: TestClient) -> None:
    tok = token_for("T-gone")
    for r in (client.get(f"/s/{tok}"), client.post(f"/s/{tok}", data={"score": "5"})):
        assert r.status_code == 404
        assert "We cannot find this request" in r.text and "T-gone" in r.text


def test_the_survey_page_needs_no_sign_in_but_the_api_does(client: TestClient) -> None:
    assert client.get(f"/s/{token_for('T1')}").status_code == 200
    assert client.post("/api/survey-links", json={"ticket_id": "T1"}).status_code == 401


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs Debian's chromium")
def test_a_customer_answers_in_a_real_browser_and_csat_moves(ws: Workspace, tmp_path: Path) -> None:
    """Headless Chromium against the service on loopback: pick 4 stars by clicking the label
    (the radio itself is visually hidden), type a comment, send; CSAT goes from 2 of 3 to
    3 of 4 satisfied (66.7% → 75%). Screenshots go to a temporary folder, or to the folder in
    DESKMETRICS_SCREENSHOTS (e.g. docs/screenshots, to refresh the README's): a test run
    leaves the repository's files alone."""
    import socket
    import threading
    import time

    import uvicorn
    from playwright.sync_api import sync_playwright

    app = create_app(ws, secret=SECRET)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    shots = Path(os.environ.get("DESKMETRICS_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1100, "height": 760})
            page.goto(f"http://127.0.0.1:{port}/s/{token_for('T4')}")
            page.locator('label[for="score-4"]').click()  # the fourth star
            # the radio's accessible name is its label's text
            assert page.get_by_role("radio", name="4 stars").is_checked()
            assert page.locator("#score-4").is_checked()
            page.get_by_label("Anything you would like to tell us?").fill("Quick and friendly.")
            page.screenshot(path=str(shots / "survey-page.png"))
            page.get_by_role("button", name="Send my answer").click()
            page.wait_for_selector("text=Thank you")
            page.screenshot(path=str(shots / "survey-thanks.png"))
            page.goto(f"http://127.0.0.1:{port}/s/{token_for('T4')}x")
            assert "This survey link does not work" in page.content()
            page.screenshot(path=str(shots / "survey-invalid-link.png"))
            browser.close()
    finally:
        server.should_exit = True
        thread.join(10)
    with app.state.service.using() as w:
        row = one(compute(w, ["csat"]), metric="csat")
    # 5, 4 and 2 before, 4 now: 3 satisfied of 4 = 75%
    assert (float(row["value"]), int(row["n"])) == (75.0, 4)
