"""Create the API's sign-in tables: SIWE nonces and sessions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 09:00:00.000000
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
        "api_siwe_nonce",
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("consumed_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("nonce"),
    )
    op.create_index("ix_api_siwe_nonce_expires_at", "api_siwe_nonce", ["expires_at"], unique=False)
    op.create_table(
        "api_session",
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("roles", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("jti"),
    )
    op.create_index("ix_api_session_address", "api_session", ["address"], unique=False)
    op.create_index("ix_api_session_expires_at", "api_session", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_api_session_expires_at", table_name="api_session")
    op.drop_index("ix_api_session_address", table_name="api_session")
    op.drop_table("api_session")
    op.drop_index("ix_api_siwe_nonce_expires_at", table_name="api_siwe_nonce")
    op.drop_table("api_siwe_nonce")
