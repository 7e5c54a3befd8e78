"""Engines and schema migrations of the oracle database (SQLite by default, Postgres in production).

The oracle keeps its own migration history in the version table ``alembic_version_oracle`` so both services can
share one Postgres database.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from hundi import db

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version_oracle"
#: pg_advisory_xact_lock key serialising concurrent migrations of the oracle schema.
_MIGRATION_LOCK = 0x4F5241434C45  # "ORACLE"


def default_url() -> str:
    """The configured oracle database URL (HUNDI_ORACLE_DATABASE_URL, DATABASE_URL, else var/oracle.db)."""
    from oracle.settings import OracleSettings

    return OracleSettings().database_url


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine on `url` (default: the configured database). SQLite: WAL with synchronous=FULL, because the
    outbox must survive power loss between "nonce stored" and "broadcast", not only a process crash."""
    kwargs.setdefault("synchronous", "FULL")
    kwargs.setdefault("busy_timeout_ms", 15_000)
    return db.make_engine(url or default_url(), **kwargs)


def alembic_config(url: str | None = None) -> Config:
    """The Alembic configuration of the oracle schema."""
    return db.alembic_config(MIGRATIONS_DIR, url)


def migrate(url: str | Engine | None = None) -> None:
    """Bring the oracle database to the latest schema (`alembic upgrade head`); safe on every start, by several
    processes at once."""
    target = url if url is not None else default_url()
    db.upgrade_to_head(target, migrations_dir=MIGRATIONS_DIR, lock_key=_MIGRATION_LOCK, engine_factory=make_engine)
