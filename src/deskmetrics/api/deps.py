"""What every route depends on: the service (one workspace used by one request at a time, or a
pool of them over another engine) and the principal making the request (session cookie for
people, bearer token for machines)."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, TypeVar

from fastapi import Depends, HTTPException, Request, status

from deskmetrics import accounts, appstate
from deskmetrics.accounts import Principal, Role
from deskmetrics.api.throttle import SignInLocked, SignInThrottle
from deskmetrics.config import Settings
from deskmetrics.engine import Workspace
from deskmetrics.engine.handoff import SharedWorkspace, WorkspaceBusy
from deskmetrics.engine.pool import WorkspacePool
from deskmetrics.engine.workspace import ResultCache

T = TypeVar("T")

#: the session cookie carries the session's id (the server-side row decides) and the user's
#: name (shown in the page header only; never trusted)
SESSION_ID = "sid"
SESSION_USER = "user"


#: how long a checked token or session is trusted without reading the app state again while
#: nothing was written to it (a session ending by expiry is seen this much later at most)
CREDENTIALS_SECONDS = 5.0


class Credentials:
    """Tokens and sessions checked recently, so that a request does not wait for the
    workspace (behind an ingest or a computation) only to learn who sent it. An entry holds
    while no app-state write was made by this process (a revoked token, an ended session, a
    changed role: `appstate.writes`), the workspace file did not change hands (a `deskmetrics
    tokens revoke` or `users` command writes only after the service let go of it), and for
    at most `CREDENTIALS_SECONDS`. Only for a service over a workspace file or a pool, whose
    app state nothing else writes meanwhile: a workspace passed in stays its caller's."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._items: OrderedDict[str, tuple[tuple[int, int], float, Principal | None]] = (
            OrderedDict()
        )
        self._checking: set[str] = set()

    def check(
        self,
        credential: tuple[str, str],
        svc: Service,
        look_up: Callable[[Workspace], Principal | None],
    ) -> Principal | None:
        """Who `credential` (kind, secret) is: remembered, or `look_up(ws)` with the workspace.
        Past `CREDENTIALS_SECONDS` with nothing written, one request looks again while the
        others go on with what was found (nothing could have revoked it but time)."""
        if svc.shared is None and svc.pool is None:
            # a workspace passed in stays its caller's, who may write to it directly
            with svc.using() as ws:
                return look_up(ws)
        key = hashlib.sha256(repr(credential).encode()).hexdigest()  # no secret kept as is
        stamp = self._stamp(svc)
        mine = False
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and hit[0] == stamp:
                if time.monotonic() - hit[1] < CREDENTIALS_SECONDS or key in self._checking:
                    self._items.move_to_end(key)
                    return hit[2]
                self._checking.add(key)
                mine = True
        try:
            with svc.using() as ws:
                stamp = self._stamp(svc)  # as of the look-up: a write after it is seen next time
                who = look_up(ws)
        finally:
            if mine:
                with self._lock:
                    self._checking.discard(key)
        with self._lock:
            self._items[key] = (stamp, time.monotonic(), who)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return who

    @staticmethod
    def _stamp(svc: Service) -> tuple[int, int]:
        return appstate.writes(), svc.shared.released if svc.shared is not None else 0


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
    #: results answered without the workspace under `[web] results_may_lag_seconds`
    lagging: ResultCache = field(default_factory=ResultCache)
    credentials: Credentials = field(default_factory=Credentials)
    #: an update of the kept facts is waiting for the workspace (`keep_facts_current`)
    _facts_pending: bool = False
    _facts_lock: threading.Lock = field(default_factory=threading.Lock)

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

    def answer(
        self, request: Hashable, make: Callable[[Workspace], T], fresh: bool = False
    ) -> tuple[T, float | None]:
        """`make(ws)` with the workspace (`using()`), or — under `[web]
        results_may_lag_seconds` — what it gave for the same `request` less than that long
        ago, without waiting for the workspace, whatever arrived since; with the age in seconds
        of an answer made before (None: made for this request). A read then never queues
        behind the writes of a busy live ingest, and one computation answers everyone.
        `fresh`: always made (the client asked with `Cache-Control: no-cache`)."""
        lag = self.settings.web.results_may_lag_seconds

        def made() -> T:
            with self.using() as ws:
                return make(ws)

        if lag <= 0:
            return made(), None
        key = repr((request, self.workspace.settings.model_dump_json()))
        if fresh:  # and what others are answered from now on
            value = made()
            self.lagging.keep(key, value)
            return value, None
        return self.lagging.lagging(key, lag, made)

    def keep_facts_current(self, update: Callable[[Workspace], object]) -> None:
        """`update(ws)` (bring the kept facts up to date) after a delivery — unless an update
        already waits for the workspace: it will cover this delivery too, stored before it
        gets the workspace. A burst of deliveries then costs one update, not one each."""
        with self._facts_lock:
            if self._facts_pending:
                return
            self._facts_pending = True
        try:
            with self.using() as ws:
                with self._facts_lock:  # deliveries from now on need an update of their own
                    self._facts_pending = False
                update(ws)
        finally:
            with self._facts_lock:
                self._facts_pending = False

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
        token = header[7:].strip()
        return svc.credentials.check(
            ("token", token), svc, lambda ws: accounts.check_token(ws, token)
        )
    session = request.scope.get("session") or {}
    sid = session.get(SESSION_ID)
    if not isinstance(sid, str) or not sid:
        return None
    # the session row decides (ended on sign-out, password change, removal; expired), and
    # the role is read fresh: a demoted user loses access at once
    return svc.credentials.check(("session", sid), svc, lambda ws: accounts.session_user(ws, sid))


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
