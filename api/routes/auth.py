"""Log in, log out, and who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.deps import ClockDep
from api.documented_errors import ENVELOPE, errors
from api.errors import envelope, language
from api.schemas import SafeName, SafeStr
from api.security import CurrentUser, bearer_token, user_store
from geo.roles import sees_all
from storage.login_throttle import TooManyAttempts
from storage.users import UserStore

router = APIRouter(prefix="/api/auth", tags=["auth"])


class LoginRequest(BaseModel):
    """A sign-in attempt: user name and password."""

    username: SafeName = Field(min_length=1, max_length=64)
    password: SafeStr = Field(min_length=1, max_length=256)


class UserPublic(BaseModel):
    """An account as the API shows it: name, roles with their zh labels, townships and whether it is
    active (never the password)."""

    id: int
    username: str
    display_name: str
    roles: list[str]
    role_labels: list[str]
    townships: list[str]
    active: bool
    sees_all: bool = Field(
        description="Sees every 图斑 and the import reports; false for a field verifier, who sees"
        " only the 图斑 assigned to them or in their townships (docs/roles.md)."
    )

    @classmethod
    def of(cls, u) -> UserPublic:  # type: ignore[no-untyped-def]
        """The public view of a stored user, roles sorted by value."""
        roles = sorted(u.roles, key=lambda r: r.value)
        return cls(
            id=u.id,
            username=u.username,
            display_name=u.display_name,
            roles=[r.value for r in roles],
            role_labels=[r.label for r in roles],
            townships=list(u.townships),
            active=u.active,
            sees_all=sees_all(u.roles),
        )


class LoginResponse(BaseModel):
    """A successful sign-in: the bearer token and its user."""

    token: str
    user: UserPublic


THROTTLED = {
    429: {
        "content": ENVELOPE,
        "description": "登录失败次数过多：按 Retry-After 秒数等待后再试",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    }
}


@router.post(
    "/login",
    operation_id="auth-login",
    response_model=LoginResponse,
    responses={**errors(401), **THROTTLED},
)
def login(
    body: LoginRequest,
    request: Request,
    response: Response,
    clock: ClockDep,
    users: Annotated[UserStore, Depends(user_store)],
) -> LoginResponse | JSONResponse:
    """Sign in with user name and password: a bearer token and the user.

    It also sets the same token as the HttpOnly ``tuban_token`` cookie (12 h) for pages opened
    directly. A wrong user name or password, or an inactive account, gets 401 with one and the
    same message, in the same time whether or not the user name exists. After 5 failures for a
    user name within 15 minutes (20 for a client address), further attempts get 429 with
    ``Retry-After`` for a delay that doubles with each failure, up to 15 minutes.
    """
    address = request.client.host if request.client else None
    try:
        token, user = users.login(body.username, body.password, now=clock(), address=address)
    except TooManyAttempts as exc:
        return JSONResponse(
            envelope(
                exc.code,
                exc.told(lang=language(request)),
                exc.details,
                message_id=exc.message_id,
            ),
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
        )
    # The cookie serves pages opened directly (report links); the SPA sends the bearer token.
    response.set_cookie("tuban_token", token, httponly=True, samesite="strict", max_age=12 * 3600)
    return LoginResponse(token=token, user=UserPublic.of(user))


@router.post("/logout", status_code=204, operation_id="auth-logout")
def logout(
    request: Request, user: CurrentUser, users: Annotated[UserStore, Depends(user_store)]
) -> Response:
    """Sign out: the request's token stops working and the cookie is cleared (204).

    Needs a signed-in user (401 otherwise).
    """
    token = bearer_token(request)
    if token:
        users.logout(token)
    resp = Response(status_code=204)
    resp.delete_cookie("tuban_token")
    return resp


@router.get("/me", operation_id="auth-me", responses=errors(401))
def me(user: CurrentUser) -> UserPublic:
    """The signed-in user; 401 when the request carries no valid token."""
    return UserPublic.of(user)
