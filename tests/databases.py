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


class EmptyDatabases:
    """URLs of new, empty databases on one backend; `drop_all` removes every Postgres schema it made."""

    def __init__(self, backend: str, folder: Path, prefix: str = "hundi_test") -> None:
        self.backend = backend
        self.folder = folder
        self.prefix = prefix
        self._schemas: list[str] = []
        self._count = 0

    def new_url(self) -> str:
        """The URL of a new empty database (a new SQLite file, or a new Postgres schema)."""
        self._count += 1
        if self.backend == "sqlite":
            return f"sqlite:///{self.folder / f'{self.prefix}-{self._count}.db'}"
        schema = f"{self.prefix}_{uuid.uuid4().hex[:12]}"
        self._admin(f'CREATE SCHEMA "{schema}"')
        self._schemas.append(schema)
        base = make_url(normalize_database_url(POSTGRES_URL))
        return base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)

    def _admin(self, statement: str) -> None:
        engine = create_engine(normalize_database_url(POSTGRES_URL))
        try:
            with engine.begin() as connection:
                connection.execute(text(statement))
        finally:
            engine.dispose()

    def drop_all(self) -> None:
        for schema in self._schemas:
            self._admin(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        self._schemas.clear()
