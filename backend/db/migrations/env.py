"""Alembic environment of the backend schema.

`backend.db.session.migrate(url)` runs it with an open connection (``config.attributes["connection"]``); the
command line (``alembic -c backend/alembic.ini upgrade head``) uses ``sqlalchemy.url`` or, without it, the
configured database (HUNDI_DATABASE_URL / DATABASE_URL, default var/hundi.db).
"""

from __future__ import annotations

import backend.api.models  # registers the API's sign-in tables (api_*) on SQLModel.metadata
import backend.db.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from backend.db.session import VERSION_TABLE, is_backend_object, make_engine
from backend.settings import IndexerSettings
from hundi.db import run_alembic_env

run_alembic_env(
    version_table=VERSION_TABLE,
    include_object=is_backend_object,
    default_url=lambda: IndexerSettings().database_url,
    engine_factory=make_engine,
)
