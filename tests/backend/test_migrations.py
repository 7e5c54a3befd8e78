"""The Alembic migrations: `migrate(url)` builds the whole schema on an empty database of either backend, matches
the models exactly, can run concurrently, and downgrades cleanly."""

from __future__ import annotations

import threading

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlmodel import SQLModel

from backend.api.models import API_TABLES
from backend.db.models import TABLES
from backend.db.session import VERSION_TABLE, alembic_config, is_backend_object, make_engine, migrate
from backend.indexer.store import table_of
from tests.backend.conftest import Databases

EXPECTED = {table_of(model).name for model in (*TABLES, *API_TABLES)}


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def test_upgrade_head_on_an_empty_database_creates_every_table(databases: Databases) -> None:
    url = databases.new(migrated=False)
    engine = make_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) == set()
        migrate(url)
        assert set(inspect(engine).get_table_names()) == EXPECTED | {VERSION_TABLE}
        with engine.connect() as connection:
            assert MigrationContext.configure(
                connection, opts={"version_table": VERSION_TABLE}
            ).get_current_revision() == (head_revision())
        migrate(url)  # a second run is a no-op
        assert set(inspect(engine).get_table_names()) == EXPECTED | {VERSION_TABLE}
    finally:
        engine.dispose()


def test_the_migrated_schema_matches_the_models(databases: Databases) -> None:
    engine = make_engine(databases.new())
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={"compare_type": True, "version_table": VERSION_TABLE, "include_object": is_backend_object},
            )
            assert compare_metadata(context, SQLModel.metadata) == []
    finally:
        engine.dispose()


def test_concurrent_migrations_of_a_fresh_database_all_succeed(databases: Databases) -> None:
    url = databases.new(migrated=False)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            migrate(url)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    engine = make_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) == EXPECTED | {VERSION_TABLE}
    finally:
        engine.dispose()


def test_downgrade_to_base_drops_every_table(databases: Databases) -> None:
    url = databases.new()
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
        assert set(inspect(engine).get_table_names()) <= {VERSION_TABLE}
    finally:
        engine.dispose()
