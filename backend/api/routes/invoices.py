"""The marketplace, invoice pages, a seller's invoices, and the dApp's chain configuration."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic_core import to_json
from sqlalchemy import Connection, Engine
from sqlalchemy.pool import QueuePool
from sqlmodel import Session

from backend.api import queries
from backend.api.auth import CurrentUser, OptionalUser
from backend.api.deps import ApiContext, Context, DbSession, DeploymentId
from backend.api.errors import ERROR_RESPONSES, ApiError, not_found
from backend.api.pagination import CursorParam, decode_cursor, encode_cursor, limit_param
from backend.api.read_models import (
    ApiConfig,
    Checks,
    InvoiceDetail,
    InvoicePage,
    InvoiceSummary,
    ListingView,
    MarketplacePage,
    RepaymentView,
    StablecoinInfo,
    TimelineEntry,
    amount,
    checks_json,
)
from backend.api.read_models import Investment as InvestmentView
from backend.db.models import InvoiceStatus, ListingState

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["invoices"])

INVOICE_ID = Path(ge=1, le=queries.INT64_MAX, description="invoice id (ERC-721 token id)")
ADDRESS = Path(pattern=r"^0x[0-9a-fA-F]{40}$", description="0x address (any case)")
UINT128 = queries.UINT128_MAX
#: Most marketplace reads running at once, hence connections held. Two: a read is mostly a round trip to the
#: database, and more threads only contend for the GIL (measured with tests/bench/bench_api.py: 4 were slower).
READ_THREADS = 2
T = TypeVar("T")


class MarketSortName(StrEnum):
    newest = "newest"
    expectedROI = "expectedROI"
    riskScore = "riskScore"
    daysToMaturity = "daysToMaturity"
    amount = "amount"
    fundingDeadline = "fundingDeadline"
    discountedAmount = "discountedAmount"


class Order(StrEnum):
    asc = "asc"
    desc = "desc"


class StatusName(StrEnum):
    Minted = "Minted"
    Verified = "Verified"
    Rejected = "Rejected"
    Listed = "Listed"
    Funded = "Funded"
    Repaid = "Repaid"
    Defaulted = "Defaulted"
    Cancelled = "Cancelled"


def clamp_limit(context: Context, limit: int) -> int:
    return min(limit, context.settings.page_limit_max)


# ------------------------------------------------------------------------------------------------ config


@router.get(
    "/config",
    response_model=ApiConfig,
    summary="Chain id, contract addresses, stablecoin and RPC URL for the dApp",
    responses={503: {"description": "the node cannot be read (stablecoin metadata)"}},
)
def config(context: Context) -> ApiConfig:
    deployment = context.deployment
    token = context.cache.get("stablecoin")
    if token is None:
        coin = deployment.contract(context.w3, "Stablecoin")
        try:
            token = StablecoinInfo(
                address=coin.address.lower(),
                symbol=str(coin.functions.symbol().call()),
                decimals=int(coin.functions.decimals().call()),
            )
        except Exception as exc:
            raise ApiError(
                503, "chain_unavailable", f"cannot read the stablecoin from the node ({type(exc).__name__}); retry"
            ) from None
        context.cache["stablecoin"] = token
    settings = context.settings
    return ApiConfig(
        chainId=deployment.chainId,
        deploymentName=deployment.name,
        deployedAt=deployment.deployedAt,
        contracts={name: entry.address.lower() for name, entry in sorted(deployment.contracts.items())},
        stablecoin=token,
        rpcUrl=settings.dapp_rpc_url or settings.rpc_url,
        oracleUrl=settings.oracle_url,
        pageLimitMax=settings.page_limit_max,
    )


# ------------------------------------------------------------------------------------------------ marketplace


@router.get(
    "/invoices/marketplace",
    response_model=MarketplacePage,
    summary="Open listings, filtered, sorted and paginated by cursor",
    description="Listings that can be funded now: state Open and funding deadline after the chain time (the latest "
    "indexed block). Amounts are integer base units as strings. Pages are keyset-paginated on (sort key, id), "
    "so they neither repeat nor skip listings while new ones arrive.",
    responses=ERROR_RESPONSES,
)
async def marketplace(
    request: Request,
    sort: Annotated[MarketSortName, Query(description="sort key")] = MarketSortName.newest,
    order: Annotated[Order | None, Query(description="asc or desc (default: the sort's natural order)")] = None,
    minRiskScore: Annotated[int | None, Query(ge=0, le=100)] = None,
    maxRiskScore: Annotated[int | None, Query(ge=0, le=100)] = None,
    minAmount: Annotated[int | None, Query(ge=0, le=UINT128, description="face value, base units")] = None,
    maxAmount: Annotated[int | None, Query(ge=0, le=UINT128, description="face value, base units")] = None,
    minDaysToMaturity: Annotated[int | None, Query(ge=0, le=100_000)] = None,
    maxDaysToMaturity: Annotated[int | None, Query(ge=0, le=100_000)] = None,
    minRoi: Annotated[float | None, Query(ge=-1e9, le=1e12, allow_inf_nan=False, description="percent")] = None,
    maxRoi: Annotated[float | None, Query(ge=-1e9, le=1e12, allow_inf_nan=False, description="percent")] = None,
    seller: Annotated[str | None, Query(pattern=r"^0x[0-9a-fA-F]{40}$")] = None,
    checksComplete: Annotated[bool | None, Query(description="only listings whose six checks all passed")] = None,
    limit: int = limit_param(),
    cursor: CursorParam = None,
) -> Response:
    """The hottest read of the API, so it avoids the generic path's costs (measured by tests/bench/bench_api.py):
    an `async` route that hands one read to a SharedReader (one thread hop, a connection shared with the reads
    queued meanwhile, usually one statement) instead of a thread hop per dependency, a session and a transaction
    per request; and it builds the JSON from the rows instead of validating a MarketplacePage only to serialise it
    again. `response_model` still documents the answer."""
    context: ApiContext = request.app.state.context
    spec = queries.MARKET_SORTS[sort.value]
    desc = spec.default_desc if order is None else order is Order.desc
    sort_tag = f"{sort.value}:{'desc' if desc else 'asc'}"
    after = None
    if cursor is not None:
        after = decode_cursor(cursor, sort_tag, spec.kind, key_max=spec.key_max)
    filters = queries.MarketFilters(
        min_risk_score=minRiskScore,
        max_risk_score=maxRiskScore,
        min_amount=minAmount,
        max_amount=maxAmount,
        min_days_to_maturity=minDaysToMaturity,
        max_days_to_maturity=maxDaysToMaturity,
        min_roi=minRoi,
        max_roi=maxRoi,
        seller=seller,
        checks_complete=checksComplete,
    )
    size = clamp_limit(context, limit)

    def read(connection: Connection) -> queries.MarketPage:
        deployment_id = context.cache.get("deployment_id")
        if deployment_id is None:
            with Session(bind=connection) as session:
                deployment_id = context.cache["deployment_id"] = context.deployment_id(session)
        return queries.marketplace_page(context, connection, deployment_id, filters, sort.value, desc, size, after)

    page = await reader(context).run(read)
    rows = page.rows
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        key = last[queries.SORT_KEY]
        next_cursor = encode_cursor(sort_tag, float(key) if spec.kind is float else int(key), int(last[0]))
    body = {
        "items": [market_item(row) for row in rows],
        "nextCursor": next_cursor,
        "chainTime": page.tip.time,
        "indexedBlock": page.tip.block,
    }
    return Response(to_json(body), media_type="application/json")


def market_item(row: Any) -> dict[str, Any]:
    """One MarketplaceItem as the JSON-ready dict its model would dump (same keys, same order, same values)."""
    (invoice_id, seller, face, price, raised, min_ticket, deadline, due, listed, risk, checks, days, roi) = row[:13]
    # (queries.MARKET_COLUMNS, then queries.DAYS and queries.ROI)
    face, price, raised = int(face), int(price), int(raised)
    return {
        "id": int(invoice_id),
        "seller": seller,
        "amount": str(face),
        "discountedAmount": str(price),
        "discountRate": (face - price) * 100 / face,
        "riskScore": int(risk),
        "expectedROI": float(roi),
        "daysToMaturity": int(days),
        "fundedPercent": raised * 100 / price,
        "raised": str(raised),
        "remaining": str(price - raised),
        "minTicket": str(int(min_ticket)),
        "fundingDeadline": int(deadline),
        "dueDate": int(due),
        "listedBlock": int(listed),
        "checks": checks_json(int(checks)),
    }


def reader(context: ApiContext) -> SharedReader:
    """The app's SharedReader (one per app: it belongs to the app's engine)."""
    found: SharedReader | None = context.cache.get("shared_reader")
    if found is None:
        engine: Engine = context.engine  # type: ignore[assignment]
        pool = engine.pool
        threads = min(pool.size(), READ_THREADS) if isinstance(pool, QueuePool) else READ_THREADS
        found = context.cache.setdefault("shared_reader", SharedReader(engine, max(1, threads)))
    return found


class SharedReader:
    """Runs blocking reads in worker threads, each read once, and lets the reads that queue up meanwhile share a
    connection.

    A pooled connection costs a round trip before it is handed out (the engine pings it: `pool_pre_ping`), as much
    as the marketplace query itself, and a thread hop per read costs the event loop. Under load, reads arrive
    faster than a worker finishes one: a worker that holds a connection keeps taking queued reads, in arrival
    order, until none is left, then returns the connection to the pool and stops. At most `threads` workers run,
    so at most that many connections are out; when idle, none is held. A read that fails is reported to its
    caller alone; if the failure broke the connection, the worker takes a fresh one for the next read.
    """

    def __init__(self, engine: Engine, threads: int) -> None:
        self.engine = engine
        self.threads = threads
        self._queue: deque[tuple[Callable[[Connection], Any], asyncio.Future[Any]]] = deque()
        self._lock = threading.Lock()
        self._workers = 0

    async def run(self, work: Callable[[Connection], T]) -> T:
        """`work(connection)` in a worker thread, on a connection in autocommit mode (a read needs no
        transaction, and autocommit saves the BEGIN and ROLLBACK round trips)."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        with self._lock:
            self._queue.append((work, future))
            start = self._workers < self.threads
            if start:
                self._workers += 1
        if start:
            self._start()
        return await future

    def _start(self) -> None:
        try:
            _WORKERS.submit(self._drain)
        except BaseException:  # the executor is shut down (interpreter exit): give the slot back
            with self._lock:
                self._workers -= 1
            raise

    def _take(self, *, stop: bool) -> tuple[Callable[[Connection], Any], asyncio.Future[Any]] | None:
        """The next read whose caller still waits; None if there is none, and then with `stop` the calling worker
        has stopped (decided under the lock `run` holds when it decides whether to start one)."""
        with self._lock:
            while self._queue:
                work, future = self._queue.popleft()
                if not future.cancelled():  # its client went away while it waited
                    return work, future
            if stop:
                self._workers -= 1
            return None

    def _drain(self) -> None:
        """One worker: take a connection, run queued reads on it until none is left, return it; stop when idle."""
        stopped = False
        try:
            while (item := self._take(stop=True)) is not None:
                try:
                    connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
                except Exception as exc:  # no connection (the database is down): this read fails, the next retries
                    _settle(item[1], None, exc)
                    continue
                with connection:
                    while item is not None:
                        work, future = item
                        try:
                            _settle(future, work(connection), None)
                        except BaseException as exc:
                            _settle(future, None, exc)
                            if not isinstance(exc, Exception):
                                raise
                            if connection.invalidated or connection.closed:
                                break  # a fresh connection for the next read
                            connection.rollback()  # a clean state for the next read (autocommit: nothing to undo)
                        item = self._take(stop=False)
            stopped = True
        finally:
            if not stopped:  # something escaped (returning the connection failed?): free the slot, restart if needed
                log.exception("a marketplace read worker failed")
                with self._lock:
                    self._workers -= 1
                    restart = bool(self._queue) and self._workers < self.threads
                    if restart:
                        self._workers += 1
                if restart:
                    self._start()


def _settle(future: asyncio.Future[Any], value: Any, error: BaseException | None) -> None:
    """Hand a result to the awaiting coroutine, on its event loop (which may have closed meanwhile)."""

    def deliver() -> None:
        if future.done():
            return
        if error is None:
            future.set_result(value)
        else:
            future.set_exception(error)

    with suppress(RuntimeError):  # the loop is closed: nobody is waiting any more
        future.get_loop().call_soon_threadsafe(deliver)


#: Threads of every SharedReader (each reader starts at most its `threads` workers).
_WORKERS = ThreadPoolExecutor(max_workers=16, thread_name_prefix="hundi-read")


# ------------------------------------------------------------------------------------------------ one invoice


@router.get(
    "/invoices/{invoice_id}",
    response_model=InvoiceDetail,
    summary="An invoice: fields, status, checks, listing, funding, repayments and its event timeline",
    description="Public. The document's CID is only shown to the seller (signed in).",
    responses=ERROR_RESPONSES,
)
def invoice(
    context: Context,
    session: DbSession,
    deployment_id: DeploymentId,
    user: OptionalUser,
    invoice_id: Annotated[int, INVOICE_ID],
) -> InvoiceDetail:
    row = queries.invoice_row(session, deployment_id, invoice_id)
    if row is None:
        raise not_found(f"invoice {invoice_id}", {"invoiceId": invoice_id})
    tip = queries.chain_tip(context, session, deployment_id)
    is_seller = user is not None and user.address == row.seller
    listing = queries.listing_row(session, deployment_id, invoice_id)
    tickets = queries.investments(session, deployment_id, invoice_id)
    events = queries.timeline(session, deployment_id, invoice_id)
    return InvoiceDetail(
        id=row.invoice_id,
        seller=row.seller,
        invoiceKey=row.invoice_key,
        buyerId=row.buyer_id,
        amount=amount(row.face_value),
        issueDate=row.issue_date,
        dueDate=row.due_date,
        docDigest=row.doc_digest,
        documentCid=row.doc_cid if is_seller else None,
        status=row.status_name,
        statusCode=row.status,
        riskScore=row.risk_score,
        checks=None if row.checks is None else Checks.of(row.checks),
        reportId=row.report_id,
        totalRepaid=amount(row.total_repaid),
        outstandingAtDefault=None if row.outstanding_at_default is None else amount(row.outstanding_at_default),
        yieldFee=amount(row.yield_fee),
        surplusPaid=amount(row.surplus_paid),
        mintedBlock=row.minted_block,
        mintedTx=row.minted_tx,
        chainTime=tip.time,
        listing=None if listing is None else listing_view(listing, tip.time, len({t.investor for t in tickets})),
        investments=[
            InvestmentView(
                investor=t.investor,
                amount=amount(t.amount),
                raised=amount(t.raised),
                block=t.block_number,
                time=t.block_timestamp,
                txHash=t.tx_hash,
            )
            for t in tickets
        ],
        repayments=[
            RepaymentView(
                payer=r.payer,
                amount=amount(r.amount),
                totalRepaid=amount(r.total_repaid),
                bankRef=r.bank_ref,
                block=r.block_number,
                time=r.block_timestamp,
                txHash=r.tx_hash,
            )
            for r in queries.repayments(session, deployment_id, invoice_id)
        ],
        timeline=[timeline_entry(e, is_seller) for e in events],
    )


def listing_view(listing: Any, now: int, investors: int) -> ListingView:
    face, price, raised = int(listing.face_value), int(listing.price), int(listing.raised)
    days = queries.ceil_days(int(listing.due_date), now)
    return ListingView(
        state=listing.state_name,
        price=str(price),
        raised=str(raised),
        remaining=str(price - raised) if listing.state == int(ListingState.OPEN) else "0",
        fundedPercent=raised * 100 / price if price else 0.0,
        minTicket=amount(listing.min_ticket),
        fundingDeadline=listing.funding_deadline,
        fee=None if listing.fee is None else amount(listing.fee),
        discountRate=(face - price) * 100 / face if face else 0.0,
        expectedROI=queries.roi_percent(face, price, days),
        daysToMaturity=days,
        listedBlock=listing.listed_block,
        investors=investors,
    )


def timeline_entry(event: Any, is_seller: bool) -> TimelineEntry:
    args = dict(event.args)
    if "docCid" in args and not is_seller:
        args["docCid"] = None  # the document link is the seller's (the file itself is encrypted in any case)
    return TimelineEntry(
        id=f"{event.block_number}-{event.log_index}",
        event=event.event,
        contract=event.contract,
        block=event.block_number,
        logIndex=event.log_index,
        time=event.block_timestamp,
        txHash=event.tx_hash,
        args=args,
    )


# ------------------------------------------------------------------------------------------------ a seller's invoices


@router.get(
    "/smes/{address}/invoices",
    response_model=InvoicePage,
    summary="A seller's invoices, newest first (the seller only)",
    responses=ERROR_RESPONSES,
)
def sme_invoices(
    context: Context,
    session: DbSession,
    deployment_id: DeploymentId,
    user: CurrentUser,
    address: Annotated[str, ADDRESS],
    status: Annotated[StatusName | None, Query(description="only invoices in this status")] = None,
    limit: int = limit_param(),
    cursor: CursorParam = None,
) -> InvoicePage:
    seller = require_owner(user.address, address)
    after = None
    if cursor is not None:
        _key, after = decode_cursor(cursor, "sme:id", int)
    size = clamp_limit(context, limit)
    code = None if status is None else int(InvoiceStatus[status.value.upper()])
    rows = queries.seller_invoices(session, deployment_id, seller, code, size, after)
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        next_cursor = encode_cursor("sme:id", 0, int(rows[-1].invoice_id))
    return InvoicePage(items=[invoice_summary(r) for r in rows], nextCursor=next_cursor)


def require_owner(signed_in: str, address: str) -> str:
    """The lowercase `address`, if it is the signed-in account's; 403 otherwise."""
    wanted = address.lower()
    if signed_in.lower() != wanted:
        raise ApiError(
            403,
            "forbidden",
            "this belongs to another account: sign in with that account to see it",
            {"address": wanted, "signedIn": signed_in.lower()},
        )
    return wanted


def invoice_summary(row: Any) -> InvoiceSummary:
    return InvoiceSummary(
        id=row.invoice_id,
        seller=row.seller,
        amount=amount(row.face_value),
        status=row.status_name,
        statusCode=row.status,
        issueDate=row.issue_date,
        dueDate=row.due_date,
        riskScore=row.risk_score,
        checks=None if row.checks is None else Checks.of(row.checks),
        totalRepaid=amount(row.total_repaid),
        mintedBlock=row.minted_block,
        listingState=row.listing_state,
        raised=None if row.listing_raised is None else amount(row.listing_raised),
        price=None if row.listing_price is None else amount(row.listing_price),
    )
