"""Signed, expiring survey links: the token, the CLI command and POST /api/survey-links."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from conftest import build_workspace, ticket
from deskmetrics import accounts
from deskmetrics.api import create_app
from deskmetrics.cli import app as cli_app
from deskmetrics.surveys import (
    ExpiredLink,
    InvalidLink,
    LinkError,
    UnknownTicket,
    make_link,
    make_token,
    read_token,
)
from deskmetrics.surveys.links import link_url

SECRET = "test-secret"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_a_token_names_ticket_kind_and_expiry() -> None:
    token, link = make_token(SECRET, "T1", "nps", days=3, now=NOW)
    back = read_token(SECRET, token, now=NOW + timedelta(days=2, hours=23))
    assert (back.ticket_id, back.kind) == ("T1", "nps")
    # 2 March 12:00 + 3 days = 5 March 12:00 UTC
    assert back.expires_at == datetime(2026, 3, 5, 12, 0, tzinfo=UTC) == link.expires_at
    assert link_url("https://help.example.com/", token) == f"https://help.example.com/s/{token}"
    # URL-safe: nothing to escape in a path segment
    assert all(c.isalnum() or c in "-_." for c in token)


def test_an_expired_token_is_refused() -> None:
    token, _ = make_token(SECRET, "T1", "csat", days=1, now=NOW)
    with pytest.raises(ExpiredLink, match="expired on 03 March 2026") as info:
        read_token(SECRET, token, now=NOW + timedelta(days=1))
    assert info.value.status == 410


def test_forged_and_tampered_tokens_are_refused() -> None:
    token, _ = make_token(SECRET, "T1", "csat", days=1, now=NOW)
    # signed with another key
    forged, _ = make_token("another-secret", "T1", "csat", days=1, now=NOW)
    with pytest.raises(InvalidLink):
        read_token(SECRET, forged, now=NOW)
    # one character of the signature changed
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    with pytest.raises(InvalidLink):
        read_token(SECRET, flipped, now=NOW)
    # the payload rewritten to another ticket and a later expiry, old signature kept
    payload, sig = token.split(".")
    evil = base64.urlsafe_b64encode(b'["T2","csat",4102444800]').decode().rstrip("=")
    with pytest.raises(InvalidLink):
        read_token(SECRET, f"{evil}.{sig}", now=NOW)
    for junk in ("", "abc", "a.b", token[:-5]):
        with pytest.raises(InvalidLink):
            read_token(SECRET, junk, now=NOW)
    assert payload  # the untouched token still reads
    assert read_token(SECRET, token, now=NOW).ticket_id == "T1"


def test_a_session_cookie_signature_is_no_survey_link() -> None:
    # the same secret signs sessions; the salt keeps the two uses apart
    from itsdangerous import URLSafeSerializer

    other_use = URLSafeSerializer(SECRET).dumps(["T1", "csat", 4102444800])
    with pytest.raises(InvalidLink):
        read_token(SECRET, other_use, now=NOW)


def test_bad_requests_for_a_link_say_what_is_wrong() -> None:
    with pytest.raises(LinkError, match="unknown survey kind 'stars'"):
        make_token(SECRET, "T1", "stars")
    with pytest.raises(LinkError, match="--days is 0"):
        make_token(SECRET, "T1", "csat", days=0)
    ws = build_workspace({"tickets": [ticket("T1", "2026-03-01T10:00:00Z")]})
    with pytest.raises(UnknownTicket, match="no ticket 'T9'"):
        make_link(ws, SECRET, "http://x", "T9", "csat")


def test_a_link_can_count_as_a_sent_request(tmp_path: Path) -> None:
    ws = build_workspace({"tickets": [ticket("T1", "2026-03-01T10:00:00Z", "c7")]})
    made = make_link(ws, SECRET, "http://x", "T1", "csat", now=NOW, record_as_sent=True)
    rows = ws.backend.con.execute(
        "SELECT request_id, kind, sent_at, customer_id, ticket_id FROM survey_requests"
    ).fetchall()
    assert rows == [("link-csat-T1", "csat", datetime(2026, 3, 2, 12, 0), "c7", "T1")]
    assert made.request_id == "link-csat-T1"
    # a second link for the same ticket keeps the first sending: one request per ticket and kind
    make_link(
        ws, SECRET, "http://x", "T1", "csat", now=NOW + timedelta(days=1), record_as_sent=True
    )
    assert ws.backend.con.execute("SELECT count(*) FROM survey_requests").fetchone() == (1,)


def test_cli_prints_a_working_link(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "ws.duckdb"
    ws = build_workspace({"tickets": [ticket("T1", "2026-03-01T10:00:00Z")]}, path=str(db))
    ws.backend.disconnect()
    monkeypatch.setenv("DESKMETRICS_SECRET", SECRET)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    r = runner.invoke(
        cli_app, ["--db", str(db), "survey-link", "--ticket", "T1", "--kind", "ces", "--days", "2"]
    )
    assert r.exit_code == 0, r.output
    url = r.stdout.strip().splitlines()[0]
    assert url.startswith("http://127.0.0.1:8000/s/")
    link = read_token(SECRET, url.rsplit("/", 1)[1])
    assert (link.ticket_id, link.kind) == ("T1", "ces")
    assert timedelta(days=1, hours=23) < link.expires_at - datetime.now(UTC) <= timedelta(days=2)
    bad = runner.invoke(cli_app, ["--db", str(db), "survey-link", "--ticket", "nope"])
    assert bad.exit_code == 2 and "no ticket 'nope'" in bad.output


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    ws = build_workspace(
        {"tickets": [ticket("T1", "2026-03-01T10:00:00Z", "c1")]}, path=str(tmp_path / "w.duckdb")
    )
    accounts.set_user(ws, "lead", "correct horse", "manager")
    accounts.set_user(ws, "vic", "correct horse", "viewer")
    ws.settings.web.public_url = "https://help.example.com"
    # an https public address makes the session cookie https-only
    return TestClient(create_app(ws, secret=SECRET), base_url="https://testserver")


def test_api_makes_links_for_managers_only(client: TestClient) -> None:
    body = {"ticket_id": "T1", "kind": "nps", "days": 5}
    assert client.post("/api/survey-links", json=body).status_code == 401
    client.post("/api/session", json={"name": "vic", "password": "correct horse"})
    assert client.post("/api/survey-links", json=body).status_code == 403
    client.post("/api/session", json={"name": "lead", "password": "correct horse"})
    r = client.post("/api/survey-links", json=body)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["url"] == f"https://help.example.com/s/{out['token']}"
    assert (out["ticket_id"], out["kind"], out["request_id"]) == ("T1", "nps", None)
    link = read_token(SECRET, out["token"])
    assert link.kind == "nps"
    # and the link opens the page
    assert client.get(f"/s/{out['token']}").status_code == 200


def test_api_names_what_is_wrong(client: TestClient) -> None:
    client.post("/api/session", json={"name": "lead", "password": "correct horse"})
    r = client.post("/api/survey-links", json={"ticket_id": "T404", "kind": "csat"})
    assert r.status_code == 404 and "no ticket 'T404'" in r.json()["detail"]
    r = client.post("/api/survey-links", json={"ticket_id": "T1", "kind": "stars"})
    assert r.status_code == 422 and "kind" in r.text
    r = client.post("/api/survey-links", json={"ticket_id": "T1", "days": 0})
    assert r.status_code == 422 and "days" in r.text
    r = client.post("/api/survey-links", json={"ticket_id": "T1", "record_request": True})
    assert r.status_code == 201 and r.json()["request_id"] == "link-csat-T1"
