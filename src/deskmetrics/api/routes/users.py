"""People and API tokens, managed over HTTP while the service runs (the same changes as
`deskmetrics users …` / `deskmetrics tokens …`; they take effect at the next request).

- GET /api/users (admin): every user and their role
- PUT /api/users/{name} (admin): create a user, or change their role and/or password
  (setting a password ends every session of the user)
- DELETE /api/users/{name} (admin): remove a user (their sessions end at once)
- PUT /api/users/{name}/password: change a password: one's own with the current password,
  anyone's as an admin; every session of the user ends (sign in again)
- DELETE /api/users/{name}/sessions (admin): sign a user out everywhere
- GET /api/tokens (admin): tokens, never their secrets
- POST /api/tokens (admin): a new token, shown once in the answer
- DELETE /api/tokens/{token_id} (admin): revoke a token (refused at once)

The last admin cannot be removed nor demoted (409): someone must be able to manage access.
Passwords are hashed and verified outside the workspace's lock (Argon2 is slow on purpose)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request, Response, status
from pydantic import BaseModel, field_validator

from deskmetrics import accounts
from deskmetrics.accounts import Role
from deskmetrics.api.deps import (
    Admin,
    ServiceDep,
    SignInLocked,
    Viewer,
    check_password,
    locked_out,
)
from deskmetrics.errors import ConfigError

router = APIRouter(tags=["users"])

_ADMIN_ONLY: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in and no bearer token"},
    403: {"description": "Needs the admin role"},
}
UserName = Annotated[str, Path(min_length=1, max_length=200)]


class UserOut(BaseModel):
    name: str
    role: Role


# lengths are checked in accounts, not by constrained fields: a constrained field refuses a
# string holding a lone surrogate with an error echoing it, which cannot be sent as JSON (500)


class UserIn(BaseModel):
    role: Role = Role.viewer
    #: needed for a new user; omitted: an existing user keeps their password (and sessions)
    password: str | None = None


class PasswordChange(BaseModel):
    #: at least 8 characters
    password: str
    #: needed to change one's own password
    current_password: str | None = None


class TokenIn(BaseModel):
    name: str
    role: Role = Role.viewer


class TokenOut(BaseModel):
    token_id: str
    name: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None

    @field_validator("created_at", "revoked_at")
    @classmethod
    def _utc(cls, v: datetime | None) -> datetime | None:
        """Stored as naive UTC; answered with its offset, as RFC 3339 date-time requires."""
        return v.replace(tzinfo=UTC) if v is not None and v.tzinfo is None else v


class NewToken(BaseModel):
    token_id: str
    name: str
    role: Role
    #: the secret, shown only in this answer (only its digest is kept)
    token: str


def _hashed(password: str) -> str:
    """The new password's hash, made outside the workspace's lock."""
    try:
        return accounts.hash_password(password)
    except accounts.HashingBusy as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, str(exc), headers={"Retry-After": "1"}
        ) from exc
    except ConfigError as exc:
        raise HTTPException(422, str(exc)) from exc


def _admins(rows: list[tuple[str, Role]]) -> set[str]:
    return {n for n, r in rows if r is Role.admin}


@router.get("/api/users", response_model=list[UserOut], responses=_ADMIN_ONLY)
def list_users(svc: ServiceDep, who: Admin) -> list[UserOut]:
    with svc.using() as ws:
        return [UserOut(name=n, role=r) for n, r in accounts.list_users(ws)]


@router.put(
    "/api/users/{name}",
    response_model=UserOut,
    summary="Create a user (201) or change their role and/or password (200)",
    responses={
        **_ADMIN_ONLY,
        201: {"description": "Created"},
        409: {"description": "The last admin cannot be demoted"},
        422: {
            "description": "A new user needs a password of at least 8 characters; a name "
            "holds no control characters"
        },
    },
)
def put_user(
    name: UserName, body: UserIn, response: Response, svc: ServiceDep, who: Admin
) -> UserOut:
    name = name.strip()
    hashed = _hashed(body.password) if body.password is not None else None
    with svc.using() as ws:
        admins = _admins(accounts.list_users(ws))
        if body.role is not Role.admin and admins == {name}:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"{name!r} is the last admin: make another admin first",
            )
        try:
            created = accounts.save_user(ws, name, body.role, hashed)
        except ConfigError as exc:
            raise HTTPException(422, str(exc)) from exc
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return UserOut(name=name, role=body.role)


@router.delete(
    "/api/users/{name}",
    status_code=204,
    summary="Remove a user; their sessions end at once",
    responses={
        **_ADMIN_ONLY,
        404: {"description": "No such user"},
        409: {"description": "The last admin cannot be removed"},
    },
)
def delete_user(name: UserName, svc: ServiceDep, who: Admin) -> Response:
    with svc.using() as ws:
        if _admins(accounts.list_users(ws)) == {name}:
            raise HTTPException(
                status.HTTP_409_CONFLICT, f"{name!r} is the last admin: make another admin first"
            )
        if not accounts.remove_user(ws, name):
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no user {name!r}")
    return Response(status_code=204)


@router.put(
    "/api/users/{name}/password",
    status_code=204,
    summary="Change a password (one's own with the current one; anyone's as an admin); "
    "every session of the user ends",
    responses={
        401: {"description": "Not signed in, or the current password is wrong"},
        403: {"description": "Another user's password needs the admin role"},
        404: {"description": "No such user"},
        422: {
            "description": "The new password is shorter than 8 characters, or the current "
            "one is missing"
        },
        429: {"description": "Too many wrong current passwords: locked for Retry-After s"},
    },
)
def change_password(
    name: UserName, body: PasswordChange, request: Request, svc: ServiceDep, who: Viewer
) -> Response:
    own = who.kind == "user" and who.name == name
    if not own and not who.role.allows(Role.admin):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "only an admin may change another user's password"
        )
    if own:
        if body.current_password is None:
            raise HTTPException(
                422,
                "to change your own password, send current_password too",
            )
        try:
            ok = check_password(request, svc, name, body.current_password)
        except SignInLocked as exc:
            raise locked_out(exc) from exc
        if ok is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "the current password is wrong")
    hashed = _hashed(body.password)
    with svc.using() as ws:
        found = accounts.stored_password(ws, name)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no user {name!r}")
        accounts.save_user(ws, name, found[0], hashed)
    if own:
        request.session.clear()  # their session has ended with the others
    return Response(status_code=204)


@router.delete(
    "/api/users/{name}/sessions",
    status_code=204,
    summary="Sign a user out everywhere",
    responses={**_ADMIN_ONLY, 404: {"description": "No such user"}},
)
def end_user_sessions(name: UserName, svc: ServiceDep, who: Admin) -> Response:
    with svc.using() as ws:
        if not accounts.user_exists(ws, name):
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no user {name!r}")
        accounts.end_sessions_of(ws, name, f"signed out by {who.name}")
    return Response(status_code=204)


@router.get("/api/tokens", response_model=list[TokenOut], responses=_ADMIN_ONLY)
def list_tokens(svc: ServiceDep, who: Admin) -> list[TokenOut]:
    with svc.using() as ws:
        return [TokenOut.model_validate(t) for t in accounts.list_tokens(ws)]


@router.post(
    "/api/tokens",
    response_model=NewToken,
    status_code=201,
    summary="Make an API token (its secret is shown only in this answer)",
    responses={**_ADMIN_ONLY, 422: {"description": "An empty name or one with control characters"}},
)
def create_token(body: TokenIn, svc: ServiceDep, who: Admin) -> NewToken:
    try:
        with svc.using() as ws:
            token = accounts.create_token(ws, body.name, body.role)
    except ConfigError as exc:
        raise HTTPException(422, str(exc)) from exc
    return NewToken(
        token_id=token.split("_")[1], name=body.name.strip(), role=body.role, token=token
    )


@router.delete(
    "/api/tokens/{token_id}",
    status_code=204,
    summary="Revoke a token (refused from the next request on)",
    responses={**_ADMIN_ONLY, 404: {"description": "No active token with this id"}},
)
def revoke_token(
    token_id: Annotated[str, Path(max_length=100)], svc: ServiceDep, who: Admin
) -> Response:
    with svc.using() as ws:
        if not accounts.revoke_token(ws, token_id):
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no active token {token_id!r}")
    return Response(status_code=204)
