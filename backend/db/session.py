"""Engines and schema migrations of the backend database (SQLite by default, Postgres in production)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from backend.settings import IndexerSettings
from hundi import db

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: Alembic's version table. Named for this package so the oracle can share a Postgres database without the two
#: migration histories colliding.
VERSION_TABLE = "alembic_version_backend"
#: pg_advisory_xact_lock key serialising concurrent migrations (indexer and API starting together).
_MIGRATION_LOCK = 0x48554E4449  # "HUNDI"


def is_backend_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Alembic's include_object filter: the oracle's tables (``oracle_*``) may share SQLModel.metadata and the
    database, but belong to the oracle's own migration history."""
    return type_ != "table" or not (name or "").startswith("oracle_")


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine on `url` (default: the configured database). SQLite: WAL, synchronous=NORMAL (durable across
    application crashes in WAL mode; the indexer can always re-read the chain)."""
    return db.make_engine(url or IndexerSettings().database_url, **kwargs)


def alembic_config(url: str | None = None) -> Config:
    """The Alembic configuration of the backend schema (script location under backend/db/migrations)."""
    return db.alembic_config(MIGRATIONS_DIR, url)


def migrate(url: str | Engine | None = None) -> None:
    """Bring the database at `url` (or behind an engine) to the latest schema: `alembic upgrade head`. Safe to call
    on every start, by several processes at once."""
    target = url if url is not None else IndexerSettings().database_url
    db.upgrade_to_head(target, migrations_dir=MIGRATIONS_DIR, lock_key=_MIGRATION_LOCK, engine_factory=make_engine)
