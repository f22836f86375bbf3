"""Engine creation (SQLite pragmas, PostgreSQL) and schema migration through Alembic."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry

MIGRATIONS = Path(__file__).parent / "migrations"


def sqlite_url(path: str | Path) -> str:
    """The SQLAlchemy URL of a SQLite file, with ``~`` expanded and the path made absolute."""
    return f"sqlite:///{Path(path).expanduser().resolve()}"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL with full sync, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")  # readers never block the single writer
            # FULL: the WAL is fsynced at every commit, so a committed event survives power loss
            # (NORMAL syncs only at checkpoints and may lose the last commits). See
            # docs/architecture.md "Durability".
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")  # a writer waits for the lock, not fails
            # 64 MB page cache (default 2 MB): index inserts of a large import stay in memory.
            cur.execute("PRAGMA cache_size=-65536")
            cur.close()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True)


def alembic_config() -> Config:
    """An Alembic config pointing at this package's migrations (no alembic.ini needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


POSTGIS_MISSING = (
    "PostgreSQL 数据库缺少 PostGIS 空间扩展：请在数据库服务器安装 postgresql-15-postgis-3，"
    "再以超级用户在该数据库中执行 CREATE EXTENSION postgis;"
    " (PostGIS is missing: install postgresql-15-postgis-3, then run CREATE EXTENSION postgis)"
)


class PostgisMissing(RuntimeError):
    """The PostgreSQL database has no PostGIS extension, which the store's geometry needs."""


def postgis_version(conn: Connection) -> str | None:
    """The PostGIS extension version installed in the connected database (None: not installed)."""
    return conn.exec_driver_sql(
        "SELECT extversion FROM pg_extension WHERE extname = 'postgis'"
    ).scalar()


def require_postgis(conn: Connection) -> None:
    """Raise ``PostgisMissing`` naming the package and the statement when PostGIS is absent.

    The extension is not created here: that needs a superuser, and which schema holds it is
    the administrator's choice (a store's schema search path must reach it, e.g. ``public``).
    """
    if postgis_version(conn) is None:
        raise PostgisMissing(POSTGIS_MISSING)


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (idempotent); on PostgreSQL PostGIS must be installed."""
    cfg = alembic_config()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            require_postgis(conn)
        cfg.attributes["connection"] = conn
        had_daily = _has_table(conn, "indicator_daily")
        command.upgrade(cfg, revision)
        fresh_daily = not had_daily and _has_table(conn, "indicator_daily")
    if fresh_daily:
        # Stores made before migration 0005 hold cases and events but no daily counts yet.
        from storage import daily_counts

        daily_counts.rebuild(engine)


def _has_table(conn: Connection, name: str) -> bool:
    from sqlalchemy import inspect

    return inspect(conn).has_table(name)
