"""Health check and sign-in/out for people (the dashboard); machines use bearer tokens.

Sessions are kept in the workspace (`_sessions`): the cookie carries the session's id, and
signing out ends the session on the server, so a copy of the cookie stops working too.
Sign-in is throttled (api/throttle.py): 429 with Retry-After while a name or address is
locked, even for the right password."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel

from deskmetrics.api.deps import (
    ServiceDep,
    SignInLocked,
    Viewer,
    check_password,
    end_session,
    locked_out,
    start_session,
)

router = APIRouter(tags=["session"])


class Credentials(BaseModel):
    name: str
    password: str


class Me(BaseModel):
    name: str
    role: str
    kind: str


@router.get("/health", summary="Liveness check (no sign-in needed)")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.post(
    "/api/session",
    response_model=Me,
    summary="Sign in; sets the session cookie",
    responses={
        401: {"description": "Unknown name or wrong password"},
        429: {"description": "Too many failed sign-ins: locked for Retry-After seconds"},
    },
)
def sign_in(body: Credentials, request: Request, svc: ServiceDep) -> Me:
    try:
        who = check_password(request, svc, body.name, body.password)
    except SignInLocked as exc:
        raise locked_out(exc) from exc
    if who is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown name or wrong password")
    start_session(request, who, svc.settings.web.session_hours)
    return Me(name=who.name, role=who.role.value, kind=who.kind)


@router.delete(
    "/api/session", status_code=204, summary="Sign out (the session ends on the server too)"
)
def sign_out(request: Request) -> None:
    end_session(request)


@router.get("/api/me", response_model=Me, summary="Who is signed in")
def me(who: Viewer) -> Me:
    return Me(name=who.name, role=who.role.value, kind=who.kind)
