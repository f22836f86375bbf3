"""Who is asking under /ogc: a session (bearer token or cookie, as everywhere in the API) or,
for desk GIS clients, an API key in an ``X-API-Key`` header or an ``api_key`` query parameter
(QGIS 3.22 cannot send a header but repeats the landing URL's query string).

Keys are taken here only, so they open /ogc and nothing else. A key reads, unless it was made
to edit (``tuban user api-key create --edit``): then it may also record verifications (Part 4),
within its user's roles like any session. A write carried by the session cookie alone is
refused: no page of Tuban writes to /ogc, so such a write can only be forged by another site.
The access log names the user, never the key (api/request_log.py logs the route template, not
the query string).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.csrf import cookie_authenticated
from api.security import bearer_token
from geo.messages import msg
from storage.users import AuthError, Forbidden, User

KEY_HEADER = "x-api-key"
KEY_PARAM = "api_key"


def ogc_user(request: Request) -> User:
    """The user behind the request's session or API key; AuthError (401) without either, or
    with an unknown, expired or revoked one."""
    state = request.app.state
    token = bearer_token(request)
    key = request.headers.get(KEY_HEADER) or request.query_params.get(KEY_PARAM)
    if token:
        user = state.users.user_for_token(token, now=state.clock())
    elif key:
        user = state.services.api_keys().user_for_key(key.strip())
    else:
        raise AuthError(msg("auth.ogc_sign_in"))
    request.state.username = user.username  # for the access log
    return user


def ogc_editor(request: Request) -> User:
    """The user behind a write: a bearer session, or an API key made to edit; AuthError (401)
    without credentials, Forbidden (403) for a read-only key or the cookie alone."""
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return ogc_user(request)
    key = request.headers.get(KEY_HEADER) or request.query_params.get(KEY_PARAM)
    if key:
        holder = request.app.state.services.api_keys().holder(key.strip())
        if not holder.can_edit:
            raise Forbidden(msg("forbidden.key_read_only"))
        request.state.username = holder.user.username
        return holder.user
    if cookie_authenticated(request):
        raise Forbidden(msg("forbidden.ogc_cookie_write"))
    return ogc_user(request)


OgcUser = Annotated[User, Depends(ogc_user)]
OgcEditor = Annotated[User, Depends(ogc_editor)]
