"""Alert rules managed on the alerts page (plain HTML forms, 303 back): create, edit, mute and
delete; "test now" measures with the evaluator's own code; each rule's state and last value;
viewers see no forms; bad input is a 400 naming the field."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import UTC_9_TO_5, build_workspace, ticket
from deskmetrics import accounts
from deskmetrics.alerts import all_rules
from deskmetrics.alerts.evaluate import observe
from deskmetrics.alerts.form import parse_threshold, parse_window
from deskmetrics.api import create_app
from deskmetrics.config import Settings
from deskmetrics.engine.periods import utc_now
from deskmetrics.errors import ConfigError
from deskmetrics.notify.delivery import delivery_log

PASSWORD = "correct horse"


def answers(prefix: str, ticket_id: str, scores: list[int], at: str) -> list[dict[str, Any]]:
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


@pytest.fixture
def c(tmp_path: Path) -> TestClient:
    # answered a day ago, inside every rule's 7-day window:
    # billing: 10 answers, 7 satisfied (4 or 5) → CSAT 70%; tech: 10 answers, 9 → 90%
    day_ago = (utc_now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    opened = (utc_now() - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    cfg = Settings.model_validate({**UTC_9_TO_5, "alerts": {"min_n": 10}})
    ws = build_workspace(
        {
            "tickets": [ticket("B", opened, group="billing"), ticket("T", opened, group="tech")],
            "surveys": answers("b", "B", [5, 5, 5, 5, 4, 4, 4, 1, 2, 3], day_ago)
            + answers("t", "T", [5] * 9 + [1], day_ago),
        },
        cfg,
        path=str(tmp_path / "ws.duckdb"),
    )
    accounts.set_user(ws, "lead", PASSWORD, "manager")
    accounts.set_user(ws, "agent", PASSWORD, "viewer")
    return TestClient(create_app(ws, cfg, secret="test-secret"))


def sign_in(c: TestClient, name: str) -> None:
    r = c.post("/api/session", json={"name": name, "password": PASSWORD})
    assert r.status_code == 200


FORM = {
    "mode": "create",
    "name": "csat-low",
    "kind": "threshold",
    "metric": "csat",
    "statistic": "value",
    "direction": "below",
    "threshold": "85%",
    "window": "7d",
    "by": "team",
    "email": "lead@example.com",
}


def text(html: str) -> str:
    """The page's words, tags removed and spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def rule_row(page: str, name: str) -> str:
    m = re.search(rf'<tr id="rule-{re.escape(name)}".*?</tr>', page, re.S)
    assert m, f"rule {name} is not listed"
    return text(m.group(0))


def test_units_of_thresholds_and_windows() -> None:
    assert parse_threshold("2h", "minutes") == 120
    assert parse_threshold("90m", "minutes") == 90
    assert parse_threshold("45", "minutes") == 45
    assert parse_threshold("1h30m", "minutes") == 90
    assert parse_threshold("85%", "percent") == 85
    assert parse_threshold("85", "percent") == 85
    assert parse_window("7d") == 168 and parse_window("90m") == 1.5 and parse_window("24") == 24
    with pytest.raises(ConfigError, match="threshold='soon'"):
        parse_threshold("soon", "minutes")


def test_create_a_rule_in_the_form_edit_it_and_delete_it(c: TestClient) -> None:
    sign_in(c, "lead")
    r = c.post("/dashboard/alerts/rules", data=FORM, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/dashboard/alerts?test=csat-low"
    row = rule_row(c.get("/dashboard/alerts").text, "csat-low")
    assert "csat below 85.0% over 7 days" in row and "team" in row
    assert "lead@example.com" in row and "not evaluated yet" in row
    (stored,) = c.get("/api/alerts/rules").json()
    assert stored["below"] == 85 and stored["window_hours"] == 168 and stored["by"] == ["team"]
    # the same name again as a new rule is refused (edit it instead)
    again = c.post("/dashboard/alerts/rules", data=FORM)
    assert again.status_code == 400 and "name:" in again.text

    # edit: the form opens filled in, the threshold changes to 80%
    page = c.get("/dashboard/alerts?edit=csat-low").text
    assert 'name="threshold" value="85"' in page and "Edit rule csat-low" in page
    edited = {**FORM, "mode": "edit", "threshold": "80"}
    assert c.post("/dashboard/alerts/rules", data=edited, follow_redirects=False).status_code == 303
    row = rule_row(c.get("/dashboard/alerts").text, "csat-low")
    assert "csat below 80.0% over 7 days" in row

    # a duration threshold in hours is kept in minutes and shown as a duration
    slow = {
        **FORM,
        "name": "slow-first-reply",
        "metric": "first_response_time",
        "statistic": "p90",
        "direction": "above",
        "threshold": "2h",
        "window": "24h",
        "by": "",
        "filters": "channel = chat, email\npriority = urgent",
    }
    assert c.post("/dashboard/alerts/rules", data=slow, follow_redirects=False).status_code == 303
    stored_slow = next(
        x for x in c.get("/api/alerts/rules").json() if x["name"] == "slow-first-reply"
    )
    assert stored_slow["above"] == 120
    assert stored_slow["filters"] == {"channel": ["chat", "email"], "priority": "urgent"}
    row = rule_row(c.get("/dashboard/alerts").text, "slow-first-reply")
    assert "p90 first_response_time above 2.0 h over 1 day" in row

    # delete
    gone = c.post("/dashboard/alerts/rules/csat-low", data={"action": "delete"})
    assert gone.status_code == 200  # followed back to the page
    assert [x["name"] for x in c.get("/api/alerts/rules").json()] == ["slow-first-reply"]
    assert 'id="rule-csat-low"' not in c.get("/dashboard/alerts").text


def test_test_now_shows_what_the_evaluator_measures(c: TestClient) -> None:
    sign_in(c, "lead")
    page = c.post("/dashboard/alerts/rules", data=FORM).text  # back on ?test=csat-low
    assert "Test now: csat-low" in page
    rows = {
        text(m).split()[0]: text(m)
        for m in re.findall(r'<tr class="test-row">.*?</tr>', page, re.S)
    }
    # by hand: billing 7/10 = 70.0% (below 85: would fire), tech 9/10 = 90.0% (ok)
    assert rows["team=billing"].split() == ["team=billing", "70.0%", "10", "85.0%", "would", "fire"]
    assert rows["team=tech"].split() == ["team=tech", "90.0%", "10", "85.0%", "ok"]
    # the evaluator's own measure of the same rule agrees, and test now recorded nothing
    svc = c.app.state.service  # type: ignore[attr-defined]
    with svc.using() as ws:
        ((rule, _),) = all_rules(ws, svc.settings)
        measured = {o.group["team"]: o.value for o in observe(ws, rule, svc.settings, utc_now())}
    assert measured == {"billing": pytest.approx(70.0), "tech": pytest.approx(90.0)}
    assert c.get("/api/alerts/history").json() == []
    assert "not evaluated yet" in rule_row(page, "csat-low")


def test_each_rule_shows_its_state_and_last_value(c: TestClient) -> None:
    sign_in(c, "lead")
    c.post("/dashboard/alerts/rules", data=FORM)
    # min_n 50: ten answers a team are too few to judge
    c.post("/dashboard/alerts/rules", data={**FORM, "name": "csat-strict", "min_n": "50"})
    # above 95%: neither team (70%, 90%) fires
    c.post(
        "/dashboard/alerts/rules",
        data={**FORM, "name": "csat-high", "direction": "above", "threshold": "95"},
    )
    assert c.post("/api/alerts/evaluate").json()["errors"] == {}
    page = c.get("/dashboard/alerts").text
    low, strict, high = (rule_row(page, n) for n in ("csat-low", "csat-strict", "csat-high"))
    assert "firing" in low and "70.0% (team=billing)" in low
    assert "not enough data" in strict and "too few to judge" in strict
    assert "firing" not in high and "70.0% (team=billing)" in high
    for name, state in (
        ("csat-low", "firing"),
        ("csat-strict", "not_enough_data"),
        ("csat-high", "ok"),
    ):
        assert f'data-rule="{name}" data-state="{state}"' in page


def test_a_muted_rule_is_evaluated_but_sends_nothing(c: TestClient) -> None:
    sign_in(c, "lead")
    c.post("/dashboard/alerts/rules", data=FORM)
    r = c.post(
        "/dashboard/alerts/rules/csat-low",
        data={"action": "mute", "hours": ""},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/dashboard/alerts"
    report = c.post("/api/alerts/evaluate").json()
    assert report["fired"] == [] and report["queued_messages"] == 0
    assert report["muted"] == [{"rule": "csat-low", "group": {"team": "billing"}}]
    svc = c.app.state.service  # type: ignore[attr-defined]
    with svc.using() as ws:
        assert delivery_log(ws) == []
    page = c.get("/dashboard/alerts").text
    row = rule_row(page, "csat-low")
    assert "firing" in row and "muted until unmuted" in row and "Unmute" in row
    firing_now = text(page[page.index("Firing now") : page.index("History")])
    assert "team=billing 70.0% 85.0% muted" in firing_now
    (event,) = c.get("/api/alerts/history").json()
    assert event["notified"] is False and "(muted: not sent)" in event["message"]

    # unmuted while billing still fires: the start of the episode is sent now, once
    c.post("/dashboard/alerts/rules/csat-low", data={"action": "unmute"})
    report = c.post("/api/alerts/evaluate").json()
    assert report["fired"] == [{"rule": "csat-low", "group": {"team": "billing"}}]
    assert report["queued_messages"] == 1
    assert c.post("/api/alerts/evaluate").json()["queued_messages"] == 0

    # a mute for a number of hours ends at that time
    c.post("/dashboard/alerts/rules/csat-low", data={"action": "mute", "hours": "8"})
    assert "muted until" in rule_row(c.get("/dashboard/alerts").text, "csat-low")
    assert (
        c.post(
            "/dashboard/alerts/rules/csat-low", data={"action": "mute", "hours": "x"}
        ).status_code
        == 400
    )


def test_a_viewer_sees_no_forms_and_may_not_post(c: TestClient) -> None:
    sign_in(c, "lead")
    c.post("/dashboard/alerts/rules", data=FORM)
    sign_in(c, "agent")
    page = c.get("/dashboard/alerts")
    assert page.status_code == 200
    assert "/dashboard/alerts/rules" not in page.text and "Test now" not in page.text
    assert "Alert rules are shown to managers and admins." in page.text
    assert c.post("/dashboard/alerts/rules", data={**FORM, "name": "x"}).status_code == 403
    for action in ("mute", "unmute", "delete"):
        r = c.post("/dashboard/alerts/rules/csat-low", data={"action": action})
        assert r.status_code == 403
    sign_in(c, "lead")
    assert [x["name"] for x in c.get("/api/alerts/rules").json()] == ["csat-low"]


def test_bad_input_is_a_400_naming_the_field(c: TestClient) -> None:
    sign_in(c, "lead")
    unknown = c.post("/dashboard/alerts/rules", data={**FORM, "metric": "csatt"})
    assert unknown.status_code == 400 and "metric: unknown metric" in unknown.text
    assert "csatt" in unknown.text
    word = c.post("/dashboard/alerts/rules", data={**FORM, "threshold": "lots"})
    assert word.status_code == 400 and "threshold=" in word.text and "percent" in word.text
    window = c.post("/dashboard/alerts/rules", data={**FORM, "window": "a while"})
    assert window.status_code == 400 and "window=" in window.text
    filters = c.post("/dashboard/alerts/rules", data={**FORM, "filters": "channel"})
    assert filters.status_code == 400 and "filters:" in filters.text
    assert c.get("/api/alerts/rules").json() == []


def test_rules_from_deskmetrics_toml_are_shown_read_only_and_can_be_muted(tmp_path: Path) -> None:
    cfg = Settings.model_validate(
        {
            **UTC_9_TO_5,
            "alerts": {"rules": [{"name": "from-file", "metric": "csat", "below": 80}]},
        }
    )
    ws = build_workspace({}, cfg, path=str(tmp_path / "ws.duckdb"))
    accounts.set_user(ws, "lead", PASSWORD, "manager")
    c = TestClient(create_app(ws, cfg, secret="test-secret"))
    sign_in(c, "lead")
    row = rule_row(c.get("/dashboard/alerts").text, "from-file")
    assert "edited in deskmetrics.toml" in row and "Edit" not in row and "Delete" not in row
    assert c.get("/dashboard/alerts?edit=from-file").status_code == 404
    taken = c.post("/dashboard/alerts/rules", data={**FORM, "name": "from-file"})
    assert taken.status_code == 400 and "deskmetrics.toml" in taken.text
    refused = c.post("/dashboard/alerts/rules/from-file", data={"action": "delete"})
    assert refused.status_code == 400 and "deskmetrics.toml" in refused.text
    c.post("/dashboard/alerts/rules/from-file", data={"action": "mute", "hours": "1"})
    assert "muted until" in rule_row(c.get("/dashboard/alerts").text, "from-file")


def test_a_cross_site_form_post_is_refused(c: TestClient) -> None:
    sign_in(c, "lead")
    evil = {"Origin": "https://evil.example"}
    assert c.post("/dashboard/alerts/rules", data=FORM, headers=evil).status_code == 403
    assert c.get("/api/alerts/rules").json() == []
