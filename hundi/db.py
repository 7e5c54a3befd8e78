"""Database plumbing shared by the services that keep state (the indexer/API and the oracle): engines with the
right SQLite settings, and Alembic migrations that several processes may run at once.

Each service keeps its own migration history (its own script folder and version table), so they can share one
Postgres database; this module only holds the mechanics.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import create_engine

if TYPE_CHECKING:
    from alembic.config import Config


def normalize_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgres://`` and ``postgresql://`` URLs (SQLAlchemy defaults to
    psycopg2, which is not installed)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, *, synchronous: str = "NORMAL", busy_timeout_ms: int = 10_000, **kwargs: Any) -> Engine:
    """An engine on `url`; creates a SQLite file's folder.

    SQLite runs in WAL mode (readers never wait for the writer) with `synchronous` ("NORMAL" survives an
    application crash; "FULL" also survives power loss) and foreign keys on.
    """
    if synchronous not in ("NORMAL", "FULL"):
        raise ValueError(f"synchronous must be NORMAL or FULL, not {synchronous!r}")
    url = normalize_database_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(url, **kwargs)

    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    kwargs.setdefault("connect_args", {"check_same_thread": False})
    engine = create_engine(url, **kwargs)

    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    event.listen(engine, "connect", _pragmas)
    return engine


def alembic_config(migrations_dir: Path, url: str | None = None) -> Config:
    """An Alembic configuration for the migration scripts in `migrations_dir`."""
    from alembic.config import Config  # imported when needed: Alembic takes a noticeable share of start-up

    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    if url is not None:
        # ConfigParser interpolates '%': a URL-encoded password or option would otherwise break it.
        config.set_main_option("sqlalchemy.url", normalize_database_url(url).replace("%", "%%"))
    return config


def upgrade_to_head(
    target: str | Engine, *, migrations_dir: Path, lock_key: int, engine_factory: Callable[..., Engine]
) -> None:
    """`alembic upgrade head` on `target` (a URL, or an engine the caller owns).

    Safe to call on every start, by several processes at once: on Postgres the upgrade runs in one transaction
    under the advisory lock `lock_key`; on SQLite the write lock is taken when the transaction begins, not at
    the first DDL statement (otherwise two processes both read "no schema yet" and the second fails creating
    the tables).
    """
    from alembic import command

    if isinstance(target, Engine):
        engine = target
    else:
        engine = engine_factory(target)
        if engine.dialect.name == "sqlite":
            # pysqlite's own transaction handling is switched off so that SQLAlchemy's BEGIN IMMEDIATE is the one
            # that runs.
            engine.dispose()
            engine = engine_factory(target, connect_args={"check_same_thread": False, "isolation_level": None})

            @event.listens_for(engine, "begin")
            def _begin_immediate(connection: Connection) -> None:
                connection.exec_driver_sql("BEGIN IMMEDIATE")

    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key})
            config = alembic_config(migrations_dir)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        if not isinstance(target, Engine):
            engine.dispose()


def run_alembic_env(
    *,
    version_table: str,
    include_object: Callable[[object, str | None, str, bool, object], bool],
    default_url: Callable[[], str],
    engine_factory: Callable[..., Engine],
) -> None:
    """The body of a service's Alembic ``env.py`` (call it after importing the models onto SQLModel.metadata).

    Online, it uses the connection `upgrade_to_head` hands over (``config.attributes["connection"]``), else an
    engine on ``sqlalchemy.url`` or the configured database; offline, it renders SQL. SQLite tables are altered in
    batch mode (it cannot ALTER most things in place); `include_object` keeps each history to its own tables.
    """
    from logging.config import fileConfig

    from alembic import context
    from sqlmodel import SQLModel

    config = context.config
    if config.config_file_name is not None and config.attributes.get("connection") is None:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    options: dict[str, Any] = {
        "target_metadata": SQLModel.metadata,
        "version_table": version_table,
        "include_object": include_object,
    }

    def migrate_on(connection: Connection) -> None:
        context.configure(
            connection=connection,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            **options,
        )
        with context.begin_transaction():
            context.run_migrations()

    if context.is_offline_mode():
        url = config.get_main_option("sqlalchemy.url") or default_url()
        context.configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"}, **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is not None:
        migrate_on(connection)
        return
    engine = engine_factory(config.get_main_option("sqlalchemy.url") or None)
    try:
        with engine.connect() as opened:
            migrate_on(opened)
    finally:
        engine.dispose()
