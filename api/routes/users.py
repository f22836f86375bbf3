"""Accounts (admin) and 图斑 assignments (admin, reviewer)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from api.deps import ClockDep, PagingDep
from api.documented_errors import errors
from api.routes.auth import UserPublic
from api.schemas import AssignedPublic, DbInt, Page, SafeName
from api.security import require, user_store
from geo.roles import Role
from storage.users import User, UserStore

router = APIRouter(prefix="/api", tags=["users"])
UsersDep = Annotated[UserStore, Depends(user_store)]
Admin = Annotated[User, Depends(require(Role.ADMIN))]
Dispatcher = Annotated[User, Depends(require(Role.ADMIN, Role.REVIEWER))]


class UserCreate(BaseModel):
    """A new account: user name, password (10 characters or more, not common, not made from the
    user name), one role or more, and the townships (乡镇代码) whose 图斑 it sees as a verifier."""

    username: str = Field(min_length=1, max_length=64)
    display_name: SafeName = Field(default="", max_length=100)
    password: str = Field(min_length=1, max_length=256)
    roles: list[Role] = Field(min_length=1)
    townships: list[str] = Field(default_factory=list)


class UserUpdate(BaseModel):
    """Changes to an account; fields left out stay as they are."""

    display_name: SafeName | None = Field(default=None, max_length=100)
    password: str | None = Field(default=None, min_length=1, max_length=256)
    roles: list[Role] | None = None
    townships: list[str] | None = None
    active: bool | None = None


class UsersPublic(Page[UserPublic]):
    """One page of accounts."""


class AssignRequest(BaseModel):
    """图斑 to assign (1 to 10 000 case ids) and the verifier who gets them."""

    user_id: DbInt
    case_ids: list[DbInt] = Field(min_length=1, max_length=10_000)


@router.get("/users", operation_id="users-list", responses=errors(403))
def list_users(admin: Admin, users: UsersDep, paging: PagingDep) -> UsersPublic:
    """Every account, active or not."""
    rows = users.list()
    data = [UserPublic.of(u) for u in paging.slice(rows)]
    return UsersPublic(data=data, count=len(rows), next=paging.next_url(len(rows)))


@router.post("/users", status_code=201, operation_id="users-create", responses=errors(400, 403))
def create_user(body: UserCreate, admin: Admin, users: UsersDep, clock: ClockDep) -> UserPublic:
    """Create an account (admin only).

    A password the policy refuses (``geo.passwords``: under 10 characters, common, or made
    from the user's names) or no role is refused with 422; a user name already taken, or
    one of spaces only, with 400.
    """
    u = users.add(
        username=body.username,
        display_name=body.display_name or body.username,
        password=body.password,
        roles=[r.value for r in body.roles],
        townships=body.townships,
        by=admin.actor,
        now=clock(),
    )
    return UserPublic.of(u)


@router.patch("/users/{user_id}", operation_id="users-update", responses=errors(403))
def update_user(
    user_id: int, body: UserUpdate, admin: Admin, users: UsersDep, clock: ClockDep
) -> UserPublic:
    """Change an account's display name, password, roles, townships or active flag (admin only).

    Fields left out stay as they are. An unknown user gets 404; a password the policy refuses 422.
    """
    changes = body.model_dump(exclude_none=True)
    if "roles" in changes:
        changes["roles"] = [r.value for r in body.roles or []]
    return UserPublic.of(users.update(user_id, by=admin.actor, now=clock(), **changes))


@router.post("/assignments", operation_id="assignments-create", responses=errors(400, 403, 404))
def assign(
    body: AssignRequest, who: Dispatcher, users: UsersDep, clock: ClockDep
) -> AssignedPublic:
    """Assign 图斑 to a verifier (replacing earlier assignments of those 图斑)."""
    n = users.assign(body.case_ids, body.user_id, by=who.actor, now=clock())
    return AssignedPublic(assigned=n, user_id=body.user_id)
