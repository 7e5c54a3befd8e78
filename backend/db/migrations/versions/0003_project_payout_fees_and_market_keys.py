"""Project AutoPayoutSet, YieldFeeCharged and SurplusPaid; keep the distributor's per-holder correction (exact
claimable amounts); copy risk score and checks onto listings; index the marketplace's sort keys.

Projections are a pure function of the raw events, so the new columns of a database indexed before this revision
are filled by rebuilding every projection from ``chain_event`` (what the indexer does after a reorg).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from backend.db.types import Int256, Uint256

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (index name, sort column) of the marketplace's keyset indexes on listing.
MARKET_INDEXES = (
    ("ix_listing_market_deadline", "funding_deadline"),
    ("ix_listing_market_amount", "face_value"),
    ("ix_listing_market_due", "due_date"),
    ("ix_listing_market_risk", "risk_score"),
    ("ix_listing_market_newest", "listed_block"),
)


def upgrade() -> None:
    op.add_column("invoice", sa.Column("yield_fee", Uint256(), nullable=False, server_default="0"))
    op.add_column("invoice", sa.Column("surplus_paid", Uint256(), nullable=False, server_default="0"))
    op.add_column("listing", sa.Column("risk_score", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("listing", sa.Column("checks", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("position", sa.Column("correction", Int256(), nullable=False, server_default="0"))
    op.create_table(
        "auto_payout",
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_block", sa.BigInteger(), nullable=False),
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["deployment_id"], ["deployment.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("deployment_id", "account"),
    )
    for name, column in MARKET_INDEXES:
        op.create_index(name, "listing", ["deployment_id", "state", column, "invoice_id"])
    _rebuild_projections()


def _rebuild_projections() -> None:
    """Recompute every projection of every indexed deployment from its stored raw events."""
    from sqlmodel import Session

    from backend.indexer.projections import Scope, rebuild

    connection = op.get_bind()
    deployments = connection.execute(sa.text("SELECT id, chain_id FROM deployment")).all()
    if not deployments:
        return
    with Session(bind=connection) as session:
        for deployment_id, chain_id in deployments:
            invoices = session.execute(
                sa.text(
                    "SELECT DISTINCT invoice_id FROM chain_event WHERE deployment_id = :d AND invoice_id IS NOT NULL"
                ),
                {"d": deployment_id},
            ).scalars()
            accounts = session.execute(
                sa.text(
                    "SELECT DISTINCT account FROM chain_event WHERE deployment_id = :d AND account IS NOT NULL "
                    "AND event IN ('KycUpdated', 'AutoPayoutSet')"
                ),
                {"d": deployment_id},
            ).scalars()
            scope = Scope(invoices={int(i) for i in invoices}, accounts=set(accounts))
            rebuild(session, deployment_id, chain_id, scope)
        session.flush()


def downgrade() -> None:
    for name, _column in reversed(MARKET_INDEXES):
        op.drop_index(name, table_name="listing")
    op.drop_table("auto_payout")
    with op.batch_alter_table("position") as batch:
        batch.drop_column("correction")
    with op.batch_alter_table("listing") as batch:
        batch.drop_column("checks")
        batch.drop_column("risk_score")
    with op.batch_alter_table("invoice") as batch:
        batch.drop_column("surplus_paid")
        batch.drop_column("yield_fee")
