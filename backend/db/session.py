"""Engines, sessions and schema migrations for the backend database (SQLite by default, Postgres in production)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import create_engine

from backend.settings import IndexerSettings, normalize_database_url

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: Alembic's version table. Named for this package so the oracle can share a Postgres database without the two
#: migration histories colliding.
VERSION_TABLE = "alembic_version_backend"
#: pg_advisory_xact_lock key serialising concurrent migrations (indexer and API starting together).
_MIGRATION_LOCK = 0x48554E4449  # "HUNDI"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the API read while the indexer writes; NORMAL is durable across application crashes in WAL mode.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine on `url` (default: the configured database). Creates the SQLite file's folder."""
    url = normalize_database_url(url or IndexerSettings().database_url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"check_same_thread": False})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def alembic_config(url: str | None = None) -> Config:
    """The Alembic configuration of the backend schema (script location under backend/db/migrations)."""
    from alembic.config import Config  # imported when needed: Alembic takes a noticeable share of start-up

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        # ConfigParser interpolates '%': a URL-encoded password or option would otherwise break it.
        config.set_main_option("sqlalchemy.url", normalize_database_url(url).replace("%", "%%"))
    return config


def _migration_engine(url: str | None) -> Engine:
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":
        # Take SQLite's write lock when the transaction begins, not at the first DDL statement: otherwise two
        # processes migrating at once both read "no schema yet" and the second fails creating the tables.
        # (pysqlite's own transaction handling is switched off so that SQLAlchemy's BEGIN is the one that runs.)
        engine.dispose()
        engine = make_engine(url, connect_args={"check_same_thread": False, "isolation_level": None})

        @event.listens_for(engine, "begin")
        def _begin_immediate(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def migrate(url: str | Engine | None = None) -> None:
    """Bring the database at `url` (or behind an engine) to the latest schema: `alembic upgrade head`.

    Safe to call on every start, by several processes at once: on Postgres the upgrade runs under an advisory
    lock, in one transaction.
    """
    from alembic import command

    engine = url if isinstance(url, Engine) else _migration_engine(url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        if not isinstance(url, Engine):
            engine.dispose()
