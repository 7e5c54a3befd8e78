"""Bulk inserts inside an open session: COPY on Postgres, executemany elsewhere.

psycopg sends an executemany as one statement per row (pipelined); COPY streams the rows in one command and is
several times faster, which is most of the difference between a backfill that keeps up with the chain and one
that does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Table, insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.type_api import TypeEngine

from backend.db.types import Uint256


def _is_json(column_type: TypeEngine[Any]) -> bool:
    return isinstance(column_type, JSON) or isinstance(getattr(column_type, "impl", None), JSON)


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys, column names) into `table` in the session's transaction."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        session.execute(insert(table), list(rows))
        return
    from psycopg.types.json import Jsonb  # only with the Postgres driver

    names = list(rows[0])
    columns = [table.c[name] for name in names]
    json_at = [i for i, column in enumerate(columns) if _is_json(column.type)]
    uints = [(i, column.type) for i, column in enumerate(columns) if isinstance(column.type, Uint256)]
    dialect = connection.dialect
    statement = f'COPY "{table.name}" ({", ".join(f"{chr(34)}{n}{chr(34)}" for n in names)}) FROM STDIN'
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        for row in rows:
            values = [row[name] for name in names]
            for i, column_type in uints:  # checked and converted as they would be for an INSERT
                values[i] = column_type.process_bind_param(values[i], dialect)
            for i in json_at:
                values[i] = Jsonb(values[i])
            copy.write_row(values)
