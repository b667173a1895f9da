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
