"""Alembic environment of the backend schema.

`backend.db.session.migrate(url)` runs it with an open connection (``config.attributes["connection"]``); the
command line (``alembic -c backend/alembic.ini upgrade head``) uses ``sqlalchemy.url`` or, without it, the
configured database (HUNDI_DATABASE_URL / DATABASE_URL, default var/hundi.db).
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

import backend.api.models  # registers the API's sign-in tables (api_*) on SQLModel.metadata
import backend.db.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from backend.db.session import VERSION_TABLE, is_backend_object, make_engine
from backend.settings import IndexerSettings

config = context.config
if config.config_file_name is not None and config.attributes.get("connection") is None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
target_metadata = SQLModel.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        # SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=is_backend_object,
    )


def run_offline() -> None:
    url = config.get_main_option("sqlalchemy.url") or IndexerSettings().database_url
    context.configure(
        url=url,
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        include_object=is_backend_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or None)
    try:
        with engine.connect() as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
