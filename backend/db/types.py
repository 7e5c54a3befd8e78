"""Column types for chain values that neither database has natively."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Numeric
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine, UserDefinedType

INT64_MAX = 2**63 - 1
UINT256_DIGITS = 78  # len(str(2**256 - 1))


class _SqliteNone(UserDefinedType[Any]):
    """A column SQLite gives BLOB ("none") affinity, so it stores integers and text exactly as bound.

    A NUMERIC or INTEGER affinity would turn a decimal string above 2**63 into a lossy REAL.
    """

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "BLOB"


class Uint256(TypeDecorator[int]):
    """An unsigned EVM integer (uint64 .. uint256) as a Python int, exact on both backends.

    Postgres: NUMERIC(78, 0). SQLite: an INTEGER while the value fits in 64 bits (every realistic amount of a
    6-decimal stablecoin does); above that, a decimal string zero-padded to 78 digits, which SQLite sorts after
    every INTEGER and, being fixed-width, correctly among themselves. Only SQL arithmetic (SUM) on such values is
    inexact on SQLite.
    """

    impl = Numeric(UINT256_DIGITS, 0)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(_SqliteNone())
        return dialect.type_descriptor(Numeric(UINT256_DIGITS, 0))

    def process_bind_param(self, value: int | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        value = int(value)
        if value < 0:
            raise ValueError(f"{value} is not an unsigned integer")
        if dialect.name == "sqlite" and value > INT64_MAX:
            return f"{value:0{UINT256_DIGITS}d}"
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        return None if value is None else int(value)


#: Decoded event arguments: JSONB on Postgres (indexable), JSON text on SQLite.
JsonDocument = JSON().with_variant(JSONB(), "postgresql")


class Int256(TypeDecorator[int]):
    """A signed EVM integer (int256) as a Python int, exact on both backends; never compared or summed in SQL.

    Postgres: NUMERIC(78, 0). SQLite: an INTEGER while the value fits in 64 bits, else its decimal string (SQLite
    would turn a larger integer into a lossy REAL).
    """

    impl = Numeric(UINT256_DIGITS, 0)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(_SqliteNone())
        return dialect.type_descriptor(Numeric(UINT256_DIGITS, 0))

    def process_bind_param(self, value: int | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        value = int(value)
        if dialect.name == "sqlite" and not -INT64_MAX - 1 <= value <= INT64_MAX:
            return str(value)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        return None if value is None else int(value)
