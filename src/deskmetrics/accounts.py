"""Who may use the web service: people (name, role, hashed password), their sessions, and
machine tokens.

Kept in the workspace itself (tables `_users`, `_sessions` and `_api_tokens`), so a workspace
file carries its own access list. Passwords are hashed with Argon2id; session ids and tokens
are random and stored as SHA-256 digests (they are long and random, so a slow hash adds
nothing). A session is valid only while its row says so: it ends on sign-out, when its user's
password is set or the user is removed, and at its expiry.

Argon2 is slow on purpose (tens of milliseconds): callers that serialize uses of the workspace
hash and verify outside that (`hash_password`, `stored_password` + `verify_password`)."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from deskmetrics.appstate import state
from deskmetrics.engine.periods import utc_now
from deskmetrics.engine.workspace import Workspace
from deskmetrics.errors import ConfigError, DeskmetricsError

_HASHER = PasswordHasher()
#: Argon2 runs this many at a time (each takes a core for tens of milliseconds and 64 MiB): a
#: flood of sign-ins queues here instead of starving every other request of CPU
HASHING = threading.BoundedSemaphore(max(1, (os.cpu_count() or 2) // 2))
#: a sign-in waiting longer than this for its turn is refused (`HashingBusy`)
HASHING_WAIT_SECONDS = 5.0


class HashingBusy(DeskmetricsError):
    """Too many passwords are being checked at once; try again in a second."""


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


#: longest password and name accepted
MAX_LENGTH = 1000
MAX_NAME_LENGTH = 200
#: a session's `last_seen` is written at most this often (not at every request)
LAST_SEEN_EVERY = timedelta(minutes=1)


def hash_password(password: str) -> str:
    """The Argon2id hash of a new password (slow: call it outside the workspace's lock)."""
    if len(password) < 8:
        raise ConfigError("a password needs at least 8 characters")
    if len(password) > MAX_LENGTH:
        raise ConfigError(f"a password has at most {MAX_LENGTH} characters")
    try:
        secret = password.encode()
    except UnicodeEncodeError as exc:
        raise ConfigError("a password must be text (it holds an invalid character)") from exc
    with _hashing_turn():
        return _HASHER.hash(secret)


@contextmanager
def _hashing_turn() -> Iterator[None]:
    if not HASHING.acquire(timeout=HASHING_WAIT_SECONDS):
        raise HashingBusy("too many passwords are being checked at once; try again in a second")
    try:
        yield
    finally:
        HASHING.release()


def _check_name(name: str) -> str:
    """The name, trimmed; refused when empty or holding control or invalid characters."""
    if not name.strip():
        raise ConfigError("a user needs a name")
    if not name.isprintable() or any(0xD800 <= ord(c) <= 0xDFFF for c in name):
        raise ConfigError("a name may hold letters, digits, spaces and punctuation only")
    if len(name.strip()) > MAX_NAME_LENGTH:
        raise ConfigError(f"a name has at most {MAX_NAME_LENGTH} characters")
    return name.strip()


def set_user(ws: Workspace, name: str, password: str, role: Role | str) -> None:
    """Create the user, or replace their password and role (their sessions end)."""
    name = _check_name(name)
    save_user(ws, name, Role(role), hash_password(password))


def save_user(ws: Workspace, name: str, role: Role | str, password_hash: str | None) -> bool:
    """Create or update a user from a hash made by `hash_password`; None keeps the password
    of an existing user. Setting a password ends every session of the user (a password
    changed because it leaked must lock out whoever used it); a role change alone keeps them
    (the role is read at every request). True when the user is new."""
    name = _check_name(name)
    role = Role(role)
    st = state(ws)
    new = not st.count("SELECT count(*) FROM _users WHERE name = ?", [name])
    if password_hash is None:
        if new:
            raise ConfigError(f"a new user ({name!r}) needs a password")
        st.run("UPDATE _users SET role = ? WHERE name = ?", [role.value, name])
        return False
    st.run(
        "INSERT OR REPLACE INTO _users VALUES (?, ?, ?, ?)",
        [name, role.value, password_hash, utc_now()],
    )
    end_sessions_of(ws, name, "password set")
    return new


def remove_user(ws: Workspace, name: str) -> bool:
    """Remove the user and end their sessions; False when there was no such user."""
    found = state(ws).run("DELETE FROM _users WHERE name = ?", [name])
    end_sessions_of(ws, name, "user removed")
    return found > 0


def user_exists(ws: Workspace, name: str) -> bool:
    return state(ws).count("SELECT count(*) FROM _users WHERE name = ?", [name]) > 0


def list_users(ws: Workspace) -> list[tuple[str, Role]]:
    rows = state(ws).all("SELECT name, role FROM _users ORDER BY name")
    return [(n, Role(r)) for n, r in rows]


@cache
def _dummy_hash() -> str:
    """Verified when the name is unknown, so a wrong name costs as long as a wrong password."""
    return _HASHER.hash("not a password of anyone")


def stored_password(ws: Workspace, name: str) -> tuple[Role, str] | None:
    """The user's role and password hash (to verify outside the lock), None if unknown."""
    row = state(ws).one("SELECT role, password_hash FROM _users WHERE name = ?", [name])
    return None if row is None else (Role(row[0]), str(row[1]))


def verify_password(name: str, stored: tuple[Role, str] | None, password: str) -> Principal | None:
    """The user, when `password` matches their stored hash; None otherwise (no hint which part
    was wrong: an unknown name takes as long as a wrong password). Slow: outside the lock."""
    try:
        with _hashing_turn():
            _HASHER.verify(
                stored[1] if stored else _dummy_hash(), password.encode("utf-8", "surrogatepass")
            )
    except (VerificationError, InvalidHashError):
        return None
    return None if stored is None else Principal(name=name, role=stored[0], kind="user")


def authenticate(ws: Workspace, name: str, password: str) -> Principal | None:
    """The user, when the password matches; None otherwise (no hint which part was wrong).
    Reads and verifies in one call: the service splits it (`stored_password`, then
    `verify_password` outside its lock)."""
    return verify_password(name, stored_password(ws, name), password)


def user(ws: Workspace, name: str) -> Principal | None:
    row = state(ws).one("SELECT role FROM _users WHERE name = ?", [name])
    return None if row is None else Principal(name=name, role=Role(row[0]), kind="user")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(ws: Workspace, name: str, role: Role | str) -> str:
    """A new API token (shown once; only its digest is stored)."""
    name = _check_name(name)
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    state(ws).run(
        "INSERT INTO _api_tokens VALUES (?, ?, ?, ?, ?, NULL)",
        [token_id, name, Role(role).value, _digest(secret), utc_now()],
    )
    return f"{TOKEN_PREFIX}_{token_id}_{secret}"


def revoke_token(ws: Workspace, token_id: str) -> bool:
    st = state(ws)
    found = st.count(
        "SELECT count(*) FROM _api_tokens WHERE token_id = ? AND revoked_at IS NULL", [token_id]
    )
    st.run("UPDATE _api_tokens SET revoked_at = ? WHERE token_id = ?", [utc_now(), token_id])
    return found > 0


def list_tokens(ws: Workspace) -> list[dict[str, Any]]:
    return state(ws).records(
        "SELECT token_id, name, role, created_at, revoked_at FROM _api_tokens ORDER BY created_at"
    )


def check_token(ws: Workspace, token: str) -> Principal | None:
    """The token's principal when it is known and not revoked."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    row = state(ws).one(
        "SELECT name, role, token_hash FROM _api_tokens WHERE token_id = ? AND revoked_at IS NULL",
        [parts[1]],
    )
    if row is None or not hmac.compare_digest(row[2], _digest(parts[2])):
        return None
    return Principal(name=row[0], role=Role(row[1]), kind="token")


def start_session(ws: Workspace, who: Principal, hours: float) -> str:
    """A new session of `who` valid for `hours`: its id (for the cookie; only its digest is
    kept). Rows of sessions over for a month are deleted meanwhile."""
    session_id = secrets.token_urlsafe(32)
    now = utc_now()
    state(ws).run(
        "INSERT INTO _sessions VALUES (?, ?, ?, ?, ?, NULL, NULL)",
        [_digest(session_id), who.name, now, now + timedelta(hours=hours), now],
    )
    forget_old_sessions(ws)
    return session_id


def session_user(ws: Workspace, session_id: str) -> Principal | None:
    """The user of a session that has not ended nor expired (their role read now); None
    otherwise."""
    now = utc_now()
    st = state(ws)
    row = st.one(
        "SELECT s.session_hash, u.name, u.role, s.last_seen FROM _sessions s "
        "JOIN _users u ON u.name = s.user_name "
        "WHERE s.session_hash = ? AND s.ended_at IS NULL AND s.expires_at > ?",
        [_digest(session_id), now],
    )
    if row is None:
        return None
    if now - row[3] >= LAST_SEEN_EVERY:
        st.run(
            "UPDATE _sessions SET last_seen = ? WHERE session_hash = ?",
            [now, row[0]],
            credentials=False,  # when it was last used changes nothing of what it may do
        )
    return Principal(name=str(row[1]), role=Role(row[2]), kind="user")


def end_session(ws: Workspace, session_id: str, why: str = "signed out") -> None:
    state(ws).run(
        "UPDATE _sessions SET ended_at = ?, ended_why = ? "
        "WHERE session_hash = ? AND ended_at IS NULL",
        [utc_now(), why, _digest(session_id)],
    )


def end_sessions_of(ws: Workspace, name: str, why: str) -> int:
    """End every open session of user `name`; how many were open."""
    return state(ws).run(
        "UPDATE _sessions SET ended_at = ?, ended_why = ? WHERE user_name = ? AND ended_at IS NULL",
        [utc_now(), why, name],
    )


def forget_old_sessions(ws: Workspace, older_than: timedelta = timedelta(days=30)) -> int:
    """Delete session rows that ended or expired more than `older_than` ago (the table would
    otherwise grow by one row per sign-in for ever)."""
    cutoff = utc_now() - older_than
    return state(ws).run("DELETE FROM _sessions WHERE coalesce(ended_at, expires_at) < ?", [cutoff])


__all__ = [
    "HashingBusy",
    "Principal",
    "Role",
    "authenticate",
    "check_token",
    "create_token",
    "end_session",
    "end_sessions_of",
    "forget_old_sessions",
    "hash_password",
    "list_tokens",
    "list_users",
    "remove_user",
    "revoke_token",
    "save_user",
    "service_secret",
    "session_user",
    "set_user",
    "start_session",
    "stored_password",
    "user",
    "user_exists",
    "verify_password",
]


def service_secret(ws: Workspace, configured: str | None) -> str:
    """The key that signs sessions and survey links: the configured one (environment), else one
    made once for this workspace and kept in it, so links survive a restart of the service."""
    if configured:
        return configured
    st = state(ws)
    st.run("INSERT OR IGNORE INTO _service VALUES ('secret', ?)", [secrets.token_urlsafe(48)])
    row = st.one("SELECT value FROM _service WHERE key = 'secret'")
    return str(row[0]) if row else ""
