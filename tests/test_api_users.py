"""Users and API tokens managed over HTTP while the service runs (issue 12): admin only,
except changing one's own password with the current one; changes take effect at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from deskmetrics import accounts
from deskmetrics.api import create_app
from deskmetrics.engine import open_duckdb


@pytest.fixture
def app(tmp_path: Path):  # type: ignore[no-untyped-def]
    ws = open_duckdb(tmp_path / "ws.duckdb")
    accounts.set_user(ws, "boss", "boss password", "admin")
    accounts.set_user(ws, "lead", "lead password", "manager")
    return create_app(ws, secret="test-secret")


def _as(app, name: str, password: str) -> TestClient:  # type: ignore[no-untyped-def]
    c = TestClient(app)
    assert c.post("/api/session", json={"name": name, "password": password}).status_code == 200
    return c


def test_only_admins_manage_users_and_tokens(app) -> None:  # type: ignore[no-untyped-def]
    anonymous = TestClient(app)
    lead = _as(app, "lead", "lead password")
    for method, path, body in (
        ("GET", "/api/users", None),
        ("PUT", "/api/users/x", {"role": "viewer", "password": "12345678"}),
        ("DELETE", "/api/users/boss", None),
        ("DELETE", "/api/users/boss/sessions", None),
        ("GET", "/api/tokens", None),
        ("POST", "/api/tokens", {"name": "etl"}),
        ("DELETE", "/api/tokens/abc", None),
    ):
        assert anonymous.request(method, path, json=body).status_code == 401, path
        assert lead.request(method, path, json=body).status_code == 403, path


def test_admin_creates_updates_lists_and_removes_users(app) -> None:  # type: ignore[no-untyped-def]
    boss = _as(app, "boss", "boss password")
    r = boss.put("/api/users/agent", json={"role": "viewer", "password": "agent password"})
    assert (r.status_code, r.json()) == (201, {"name": "agent", "role": "viewer"})
    agent = _as(app, "agent", "agent password")
    # a role change alone keeps the password and the session
    r = boss.put("/api/users/agent", json={"role": "manager"})
    assert (r.status_code, r.json()) == (200, {"name": "agent", "role": "manager"})
    assert agent.get("/api/me").json()["role"] == "manager"
    assert boss.get("/api/users").json() == [
        {"name": "agent", "role": "manager"},
        {"name": "boss", "role": "admin"},
        {"name": "lead", "role": "manager"},
    ]
    # setting a password ends the user's sessions
    assert (
        boss.put("/api/users/agent", json={"role": "manager", "password": "new one!"}).status_code
        == 200
    )
    assert agent.get("/api/me").status_code == 401
    agent = _as(app, "agent", "new one!")
    assert boss.delete("/api/users/agent").status_code == 204
    assert agent.get("/api/me").status_code == 401
    assert boss.delete("/api/users/agent").status_code == 404


def test_bad_user_input_is_a_422_naming_the_fix(app) -> None:  # type: ignore[no-untyped-def]
    boss = _as(app, "boss", "boss password")
    r = boss.put("/api/users/newbie", json={"role": "viewer"})
    assert r.status_code == 422
    assert "needs a password" in r.json()["detail"]
    assert boss.put("/api/users/x", json={"password": "short"}).status_code == 422
    assert (
        boss.put("/api/users/x", json={"role": "owner", "password": "long enough"}).status_code
        == 422
    )
    assert boss.put("/api/users/%20", json={"password": "long enough"}).status_code == 422


def test_the_last_admin_can_be_neither_removed_nor_demoted(app) -> None:  # type: ignore[no-untyped-def]
    boss = _as(app, "boss", "boss password")
    r = boss.delete("/api/users/boss")
    assert r.status_code == 409
    assert "last admin" in r.json()["detail"]
    assert boss.put("/api/users/boss", json={"role": "manager"}).status_code == 409
    assert boss.put("/api/users/lead", json={"role": "admin"}).status_code == 200
    assert boss.put("/api/users/boss", json={"role": "manager"}).status_code == 200


def test_a_user_changes_their_own_password_with_the_current_one(app) -> None:  # type: ignore[no-untyped-def]
    lead = _as(app, "lead", "lead password")
    other = _as(app, "lead", "lead password")
    url = "/api/users/lead/password"
    assert lead.put(url, json={"password": "brand new pw"}).status_code == 422
    r = lead.put(url, json={"password": "brand new pw", "current_password": "not it at all"})
    assert r.status_code == 401
    r = lead.put(url, json={"password": "brand new pw", "current_password": "lead password"})
    assert r.status_code == 204
    # every session of the user ended, this one included
    assert lead.get("/api/me").status_code == 401
    assert other.get("/api/me").status_code == 401
    _as(app, "lead", "brand new pw")
    # nobody else's, unless admin
    lead = _as(app, "lead", "brand new pw")
    assert lead.put("/api/users/boss/password", json={"password": "taken over"}).status_code == 403


def test_an_admin_resets_a_password_and_signs_a_user_out(app) -> None:  # type: ignore[no-untyped-def]
    boss = _as(app, "boss", "boss password")
    lead = _as(app, "lead", "lead password")
    assert (
        boss.put("/api/users/lead/password", json={"password": "reset by boss"}).status_code == 204
    )
    assert lead.get("/api/me").status_code == 401
    assert boss.put("/api/users/ghost/password", json={"password": "whatever1"}).status_code == 404
    lead = _as(app, "lead", "reset by boss")
    assert boss.delete("/api/users/lead/sessions").status_code == 204
    assert lead.get("/api/me").status_code == 401
    assert boss.delete("/api/users/ghost/sessions").status_code == 404


def test_tokens_are_shown_once_listed_without_secrets_and_revoked_at_once(app) -> None:  # type: ignore[no-untyped-def]
    boss = _as(app, "boss", "boss password")
    r = boss.post("/api/tokens", json={"name": "etl", "role": "manager"})
    assert r.status_code == 201
    made = r.json()
    assert made["name"] == "etl" and made["role"] == "manager"
    assert made["token"].startswith(f"dm_{made['token_id']}_")
    auth = {"Authorization": f"Bearer {made['token']}"}
    assert TestClient(app).get("/api/me", headers=auth).json() == {
        "name": "etl",
        "role": "manager",
        "kind": "token",
    }
    listed = boss.get("/api/tokens").json()
    assert [(t["token_id"], t["name"], t["revoked_at"]) for t in listed] == [
        (made["token_id"], "etl", None)
    ]
    assert made["token"].split("_", 2)[2] not in str(listed)
    assert boss.delete(f"/api/tokens/{made['token_id']}").status_code == 204
    assert TestClient(app).get("/api/me", headers=auth).status_code == 401
    assert boss.delete(f"/api/tokens/{made['token_id']}").status_code == 404
    assert boss.get("/api/tokens").json()[0]["revoked_at"] is not None


def test_invalid_text_is_a_4xx_never_a_500(app) -> None:  # type: ignore[no-untyped-def]
    boss = _as(app, "boss", "boss password")
    json_body = {"content-type": "application/json"}
    lone = b'{"password": "\\ud800abcdefgh"}'  # a lone surrogate: not encodable text
    r = boss.put("/api/users/x", content=lone, headers=json_body)
    assert (r.status_code, r.json()["detail"]) == (
        422,
        "a password must be text (it holds an invalid character)",
    )
    assert boss.put("/api/users/boss/password", content=lone, headers=json_body).status_code == 422
    r = TestClient(app).post(
        "/api/session", content=b'{"name": "boss", "password": "\\ud800x"}', headers=json_body
    )
    assert r.status_code == 401
    assert boss.put("/api/users/a%00b", json={"password": "long enough"}).status_code == 422
    assert boss.post("/api/tokens", json={"name": "etl\n"}).status_code == 422
    assert boss.put("/api/users/x", json={"password": "p" * 1001}).status_code == 422
