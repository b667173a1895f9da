"""Live ingestion: signatures, roles, validation like the importer, all or nothing,
idempotency, and numbers that move in the very next request.

Starting data (UTC; 2026-03-02 is a Monday):
  T1 email created 09:00, customer message 09:00, agent reply 09:30 → first response 30 min
  T2 email created 10:00, not answered yet
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from conftest import UTC_9_TO_5, build_workspace, msg, ticket
from deskmetrics import accounts
from deskmetrics.api import create_app
from deskmetrics.api.ingest import IngestReport, sign, signed_headers

SECRET = "crm-shared-secret"


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.delenv("UNSET_SECRET_VAR", raising=False)
    config = {
        **UTC_9_TO_5,
        "web": {
            "sources": {
                "crm": {"secret": SECRET},
                "nosecret": {"secret_env": "UNSET_SECRET_VAR"},
            }
        },
    }
    ws = build_workspace(
        {
            "tickets": [
                ticket("T1", "2026-03-02T09:00:00Z", channel="email"),
                ticket("T2", "2026-03-02T10:00:00Z", "c2", channel="email"),
            ],
            "events": [
                msg("E1", "T1", "2026-03-02T09:00:00Z", "customer"),
                msg("E2", "T1", "2026-03-02T09:30:00Z", "agent", "a1"),
            ],
        },
        config,
    )
    return TestClient(create_app(ws, secret="test-secret"))


def post(
    c: TestClient,
    table: str,
    rows: Any,
    secret: str = SECRET,
    source: str = "crm",
    token: str | None = None,
) -> Any:
    body = json.dumps(rows).encode()
    headers = signed_headers(source, secret, body)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return c.post(f"/api/{table}", content=body, headers=headers)


def count(c: TestClient, table: str) -> int:
    with c.app.state.service.using() as ws:  # type: ignore[attr-defined]
        return int(ws.backend.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def token(c: TestClient, role: str) -> str:
    with c.app.state.service.using() as ws:  # type: ignore[attr-defined]
        return accounts.create_token(ws, f"{role}-bot", role)


def frt(c: TestClient, **params: str) -> dict[str, Any]:
    r = c.get(
        "/api/report",
        params={"metric": "first_response_time", **params},
        headers={"Authorization": f"Bearer {token(c, 'viewer')}"},
    )
    assert r.status_code == 200, r.text
    rows: list[dict[str, Any]] = r.json()
    assert len(rows) == 1
    return rows[0]


REPLY_T2 = msg("E3", "T2", "2026-03-02T11:30:00Z", "agent", "a1")


def test_a_signed_post_is_stored_and_counts_in_the_next_request(client: TestClient) -> None:
    before = frt(client)
    assert before["value"] == 30.0 and before["n"] == 1  # only T1 answered
    r = post(client, "events", [REPLY_T2])
    assert r.status_code == 200, r.text
    assert r.json() | {"import_id": None} == {
        "source": "crm",
        "table": "events",
        "received": 1,
        "inserted": 1,
        "updated": 0,
        "unchanged": 0,
        "duplicate": 0,
        "import_id": None,
    }
    after = frt(client)
    # T1: 30 min; T2: 10:00 → 11:30 = 90 min; mean (30 + 90) / 2 = 60
    assert after["value"] == 60.0 and after["n"] == 2


def test_new_tickets_with_their_events_in_a_new_week(client: TestClient) -> None:
    """Data outside the range seen so far (a later week) is measured at once: the business
    calendar and data range are not stale."""
    assert post(client, "tickets", [ticket("T9", "2026-04-06T09:00:00Z", "c9")]).status_code == 200
    r = post(
        client,
        "events",
        {
            "rows": [
                msg("E90", "T9", "2026-04-06T09:00:00Z", "customer"),
                msg("E91", "T9", "2026-04-06T13:00:00Z", "agent", "a2"),
            ]
        },
    )
    assert r.status_code == 200, r.text
    row = frt(client, **{"from": "2026-04-06", "to": "2026-04-12", "tz": "UTC"})
    # 09:00 → 13:00 = 240 minutes
    assert row["value"] == 240.0 and row["n"] == 1
    biz = client.get(
        "/api/report",
        params={"metric": "first_response_time_business", "from": "2026-04-06"},
        headers={"Authorization": f"Bearer {token(client, 'viewer')}"},
    ).json()[0]
    # Monday 09:00–13:00 lies inside business hours (09–17): 240 business minutes
    assert biz["value"] == 240.0


def test_reposting_changes_nothing(client: TestClient) -> None:
    assert post(client, "events", [REPLY_T2]).json()["inserted"] == 1
    again = post(client, "events", [REPLY_T2])
    assert again.status_code == 200
    assert again.json()["inserted"] == 0 and again.json()["unchanged"] == 1
    assert count(client, "events") == 3
    assert frt(client)["n"] == 2


def test_a_ticket_reposted_with_news_updates_its_current_state(client: TestClient) -> None:
    t = ticket("T2", "2026-03-02T10:00:00Z", "c2", channel="email", assignee_id="a7")
    r = post(client, "tickets", [t])
    assert r.json()["updated"] == 1 and count(client, "tickets") == 2
    with client.app.state.service.using() as ws:  # type: ignore[attr-defined]
        got = ws.backend.con.execute("SELECT assignee_id FROM tickets WHERE ticket_id='T2'")
        assert got.fetchone()[0] == "a7"


def test_a_stored_event_never_changes(client: TestClient) -> None:
    changed = {**msg("E2", "T1", "2026-03-02T09:45:00Z", "agent", "a1")}
    r = post(client, "events", [changed])
    assert r.status_code == 422
    problem = r.json()["detail"][0]
    assert problem["row"] == 0 and problem["field"] == "event_id"
    assert "never change once stored" in problem["msg"]
    assert frt(client)["value"] == 30.0


def test_bad_rows_are_named_and_nothing_is_written(client: TestClient) -> None:
    rows = [
        REPLY_T2,  # fine on its own
        {**msg("E4", "T2", "yesterday", "agent"), "author_role": "robot"},
        {"event_id": "E5", "ticket_id": "T2", "at": "2026-03-02T12:00:00Z", "type": "message"},
    ]
    r = post(client, "events", rows)
    assert r.status_code == 422
    found = {(p["row"], p["field"]): p["msg"] for p in r.json()["detail"]}
    assert "not an ISO 8601 timestamp" in found[(1, "at")]
    assert "unknown author_role" in found[(1, "author_role")]
    assert "a message needs author_role" in found[(2, "author_role")]
    assert all(p["loc"][:2] == ["body", p["row"]] for p in r.json()["detail"])
    # all or nothing: the good row 0 was not stored either
    assert count(client, "events") == 2
    assert frt(client)["n"] == 1


def test_an_event_of_an_unknown_ticket_rejects_the_whole_batch(client: TestClient) -> None:
    r = post(client, "events", [REPLY_T2, msg("E8", "T404", "2026-03-02T12:00:00Z", "agent")])
    assert r.status_code == 422
    (problem,) = r.json()["detail"]
    assert problem["row"] == 1 and problem["field"] == "ticket_id"
    assert "names no row of tickets" in problem["msg"]
    assert count(client, "events") == 2


def test_a_schedule_event_is_stored_and_one_without_schedule_id_is_named(
    client: TestClient,
) -> None:
    """What the Zendesk webhook cannot bring (a schedule a trigger applied, when the account
    does not deliver schedule_changed) is posted as a canonical schedule event."""
    row = {"event_id": "S1", "ticket_id": "T1", "at": "2026-03-02T09:10:00Z", "type": "schedule"}
    r = post(client, "events", [{**row, "schedule_id": "eu-hours"}])
    assert r.status_code == 200, r.text
    with client.app.state.service.using() as ws:  # type: ignore[attr-defined]
        stored = ws.backend.con.execute(
            "SELECT event_id, type, schedule_id FROM events WHERE event_id = 'S1'"
        ).fetchall()
    assert stored == [("S1", "schedule", "eu-hours")]
    r = post(client, "events", [{**row, "event_id": "S2"}])
    assert r.status_code == 422
    (problem,) = r.json()["detail"]
    assert problem["row"] == 0 and problem["field"] == "schedule_id"
    assert "a schedule event needs the schedule_id" in problem["msg"]
    assert count(client, "events") == 3  # E1, E2 and S1: S2 was not stored


def test_rows_must_be_objects_of_plain_values(client: TestClient) -> None:
    r = post(client, "events", [REPLY_T2, ["not", "an", "object"], {"event_id": {"a": 1}}])
    assert r.status_code == 422
    rows = {(p["row"], p["field"]) for p in r.json()["detail"]}
    assert rows == {(1, ""), (2, "event_id")}
    assert post(client, "events", {"events": []}).status_code == 400
    body = b"{not json"
    bad = client.post(
        "/api/events",
        content=body,
        headers=signed_headers("crm", SECRET, body),
    )
    assert bad.status_code == 400 and "not JSON" in bad.json()["detail"]


def test_surveys_move_csat(client: TestClient) -> None:
    answers = [
        {"response_id": f"R{i}", "kind": "csat", "scale": "1-5", "score": s,
         "answered_at": "2026-03-02T12:00:00Z", "ticket_id": "T1"}
        for i, s in enumerate([5, 4, 2])
    ]  # fmt: skip
    assert post(client, "surveys", answers).json()["inserted"] == 3
    row = client.get(
        "/api/report",
        params={"metric": "csat"},
        headers={"Authorization": f"Bearer {token(client, 'viewer')}"},
    ).json()[0]
    # satisfied on 1-5 is 4 or 5: 2 of 3 answers → 66.67 %
    assert row["n"] == 3 and row["value"] == pytest.approx(200 / 3)


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"secret": "guessed"}, "does not match"),
        ({"source": "unknown"}, "unknown source"),
        ({"source": "nosecret"}, "no secret configured"),
    ],
)
def test_forged_or_unknown_signatures_are_401(
    client: TestClient, kwargs: dict[str, str], says: str
) -> None:
    r = post(client, "events", [REPLY_T2], **kwargs)
    assert r.status_code == 401 and says in r.json()["detail"]
    assert count(client, "events") == 2


def test_missing_signature_is_401_even_for_a_manager(client: TestClient) -> None:
    body = json.dumps([REPLY_T2]).encode()
    assert client.post("/api/events", content=body).status_code == 401
    r = client.post(
        "/api/events",
        content=body,
        headers={
            "X-Deskmetrics-Source": "crm",
            "Authorization": f"Bearer {token(client, 'manager')}",
        },
    )
    assert r.status_code == 401
    # a signature over other bytes does not cover this body
    r = client.post(
        "/api/events",
        content=body,
        headers={
            **signed_headers("crm", SECRET, body),
            "X-Deskmetrics-Signature": sign(SECRET, b"[]", int(time.time())),
        },
    )
    assert r.status_code == 401
    assert count(client, "events") == 2


def test_a_viewer_never_ingests(client: TestClient) -> None:
    r = post(client, "events", [REPLY_T2], token=token(client, "viewer"))
    assert r.status_code == 403
    assert count(client, "events") == 2
    ok = post(client, "events", [REPLY_T2], token=token(client, "manager"))
    assert ok.status_code == 200


def test_after_ingest_callbacks_run_and_cannot_break_the_ingest(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[IngestReport] = []
    pinged: list[bool] = []

    def broken(report: IngestReport) -> None:
        raise RuntimeError("alert rule crashed")

    client.app.state.after_ingest = [broken, seen.append, lambda: pinged.append(True)]  # type: ignore[attr-defined]
    with caplog.at_level(logging.ERROR, logger="deskmetrics.ingest"):
        r = post(client, "events", [REPLY_T2])
    assert r.status_code == 200
    assert len(seen) == 1 and seen[0].tables["events"]["inserted"] == 1 and seen[0].changed
    assert pinged == [True]
    assert "alert rule crashed" in caplog.text
    # a failed ingest calls nothing
    post(client, "events", [msg("E9", "T404", "2026-03-02T12:00:00Z", "agent")])
    assert len(seen) == 1


def test_after_ingest_list_is_created_when_missing(client: TestClient) -> None:
    assert post(client, "events", [REPLY_T2]).status_code == 200
    assert isinstance(client.app.state.after_ingest, list)  # type: ignore[attr-defined]


# --- timestamped signatures: no replay --------------------------------------------------


def test_a_delivery_signed_ten_minutes_ago_is_refused(client: TestClient) -> None:
    body = json.dumps([REPLY_T2]).encode()
    r = client.post(
        "/api/events", content=body, headers=signed_headers("crm", SECRET, body, time.time() - 600)
    )
    assert r.status_code == 401
    detail = r.json()["detail"]
    assert detail.startswith("the delivery was signed 60")  # 600 or 601 s ago
    assert "s ago, more than the 300 s allowed ([web] signature_tolerance_seconds)" in detail
    assert count(client, "events") == 2


def test_a_delivery_signed_in_the_future_is_refused(client: TestClient) -> None:
    body = json.dumps([REPLY_T2]).encode()
    r = client.post(
        "/api/events", content=body, headers=signed_headers("crm", SECRET, body, time.time() + 600)
    )
    assert r.status_code == 401 and "s in the future, more than the 300 s" in r.json()["detail"]
    assert count(client, "events") == 2


def test_the_old_body_only_signature_is_refused_with_the_new_scheme_named(
    client: TestClient,
) -> None:
    body = json.dumps([REPLY_T2]).encode()
    old = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    r = client.post(
        "/api/events",
        content=body,
        headers={"X-Deskmetrics-Source": "crm", "X-Deskmetrics-Signature": old},
    )
    assert r.status_code == 401
    assert r.json()["detail"] == (
        "X-Deskmetrics-Timestamp is missing: a signature of the body alone is no longer accepted "
        "(it could be replayed); send X-Deskmetrics-Timestamp: <unix seconds now> and "
        'X-Deskmetrics-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" under the '
        "source's secret>"
    )
    assert count(client, "events") == 2


def test_a_refreshed_timestamp_does_not_match_the_old_signature(client: TestClient) -> None:
    """A captured delivery cannot be made fresh: the timestamp is signed with the body."""
    body = json.dumps([REPLY_T2]).encode()
    captured = signed_headers("crm", SECRET, body, time.time() - 600)
    forged = {**captured, "X-Deskmetrics-Timestamp": str(int(time.time()))}
    r = client.post("/api/events", content=body, headers=forged)
    assert r.status_code == 401 and "does not match the timestamp and body" in r.json()["detail"]
    bad = {**captured, "X-Deskmetrics-Timestamp": "2026-03-02T10:00:00Z"}
    r = client.post("/api/events", content=body, headers=bad)
    assert r.status_code == 401
    assert r.json()["detail"] == "X-Deskmetrics-Timestamp must be unix seconds, e.g. 1767225600"
    assert count(client, "events") == 2


def test_the_tolerance_is_configurable() -> None:
    config = {**UTC_9_TO_5, "web": {"sources": {"crm": {"secret": SECRET}}}}
    strict = TestClient(
        create_app(
            build_workspace(
                {"tickets": [ticket("T2", "2026-03-02T10:00:00Z", "c2")]},
                {**config, "web": {**config["web"], "signature_tolerance_seconds": 30}},
            ),
            secret="test-secret",
        )
    )
    body = json.dumps([REPLY_T2]).encode()
    minute_ago = signed_headers("crm", SECRET, body, time.time() - 60)
    r = strict.post("/api/events", content=body, headers=minute_ago)
    assert r.status_code == 401 and "more than the 30 s allowed" in r.json()["detail"]
    fresh = signed_headers("crm", SECRET, body, time.time() - 5)
    assert strict.post("/api/events", content=body, headers=fresh).status_code == 200


def test_the_same_delivery_twice_within_the_tolerance_stores_it_once(client: TestClient) -> None:
    """Replay inside the window is harmless: the store is idempotent by id."""
    body = json.dumps([REPLY_T2]).encode()
    headers = signed_headers("crm", SECRET, body)
    first = client.post("/api/events", content=body, headers=headers)
    again = client.post("/api/events", content=body, headers=headers)
    assert (first.json()["inserted"], again.json()["inserted"]) == (1, 0)
    assert again.json()["unchanged"] == 1 and count(client, "events") == 3


def priority_of(c: TestClient, ticket_id: str) -> str:
    with c.app.state.service.using() as ws:  # type: ignore[attr-defined]
        got = ws.backend.con.execute(
            "SELECT priority FROM tickets WHERE ticket_id = ?", [ticket_id]
        ).fetchone()
    return str(got[0])


T2_NORMAL = {
    **ticket("T2", "2026-03-02T10:00:00Z", "c2", channel="email"),
    "priority": "normal",
    "updated_at": "2026-03-02T10:00:00Z",
}
T2_URGENT = {**T2_NORMAL, "priority": "urgent", "updated_at": "2026-03-02T10:05:00Z"}


def test_a_captured_delivery_replayed_later_is_refused(client: TestClient) -> None:
    """The issue's story: T2 was normal at 10:00 and became urgent at 10:05; re-posting the
    10:00 delivery as captured (its signature, its timestamp) is refused and changes nothing."""
    normal = json.dumps([T2_NORMAL]).encode()
    captured = signed_headers("crm", SECRET, normal, time.time() - 400)
    assert post(client, "tickets", [T2_URGENT]).status_code == 200
    replay = client.post("/api/tickets", content=normal, headers=captured)
    assert replay.status_code == 401 and "s ago, more than the 300 s" in replay.json()["detail"]
    assert priority_of(client, "T2") == "urgent"


def test_an_older_ticket_version_never_rolls_a_newer_one_back(client: TestClient) -> None:
    """The same 10:00 version sent again, freshly signed (a late retry of the sender), does not
    win over the 10:05 one either: updated_at decides, not the order of arrival."""
    assert post(client, "tickets", [T2_URGENT]).status_code == 200
    resent = post(client, "tickets", [T2_NORMAL])
    assert resent.status_code == 200
    assert priority_of(client, "T2") == "urgent"


# --- the documented examples work ------------------------------------------------------

DOC = Path(__file__).resolve().parents[1] / "docs" / "ingest.md"


def _snippet(lang: str) -> str:
    (code,) = re.findall(rf"```{lang}\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    return str(code)


def test_the_documented_python_example_is_accepted(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_INGEST_SECRET", SECRET)
    answers: list[Any] = []

    def through_client(url: str, content: bytes, headers: dict[str, str]) -> Any:
        answers.append(client.post(url.split("8000", 1)[1], content=content, headers=headers))
        return answers[-1]

    monkeypatch.setattr(httpx, "post", through_client)
    exec(_snippet("python"), {"rows": [REPLY_T2]})
    assert [a.status_code for a in answers] == [200], answers[0].text
    assert answers[0].json()["inserted"] == 1 and count(client, "events") == 3


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")
def test_the_documented_shell_recipe_computes_our_signature() -> None:
    recipe = _snippet("bash").split("curl", 1)[0]  # BODY, TS and SIG, without posting
    out = subprocess.run(
        ["bash", "-c", recipe + 'printf "%s\\n%s\\n%s" "$TS" "$SIG" "$BODY"'],
        env={**os.environ, "CRM_INGEST_SECRET": SECRET},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    ts, sig, body = out.split("\n", 2)
    assert f"sha256={sig}" == sign(SECRET, body.encode(), ts)


def test_identical_copies_in_one_post_are_counted_so_every_row_adds_up(client: TestClient) -> None:
    """received = inserted + updated + unchanged + duplicate: the second copy of the reply was
    stored once and counted, not lost from the answer."""
    body = json.dumps([REPLY_T2, REPLY_T2]).encode()
    got = client.post("/api/events", content=body, headers=signed_headers("crm", SECRET, body))
    assert got.status_code == 200
    counts = {k: got.json()[k] for k in ("received", "inserted", "updated", "unchanged")}
    assert (counts, got.json()["duplicate"]) == (
        {"received": 2, "inserted": 1, "updated": 0, "unchanged": 0},
        1,
    )
    assert count(client, "events") == 3
