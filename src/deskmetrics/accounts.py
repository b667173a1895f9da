"""Who may use the web service: people (name, role, hashed password) and machine tokens.

Kept in the workspace itself (tables `_users` and `_api_tokens`), so a workspace file carries
its own access list. Passwords are hashed with Argon2id; tokens are random and stored as
SHA-256 digests (they are long and random, so a slow hash adds nothing)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from deskmetrics.engine.workspace import Workspace, duckdb_connection
from deskmetrics.errors import ConfigError

_HASHER = PasswordHasher()
TOKEN_PREFIX = "dm"


class Role(StrEnum):
    """viewer reads numbers; manager also ingests and manages alerts; admin also manages users."""

    viewer = "viewer"
    manager = "manager"
    admin = "admin"

    @property
    def rank(self) -> int:
        return ("viewer", "manager", "admin").index(self.value)

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


@dataclass(frozen=True)
class Principal:
    """The one making a request: a person (`kind="user"`) or a machine token."""

    name: str
    role: Role
    kind: str = "user"


_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS _users (name VARCHAR PRIMARY KEY, role VARCHAR NOT NULL, "
    "password_hash VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL)",
    "CREATE TABLE IF NOT EXISTS _api_tokens (token_id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, "
    "role VARCHAR NOT NULL, token_hash VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL, "
    "revoked_at TIMESTAMP)",
)


def _con(ws: Workspace) -> Any:
    con = duckdb_connection(ws)
    for sql in _SCHEMA:
        con.execute(sql)
    return con


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def set_user(ws: Workspace, name: str, password: str, role: Role | str) -> None:
    """Create the user, or replace their password and role."""
    if not name.strip():
        raise ConfigError("a user needs a name")
    if len(password) < 8:
        raise ConfigError("a password needs at least 8 characters")
    con = _con(ws)
    con.execute(
        "INSERT OR REPLACE INTO _users VALUES (?, ?, ?, ?)",
        [name.strip(), Role(role).value, _HASHER.hash(password), _now()],
    )


def remove_user(ws: Workspace, name: str) -> bool:
    con = _con(ws)
    found = con.execute("SELECT count(*) FROM _users WHERE name = ?", [name]).fetchone()
    con.execute("DELETE FROM _users WHERE name = ?", [name])
    return bool(found and found[0])


def list_users(ws: Workspace) -> list[tuple[str, Role]]:
    rows = _con(ws).execute("SELECT name, role FROM _users ORDER BY name").fetchall()
    return [(n, Role(r)) for n, r in rows]


def authenticate(ws: Workspace, name: str, password: str) -> Principal | None:
    """The user, when the password matches; None otherwise (no hint which part was wrong)."""
    row = (
        _con(ws).execute("SELECT role, password_hash FROM _users WHERE name = ?", [name]).fetchone()
    )
    if row is None:
        # spend the same time as a real check, so a wrong name is not faster than a wrong password
        _HASHER.hash(password)
        return None
    try:
        _HASHER.verify(row[1], password)
    except (VerificationError, InvalidHashError):
        return None
    return Principal(name=name, role=Role(row[0]), kind="user")


def user(ws: Workspace, name: str) -> Principal | None:
    row = _con(ws).execute("SELECT role FROM _users WHERE name = ?", [name]).fetchone()
    return None if row is None else Principal(name=name, role=Role(row[0]), kind="user")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(ws: Workspace, name: str, role: Role | str) -> str:
    """A new API token (shown once; only its digest is stored)."""
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    _con(ws).execute(
        "INSERT INTO _api_tokens VALUES (?, ?, ?, ?, ?, NULL)",
        [token_id, name, Role(role).value, _digest(secret), _now()],
    )
    return f"{TOKEN_PREFIX}_{token_id}_{secret}"


def revoke_token(ws: Workspace, token_id: str) -> bool:
    con = _con(ws)
    found = con.execute(
        "SELECT count(*) FROM _api_tokens WHERE token_id = ? AND revoked_at IS NULL", [token_id]
    ).fetchone()
    con.execute("UPDATE _api_tokens SET revoked_at = ? WHERE token_id = ?", [_now(), token_id])
    return bool(found and found[0])


def list_tokens(ws: Workspace) -> list[dict[str, Any]]:
    rows = (
        _con(ws)
        .execute(
            "SELECT token_id, name, role, created_at, revoked_at FROM _api_tokens "
            "ORDER BY created_at"
        )
        .fetchall()
    )
    keys = ("token_id", "name", "role", "created_at", "revoked_at")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def check_token(ws: Workspace, token: str) -> Principal | None:
    """The token's principal when it is known and not revoked."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    row = (
        _con(ws)
        .execute(
            "SELECT name, role, token_hash FROM _api_tokens "
            "WHERE token_id = ? AND revoked_at IS NULL",
            [parts[1]],
        )
        .fetchone()
    )
    if row is None or not hmac.compare_digest(row[2], _digest(parts[2])):
        return None
    return Principal(name=row[0], role=Role(row[1]), kind="token")


__all__ = [
    "Principal",
    "Role",
    "authenticate",
    "check_token",
    "create_token",
    "list_tokens",
    "list_users",
    "remove_user",
    "revoke_token",
    "service_secret",
    "set_user",
    "user",
]


def service_secret(ws: Workspace, configured: str | None) -> str:
    """The key that signs sessions and survey links: the configured one (environment), else one
    made once for this workspace and kept in it, so links survive a restart of the service."""
    if configured:
        return configured
    con = _con(ws)
    con.execute("CREATE TABLE IF NOT EXISTS _service (key VARCHAR PRIMARY KEY, value VARCHAR)")
    row = con.execute("SELECT value FROM _service WHERE key = 'secret'").fetchone()
    if row is not None:
        return str(row[0])
    made = secrets.token_urlsafe(48)
    con.execute("INSERT INTO _service VALUES ('secret', ?)", [made])
    return made
