"""The oracle's tables. Every name carries the ``oracle_`` prefix so the oracle can share a Postgres database.

- ``oracle_cursor``: the last block the watcher fully processed (resume point).
- ``oracle_invoice``: what the oracle knows of each invoice (from InvoiceMinted, status and repayment events, and
  the OCR'd invoice number): the InvoiceDirectory the bank intake matches payments against.
- ``oracle_outbox``: the durable outbox: one row per report, created -> signed -> submitted -> confirmed | failed.
- ``oracle_signature``: this node's and its peers' signatures, per report and signer.
- ``oracle_delivery``: which peer has this node's signature of which report.
- ``oracle_tx``: every transaction, with its nonce and signed bytes stored before it is broadcast.
- ``oracle_investor``: investors who opted into auto-payout.

Amounts can exceed 64 bits (uint128), so they are stored as decimal strings.
"""

from __future__ import annotations

import importlib.util

from sqlalchemy import BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

# oracle/bank (builder B) defines oracle_bank_payment on the same metadata; importing it here means one metadata
# (and one Alembic environment) holds every oracle table.
if importlib.util.find_spec("oracle.bank.models") is not None:
    import oracle.bank.models  # noqa: F401


class OracleCursor(SQLModel, table=True):
    """How far the watcher has read the chain."""

    __tablename__ = "oracle_cursor"

    name: str = Field(primary_key=True, max_length=32)
    chain_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    block: int = Field(sa_column=Column(BigInteger, nullable=False))
    block_hash: str = Field(max_length=66)


class OracleInvoice(SQLModel, table=True):
    """One minted invoice as the oracle last saw it."""

    __tablename__ = "oracle_invoice"

    invoice_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    seller: str = Field(max_length=42)
    invoice_key: str = Field(max_length=66)
    buyer_id: str = Field(max_length=66)
    face_value: str = Field(max_length=80)
    issue_date: int = Field(sa_column=Column(BigInteger, nullable=False))
    due_date: int = Field(sa_column=Column(BigInteger, nullable=False))
    doc_digest: str = Field(max_length=66)
    doc_cid: str = Field(sa_column=Column(Text, nullable=False))
    mint_block: int = Field(sa_column=Column(BigInteger, nullable=False))
    mint_time: int = Field(sa_column=Column(BigInteger, nullable=False))
    status: int = 1
    total_repaid: str = Field(default="0", max_length=80)
    invoice_number: str | None = Field(default=None, max_length=64, index=True)
    seller_gstin: str | None = Field(default=None, max_length=15)
    # verification pipeline: pending -> done, or held (retry after next_attempt_at) with the reason in detail
    verification: str = Field(default="pending", max_length=16, index=True)
    verify_attempts: int = 0
    next_attempt_at: float = 0.0
    detail: str | None = Field(default=None, sa_column=Column(Text))
    # outcome for the risk model's chain history: repaid | defaulted, and when (block, unix time)
    outcome: str | None = Field(default=None, max_length=16)
    outcome_block: int | None = Field(default=None, sa_column=Column(BigInteger))
    outcome_time: int | None = Field(default=None, sa_column=Column(BigInteger))
    # keepers: when the invoice may be marked Defaulted (0: not Funded), and whether an auto-payout run is due
    defaultable_after: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    payout_due: bool = False


class OutboxReport(SQLModel, table=True):
    """One report in the outbox."""

    __tablename__ = "oracle_outbox"
    __table_args__ = (Index("ix_oracle_outbox_status_kind", "status", "kind"),)

    report_id: str = Field(primary_key=True, max_length=66)
    kind: str = Field(max_length=16)  # verification | repayment
    invoice_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    payload: str = Field(sa_column=Column(Text, nullable=False))  # the report's fields as JSON
    status: str = Field(default="created", max_length=16)
    source: str | None = Field(default=None, max_length=128)  # bank transactionId of a repayment
    detail: str | None = Field(default=None, sa_column=Column(Text))  # mismatches, errors, who consumed it
    tx_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    attempts: int = 0
    next_attempt_at: float = 0.0
    created_at: float = 0.0
    updated_at: float = 0.0


class OracleSignature(SQLModel, table=True):
    """A signature over a report, by this node (own) or a peer; only ever stored after it was checked."""

    __tablename__ = "oracle_signature"

    report_id: str = Field(primary_key=True, max_length=66)
    signer: str = Field(primary_key=True, max_length=42)
    signature: str = Field(max_length=132)
    own: bool = False
    received_at: float = 0.0


class OracleDelivery(SQLModel, table=True):
    """This node's signature of a report, delivered (or not yet) to one peer."""

    __tablename__ = "oracle_delivery"

    report_id: str = Field(primary_key=True, max_length=66)
    peer: str = Field(primary_key=True, max_length=255)
    delivered: bool = False
    attempts: int = 0
    next_attempt_at: float = 0.0


class OracleTx(SQLModel, table=True):
    """A transaction: queued (no nonce yet) -> signed (nonce and bytes stored) -> pending (broadcast) -> mined |
    reverted; or cancelled (never signed: not needed any more, or it would revert)."""

    __tablename__ = "oracle_tx"
    __table_args__ = (
        UniqueConstraint("sender", "nonce", name="uq_oracle_tx_sender_nonce"),
        Index("ix_oracle_tx_sender_status", "sender", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    sender: str = Field(max_length=42)
    nonce: int | None = Field(default=None, sa_column=Column(BigInteger))
    purpose: str = Field(max_length=32)  # verification | repayment | approve | markDefaulted | claimFor
    report_id: str | None = Field(default=None, max_length=66, index=True)
    invoice_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    to: str = Field(max_length=42)
    data: str = Field(sa_column=Column(Text, nullable=False))
    gas: int | None = Field(default=None, sa_column=Column(BigInteger))
    max_fee: int | None = Field(default=None, sa_column=Column(BigInteger))
    priority_fee: int | None = Field(default=None, sa_column=Column(BigInteger))
    raw: str | None = Field(default=None, sa_column=Column(Text))
    tx_hash: str | None = Field(default=None, max_length=66)
    hashes: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # every hash broadcast for the nonce
    status: str = Field(default="queued", max_length=16)
    sent_block: int | None = Field(default=None, sa_column=Column(BigInteger))
    replacements: int = 0
    mined_hash: str | None = Field(default=None, max_length=66)
    block_number: int | None = Field(default=None, sa_column=Column(BigInteger))
    error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: float = 0.0
    updated_at: float = 0.0


class OracleInvestor(SQLModel, table=True):
    """An investor's auto-payout choice, from AutoPayoutSet."""

    __tablename__ = "oracle_investor"

    investor: str = Field(primary_key=True, max_length=42)
    auto_payout: bool = False
    block: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))


#: Every table of the oracle, in creation order.
TABLES: tuple[type[SQLModel], ...] = (
    OracleCursor,
    OracleInvoice,
    OutboxReport,
    OracleSignature,
    OracleDelivery,
    OracleTx,
    OracleInvestor,
)
