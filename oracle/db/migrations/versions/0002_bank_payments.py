"""Create the bank intake's table: one row per bank transactionId (oracle.bank.models.BankPayment).

The unique constraint on transaction_id is what deduplicates concurrent webhook deliveries, on SQLite and Postgres.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 08:15:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "oracle_bank_payment",
        sa.Column("transaction_id", sa.String(length=128), nullable=False),
        sa.Column("invoice_number", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.String(length=48), nullable=False),
        sa.Column("amount_units", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("paid_at", sa.BigInteger(), nullable=False),
        sa.Column("bank_ref", sa.String(length=66), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("hold_reason", sa.String(length=32), nullable=True),
        sa.Column("hold_detail", sa.String(length=500), nullable=True),
        sa.Column("invoice_id", sa.BigInteger(), nullable=True),
        sa.Column("candidates", sa.String(length=500), nullable=True),
        sa.Column("report_id", sa.String(length=66), nullable=True),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("transaction_id", name="uq_oracle_bank_payment_transaction_id"),
    )
    op.create_index("ix_oracle_bank_payment_outcome", "oracle_bank_payment", ["outcome", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_oracle_bank_payment_outcome", table_name="oracle_bank_payment")
    op.drop_table("oracle_bank_payment")
