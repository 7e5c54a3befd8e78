"""An investor's portfolio: positions with exact claimable amounts, totals, the auto-payout flag and history.

Claimable amounts are computed from indexed data exactly as RepaymentDistributor computes them (see
queries.claimable_of), so the page needs no call to the node per position; the tests check it against the
contract's `claimable` view.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from backend.api import queries
from backend.api.auth import CurrentUser
from backend.api.deps import Context, DbSession, DeploymentId
from backend.api.errors import ERROR_RESPONSES
from backend.api.pagination import CursorParam, decode_cursor, encode_cursor, limit_param
from backend.api.read_models import HistoryEntry, HistoryPage, Portfolio, PortfolioTotals, PositionView, amount
from backend.api.routes.invoices import clamp_limit, require_owner

router = APIRouter(prefix="/api/v1", tags=["portfolio"])

ADDRESS = Path(pattern=r"^0x[0-9a-fA-F]{40}$", description="0x address (any case)")
#: History entries inlined in the portfolio (the rest through /history).
INLINE_HISTORY = 20


@router.get(
    "/portfolio/{address}",
    response_model=Portfolio,
    summary="An investor's positions, claimable amounts, totals and latest history (the investor only)",
    responses=ERROR_RESPONSES,
)
def portfolio(
    context: Context,
    session: DbSession,
    deployment_id: DeploymentId,
    user: CurrentUser,
    address: Annotated[str, ADDRESS],
    limit: int = limit_param(),
    cursor: CursorParam = None,
) -> Portfolio:
    holder = require_owner(user.address, address)
    after = None
    if cursor is not None:
        _key, after = decode_cursor(cursor, "portfolio:id", int)
    tip = queries.chain_tip(context, session, deployment_id)
    everything = queries.holdings(session, deployment_id, holder)
    page = [h for h in everything if after is None or h.row.invoice_id > after]
    size = clamp_limit(context, limit)
    next_cursor = None
    if len(page) > size:
        page = page[:size]
        next_cursor = encode_cursor("portfolio:id", 0, int(page[-1].row.invoice_id))
    totals = PortfolioTotals(
        positions=len(everything),
        activePositions=sum(1 for h in everything if h.row.shares > 0),
        invested=str(sum(int(h.row.invested) for h in everything)),
        claimed=str(sum(int(h.row.claimed) for h in everything)),
        claimable=str(sum(h.claimable for h in everything)),
        refunded=str(sum(int(h.row.refunded) for h in everything)),
        refundable=str(sum(h.refundable for h in everything)),
    )
    recent = queries.history(session, deployment_id, holder, INLINE_HISTORY, None)[:INLINE_HISTORY]
    return Portfolio(
        address=holder,
        autoPayout=queries.auto_payout(session, deployment_id, holder),
        chainTime=tip.time,
        totals=totals,
        positions=[position_view(h) for h in page],
        nextCursor=next_cursor,
        history=[history_entry(e) for e in recent],
    )


def position_view(holding: queries.Holding) -> PositionView:
    row = holding.row
    price = None if row.price is None else int(row.price)
    return PositionView(
        invoiceId=row.invoice_id,
        status=row.status_name or "None",
        listingState=row.listing_state_name,
        amount=amount(row.face_value),
        price=None if price is None else str(price),
        dueDate=int(row.due_date or 0),
        shares=amount(row.shares),
        sharePercent=int(row.shares) * 100 / price if price else 0.0,
        invested=amount(row.invested),
        claimed=amount(row.claimed),
        claimable=str(holding.claimable),
        refunded=amount(row.refunded),
        refundable=str(holding.refundable),
    )


def history_entry(event: Any) -> HistoryEntry:
    args = event.args
    value = args.get("amount")
    return HistoryEntry(
        id=f"{event.block_number}-{event.log_index}",
        event=event.event,
        enabled=args.get("enabled"),
        invoiceId=event.invoice_id,
        amount=None if value is None else str(int(value)),
        block=event.block_number,
        time=event.block_timestamp,
        txHash=event.tx_hash,
    )


@router.get(
    "/portfolio/{address}/history",
    response_model=HistoryPage,
    summary="An investor's account events, newest first (the investor only)",
    responses=ERROR_RESPONSES,
)
def portfolio_history(
    context: Context,
    session: DbSession,
    deployment_id: DeploymentId,
    user: CurrentUser,
    address: Annotated[str, ADDRESS],
    limit: int = limit_param(),
    cursor: CursorParam = None,
) -> HistoryPage:
    holder = require_owner(user.address, address)
    after = None
    if cursor is not None:
        after = decode_cursor(cursor, "history:position", int, key_max=queries.INT64_MAX)
    size = clamp_limit(context, limit)
    rows = queries.history(session, deployment_id, holder, size, after)
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        next_cursor = encode_cursor("history:position", int(rows[-1].block_number), int(rows[-1].log_index))
    return HistoryPage(items=[history_entry(e) for e in rows], nextCursor=next_cursor)
