"""The current user of every API call, and what their roles let them do."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from geo.messages import msg
from geo.model import Action
from geo.roles import ASSIGNED_ONLY, Role, may_act
from storage.users import AuthError, Forbidden, User, UserStore
from storage.visibility import Scope, Visibility


async def user_store(request: Request) -> UserStore:
    """The account store the app was built with (async: no thread hop for a getter)."""
    return request.app.state.users


def bearer_token(request: Request) -> str | None:
    """The request's session token: an ``Authorization: Bearer`` header's, else the ``tuban_token``
    cookie's; None when there is none."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return request.cookies.get("tuban_token")


def current_user(request: Request, users: Annotated[UserStore, Depends(user_store)]) -> User:
    """The signed-in user of the request; AuthError (401) without a token or with an unknown or
    expired one."""
    token = bearer_token(request)
    if not token:
        raise AuthError(msg("auth.sign_in"))
    checked = getattr(request.state, "gate_user", None)  # looked up by api/request_gate.py
    if checked is not None and checked[0] == token:
        user = checked[1]
    else:
        user = users.user_for_token(token, now=request.app.state.clock())
    request.state.username = user.username  # for the access log (api/request_log.py)
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def current_scope(user: CurrentUser) -> Scope:
    """The 图斑 the signed-in user may see (storage.visibility: the one rule every read applies)."""
    return Scope.of(user)


ScopeDep = Annotated[Scope, Depends(current_scope)]


def sees_everything(user: CurrentUser) -> User:
    """A dependency admitting who may see every 图斑: for pages that name them all (an import
    report lists each rejected, repaired and linked 图斑 of a file) and cannot be cut to a
    scope without losing their meaning."""
    if not Scope.of(user).everything:
        raise Forbidden(msg("forbidden.sees_everything"))
    return user


SeesEverything = Annotated[User, Depends(sees_everything)]


def require(*roles: Role):  # type: ignore[no-untyped-def]
    """A dependency admitting users holding any of ``roles`` (admins always)."""

    def check(user: CurrentUser) -> User:
        if Role.ADMIN in user.roles or user.roles & set(roles):
            return user
        wanted = list(roles)
        raise Forbidden(msg("forbidden.roles", roles=wanted), roles=[r.value for r in roles])

    return check


def get_visibility(request: Request) -> Visibility:
    """The visibility rule on the app's database."""
    return request.app.state.services.visibility()


VisibilityDep = Annotated[Visibility, Depends(get_visibility)]


def check_action(user: User, action: str, case_id: int, visibility: Visibility) -> None:
    """May ``user`` take ``action`` on this case? Verifiers only on what is assigned to them."""
    try:
        act = Action(action)
    except ValueError:
        return  # the workflow refuses unknown actions with its own, clearer error
    if not may_act(user.roles, act):
        raise Forbidden(
            msg("forbidden.action", roles=list(user.roles), action=act), action=act.value
        )
    if act in ASSIGNED_ONLY and not visibility.sees(Scope.of(user), case_id):
        raise Forbidden(msg("forbidden.not_assigned"), case_id=case_id)


def check_visible(user: User, case_id: int, visibility: Visibility) -> None:
    """Verifiers see only their 图斑; to them others do not exist (404, not 403)."""
    visibility.require(Scope.of(user), case_id)
