"""API keys: credentials for desk GIS clients on /ogc, each bound to a user; read-only unless
made to edit (``can_edit``: recording verifications over OGC API - Features Part 4).

A key is shown once when made; only its SHA-256 is stored (like session tokens), so neither a
copied database nor a log of the table grants access. Using a key acts as its user: the same
roles and the same 图斑 scope. A revoked key, or one whose user was deactivated, is refused.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, update

from geo.errors import InvalidValue, NotFound
from geo.messages import msg
from storage.rows import inserted_id
from storage.tables import api_keys, users
from storage.users import AuthError, User, _user, hash_token

# A prefix makes a pasted key recognisable (and greppable in a leaked file).
KEY_PREFIX = "tbk_"


@dataclass(frozen=True)
class ApiKey:
    """A stored key as listed: never the key itself."""

    id: int
    username: str
    label: str
    created_by: str
    created_at: datetime
    revoked_at: datetime | None
    can_edit: bool = False


@dataclass(frozen=True)
class KeyHolder:
    """Who a live key acts as, and whether it may write."""

    user: User
    can_edit: bool


class ApiKeyStore:
    """Keys on one engine: made, listed, revoked, and looked up by the /ogc routes."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(
        self, username: str, *, label: str, by: str, now: datetime, can_edit: bool = False
    ) -> tuple[str, ApiKey]:
        """A new key for ``username``: (the key, shown this once; its stored record). A key
        that ``can_edit`` still acts only within its user's roles."""
        with self.engine.begin() as conn:
            row = conn.execute(select(users).where(users.c.username == username)).first()
            if row is None:
                raise NotFound(f"没有账号 {username}", username=username)
            if not row.active:
                raise InvalidValue(f"账号 {username} 已停用", field="username")
            key = KEY_PREFIX + secrets.token_urlsafe(32)
            kid = inserted_id(
                conn.execute(
                    api_keys.insert().values(
                        key_hash=hash_token(key),
                        user_id=row.id,
                        label=label.strip()[:100],
                        created_by=by,
                        created_at=now,
                        can_edit=can_edit,
                    )
                )
            )
        return key, ApiKey(kid, username, label.strip()[:100], by, now, None, can_edit)

    def list(self) -> list[ApiKey]:
        """Every key, revoked ones included, oldest first."""
        q = (
            select(api_keys, users.c.username)
            .join(users, users.c.id == api_keys.c.user_id)
            .order_by(api_keys.c.id)
        )
        with self.engine.connect() as conn:
            return [_record(r) for r in conn.execute(q)]

    def revoke(self, key_id: int, *, now: datetime) -> None:
        """Revoke key ``key_id`` (NotFound for an unknown id; revoking twice keeps the first
        date)."""
        with self.engine.begin() as conn:
            found = conn.execute(select(api_keys.c.id).where(api_keys.c.id == key_id)).first()
            if found is None:
                raise NotFound(f"没有 API 密钥 #{key_id}", key_id=key_id)
            conn.execute(
                update(api_keys)
                .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )

    def user_for_key(self, key: str) -> User:
        """The active user behind a live key; AuthError for an unknown or revoked one."""
        return self.holder(key).user

    def holder(self, key: str) -> KeyHolder:
        """The active user behind a live key and the key's write right; AuthError for an
        unknown or revoked one."""
        q = (
            select(users, api_keys.c.can_edit)
            .join(api_keys, api_keys.c.user_id == users.c.id)
            .where(
                api_keys.c.key_hash == hash_token(key),
                api_keys.c.revoked_at.is_(None),
                users.c.active.is_(True),
            )
        )
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        if row is None:
            raise AuthError(msg("auth.bad_api_key"))
        return KeyHolder(_user(row), bool(row.can_edit))


def _record(r: Any) -> ApiKey:
    return ApiKey(
        r.id, r.username, r.label, r.created_by, r.created_at, r.revoked_at, bool(r.can_edit)
    )
