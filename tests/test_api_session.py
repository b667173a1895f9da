"""Sign-in, roles and tokens of the web service (httpx through FastAPI's TestClient)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from deskmetrics import accounts
from deskmetrics.api import create_app
from deskmetrics.engine import open_duckdb


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    ws = open_duckdb(tmp_path / "ws.duckdb")
    accounts.set_user(ws, "lead", "correct horse", "manager")
    return TestClient(create_app(ws, secret="test-secret"))


def test_health_needs_no_sign_in(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}


def test_everything_else_needs_a_principal(client: TestClient) -> None:
    r = client.get("/api/me")
    assert r.status_code == 401
    assert "Bearer" in r.headers["www-authenticate"]


def test_sign_in_sets_a_session_and_a_wrong_password_does_not(client: TestClient) -> None:
    assert (
        client.post("/api/session", json={"name": "lead", "password": "wrong one"}).status_code
        == 401
    )
    assert client.get("/api/me").status_code == 401
    r = client.post("/api/session", json={"name": "lead", "password": "correct horse"})
    assert r.status_code == 200
    assert client.get("/api/me").json() == {"name": "lead", "role": "manager", "kind": "user"}
    client.delete("/api/session")
    assert client.get("/api/me").status_code == 401


def test_removed_user_loses_the_session_at_once(client: TestClient) -> None:
    client.post("/api/session", json={"name": "lead", "password": "correct horse"})
    with client.app.state.service.using() as ws:  # type: ignore[attr-defined]
        accounts.remove_user(ws, "lead")
    assert client.get("/api/me").status_code == 401


def test_tokens_authenticate_until_revoked(client: TestClient) -> None:
    with client.app.state.service.using() as ws:  # type: ignore[attr-defined]
        token = accounts.create_token(ws, "etl", "viewer")
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/me", headers=auth).json() == {
        "name": "etl",
        "role": "viewer",
        "kind": "token",
    }
    # a token with a changed secret part is refused
    assert (
        client.get("/api/me", headers={"Authorization": f"Bearer {token[:-2]}xx"}).status_code
        == 401
    )
    with client.app.state.service.using() as ws:  # type: ignore[attr-defined]
        assert accounts.revoke_token(ws, token.split("_")[1])
    assert client.get("/api/me", headers=auth).status_code == 401


def test_roles_are_ordered() -> None:
    assert accounts.Role.admin.allows(accounts.Role.manager)
    assert accounts.Role.manager.allows(accounts.Role.viewer)
    assert not accounts.Role.viewer.allows(accounts.Role.manager)


def test_passwords_are_stored_hashed(tmp_path: Path) -> None:
    ws = open_duckdb(tmp_path / "ws.duckdb")
    accounts.set_user(ws, "a", "s3cret-pass", "admin")
    stored = ws.backend.con.execute("SELECT password_hash FROM _users").fetchone()[0]
    assert "s3cret-pass" not in stored and stored.startswith("$argon2id$")
    with pytest.raises(Exception, match="at least 8"):
        accounts.set_user(ws, "b", "short", "viewer")


def test_the_service_secret_survives_a_restart(tmp_path: Path) -> None:
    ws = open_duckdb(tmp_path / "ws.duckdb")
    first = accounts.service_secret(ws, None)
    assert accounts.service_secret(ws, None) == first
    assert accounts.service_secret(ws, "from-env") == "from-env"


# --- sessions kept server-side (issue 12): a copied cookie dies with its session -------------


def _signed_in(client: TestClient) -> str:
    """Sign `lead` in; the session cookie's value (what someone could have copied)."""
    r = client.post("/api/session", json={"name": "lead", "password": "correct horse"})
    assert r.status_code == 200
    return str(client.cookies["deskmetrics_session"])


def _replay(client: TestClient, cookie: str) -> int:
    """GET /api/me from another browser holding only the copied cookie."""
    other = TestClient(client.app)
    other.cookies.set("deskmetrics_session", cookie)
    return other.get("/api/me").status_code


def test_a_copied_cookie_stops_working_at_sign_out(client: TestClient) -> None:
    copied = _signed_in(client)
    assert _replay(client, copied) == 200
    assert client.delete("/api/session").status_code == 204
    assert _replay(client, copied) == 401


def test_a_password_change_ends_every_session_of_the_user(client: TestClient) -> None:
    copied = _signed_in(client)
    second = TestClient(client.app)
    second.post("/api/session", json={"name": "lead", "password": "correct horse"})
    assert second.get("/api/me").status_code == 200
    with client.app.state.service.using() as ws:  # type: ignore[attr-defined]
        accounts.set_user(ws, "lead", "battery staple", "manager")
    assert _replay(client, copied) == 401
    assert second.get("/api/me").status_code == 401
    # the new password opens a new session
    r = client.post("/api/session", json={"name": "lead", "password": "battery staple"})
    assert r.status_code == 200


def test_a_role_change_keeps_the_session_with_the_new_role(client: TestClient) -> None:
    _signed_in(client)
    with client.app.state.service.using() as ws:  # type: ignore[attr-defined]
        accounts.save_user(ws, "lead", "viewer", None)
    assert client.get("/api/me").json() == {"name": "lead", "role": "viewer", "kind": "user"}


def test_a_removed_users_copied_cookie_is_refused_even_if_the_name_comes_back(
    client: TestClient,
) -> None:
    copied = _signed_in(client)
    with client.app.state.service.using() as ws:  # type: ignore[attr-defined]
        accounts.remove_user(ws, "lead")
        accounts.set_user(ws, "lead", "someone else's", "admin")
    assert _replay(client, copied) == 401


def test_sessions_survive_a_restart_only_while_valid(tmp_path: Path) -> None:
    ws = open_duckdb(tmp_path / "ws.duckdb")
    accounts.set_user(ws, "lead", "correct horse", "manager")
    first = TestClient(create_app(ws, secret="test-secret"))
    kept = _signed_in(first)
    ended = TestClient(first.app)
    ended.post("/api/session", json={"name": "lead", "password": "correct horse"})
    ended_cookie = str(ended.cookies["deskmetrics_session"])
    ended.delete("/api/session")
    # "restart": a new app over the same workspace file
    again = TestClient(create_app(ws, secret="test-secret"))
    assert _replay(again, kept) == 200
    assert _replay(again, ended_cookie) == 401
    # an expired session is refused although its cookie is still signed and fresh
    ws.backend.con.execute("UPDATE _sessions SET expires_at = TIMESTAMP '2020-01-01 00:00:00'")
    assert _replay(again, kept) == 401


def test_the_cookie_carries_no_role_and_only_the_digest_is_stored(client: TestClient) -> None:
    _signed_in(client)
    with client.app.state.service.using() as ws:  # type: ignore[attr-defined]
        rows = ws.backend.con.execute(
            "SELECT session_hash, user_name, ended_at FROM _sessions"
        ).fetchall()
    assert len(rows) == 1
    digest, name, ended_at = rows[0]
    assert (name, ended_at) == ("lead", None)
    assert len(digest) == 64  # SHA-256 hex of the id, never the id itself


def test_signing_out_ends_the_session_row(client: TestClient) -> None:
    _signed_in(client)
    client.delete("/api/session")
    with client.app.state.service.using() as ws:  # type: ignore[attr-defined]
        why = ws.backend.con.execute("SELECT ended_why FROM _sessions").fetchall()
    assert why == [("signed out",)]


def test_old_session_rows_are_forgotten(tmp_path: Path) -> None:
    ws = open_duckdb(tmp_path / "ws.duckdb")
    accounts.set_user(ws, "lead", "correct horse", "manager")
    who = accounts.Principal("lead", accounts.Role.manager)
    old = accounts.start_session(ws, who, 1)
    accounts.start_session(ws, who, 1)
    accounts.end_session(ws, old)
    ws.backend.con.execute(
        "UPDATE _sessions SET ended_at = TIMESTAMP '2020-01-01 00:00:00' WHERE ended_at IS NOT NULL"
    )
    assert accounts.forget_old_sessions(ws) == 1
    assert ws.backend.con.execute("SELECT count(*) FROM _sessions").fetchone() == (1,)
    # and a sign-in deletes them too, keeping the open session and sessions over lately
    accounts.end_session(ws, accounts.start_session(ws, who, 1))
    ws.backend.con.execute(
        "UPDATE _sessions SET expires_at = TIMESTAMP '2020-01-01 00:00:00' WHERE ended_at IS NULL"
    )
    accounts.start_session(ws, who, 1)
    assert ws.backend.con.execute("SELECT count(*), count(ended_at) FROM _sessions").fetchone() == (
        2,
        1,
    )
