"""The unit of work the projection handlers write through.

Handlers read and change plain ``XBase`` models (validated pydantic, no ORM instrumentation: creating and
changing them costs microseconds). The store loads the rows a batch needs in a few ``IN`` queries up front,
keeps every change in memory, and writes them back with one bulk INSERT and one bulk UPDATE per table, inside
the batch's transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from sqlalchemy import Table, update
from sqlmodel import Session, SQLModel, select

from backend.db.bulk import insert_rows
from backend.db.models import (
    AutoPayout,
    AutoPayoutBase,
    Claim,
    ClaimBase,
    Investment,
    InvestmentBase,
    Invoice,
    InvoiceBase,
    Kyc,
    KycBase,
    Listing,
    ListingBase,
    OracleReport,
    OracleReportBase,
    Position,
    PositionBase,
    Repayment,
    RepaymentBase,
)

M = TypeVar("M", bound=SQLModel)
Key = tuple[Any, ...]

#: Projections with one row per entity, changed in place: model -> (table, key fields).
ENTITIES: dict[type[SQLModel], tuple[type[SQLModel], tuple[str, ...]]] = {
    InvoiceBase: (Invoice, ("invoice_id",)),
    ListingBase: (Listing, ("invoice_id",)),
    PositionBase: (Position, ("invoice_id", "holder")),
    KycBase: (Kyc, ("account",)),
    AutoPayoutBase: (AutoPayout, ("account",)),
}
#: Projections with one row per event, only ever inserted: model -> table.
RECORDS: dict[type[SQLModel], type[SQLModel]] = {
    InvestmentBase: Investment,
    RepaymentBase: Repayment,
    ClaimBase: Claim,
    OracleReportBase: OracleReport,
}
_CHUNK = 2000  # parameters per IN list: well inside SQLite's and Postgres' limits


def table_of(model: type[SQLModel]) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


def _chunks(items: list[Any], size: int = _CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class ProjectionStore:
    """Projection rows of one deployment, cached for one batch and flushed in bulk."""

    def __init__(self, session: Session, deployment_id: int, chain_id: int) -> None:
        self.session = session
        self.deployment_id = deployment_id
        self.chain_id = chain_id
        self._rows: dict[type[SQLModel], dict[Key, SQLModel | None]] = defaultdict(dict)
        self._in_db: dict[type[SQLModel], set[Key]] = defaultdict(set)
        self._dirty: dict[type[SQLModel], set[Key]] = defaultdict(set)
        self._records: dict[type[SQLModel], list[SQLModel]] = defaultdict(list)

    # -------------------------------------------------------------------------------------------- loading

    def prefetch(self, wanted: Mapping[type[SQLModel], Iterable[Key]]) -> None:
        """Load the rows of `wanted` ({model: keys}) that are not cached yet, a few IN queries per model."""
        for model, keys in wanted.items():
            missing = [k for k in set(keys) if k not in self._rows[model]]
            if missing:
                self._load(model, missing)

    def _load(self, model: type[SQLModel], keys: list[Key]) -> None:
        table_model, key_fields = ENTITIES[model]
        table = table_of(table_model)
        columns = [table.c[name] for name in model.model_fields]
        cache = self._rows[model]
        for key in keys:
            cache[key] = None  # absent unless found below
        # Filter on the first key field in SQL and on the rest in Python: one IN list, a superset of the keys.
        first = key_fields[0]
        wanted = set(keys)
        for chunk in _chunks(sorted({k[0] for k in keys})):
            query = select(*columns).where(table.c.deployment_id == self.deployment_id, table.c[first].in_(chunk))
            for row in self.session.execute(query).mappings():
                key = tuple(row[name] for name in key_fields)
                if key in wanted:
                    cache[key] = model.model_construct(**row)  # trusted: our own rows
                    self._in_db[model].add(key)

    # -------------------------------------------------------------------------------------------- handler API

    def get(self, model: type[M], *key: Any) -> M | None:
        """The row of `model` with `key`, to read or change in place (changes are written on flush)."""
        cache = self._rows[model]
        if key not in cache:
            self._load(model, [key])  # handlers should not get here: prefetch covers what they touch
        row = cache[key]
        if row is None:
            return None
        self._dirty[model].add(key)
        return row  # type: ignore[return-value]

    def put(self, row: SQLModel) -> None:
        """Create or replace an entity row."""
        model = type(row)
        key = tuple(getattr(row, name) for name in ENTITIES[model][1])
        if key not in self._rows[model]:
            self._load(model, [key])
        self._rows[model][key] = row
        self._dirty[model].add(key)

    def record(self, row: SQLModel) -> None:
        """Insert an event row (an investment, repayment, claim or report)."""
        self._records[type(row)].append(row)

    # -------------------------------------------------------------------------------------------- writing

    def flush(self) -> None:
        """Write every change: bulk INSERT of new rows, bulk UPDATE (by primary key) of changed ones."""
        for model, keys in self._dirty.items():
            table_model = ENTITIES[model][0]
            inserts: list[dict[str, Any]] = []
            updates: list[dict[str, Any]] = []
            for key in keys:
                row = self._rows[model][key]
                if row is None:
                    continue
                values = dict(row.__dict__)
                values["deployment_id"] = self.deployment_id
                (updates if key in self._in_db[model] else inserts).append(values)
            if inserts:
                insert_rows(self.session, table_of(table_model), inserts)
                self._in_db[model].update(k for k in keys if self._rows[model][k] is not None)
            if updates:
                self.session.execute(update(table_model), updates)
        self._dirty.clear()
        for model, rows in self._records.items():
            records: list[dict[str, Any]] = []
            for row in rows:
                item = dict(row.__dict__)
                item["deployment_id"] = self.deployment_id
                item["chain_id"] = self.chain_id
                records.append(item)
            insert_rows(self.session, table_of(RECORDS[model]), records)
        self._records.clear()
