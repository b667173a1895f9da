"""What every route depends on: the service (one workspace used by one request at a time, or a
pool of them over another engine) and the principal making the request (session cookie for
people, bearer token for machines)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from deskmetrics import accounts
from deskmetrics.accounts import Principal, Role
from deskmetrics.api.throttle import SignInLocked, SignInThrottle
from deskmetrics.config import Settings
from deskmetrics.engine import Workspace
from deskmetrics.engine.handoff import SharedWorkspace, WorkspaceBusy
from deskmetrics.engine.pool import WorkspacePool

#: the session cookie carries the session's id (the server-side row decides) and the user's
#: name (shown in the page header only; never trusted)
SESSION_ID = "sid"
SESSION_USER = "user"


@dataclass
class Service:
    """The workspace behind the app. A DuckDB connection serves one thread at a time, so every
    use goes through `using()`; requests queue for it (DuckDB answers them in milliseconds).

    Served from a file (`shared`), the workspace is handed over to `deskmetrics` commands
    between uses (engine/handoff.py): a use that finds the file held by a command waits up to
    `[web] busy_wait_seconds`, then gets 503 with Retry-After. Over an open workspace (tests,
    an in-memory workspace) there is no file to hand over.

    Served from another engine (`pool`, `--db URL`), each request takes a workspace of its own
    from the pool, with no lock between them: requests run in parallel up to `[web] pool_size`,
    then wait up to `busy_wait_seconds` (503 with Retry-After)."""

    workspace: Workspace
    settings: Settings
    secret: str
    shared: SharedWorkspace | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    throttle: SignInThrottle | None = None
    pool: WorkspacePool | None = None

    def __post_init__(self) -> None:
        if self.shared is not None:
            self.lock = self.shared.lock
        if self.throttle is None:
            self.throttle = SignInThrottle(self.settings.web.sign_in)

    @contextmanager
    def using(self) -> Iterator[Workspace]:
        if self.pool is not None:
            try:
                ws = self.pool.take()
            except WorkspaceBusy as exc:
                raise _busy(exc) from exc
            try:
                yield ws
            finally:
                self.pool.give(ws)
            return
        if self.shared is None:
            with self.lock:
                yield self.workspace
            return
        wait = self.settings.web.busy_wait_seconds
        deadline = time.monotonic() + wait
        if not self.lock.acquire(timeout=wait):
            raise _busy(WorkspaceBusy("the workspace is busy; try again in a few seconds"))
        try:
            try:
                ws = self.shared.acquire(deadline)
            except WorkspaceBusy as exc:
                raise _busy(exc) from exc
            try:
                yield ws
            finally:
                self.shared.done()
        finally:
            self.lock.release()

    def close(self) -> None:
        """Release the workspace file, or the pool's connections (the service stops)."""
        if self.shared is not None:
            self.shared.close()
        if self.pool is not None:
            self.pool.close()


def _busy(exc: WorkspaceBusy) -> HTTPException:
    return HTTPException(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        str(exc),
        headers={"Retry-After": str(exc.retry_after)},
    )


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
    sid = session.get(SESSION_ID)
    if not isinstance(sid, str) or not sid:
        return None
    with svc.using() as ws:
        # the session row decides (ended on sign-out, password change, removal; expired), and
        # the role is read fresh: a demoted user loses access at once
        return accounts.session_user(ws, sid)


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


def client_address(request: Request) -> str:
    """The address the request came from (the proxy's, behind a reverse proxy)."""
    return request.client.host if request.client else "unknown"


def check_password(request: Request, svc: Service, name: str, password: str) -> Principal | None:
    """Sign-in's check, throttled (`SignInLocked` when locked: no password is verified then):
    the stored hash is read under the lock, the slow Argon2 verification runs outside it, so
    a flood of sign-ins does not stall other requests."""
    assert svc.throttle is not None
    address = client_address(request)
    svc.throttle.check(name, address)
    with svc.using() as ws:
        stored = accounts.stored_password(ws, name)
    try:
        who = accounts.verify_password(name, stored, password)
    except accounts.HashingBusy as exc:  # not a failure: no password was checked
        raise SignInLocked(1, "too many sign-ins are being checked at once") from exc
    if who is None:
        svc.throttle.failed(name, address)
    else:
        svc.throttle.succeeded(name, address)
    return who


def locked_out(exc: SignInLocked) -> HTTPException:
    """429 for a throttled sign-in, with Retry-After in seconds."""
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        f"{exc.why}; try again in {exc.retry_after} s",
        headers={"Retry-After": str(exc.retry_after)},
    )


def start_session(request: Request, who: Principal, hours: float) -> None:
    """Open a server-side session for `who` and put its id in the cookie."""
    svc = get_service(request)
    end_session(request)  # a sign-in over an open session replaces it
    with svc.using() as ws:
        sid = accounts.start_session(ws, who, hours)
    request.session[SESSION_ID] = sid
    request.session[SESSION_USER] = who.name


def end_session(request: Request) -> None:
    """End the cookie's session on the server (a copy of the cookie stops working too) and
    clear the cookie."""
    session = request.scope.get("session") or {}
    sid = session.get(SESSION_ID)
    if isinstance(sid, str) and sid:
        with get_service(request).using() as ws:
            accounts.end_session(ws, sid)
    request.session.clear()


__all__ = [
    "Admin",
    "Manager",
    "MaybePrincipal",
    "Service",
    "ServiceDep",
    "SignInLocked",
    "Viewer",
    "check_password",
    "client_address",
    "end_session",
    "get_service",
    "locked_out",
    "require",
    "start_session",
]
