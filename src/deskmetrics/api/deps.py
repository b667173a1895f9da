"""What every route depends on: the service (one workspace, used by one request at a time) and
the principal making the request (session cookie for people, bearer token for machines)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from deskmetrics import accounts
from deskmetrics.accounts import Principal, Role
from deskmetrics.config import Settings
from deskmetrics.engine import Workspace

SESSION_USER = "user"
SESSION_EXPIRES = "expires"


@dataclass
class Service:
    """The workspace behind the app. A DuckDB connection serves one thread at a time, so every
    use goes through `using()`; requests queue for it (DuckDB answers them in milliseconds)."""

    workspace: Workspace
    settings: Settings
    secret: str
    lock: threading.Lock = field(default_factory=threading.Lock)

    @contextmanager
    def using(self) -> Iterator[Workspace]:
        with self.lock:
            yield self.workspace


def get_service(request: Request) -> Service:
    svc: Service = request.app.state.service
    return svc


ServiceDep = Annotated[Service, Depends(get_service)]


def _principal(request: Request, svc: Service) -> Principal | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        with svc.using() as ws:
            return accounts.check_token(ws, header[7:].strip())
    session = request.scope.get("session") or {}
    name = session.get(SESSION_USER)
    expires = session.get(SESSION_EXPIRES, 0)
    if not name or expires < datetime.now(UTC).timestamp():
        return None
    with svc.using() as ws:
        # the role is read fresh: a demoted or removed user loses access at once
        return accounts.user(ws, str(name))


def optional_principal(request: Request, svc: ServiceDep) -> Principal | None:
    return _principal(request, svc)


def require(role: Role) -> object:
    """A dependency that lets the request through when its principal holds `role` or more."""

    def check(request: Request, svc: ServiceDep) -> Principal:
        who = _principal(request, svc)
        if who is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "sign in (POST /api/session) or send 'Authorization: Bearer <token>'",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if not who.role.allows(role):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"this needs the {role.value} role; you are {who.role}"
            )
        return who

    return Depends(check)


Viewer = Annotated[Principal, require(Role.viewer)]
Manager = Annotated[Principal, require(Role.manager)]
Admin = Annotated[Principal, require(Role.admin)]
MaybePrincipal = Annotated[Principal | None, Depends(optional_principal)]


def start_session(request: Request, who: Principal, hours: float) -> None:
    request.session[SESSION_USER] = who.name
    request.session[SESSION_EXPIRES] = datetime.now(UTC).timestamp() + hours * 3600


def end_session(request: Request) -> None:
    request.session.clear()


__all__ = [
    "Admin",
    "Manager",
    "MaybePrincipal",
    "Service",
    "ServiceDep",
    "Viewer",
    "end_session",
    "get_service",
    "require",
    "start_session",
]
