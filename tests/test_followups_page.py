"""Follow-ups in the web: every survey answer of the scope with its own filters, and for the
answers a team follows up (detractors, dissatisfied CSAT) who has it, done with a note, reopen.
Hand-checked on a tiny workspace: R1 CSAT 5 (satisfied), R2 CSAT 2 "too slow" (follow-up),
R3 NPS 3 (detractor: follow-up), R4 NPS 10 "great" (promoter)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import UTC_9_TO_5, build_workspace, ticket
from deskmetrics import accounts
from deskmetrics.api import create_app
from deskmetrics.engine.surveys import followups

WEEK = "from=2026-01-12&to=2026-01-18"


def answer(
    rid: str, kind: str, score: str, tid: str, day: int, comment: str | None = None
) -> dict[str, Any]:
    scale = "1-5" if kind == "csat" else "0-10"
    return {"response_id": rid, "kind": kind, "scale": scale, "score": score, "ticket_id": tid,
            "answered_at": f"2026-01-{day:02d}T09:00:00Z", "comment": comment}  # fmt: skip


@pytest.fixture
def app_ws():  # type: ignore[no-untyped-def]
    ws = build_workspace(
        {
            "tickets": [
                ticket("T1", "2026-01-12T10:00:00Z", channel="email", assignee_id="A1"),
                ticket("T2", "2026-01-13T10:00:00Z", channel="chat", assignee_id="A2"),
            ],
            "surveys": [
                answer("R1", "csat", "5", "T1", 14, "quick and kind"),
                answer("R2", "csat", "2", "T2", 15, "too slow"),
                answer("R3", "nps", "3", "T1", 16),
                answer("R4", "nps", "10", "T2", 17, "great"),
            ],
            "agents": [{"agent_id": "A1", "name": "Ana Lima"}, {"agent_id": "A2", "name": "Ben"}],
        },
        UTC_9_TO_5,
    )
    accounts.set_user(ws, "lead", "correct horse", "manager")
    accounts.set_user(ws, "agent", "correct horse", "viewer")
    return create_app(ws, secret="test-secret"), ws


def signed_in(app: Any, name: str) -> TestClient:
    c = TestClient(app)
    r = c.post("/login", data={"name": name, "password": "correct horse"}, follow_redirects=False)
    assert r.status_code == 303
    return c


def rows(c: TestClient, query: str) -> list[dict[str, str]]:
    text = c.get(f"/dashboard/followups?{WEEK}&{query}&csv=answers").text
    return list(csv.DictReader(io.StringIO(text)))


def test_the_answers_list_filters_by_state_survey_score_and_comment(app_ws) -> None:  # type: ignore[no-untyped-def]
    c = signed_in(app_ws[0], "lead")
    # default: the follow-ups (R2, R3), oldest first, both open
    got = rows(c, "")
    assert [(r["response_id"], r["state"]) for r in got] == [("R2", "open"), ("R3", "open")]
    assert {r["response_id"] for r in rows(c, "state=all")} == {"R1", "R2", "R3", "R4"}
    assert [r["response_id"] for r in rows(c, "state=all&kind=nps")] == ["R3", "R4"]
    assert [r["response_id"] for r in rows(c, "state=all&kind=nps&score_min=9")] == ["R4"]
    assert [r["response_id"] for r in rows(c, "state=all&score_max=2")] == ["R2"]
    assert [r["response_id"] for r in rows(c, "state=all&q=SLOW")] == ["R2"]
    # the dashboard's filters apply: channel chat → R2 and R4 (about T2)
    assert {r["response_id"] for r in rows(c, "state=all&channel=chat")} == {"R2", "R4"}
    # agents by name
    assert {r["response_id"]: r["agent_name"] for r in rows(c, "state=all")}["R2"] == "Ben"
    assert c.get(f"/dashboard/followups?{WEEK}&state=later").status_code == 400
    assert c.get(f"/dashboard/followups?{WEEK}&score_min=low").status_code == 400


def test_a_manager_assigns_marks_done_with_a_note_and_reopens(app_ws) -> None:  # type: ignore[no-untyped-def]
    app, ws = app_ws
    c = signed_in(app, "lead")
    back = f"/dashboard/followups?{WEEK}"
    r = c.post("/dashboard/followups/R2", data={"action": "assign", "assignee": "agent",
               "back": back}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == back
    got = {r["response_id"]: r for r in rows(c, "")}
    assert (got["R2"]["state"], got["R2"]["assignee"]) == ("assigned", "agent")
    assert [r["response_id"] for r in rows(c, "state=open")] == ["R3"]
    c.post("/dashboard/followups/R2", data={"action": "done", "note": "called, refunded"})
    got = {r["response_id"]: r for r in rows(c, "state=followup")}
    assert (got["R2"]["state"], got["R2"]["note"]) == ("done", "called, refunded")
    # the CLI's queue sees the same: R2 done, R3 still open
    assert list(followups(ws)["response_id"]) == ["R3"]
    c.post("/dashboard/followups/R2", data={"action": "reopen"})
    assert [r["response_id"] for r in rows(c, "state=open")] == ["R3"]  # R2 assigned again
    assert {r["response_id"]: r["state"] for r in rows(c, "")}["R2"] == "assigned"
    # refused: an answer that is no follow-up, a name that is no user, an unknown action
    assert c.post("/dashboard/followups/R1", data={"action": "done"}).status_code == 400
    bad = c.post("/dashboard/followups/R3", data={"action": "assign", "assignee": "nobody"})
    assert bad.status_code == 400 and "no user" in bad.text
    assert c.post("/dashboard/followups/R3", data={"action": "delete"}).status_code == 400
    # a page that is not this site is never where the form sends you back
    r = c.post("/dashboard/followups/R3", data={"action": "done", "back": "//evil.example"},
               follow_redirects=False)  # fmt: skip
    assert r.headers["location"] == "/dashboard"


def test_a_viewer_reads_but_does_not_act(app_ws) -> None:  # type: ignore[no-untyped-def]
    c = signed_in(app_ws[0], "agent")
    html = c.get(f"/dashboard/followups?{WEEK}").text
    assert "too slow" in html and 'name="action"' not in html
    assert c.post("/dashboard/followups/R2", data={"action": "done"}).status_code == 403


def test_the_queue_is_one_click_from_the_surveys_page(app_ws) -> None:  # type: ignore[no-untyped-def]
    c = signed_in(app_ws[0], "lead")
    html = c.get(f"/dashboard/surveys?{WEEK}").text
    assert f'href="/dashboard/followups?{WEEK.replace("&", "&amp;")}&amp;state=open"' in html
