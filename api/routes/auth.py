"""Log in, log out, and who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from api.deps import ClockDep
from api.security import CurrentUser, bearer_token, user_store
from storage.users import UserStore

router = APIRouter(prefix="/api/auth", tags=["auth"])


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class UserPublic(BaseModel):
    id: int
    username: str
    display_name: str
    roles: list[str]
    role_labels: list[str]
    townships: list[str]
    active: bool

    @classmethod
    def of(cls, u) -> UserPublic:  # type: ignore[no-untyped-def]
        roles = sorted(u.roles, key=lambda r: r.value)
        return cls(
            id=u.id,
            username=u.username,
            display_name=u.display_name,
            roles=[r.value for r in roles],
            role_labels=[r.label for r in roles],
            townships=list(u.townships),
            active=u.active,
        )


class LoginResponse(BaseModel):
    token: str
    user: UserPublic


@router.post("/login", operation_id="auth-login")
def login(
    body: LoginRequest,
    response: Response,
    clock: ClockDep,
    users: Annotated[UserStore, Depends(user_store)],
) -> LoginResponse:
    token, user = users.login(body.username, body.password, now=clock())
    # The cookie serves pages opened directly (report links); the SPA sends the bearer token.
    response.set_cookie("tuban_token", token, httponly=True, samesite="strict", max_age=12 * 3600)
    return LoginResponse(token=token, user=UserPublic.of(user))


@router.post("/logout", status_code=204, operation_id="auth-logout")
def logout(
    request: Request, user: CurrentUser, users: Annotated[UserStore, Depends(user_store)]
) -> Response:
    token = bearer_token(request)
    if token:
        users.logout(token)
    resp = Response(status_code=204)
    resp.delete_cookie("tuban_token")
    return resp


@router.get("/me", operation_id="auth-me")
def me(user: CurrentUser) -> UserPublic:
    return UserPublic.of(user)
