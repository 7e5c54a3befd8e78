"""Alembic environment of the oracle schema.

`oracle.db.session.migrate(url)` runs it with an open connection (``config.attributes["connection"]``); by hand:
``alembic -c oracle/alembic.ini upgrade head`` (database: ``sqlalchemy.url``, else HUNDI_ORACLE_DATABASE_URL /
DATABASE_URL, default var/oracle.db).
"""

from __future__ import annotations

import oracle.db.models  # noqa: F401  (registers the tables, B's included, on SQLModel.metadata)
from hundi.db import run_alembic_env
from oracle.db.session import VERSION_TABLE, default_url, make_engine


def _include(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    # The backend's tables may share the database: autogenerate looks at the oracle's tables only.
    return type_ != "table" or (name or "").startswith("oracle_")


run_alembic_env(
    version_table=VERSION_TABLE, include_object=_include, default_url=default_url, engine_factory=make_engine
)
