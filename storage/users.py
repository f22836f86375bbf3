"""Accounts, sessions and 图斑 assignments."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, select, update

from geo import passwords
from geo.errors import InvalidValue, NotFound, TubanError
from geo.messages import msg
from geo.roles import Role, roles_of
from storage.login_throttle import LoginThrottle, keys_for
from storage.rows import inserted_id
from storage.tables import assignments, sessions, users

SESSION_TTL = timedelta(hours=12)


class AuthError(TubanError):
    """No valid session: wrong name or password, or the login expired or was revoked."""

    code = "AUTH_REQUIRED"


class Forbidden(TubanError):
    """Logged in, but the user's roles or assigned 图斑 do not allow this."""

    code = "FORBIDDEN"


@dataclass(frozen=True)
class User:
    """An account as the rest of the system sees it: who, which roles, which townships."""

    id: int
    username: str
    display_name: str
    roles: frozenset[Role]
    townships: tuple[str, ...]
    active: bool = True

    @property
    def actor(self) -> str:
        """How the user appears in the audit trail."""
        return f"{self.display_name}（{self.username}）"


def _user(row: Any) -> User:
    return User(
        row.id,
        row.username,
        row.display_name,
        roles_of(row.roles),
        tuple(row.townships),
        row.active,
    )


def hash_token(token: str) -> str:
    """The SHA-256 under which a session token or an API key (``storage.api_keys``) is stored;
    the secret itself never is."""
    return hashlib.sha256(token.encode()).hexdigest()


class UserStore:
    """Users are never deleted: deactivating keeps the audit trail's names meaningful."""

    def __init__(self, engine: Engine, hasher: Any) -> None:
        self.engine = engine
        self.hasher = hasher  # argon2.PasswordHasher (injected so geo/storage stay free of it)
        self.throttle = LoginThrottle(engine)
        self._dummy: tuple[Any, str] | None = None

    def add(
        self,
        *,
        username: str,
        display_name: str,
        password: str,
        roles: list[str],
        townships: list[str] | None = None,
        by: str,
        now: datetime,
    ) -> User:
        """Create an active account; names are unique, passwords pass ``geo.passwords``."""
        username = username.strip()
        if not username:
            raise InvalidValue("用户名不能为空", field="username")
        passwords.check(password, username=username, display_name=display_name)
        try:
            rs = sorted(r.value for r in roles_of(roles))
        except ValueError:
            raise InvalidValue(
                f"未知角色 {roles}", field="roles", allowed=[r.value for r in Role]
            ) from None
        if not rs:
            raise InvalidValue("至少需要一个角色", field="roles")
        with self.engine.begin() as conn:
            if conn.execute(select(users.c.id).where(users.c.username == username)).first():
                raise InvalidValue(f"用户名 {username} 已存在", field="username")
            uid = inserted_id(
                conn.execute(
                    users.insert().values(
                        username=username,
                        display_name=display_name.strip() or username,
                        password_hash=self.hasher.hash(password),
                        roles=rs,
                        townships=sorted(set(townships or [])),
                        active=True,
                        created_at=now,
                        updated_at=now,
                        updated_by=by,
                    )
                )
            )
        return self.get(uid)

    def get(self, user_id: int) -> User:
        """The user with this id, active or not; NotFound otherwise."""
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.id == user_id)).first()
        if row is None:
            raise NotFound(f"没有用户 {user_id}", user_id=user_id)
        return _user(row)

    def list(self) -> list[User]:
        """Every user, deactivated ones included, in order of creation."""
        with self.engine.connect() as conn:
            return [_user(r) for r in conn.execute(select(users).order_by(users.c.id))]

    def update(self, user_id: int, *, by: str, now: datetime, **changes: Any) -> User:
        """Change roles, townships, name, active flag or password; the last two end sessions."""
        values: dict[str, Any] = {"updated_at": now, "updated_by": by}
        if "roles" in changes and changes["roles"] is not None:
            values["roles"] = sorted(r.value for r in roles_of(changes["roles"]))
        if changes.get("townships") is not None:
            values["townships"] = sorted(set(changes["townships"]))
        if changes.get("display_name"):
            values["display_name"] = changes["display_name"]
        if changes.get("active") is not None:
            values["active"] = bool(changes["active"])
        if changes.get("password"):
            account = self.get(user_id)
            passwords.check(
                changes["password"],
                username=account.username,
                display_name=changes.get("display_name") or account.display_name,
            )
            values["password_hash"] = self.hasher.hash(changes["password"])
        with self.engine.begin() as conn:
            res = conn.execute(update(users).where(users.c.id == user_id).values(**values))
            if res.rowcount != 1:
                raise NotFound(f"没有用户 {user_id}", user_id=user_id)
            if values.get("active") is False or "password_hash" in values:
                conn.execute(
                    update(sessions).where(sessions.c.user_id == user_id).values(revoked=True)
                )
        return self.get(user_id)

    # --- sessions -----------------------------------------------------------------------------

    def login(
        self, username: str, password: str, *, now: datetime, address: str | None = None
    ) -> tuple[str, User]:
        """Check the password and open a session: the new token (shown once) and the user.

        TooManyAttempts (429) while the user name or the client ``address`` is throttled. An
        unknown or inactive account costs the same password check as a known one, so neither the
        answer nor its time tells which user names exist.
        """
        from argon2.exceptions import VerificationError

        keys = keys_for(username, address)
        self.throttle.check(keys, now=now)
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.username == username.strip())).first()
        known = row is not None and row.active
        stored = row.password_hash if row is not None and row.active else self._dummy_hash()
        try:
            self.hasher.verify(stored, password)
        except VerificationError:
            known = False
        if not known or row is None:
            self.throttle.failed(keys, now=now)
            raise AuthError(msg("auth.bad_login"))
        self.throttle.succeeded(username)
        token = secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(
                sessions.insert().values(
                    token_hash=hash_token(token),
                    user_id=row.id,
                    created_at=now,
                    expires_at=now + SESSION_TTL,
                    revoked=False,
                )
            )
        return token, _user(row)

    def _dummy_hash(self) -> str:
        """A hash of a random secret made by the current hasher (same parameters, same cost)."""
        if self._dummy is None or self._dummy[0] is not self.hasher:
            self._dummy = (self.hasher, self.hasher.hash(secrets.token_urlsafe(16)))
        return self._dummy[1]

    def user_for_token(self, token: str, *, now: datetime) -> User:
        """The active user behind a live session token; AuthError if there is none."""
        q = (
            select(users)
            .join(sessions, sessions.c.user_id == users.c.id)
            .where(
                sessions.c.token_hash == hash_token(token),
                sessions.c.revoked.is_(False),
                sessions.c.expires_at > now,
                users.c.active.is_(True),
            )
        )
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        if row is None:
            raise AuthError(msg("auth.expired"))
        return _user(row)

    def logout(self, token: str) -> None:
        """Revoke the session of this token (a no-op if it is unknown)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(sessions)
                .where(sessions.c.token_hash == hash_token(token))
                .values(revoked=True)
            )

    # --- assignments --------------------------------------------------------------------------

    def assign(self, case_ids: Sequence[int], user_id: int, *, by: str, now: datetime) -> int:
        """Give these 图斑 to a verifier, replacing earlier assignments; returns how many."""
        user = self.get(user_id)
        if Role.VERIFIER not in user.roles:
            raise InvalidValue(f"{user.display_name} 不是外业核查员，不能分派图斑", field="user_id")
        with self.engine.begin() as conn:
            conn.execute(delete(assignments).where(assignments.c.case_id.in_(case_ids)))
            conn.execute(
                assignments.insert(),
                [
                    {"case_id": c, "user_id": user_id, "assigned_by": by, "assigned_at": now}
                    for c in case_ids
                ],
            )
        return len(case_ids)

    def assignee(self, case_id: int) -> dict[str, Any] | None:
        """The verifier a 图斑 was assigned to by hand (``id``, ``display_name``), if any."""
        q = (
            select(users.c.id, users.c.display_name)
            .join(assignments, assignments.c.user_id == users.c.id)
            .where(assignments.c.case_id == case_id)
        )
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return dict(row._mapping) if row else None
