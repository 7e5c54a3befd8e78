"""The marketplace, invoice pages, a seller's invoices, and the dApp's chain configuration."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from backend.api import queries
from backend.api.auth import CurrentUser, OptionalUser
from backend.api.deps import Context, DbSession, DeploymentId
from backend.api.errors import ERROR_RESPONSES, ApiError, not_found
from backend.api.pagination import CursorParam, decode_cursor, encode_cursor, limit_param
from backend.api.read_models import (
    ApiConfig,
    Checks,
    InvoiceDetail,
    InvoicePage,
    InvoiceSummary,
    ListingView,
    MarketplaceItem,
    MarketplacePage,
    RepaymentView,
    StablecoinInfo,
    TimelineEntry,
    amount,
)
from backend.api.read_models import Investment as InvestmentView
from backend.db.models import InvoiceStatus, ListingState

router = APIRouter(prefix="/api/v1", tags=["invoices"])

INVOICE_ID = Path(ge=1, le=queries.INT64_MAX, description="invoice id (ERC-721 token id)")
ADDRESS = Path(pattern=r"^0x[0-9a-fA-F]{40}$", description="0x address (any case)")
UINT128 = queries.UINT128_MAX


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
def marketplace(
    context: Context,
    session: DbSession,
    deployment_id: DeploymentId,
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
) -> MarketplacePage:
    spec = queries.MARKET_SORTS[sort.value]
    desc = spec.default_desc if order is None else order is Order.desc
    after = None
    if cursor is not None:
        key, last_id = decode_cursor(
            cursor, f"{sort.value}:{'desc' if desc else 'asc'}", spec.kind, key_max=spec.key_max
        )
        after = (key, last_id)
    tip = queries.chain_tip(context, session, deployment_id)
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
    rows = queries.marketplace(session, deployment_id, tip.time, filters, sort.value, desc, size, after)
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        key_value: Any = float(last.sort_key) if spec.kind is float else int(last.sort_key)
        next_cursor = encode_cursor(f"{sort.value}:{'desc' if desc else 'asc'}", key_value, int(last.invoice_id))
    return MarketplacePage(
        items=[market_item(row) for row in rows],
        nextCursor=next_cursor,
        chainTime=tip.time,
        indexedBlock=tip.block,
    )


def market_item(row: Any) -> MarketplaceItem:
    face, price, raised = int(row.face_value), int(row.price), int(row.raised)
    return MarketplaceItem(
        id=row.invoice_id,
        seller=row.seller,
        amount=str(face),
        discountedAmount=str(price),
        discountRate=(face - price) * 100 / face,
        riskScore=row.risk_score,
        expectedROI=float(row.roi),
        daysToMaturity=int(row.days),
        fundedPercent=raised * 100 / price,
        raised=str(raised),
        remaining=str(price - raised),
        minTicket=str(int(row.min_ticket)),
        fundingDeadline=int(row.funding_deadline),
        dueDate=int(row.due_date),
        listedBlock=int(row.listed_block),
        checks=Checks.of(int(row.checks)),
    )


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
