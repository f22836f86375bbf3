"""Is the store ready to serve? A round trip to the database and its schema at Alembic's head."""

from __future__ import annotations

from functools import cache

from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from storage.engine import alembic_config


@cache
def head_revisions() -> set[str]:
    """The head revision(s) of this code's migrations."""
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def _current_revisions(conn: Connection) -> set[str]:
    # Read directly: alembic's MigrationContext logs two INFO lines per probe.
    if not inspect(conn).has_table("alembic_version"):
        return set()
    return set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


def not_ready_reason(engine: Engine) -> str | None:
    """None when the database answers ``SELECT 1`` and its schema is at head; else why not
    (in zh-CN, naming the database's error class but not its URL or password)."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            current = _current_revisions(conn)
    except SQLAlchemyError as exc:
        cause = type(getattr(exc, "orig", None) or exc).__name__
        return f"数据库无法连接（{cause}）"
    heads = head_revisions()
    if current != heads:
        have = "、".join(sorted(current)) or "无"
        return f"数据库结构版本为 {have}，应为 {'、'.join(sorted(heads))}：请运行 tuban db-upgrade"
    return None
