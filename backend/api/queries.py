"""Read queries of the API over the indexer's projections (SQLAlchemy Core: one statement per list, no ORM
objects, because the marketplace is the hottest path of the API).

Everything relative to time uses the chain's clock, the timestamp of the latest indexed block, never the server's:
what the escrow will accept (an open funding deadline) is decided by block time, and tests can travel in time on
anvil and still be deterministic.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Float,
    Select,
    and_,
    bindparam,
    cast,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.engine import Dialect, Row
from sqlalchemy.sql.compiler import Compiled
from sqlmodel import Session

from backend.api.deps import ApiContext
from backend.api.errors import ApiError
from backend.db.models import (
    AutoPayout,
    ChainEvent,
    Claim,
    IndexerCursor,
    Investment,
    Invoice,
    InvoiceStatus,
    Listing,
    ListingState,
    Position,
    Repayment,
)
from backend.indexer.store import table_of

log = logging.getLogger(__name__)

DAY = 86400
INT64_MAX = 2**63 - 1
UINT128_MAX = 2**128 - 1

L = table_of(Listing)
I = table_of(Invoice)  # noqa: E741 (the invoice table, as L is the listing table)
P = table_of(Position)
E = table_of(ChainEvent)
CURSOR = table_of(IndexerCursor)
AUTO = table_of(AutoPayout)
INVESTMENTS = table_of(Investment)
REPAYMENTS = table_of(Repayment)
CLAIMS = table_of(Claim)

#: Account events shown in a portfolio's history.
HISTORY_EVENTS = ("Invested", "Refunded", "Claimed", "AutoPayoutSet")


@dataclass(frozen=True)
class Tip:
    """The latest indexed block and its timestamp: "now" for every read."""

    block: int
    time: int


def _cursor_block(session: Session | Connection, deployment_id: int) -> int:
    block = session.execute(select(CURSOR.c.last_block).where(CURSOR.c.deployment_id == deployment_id)).scalar()
    if block is None:
        raise ApiError(503, "not_indexed", "the indexer has not indexed any block yet: start `hundi indexer run`")
    return int(block)


def chain_tip(context: ApiContext, session: Session | Connection, deployment_id: int) -> Tip:
    """The indexer's cursor block and that block's timestamp (from the node, memoised per block; from the newest
    indexed event when the node is unreachable)."""
    block = _cursor_block(session, deployment_id)
    times: dict[int, int] = context.cache.setdefault("block_times", {})
    stamp = times.get(block)
    if stamp is None:
        try:
            stamp = int(context.w3.eth.get_block(block)["timestamp"])
        except Exception as exc:  # the node is down: the newest indexed event is the best clock we have
            log.warning("cannot read block %s from the node (%s); using the newest indexed event's time", block, exc)
            newest = session.execute(
                select(func.max(E.c.block_timestamp)).where(
                    E.c.deployment_id == deployment_id, E.c.block_number <= block
                )
            ).scalar()
            if newest is None:
                raise ApiError(
                    503, "chain_unavailable", "cannot read the chain's time from the node; retry shortly"
                ) from None
            return Tip(int(block), int(newest))
        if len(times) > 1024:
            times.clear()
        times[block] = stamp
    return Tip(int(block), stamp)


def keyset_after(column: ColumnElement[Any], key: Any, row_id: ColumnElement[Any], last_id: Any, desc: bool) -> Any:
    """Rows strictly after (key, last_id) in (column, row_id) order. The redundant `column >= key` lets a database
    start the index scan at the cursor instead of filtering every earlier row."""
    if desc:
        return and_(column <= key, or_(column < key, row_id < last_id))
    return and_(column >= key, or_(column > key, row_id > last_id))


# ------------------------------------------------------------------------------------------------ marketplace

#: The chain time a marketplace statement is relative to: a bound parameter, so that one compiled statement serves
#: every block (statements are built once per shape, see `market_statement`).
NOW = bindparam("now", type_=BigInteger)


def days_to_maturity(now: int | ColumnElement[Any]) -> ColumnElement[Any]:
    """Whole days from `now` to the due date, rounded up (the due date is after the open deadline, so >= 1)."""
    when = now if isinstance(now, ColumnElement) else literal(now, BigInteger)
    return cast(L.c.due_date - when + (DAY - 1), BigInteger) // DAY


def expected_roi(now: int | ColumnElement[Any]) -> ColumnElement[Any]:
    """Annualised return in percent: (face - price) / price * 365 / days, in the database's double precision."""
    days = days_to_maturity(now)
    return cast(L.c.face_value - L.c.price, Float) * 36500.0 / (cast(L.c.price, Float) * days)


@dataclass(frozen=True)
class MarketSort:
    """A marketplace sort: the SQL key, the type its cursor holds, the cursor's bound, the default direction."""

    kind: type
    key_max: int
    default_desc: bool

    def column(self, name: str, now: int | ColumnElement[Any]) -> ColumnElement[Any]:
        if name == "expectedROI":
            return expected_roi(now)
        return {
            "newest": L.c.listed_block,
            "riskScore": L.c.risk_score,
            "daysToMaturity": L.c.due_date,
            "amount": L.c.face_value,
            "fundingDeadline": L.c.funding_deadline,
            "discountedAmount": L.c.price,
        }[name]


MARKET_SORTS: dict[str, MarketSort] = {
    "newest": MarketSort(int, INT64_MAX, True),
    "expectedROI": MarketSort(float, 0, True),
    "riskScore": MarketSort(int, INT64_MAX, True),
    "daysToMaturity": MarketSort(int, UINT128_MAX, False),
    "amount": MarketSort(int, UINT128_MAX, True),
    "fundingDeadline": MarketSort(int, UINT128_MAX, False),
    "discountedAmount": MarketSort(int, UINT128_MAX, True),
}


def _filter_clauses() -> dict[str, ColumnElement[Any]]:
    """Each filter's condition over bound parameters named like the filter. An untyped parameter takes the type of
    the column it is compared with (so amounts bind as Uint256, exact on SQLite above 2**63 too)."""
    roi = expected_roi(NOW)
    return {
        "min_risk_score": L.c.risk_score >= bindparam("min_risk_score"),
        "max_risk_score": L.c.risk_score <= bindparam("max_risk_score"),
        "min_amount": L.c.face_value >= bindparam("min_amount"),
        "max_amount": L.c.face_value <= bindparam("max_amount"),
        # ceil((due - now) / DAY) <= d  <=>  due <= now + d * DAY (and > for the minimum), exactly, on the index.
        "min_days_to_maturity": L.c.due_date > bindparam("min_days_to_maturity"),
        "max_days_to_maturity": L.c.due_date <= bindparam("max_days_to_maturity"),
        "min_roi": roi >= bindparam("min_roi", type_=Float),
        "max_roi": roi <= bindparam("max_roi", type_=Float),
        "seller": L.c.seller == bindparam("seller"),
        "checks_complete": L.c.checks == 0b111111,
        "checks_incomplete": L.c.checks != 0b111111,
    }


FILTER_CLAUSES = _filter_clauses()


@dataclass
class MarketFilters:
    """The marketplace's filters; None means "no constraint"."""

    min_risk_score: int | None = None
    max_risk_score: int | None = None
    min_amount: int | None = None
    max_amount: int | None = None
    min_days_to_maturity: int | None = None
    max_days_to_maturity: int | None = None
    min_roi: float | None = None
    max_roi: float | None = None
    seller: str | None = None
    checks_complete: bool | None = None

    def bound(self, now: int) -> tuple[frozenset[str], dict[str, Any]]:
        """The names of the FILTER_CLAUSES the set filters need, and their parameters at chain time `now`."""
        found: dict[str, Any] = {}
        for name in ("min_risk_score", "max_risk_score", "min_amount", "max_amount", "min_roi", "max_roi"):
            value = getattr(self, name)
            if value is not None:
                found[name] = value
        if self.min_days_to_maturity is not None:
            found["min_days_to_maturity"] = now + (self.min_days_to_maturity - 1) * DAY
        if self.max_days_to_maturity is not None:
            found["max_days_to_maturity"] = now + self.max_days_to_maturity * DAY
        if self.seller is not None:
            found["seller"] = self.seller.lower()
        names = set(found)
        if self.checks_complete is not None:
            names.add("checks_complete" if self.checks_complete else "checks_incomplete")
        return frozenset(names), found


MARKET_COLUMNS = (
    L.c.invoice_id,
    L.c.seller,
    L.c.face_value,
    L.c.price,
    L.c.raised,
    L.c.min_ticket,
    L.c.funding_deadline,
    L.c.due_date,
    L.c.listed_block,
    L.c.risk_score,
    L.c.checks,
)


#: Positions of the computed columns in a marketplace row, after MARKET_COLUMNS.
DAYS, ROI, SORT_KEY, TIP = range(len(MARKET_COLUMNS), len(MARKET_COLUMNS) + 4)


@lru_cache(maxsize=1024)
def market_statement(sort: str, desc: bool, filters: frozenset[str], paged: bool) -> Select[Any]:
    """The marketplace statement of one shape (sort, direction, which filters, first page or not), built once:
    every value, the chain time included, is a bound parameter, so the statement's SQLAlchemy cache key is
    memoised and its compiled form is reused (building it anew costs more than running it on Postgres).

    Besides the listing's columns, each row carries `days`, `roi`, `sort_key` and `tip` (positions DAYS, ROI,
    SORT_KEY, TIP), the last being the indexer's cursor block, read in the same statement, hence from the same
    snapshot as the listings."""
    key = MARKET_SORTS[sort].column(sort, NOW)
    deployment = bindparam("deployment_id", type_=BigInteger)
    tip = select(CURSOR.c.last_block).where(CURSOR.c.deployment_id == deployment).scalar_subquery()
    query = select(
        *MARKET_COLUMNS,
        days_to_maturity(NOW).label("days"),
        expected_roi(NOW).label("roi"),
        key.label("sort_key"),
        tip.label("tip"),
    ).where(
        L.c.deployment_id == deployment,
        L.c.state == int(ListingState.OPEN),
        L.c.funding_deadline > NOW,
        *(FILTER_CLAUSES[name] for name in sorted(filters)),
    )
    if paged:
        query = query.where(keyset_after(key, bindparam("after_key"), L.c.invoice_id, bindparam("after_id"), desc))
    order = (key.desc(), L.c.invoice_id.desc()) if desc else (key.asc(), L.c.invoice_id.asc())
    return query.order_by(*order).limit(bindparam("limit", type_=BigInteger))


def marketplace(
    connection: Connection,
    deployment_id: int,
    now: int,
    filters: MarketFilters,
    sort: str,
    desc: bool,
    limit: int,
    after: tuple[Any, int] | None,
) -> list[Sequence[Any]]:
    """Up to `limit` + 1 open listings in (sort key, id) order after `after`, at chain time `now`; each row is a
    tuple of the listing's columns plus `days`, `roi`, `sort_key` and `tip` (see `market_statement`). Amounts may
    come back as Decimal: convert with int()."""
    names, params = filters.bound(now)
    statement = market_statement(sort, desc, names, after is not None)
    params.update(deployment_id=deployment_id, now=now, limit=limit + 1)
    if after is not None:
        params.update(after_key=after[0], after_id=after[1])
    dialect = connection.dialect
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        # The SQL SQLAlchemy compiled, on the driver's cursor: SQLAlchemy's per-execution work (parameter and
        # result processing, result objects) costs more than Postgres takes to answer. Its parameter processing
        # is the identity here (every value is a validated non-negative int, a float or a string).
        compiled = _compiled(statement, dialect)
        driver: Any = connection.connection.driver_connection
        with driver.cursor() as cursor:
            cursor.execute(compiled.string, compiled.construct_params(params))
            return list(cursor.fetchall())
    return list(connection.execute(statement, params).all())


@lru_cache(maxsize=1024)
def _compiled(statement: Select[Any], dialect: Dialect) -> Compiled:
    return statement.compile(dialect=dialect)


@dataclass(frozen=True)
class MarketPage:
    """One marketplace query's answer: the rows (up to limit + 1) and the chain tip they were selected at."""

    rows: list[Sequence[Any]]
    tip: Tip


def marketplace_page(
    context: ApiContext,
    connection: Connection,
    deployment_id: int,
    filters: MarketFilters,
    sort: str,
    desc: bool,
    limit: int,
    after: tuple[Any, int] | None,
) -> MarketPage:
    """The marketplace at the indexer's tip, usually in one round trip.

    The statement needs the tip's time, which needs the tip's block: rather than reading the cursor first, it runs
    with the tip the previous request saw and reads the cursor in the same statement; only when the indexer has
    moved since (or no row came back) does it read the cursor on its own, resolve the new block's time and run
    again, so the rows always match the tip reported beside them."""
    guess: Tip | None = context.cache.get("market_tip")
    for _attempt in range(3):
        if guess is None:
            guess = chain_tip(context, connection, deployment_id)
        rows = marketplace(connection, deployment_id, guess.time, filters, sort, desc, limit, after)
        block = rows[0][TIP] if rows else None
        if block is None:  # no row (or no cursor): ask the cursor itself
            block = _cursor_block(connection, deployment_id)
        if int(block) == guess.block:
            if context.cache.get("block_times", {}).get(guess.block) == guess.time:
                context.cache["market_tip"] = guess  # only a time the node gave: a fallback is retried next time
            return MarketPage(rows, guess)
        guess = None
    tip = chain_tip(context, connection, deployment_id)  # the indexer keeps moving: the two-step read
    return MarketPage(marketplace(connection, deployment_id, tip.time, filters, sort, desc, limit, after), tip)


def roi_percent(face: int, price: int, days: int) -> float | None:
    """The marketplace's annualised ROI, in Python (for rows outside the marketplace query)."""
    if days <= 0 or price <= 0:
        return None
    return float(face - price) * 36500.0 / (float(price) * days)


def ceil_days(due: int, now: int) -> int:
    return max(0, -((now - due) // DAY))


# ------------------------------------------------------------------------------------------------ invoices


def invoice_row(session: Session, deployment_id: int, invoice_id: int) -> Row[Any] | None:
    return session.execute(select(I).where(I.c.deployment_id == deployment_id, I.c.invoice_id == invoice_id)).first()


def listing_row(session: Session, deployment_id: int, invoice_id: int) -> Row[Any] | None:
    return session.execute(select(L).where(L.c.deployment_id == deployment_id, L.c.invoice_id == invoice_id)).first()


def investments(session: Session, deployment_id: int, invoice_id: int) -> list[Row[Any]]:
    t = INVESTMENTS
    query = select(t).where(t.c.deployment_id == deployment_id, t.c.invoice_id == invoice_id)
    return list(session.execute(query.order_by(t.c.block_number, t.c.log_index)).all())


def repayments(session: Session, deployment_id: int, invoice_id: int) -> list[Row[Any]]:
    t = REPAYMENTS
    query = select(t).where(t.c.deployment_id == deployment_id, t.c.invoice_id == invoice_id)
    return list(session.execute(query.order_by(t.c.block_number, t.c.log_index)).all())


def timeline(session: Session, deployment_id: int, invoice_id: int) -> list[Row[Any]]:
    """Every stored event naming the invoice, in chain order (share batch transfers name several and are left out:
    their share moves show in positions)."""
    query = select(E).where(E.c.deployment_id == deployment_id, E.c.invoice_id == invoice_id)
    return list(session.execute(query.order_by(E.c.block_number, E.c.log_index)).all())


def seller_invoices(
    session: Session, deployment_id: int, seller: str, status: int | None, limit: int, after: int | None
) -> list[Row[Any]]:
    """A seller's invoices, newest first, with their listing's state, price and raised."""
    query = (
        select(
            I,
            L.c.state_name.label("listing_state"),
            L.c.price.label("listing_price"),
            L.c.raised.label("listing_raised"),
        )
        .select_from(I.outerjoin(L, and_(L.c.deployment_id == I.c.deployment_id, L.c.invoice_id == I.c.invoice_id)))
        .where(I.c.deployment_id == deployment_id, I.c.seller == seller)
    )
    if status is not None:
        query = query.where(I.c.status == status)
    if after is not None:
        query = query.where(I.c.invoice_id < after)
    return list(session.execute(query.order_by(I.c.invoice_id.desc()).limit(limit + 1)).all())


# ------------------------------------------------------------------------------------------------ portfolio


@dataclass(frozen=True)
class Holding:
    """One position with what RepaymentDistributor would say about it."""

    row: Row[Any]
    claimable: int
    refundable: int


def claimable_of(
    shares: int, correction: int, claimed: int, total_repaid: int, face: int, yield_fee: int, principal: int | None
) -> int:
    """RepaymentDistributor.claimable from indexed data, to the unit:
    floor((net * shares + correction) / principal) - withdrawn, with net = repaid up to face less the yield fee and
    withdrawn = the sum of the holder's claims (the contract's `_earned` and `_settleClaim`)."""
    net = min(total_repaid, face) - yield_fee
    if net <= 0 or not principal:
        return 0
    earned = (net * shares + correction) // principal
    return max(0, earned - claimed)


def holdings(session: Session, deployment_id: int, holder: str) -> list[Holding]:
    """Every position of `holder`, by invoice id, with its invoice and listing figures and exact claimable."""
    query = (
        select(
            P,
            I.c.status_name,
            I.c.face_value,
            I.c.due_date,
            I.c.total_repaid,
            I.c.yield_fee,
            L.c.state.label("listing_state"),
            L.c.state_name.label("listing_state_name"),
            L.c.price,
        )
        .select_from(
            P.outerjoin(I, and_(I.c.deployment_id == P.c.deployment_id, I.c.invoice_id == P.c.invoice_id)).outerjoin(
                L, and_(L.c.deployment_id == P.c.deployment_id, L.c.invoice_id == P.c.invoice_id)
            )
        )
        .where(P.c.deployment_id == deployment_id, P.c.holder == holder)
        .order_by(P.c.invoice_id)
    )
    found: list[Holding] = []
    for row in session.execute(query):
        funded = row.listing_state == int(ListingState.FUNDED)
        claimable = claimable_of(
            row.shares,
            row.correction,
            row.claimed,
            row.total_repaid or 0,
            row.face_value or 0,
            row.yield_fee or 0,
            row.price if funded else None,
        )
        # FundingEscrow.refund returns the caller's principal, one share per base unit, after a cancel.
        refundable = row.shares if row.listing_state == int(ListingState.CANCELLED) else 0
        found.append(Holding(row, claimable, refundable))
    return found


def auto_payout(session: Session, deployment_id: int, holder: str) -> bool:
    enabled = session.execute(
        select(AUTO.c.enabled).where(AUTO.c.deployment_id == deployment_id, AUTO.c.account == holder)
    ).scalar()
    return bool(enabled)


def history(
    session: Session, deployment_id: int, holder: str, limit: int, after: tuple[int, int] | None
) -> list[Row[Any]]:
    """The holder's account events, newest first."""
    query = select(E).where(E.c.deployment_id == deployment_id, E.c.account == holder, E.c.event.in_(HISTORY_EVENTS))
    if after is not None:
        query = query.where(keyset_after(E.c.block_number, after[0], E.c.log_index, after[1], True))
    query = query.order_by(E.c.block_number.desc(), E.c.log_index.desc()).limit(limit + 1)
    return list(session.execute(query).all())


# ------------------------------------------------------------------------------------------------ events


def events_after(session: Session, deployment_id: int, after: tuple[int, int] | None, limit: int) -> list[Row[Any]]:
    """Stored events after position (block, logIndex), oldest first."""
    query = select(E).where(E.c.deployment_id == deployment_id)
    if after is not None:
        query = query.where(keyset_after(E.c.block_number, after[0], E.c.log_index, after[1], False))
    return list(session.execute(query.order_by(E.c.block_number, E.c.log_index).limit(limit)).all())


def last_event_position(session: Session, deployment_id: int) -> tuple[int, int] | None:
    row = session.execute(
        select(E.c.block_number, E.c.log_index)
        .where(E.c.deployment_id == deployment_id)
        .order_by(E.c.block_number.desc(), E.c.log_index.desc())
        .limit(1)
    ).first()
    return None if row is None else (int(row[0]), int(row[1]))


# ------------------------------------------------------------------------------------------------ stats


def status_counts(session: Session, deployment_id: int) -> dict[str, int]:
    counts = {status.label: 0 for status in InvoiceStatus}
    query = select(I.c.status, func.count()).where(I.c.deployment_id == deployment_id).group_by(I.c.status)
    for status, count in session.execute(query):
        counts[InvoiceStatus(status).label] = int(count)
    return counts


def column_values(session: Session, *columns: Any, where: Sequence[Any]) -> list[Row[Any]]:
    """Selected columns of many rows (summed in Python: SQLite's SUM overflows above 2**63, Postgres' is exact but
    the two must agree)."""
    return list(session.execute(select(*columns).where(*where)).all())


def distinct_count(session: Session, column: Any, where: Sequence[Any]) -> int:
    return int(session.execute(select(func.count(func.distinct(column))).where(*where)).scalar() or 0)
