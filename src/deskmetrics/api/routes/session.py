"""Health check and sign-in/out for people (the dashboard); machines use bearer tokens."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel

from deskmetrics import accounts
from deskmetrics.api.deps import ServiceDep, Viewer, end_session, start_session

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


@router.post("/api/session", response_model=Me, summary="Sign in; sets the session cookie")
def sign_in(body: Credentials, request: Request, svc: ServiceDep) -> Me:
    with svc.using() as ws:
        who = accounts.authenticate(ws, body.name, body.password)
    if who is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown name or wrong password")
    start_session(request, who, svc.settings.web.session_hours)
    return Me(name=who.name, role=who.role.value, kind=who.kind)


@router.delete("/api/session", status_code=204, summary="Sign out")
def sign_out(request: Request) -> None:
    end_session(request)


@router.get("/api/me", response_model=Me, summary="Who is signed in")
def me(who: Viewer) -> Me:
    return Me(name=who.name, role=who.role.value, kind=who.kind)
