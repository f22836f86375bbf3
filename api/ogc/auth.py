"""Who is asking under /ogc: a session (bearer token or cookie, as everywhere in the API) or,
for desk GIS clients, a read-only API key in an ``X-API-Key`` header or an ``api_key`` query
parameter (QGIS 3.22 cannot send a header but repeats the landing URL's query string).

Keys are taken here only, so they open /ogc and nothing else; every /ogc route reads, so a key
cannot change anything. The access log names the user, never the key (api/request_log.py logs
the route template, not the query string).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.security import bearer_token
from storage.users import AuthError, User

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
        raise AuthError("请先登录，或提供 API 密钥（X-API-Key 请求头或 ?api_key=）")
    request.state.username = user.username  # for the access log
    return user


OgcUser = Annotated[User, Depends(ogc_user)]
