"""Engines, sessions and schema migrations of the oracle database (SQLite by default, Postgres in production).

The pattern follows backend/db/session.py; the oracle keeps its own migration history in the version table
``alembic_version_oracle`` so both services can share one Postgres database.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import create_engine

from backend.settings import normalize_database_url

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version_oracle"
#: pg_advisory_xact_lock key serialising concurrent migrations of the oracle schema.
_MIGRATION_LOCK = 0x4F5241434C45  # "ORACLE"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the API read while the loop writes; synchronous=FULL because the outbox must survive power loss
    # between "nonce stored" and "broadcast", not only a process crash.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def default_url() -> str:
    """The configured oracle database URL (HUNDI_ORACLE_DATABASE_URL, DATABASE_URL, else var/oracle.db)."""
    from oracle.settings import OracleSettings

    return OracleSettings().database_url


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine on `url` (default: the configured database). Creates the SQLite file's folder."""
    url = normalize_database_url(url or default_url())
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
    """The Alembic configuration of the oracle schema."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.set_main_option("sqlalchemy.url", normalize_database_url(url).replace("%", "%%"))
    return config


def _migration_engine(url: str | None) -> Engine:
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":
        # Take SQLite's write lock at BEGIN so two processes migrating at once serialise (see backend/db/session.py).
        engine.dispose()
        engine = make_engine(url, connect_args={"check_same_thread": False, "isolation_level": None})

        @event.listens_for(engine, "begin")
        def _begin_immediate(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def migrate(url: str | Engine | None = None) -> None:
    """Bring the oracle database to the latest schema (`alembic upgrade head`); safe on every start, by several
    processes at once."""
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
