"""Saved views: save the page in front of you under a name, open and share it by its link,
delete it (its owner or a manager), and have it e-mailed weekly with its filters. Hand-checked
on a tiny workspace: email tickets T1 (12 Jan) and T3 (14 Jan), chat T2 (13 Jan)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient

from conftest import UTC_9_TO_5, build_workspace, ticket
from deskmetrics import accounts
from deskmetrics.api import create_app
from deskmetrics.reports.weekly import DEFAULT_METRICS, build_report, run_due_reports
from deskmetrics.saved_views import get_view

QUERY = "from=2026-01-12&to=2026-01-18&dim=agent&channel=email&csv=by_agent"


@pytest.fixture
def app_ws():  # type: ignore[no-untyped-def]
    ws = build_workspace(
        {
            "tickets": [
                ticket("T1", "2026-01-12T10:00:00Z", channel="email"),
                ticket("T2", "2026-01-13T10:00:00Z", channel="chat"),
                ticket("T3", "2026-01-14T10:00:00Z", channel="email"),
            ]
        },
        {**UTC_9_TO_5, "web": {"public_url": "https://help.example.com"}},
    )
    for name, role in (("lead", "manager"), ("ana", "viewer"), ("ben", "viewer")):
        accounts.set_user(ws, name, "correct horse", role)
    return create_app(ws, secret="test-secret"), ws


def signed_in(app, name: str) -> TestClient:  # type: ignore[no-untyped-def]
    # the service's public address is https: its session cookie is sent over https only
    c = TestClient(app, base_url="https://testserver")
    r = c.post("/login", data={"name": name, "password": "correct horse"}, follow_redirects=False)
    assert r.status_code == 303
    return c


def test_save_open_and_share_a_view(app_ws) -> None:  # type: ignore[no-untyped-def]
    app, ws = app_ws
    ana = signed_in(app, "ana")
    # every page's filter bar offers to save it
    page = ana.get("/dashboard/breakdowns?from=2026-01-12&to=2026-01-18&dim=agent").text
    assert 'id="save-view"' in page and 'name="path" value="/dashboard/breakdowns"' in page
    form = {"name": "Email by agent", "path": "/dashboard/breakdowns", "query": QUERY}
    r = ana.post("/dashboard/views", data=form, follow_redirects=False)
    assert r.status_code == 303
    listing = ana.get("/dashboard/views").text
    assert (
        "Email by agent" in listing
        and "https://help.example.com/dashboard/v/Email%20by%20agent" in listing
    )
    # the shared link opens the page as saved (without the CSV request)
    r = ana.get("/dashboard/v/Email by agent", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == (
        "/dashboard/breakdowns?from=2026-01-12&to=2026-01-18&dim=agent&channel=email"
    )
    view = get_view(ws, "Email by agent")
    assert view is not None and view.filters() == {"channel": ["email"]}
    # refused: a page that is not the dashboard's (a link must not lead off the site), a bad name
    bad = ana.post("/dashboard/views", data={"name": "x", "path": "https://evil.example/"})
    assert bad.status_code == 400
    assert ana.post("/dashboard/views", data={"name": "", "path": "/dashboard"}).status_code in (
        400, 422,
    )  # fmt: skip
    assert ana.get("/dashboard/v/nope", follow_redirects=False).status_code == 404


def test_only_its_owner_or_a_manager_changes_a_view(app_ws) -> None:  # type: ignore[no-untyped-def]
    app, ws = app_ws
    ana, ben, lead = (signed_in(app, n) for n in ("ana", "ben", "lead"))
    ana.post("/dashboard/views", data={"name": "mine", "path": "/dashboard", "query": ""})
    assert ben.post("/dashboard/views/mine", data={"action": "delete"}).status_code == 403
    # nor can another viewer take the name over
    r = ben.post("/dashboard/views", data={"name": "mine", "path": "/dashboard/trends"})
    assert r.status_code == 403
    assert lead.post("/dashboard/views/mine", data={"action": "delete"}).status_code == 200
    assert get_view(ws, "mine") is None


def test_a_view_is_emailed_weekly_with_its_filters(app_ws) -> None:  # type: ignore[no-untyped-def]
    app, ws = app_ws
    ana = signed_in(app, "ana")
    ana.post("/dashboard/views", data={"name": "email", "path": "/dashboard", "query": QUERY})
    r = ana.post("/dashboard/views/email", data={"action": "schedule", "to": "lead@example.com",
                 "day": "mon", "hour": "8", "timezone": "UTC"})  # fmt: skip
    assert r.status_code == 200
    assert "Mon 08:00 UTC → lead@example.com" in ana.get("/dashboard/views").text
    bad = ana.post("/dashboard/views/email", data={"action": "schedule", "to": "nobody",
                   "day": "mon", "hour": "8"})  # fmt: skip
    assert bad.status_code == 400 and "recipients" in bad.text
    # Monday 19 Jan 08:30 UTC: the view's report of 12–18 Jan is due, once
    from conftest import settings

    s = settings({**UTC_9_TO_5, "web": {"public_url": "https://help.example.com"}})
    ids = run_due_reports(ws, s, now=datetime(2026, 1, 19, 8, 30))
    assert len(ids) == 1
    assert run_due_reports(ws, s, now=datetime(2026, 1, 19, 9, 30)) == []
    # its numbers are the view's: email only → 2 tickets (3 for everyone)
    view = get_view(ws, "email")
    rep = build_report(ws, None, date(2026, 1, 12), DEFAULT_METRICS, "UTC", view, "L")
    assert rep.rows.set_index("metric").loc["volume", "value"] == 2
    every = build_report(ws, None, date(2026, 1, 12), DEFAULT_METRICS, "UTC")
    assert every.rows.set_index("metric").loc["volume", "value"] == 3
    assert "view email" in rep.subject and "The view: L" in rep.text
