"""Alert rules and history over HTTP: roles, validation, the page, the background scheduler."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from conftest import settings
from deskmetrics import accounts
from deskmetrics.api import create_app
from deskmetrics.engine import open_duckdb


def client(tmp_path: Path) -> TestClient:
    cfg = settings()
    cfg.alerts.rules = []
    ws = open_duckdb(tmp_path / "ws.duckdb", cfg)
    accounts.set_user(ws, "lead", "correct horse", "manager")
    accounts.set_user(ws, "agent", "correct horse", "viewer")
    return TestClient(create_app(ws, cfg, secret="test-secret"))


def sign_in(c: TestClient, name: str) -> None:
    assert (
        c.post("/api/session", json={"name": name, "password": "correct horse"}).status_code == 200
    )


RULE = {"name": "csat-low", "metric": "csat", "below": 85, "by": ["team"], "window_hours": 168}


def test_rules_need_a_manager_and_are_validated(tmp_path: Path) -> None:
    c = client(tmp_path)
    assert c.get("/api/alerts/rules").status_code == 401
    sign_in(c, "agent")
    assert c.post("/api/alerts/rules", json=RULE).status_code == 403
    assert c.get("/api/alerts/history").status_code == 200  # viewers read the history
    sign_in(c, "lead")
    r = c.post("/api/alerts/rules", json=RULE)
    assert r.status_code == 201 and r.json()["source"] == "api"
    assert [x["name"] for x in c.get("/api/alerts/rules").json()] == ["csat-low"]
    bad = c.post("/api/alerts/rules", json={**RULE, "name": "x", "metric": "csatt"})
    assert bad.status_code == 422 and "csatt" in bad.json()["detail"]
    both = c.post("/api/alerts/rules", json={**RULE, "name": "y", "above": 3})
    assert both.status_code == 422 and "exactly one of above or below" in both.json()["detail"]
    assert c.delete("/api/alerts/rules/csat-low").status_code == 204
    assert c.delete("/api/alerts/rules/csat-low").status_code == 404
    assert c.get("/api/alerts/rules").json() == []


def test_evaluate_history_and_page(tmp_path: Path) -> None:
    c = client(tmp_path)
    sign_in(c, "lead")
    c.post("/api/alerts/rules", json={**RULE, "min_n": 0})
    r = c.post("/api/alerts/evaluate")
    assert r.status_code == 200 and r.json()["errors"] == {}
    assert c.get("/api/alerts/history").json() == []  # no surveys: nothing to judge
    page = c.get("/dashboard/alerts")
    assert page.status_code == 200 and "csat-low" in page.text and "Nothing is firing" in page.text


def test_the_service_runs_the_scheduler_and_wakes_it_after_ingest(tmp_path: Path) -> None:
    c = client(tmp_path)
    with c:  # the lifespan starts the scheduler and the delivery worker
        app = c.app
        scheduler = app.state.scheduler  # type: ignore[attr-defined]
        assert scheduler.wake in app.state.after_ingest  # type: ignore[attr-defined]
        assert scheduler._thread.is_alive() and scheduler.delivery._thread.is_alive()
    assert not scheduler._thread.is_alive()


def test_the_e_mails_link_opens_the_alerts_page(tmp_path: Path) -> None:
    """Alert e-mails link to the alerts page (they linked to /alerts, a 404)."""
    from deskmetrics.alerts.evaluate import ALERTS_PAGE
    from deskmetrics.web import NAV

    assert next(p.path for p in NAV if p.key == "alerts") == ALERTS_PAGE
    c = client(tmp_path)
    sign_in(c, "agent")
    assert c.get(ALERTS_PAGE).status_code == 200
