"""Create the indexer schema: deployments, cursor, block hashes, raw events and the projections.

Revision ID: 0001
Revises:
Create Date: 2026-11-21 06:30:34.225888
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from backend.db.types import JsonDocument, Uint256

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deployment",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("invoice_token", sa.String(), nullable=False),
        sa.Column("deployed_at", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("anchor_hash", sa.String(), nullable=False),
        sa.Column("contracts", JsonDocument, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chain_id", "invoice_token"),
    )
    op.create_table(
        "block_hash",
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(), nullable=False),
        sa.Column("parent_hash", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["deployment_id"], ["deployment.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("deployment_id", "block_number"),
    )
    op.create_table(
        "chain_event",
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(), nullable=False),
        sa.Column("block_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(), nullable=False),
        sa.Column("tx_index", sa.Integer(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("contract", sa.String(), nullable=False),
        sa.Column("event", sa.String(), nullable=False),
        sa.Column("invoice_id", sa.BigInteger(), nullable=True),
        sa.Column("account", sa.String(), nullable=True),
        sa.Column("args", JsonDocument, nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["deployment_id"], ["deployment.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("chain_id", "tx_hash", "log_index"),
    )
    op.create_index("ix_chain_event_deployment_account", "chain_event", ["deployment_id", "account"])
    op.create_index("ix_chain_event_deployment_block", "chain_event", ["deployment_id", "block_number", "log_index"])
    op.create_index("ix_chain_event_deployment_invoice", "chain_event", ["deployment_id", "invoice_id", "block_number"])

    op.create_table(
        "claim",
        sa.Column("invoice_id", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("investor", sa.String(), nullable=False),
        sa.Column("amount", Uint256(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["deployment_id"], ["deployment.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("chain_id", "tx_hash", "log_index"),
    )
    op.create_index("ix_claim_deployment_investor", "claim", ["deployment_id", "investor"])
    op.create_index("ix_claim_deployment_invoice", "claim", ["deployment_id", "invoice_id"])

    op.create_table(
        "indexer_cursor",
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.Column("last_block", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["deployment_id"], ["deployment.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("deployment_id"),
    )
    op.create_table(
        "investment",
        sa.Column("invoice_id", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("investor", sa.String(), nullable=False),
        sa.Column("amount", Uint256(), nullable=False),
        sa.Column("raised", Uint256(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["deployment_id"], ["deployment.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("chain_id", "tx_hash", "log_index"),
    )
    op.create_index("ix_investment_deployment_investor", "investment", ["deployment_id", "investor"])
    op.create_index("ix_investment_deployment_invoice", "investment", ["deployment_id", "invoice_id"])

    op.create_table(
        "invoice",
        sa.Column("invoice_id", sa.BigInteger(), nullable=False),
        sa.Column("seller", sa.String(), nullable=False),
        sa.Column("invoice_key", sa.String(), nullable=False),
        sa.Column("buyer_id", sa.String(), nullable=False),
        sa.Column("face_value", Uint256(), nullable=False),
        sa.Column("issue_date", Uint256(), nullable=False),
        sa.Column("due_date", Uint256(), nullable=False),
        sa.Column("doc_digest", sa.String(), nullable=False),
        sa.Column("doc_cid", sa.String(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("status_name", sa.String(), nullable=False),
        sa.Column("risk_score", sa.Integer(), nullable=True),
        sa.Column("checks", sa.Integer(), nullable=True),
        sa.Column("report_id", sa.String(), nullable=True),
        sa.Column("total_repaid", Uint256(), nullable=False),
        sa.Column("outstanding_at_default", Uint256(), nullable=True),
        sa.Column("minted_block", sa.BigInteger(), nullable=False),
        sa.Column("minted_tx", sa.String(), nullable=False),
        sa.Column("updated_block", sa.BigInteger(), nullable=False),
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["deployment_id"], ["deployment.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("deployment_id", "invoice_id"),
    )
    op.create_index("ix_invoice_deployment_key", "invoice", ["deployment_id", "invoice_key"])
    op.create_index("ix_invoice_deployment_seller", "invoice", ["deployment_id", "seller"])
    op.create_index("ix_invoice_deployment_status", "invoice", ["deployment_id", "status"])

    op.create_table(
        "kyc",
        sa.Column("account", sa.String(), nullable=False),
        sa.Column("roles", sa.Integer(), nullable=False),
        sa.Column("valid_until", Uint256(), nullable=False),
        sa.Column("updated_block", sa.BigInteger(), nullable=False),
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["deployment_id"], ["deployment.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("deployment_id", "account"),
    )
    op.create_table(
        "listing",
        sa.Column("invoice_id", sa.BigInteger(), nullable=False),
        sa.Column("seller", sa.String(), nullable=False),
        sa.Column("price", Uint256(), nullable=False),
        sa.Column("face_value", Uint256(), nullable=False),
        sa.Column("due_date", Uint256(), nullable=False),
        sa.Column("funding_deadline", Uint256(), nullable=False),
        sa.Column("min_ticket", Uint256(), nullable=False),
        sa.Column("raised", Uint256(), nullable=False),
        sa.Column("fee", Uint256(), nullable=True),
        sa.Column("state", sa.Integer(), nullable=False),
        sa.Column("state_name", sa.String(), nullable=False),
        sa.Column("listed_block", sa.BigInteger(), nullable=False),
        sa.Column("updated_block", sa.BigInteger(), nullable=False),
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["deployment_id"], ["deployment.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("deployment_id", "invoice_id"),
    )
    op.create_index("ix_listing_deployment_state", "listing", ["deployment_id", "state"])

    op.create_table(
        "oracle_report",
        sa.Column("invoice_id", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.String(), nullable=False),
        sa.Column("kind", sa.Integer(), nullable=False),
        sa.Column("kind_name", sa.String(), nullable=False),
        sa.Column("submitter", sa.String(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["deployment_id"], ["deployment.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("chain_id", "tx_hash", "log_index"),
    )
    op.create_index("ix_oracle_report_deployment_invoice", "oracle_report", ["deployment_id", "invoice_id"])

    op.create_table(
        "position",
        sa.Column("invoice_id", sa.BigInteger(), nullable=False),
        sa.Column("holder", sa.String(), nullable=False),
        sa.Column("shares", Uint256(), nullable=False),
        sa.Column("invested", Uint256(), nullable=False),
        sa.Column("refunded", Uint256(), nullable=False),
        sa.Column("claimed", Uint256(), nullable=False),
        sa.Column("updated_block", sa.BigInteger(), nullable=False),
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["deployment_id"], ["deployment.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("deployment_id", "invoice_id", "holder"),
    )
    op.create_index("ix_position_deployment_holder", "position", ["deployment_id", "holder"])

    op.create_table(
        "repayment",
        sa.Column("invoice_id", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("payer", sa.String(), nullable=False),
        sa.Column("amount", Uint256(), nullable=False),
        sa.Column("total_repaid", Uint256(), nullable=False),
        sa.Column("bank_ref", sa.String(), nullable=True),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["deployment_id"], ["deployment.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("chain_id", "tx_hash", "log_index"),
    )
    op.create_index("ix_repayment_deployment_invoice", "repayment", ["deployment_id", "invoice_id"])


def downgrade() -> None:
    op.drop_index("ix_repayment_deployment_invoice", table_name="repayment")

    op.drop_table("repayment")
    op.drop_index("ix_position_deployment_holder", table_name="position")

    op.drop_table("position")
    op.drop_index("ix_oracle_report_deployment_invoice", table_name="oracle_report")

    op.drop_table("oracle_report")
    op.drop_index("ix_listing_deployment_state", table_name="listing")

    op.drop_table("listing")
    op.drop_table("kyc")
    op.drop_index("ix_invoice_deployment_status", table_name="invoice")
    op.drop_index("ix_invoice_deployment_seller", table_name="invoice")
    op.drop_index("ix_invoice_deployment_key", table_name="invoice")

    op.drop_table("invoice")
    op.drop_index("ix_investment_deployment_invoice", table_name="investment")
    op.drop_index("ix_investment_deployment_investor", table_name="investment")

    op.drop_table("investment")
    op.drop_table("indexer_cursor")
    op.drop_index("ix_claim_deployment_invoice", table_name="claim")
    op.drop_index("ix_claim_deployment_investor", table_name="claim")

    op.drop_table("claim")
    op.drop_index("ix_chain_event_deployment_invoice", table_name="chain_event")
    op.drop_index("ix_chain_event_deployment_block", table_name="chain_event")
    op.drop_index("ix_chain_event_deployment_account", table_name="chain_event")

    op.drop_table("chain_event")
    op.drop_table("block_hash")
    op.drop_table("deployment")
