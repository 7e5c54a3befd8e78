"""Fresh, empty test databases on SQLite and on the real Postgres, shared by the backend and oracle suites.

Postgres is the one at HUNDI_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test). Each fresh
Postgres database is a schema of its own, reached through the URL's search_path and dropped afterwards; tests that
need it are skipped, with the reason, when nothing answers there.
"""

from __future__ import annotations

import functools
import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from hundi.db import normalize_database_url

POSTGRES_URL = os.environ.get("HUNDI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgres")


@functools.cache
def postgres_available() -> bool:
    engine = create_engine(normalize_database_url(POSTGRES_URL), connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        engine.dispose()


def skip_unless_available(backend: str) -> None:
    if backend == "postgres" and not postgres_available():
        pytest.skip(f"no Postgres answers at {POSTGRES_URL} (set HUNDI_TEST_POSTGRES_URL)")


def _admin(base_url: str, statement: str) -> None:
    engine = create_engine(normalize_database_url(base_url))
    try:
        with engine.begin() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


class PostgresSchema:
    """A fresh Postgres schema and a URL whose connections use it (through search_path); `drop` removes it."""

    def __init__(self, base_url: str = POSTGRES_URL, prefix: str = "hundi_test") -> None:
        self.base_url = base_url
        self.name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        _admin(base_url, f'CREATE SCHEMA "{self.name}"')
        url = make_url(normalize_database_url(base_url)).update_query_dict({"options": f"-csearch_path={self.name}"})
        self.url = url.render_as_string(hide_password=False)

    def drop(self) -> None:
        _admin(self.base_url, f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE')


class EmptyDatabases:
    """URLs of new, empty databases on one backend; `drop_all` removes every Postgres schema it made."""

    def __init__(self, backend: str, folder: Path, prefix: str = "hundi_test") -> None:
        self.backend = backend
        self.folder = folder
        self.prefix = prefix
        self._schemas: list[PostgresSchema] = []
        self._count = 0

    def new_url(self) -> str:
        """The URL of a new empty database (a new SQLite file, or a new Postgres schema)."""
        self._count += 1
        if self.backend == "sqlite":
            return f"sqlite:///{self.folder / f'{self.prefix}-{self._count}.db'}"
        schema = PostgresSchema(POSTGRES_URL, self.prefix)
        self._schemas.append(schema)
        return schema.url

    def drop_all(self) -> None:
        for schema in self._schemas:
            schema.drop()
        self._schemas.clear()
