"""The API's own tables: SIWE nonces and sign-in sessions (prefixed ``api_``).

They live in the indexer's database so that every API worker agrees on which nonces are spent and which sessions
are revoked, without a shared cache. Unlike the indexer's projections they are not derived from the chain: the API
writes them, and the indexer never touches them.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index
from sqlmodel import Field, SQLModel


class ApiNonce(SQLModel, table=True):
    """A sign-in nonce handed out by ``GET /api/v1/auth/nonce``; spent (``consumed_at``) by one verify only."""

    __tablename__ = "api_siwe_nonce"
    __table_args__ = (Index("ix_api_siwe_nonce_expires_at", "expires_at"),)

    nonce: str = Field(primary_key=True, max_length=64)
    issued_at: int = Field(sa_column=Column(BigInteger, nullable=False))
    expires_at: int = Field(sa_column=Column(BigInteger, nullable=False))
    consumed_at: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class ApiSession(SQLModel, table=True):
    """A signed-in session (one JWT, by its ``jti``); ``revoked_at`` is set by logout."""

    __tablename__ = "api_session"
    __table_args__ = (
        Index("ix_api_session_address", "address"),
        Index("ix_api_session_expires_at", "expires_at"),
    )

    jti: str = Field(primary_key=True, max_length=64)
    address: str = Field(max_length=42)
    roles: int
    issued_at: int = Field(sa_column=Column(BigInteger, nullable=False))
    expires_at: int = Field(sa_column=Column(BigInteger, nullable=False))
    revoked_at: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


#: The API's tables, for migrations checks and dumps.
API_TABLES: tuple[type[SQLModel], ...] = (ApiNonce, ApiSession)
