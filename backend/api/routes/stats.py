"""Platform totals. Computed from the projections and memoised per indexed block: they change only when the
indexer moves, and the whole-table scans they need should not run on every request."""

from __future__ import annotations

from fastapi import APIRouter

from backend.api import queries
from backend.api.deps import Context, DbSession, DeploymentId
from backend.api.errors import ERROR_RESPONSES
from backend.api.read_models import Stats
from backend.db.models import ListingState

router = APIRouter(prefix="/api/v1", tags=["stats"])

I, L = queries.I, queries.L  # noqa: E741 (the invoice and listing tables, as in queries)


@router.get("/stats", response_model=Stats, summary="Platform totals and averages", responses=ERROR_RESPONSES)
def stats(context: Context, session: DbSession, deployment_id: DeploymentId) -> Stats:
    tip = queries.chain_tip(context, session, deployment_id)
    key = f"stats:{deployment_id}:{tip.block}:{tip.time}"
    cached = context.cache.get("stats")
    if cached is not None and cached[0] == key:
        result: Stats = cached[1]
        return result
    result = compute_stats(session, deployment_id, tip)
    context.cache["stats"] = (key, result)
    return result


def compute_stats(session: DbSession, deployment_id: int, tip: queries.Tip) -> Stats:
    """Every figure of GET /stats at the indexer's current block."""
    counts = queries.status_counts(session, deployment_id)
    invoices = queries.column_values(
        session,
        I.c.total_repaid,
        I.c.outstanding_at_default,
        I.c.yield_fee,
        where=[I.c.deployment_id == deployment_id],
    )
    listings = queries.column_values(
        session,
        L.c.state,
        L.c.price,
        L.c.face_value,
        L.c.fee,
        L.c.due_date,
        L.c.funding_deadline,
        where=[L.c.deployment_id == deployment_id],
    )
    open_rois: list[float] = []
    discounts: list[float] = []
    for row in listings:
        face, price = int(row.face_value), int(row.price)
        if face:
            discounts.append((face - price) * 100 / face)
        if row.state == int(ListingState.OPEN) and int(row.funding_deadline) > tip.time:
            roi = queries.roi_percent(face, price, queries.ceil_days(int(row.due_date), tip.time))
            if roi is not None:
                open_rois.append(roi)
    investors = queries.distinct_count(
        session, queries.INVESTMENTS.c.investor, [queries.INVESTMENTS.c.deployment_id == deployment_id]
    )
    sellers = queries.distinct_count(session, I.c.seller, [I.c.deployment_id == deployment_id])
    return Stats(
        chainTime=tip.time,
        indexedBlock=tip.block,
        invoices=sum(counts.values()),
        invoicesByStatus=counts,
        openListings=len(open_rois),
        volumeListed=str(sum(int(r.price) for r in listings)),
        volumeFunded=str(sum(int(r.price) for r in listings if r.state == int(ListingState.FUNDED))),
        volumeRepaid=str(sum(int(r.total_repaid) for r in invoices)),
        volumeDefaulted=str(sum(int(r.outstanding_at_default or 0) for r in invoices)),
        platformFees=str(sum(int(r.fee or 0) for r in listings)),
        yieldFees=str(sum(int(r.yield_fee) for r in invoices)),
        investors=investors,
        sellers=sellers,
        averageExpectedROI=sum(open_rois) / len(open_rois) if open_rois else None,
        averageDiscountRate=sum(discounts) / len(discounts) if discounts else None,
    )
