"""The indexer's database: raw chain events, the projections derived from them, and the sync bookkeeping.

Model families follow the SQLModel docs and the FastAPI full-stack template: ``XBase`` holds the shared data
fields, ``X(XBase, table=True)`` adds keys and bookkeeping, ``XPublic`` is what the API returns and ``XCreate`` is
what a row is created from (here: the event that creates it).

Conventions:
- Addresses and hashes are lowercase 0x-hex strings (case-insensitive comparisons stay plain equality).
- Unsigned chain integers that may exceed 64 bits (amounts, dates, validUntil) use :class:`Uint256`.
- Times are the chain's unix seconds, exactly as emitted.
- Projections are a pure function of the ``chain_event`` rows of their deployment: the indexer can delete and
  rebuild any of them (it does after a reorg), so nothing else may write to them.
"""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum
from typing import Any

from sqlalchemy import BigInteger, Column, Index, PrimaryKeyConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.db.types import Int256, JsonDocument, Uint256


class InvoiceStatus(IntEnum):
    """IInvoiceToken.Status, in its on-chain order (CONTRACTS.md)."""

    NONE = 0
    MINTED = 1
    VERIFIED = 2
    REJECTED = 3
    LISTED = 4
    FUNDED = 5
    REPAID = 6
    DEFAULTED = 7
    CANCELLED = 8

    @property
    def label(self) -> str:
        """The Solidity enum member name: ``Minted``, ``Listed``..."""
        return self.name.capitalize()


class ListingState(IntEnum):
    """IFundingEscrow.ListingState, in its on-chain order."""

    NONE = 0
    OPEN = 1
    FUNDED = 2
    CANCELLED = 3

    @property
    def label(self) -> str:
        return self.name.capitalize()


class ReportKind(IntEnum):
    """The `kind` of OracleHub.ReportAccepted."""

    VERIFICATION = 0
    REPAYMENT = 1

    @property
    def label(self) -> str:
        return self.name.capitalize()


# ------------------------------------------------------------------------------------------------ sync bookkeeping


class ChainDeploymentBase(SQLModel):
    chain_id: int = Field(sa_type=BigInteger)
    name: str
    invoice_token: str = Field(description="InvoiceToken address: with chain_id, what identifies a deployment")
    deployed_at: int = Field(sa_type=BigInteger, description="block of the first deployment transaction")


class ChainDeployment(ChainDeploymentBase, table=True):
    """One indexed Hundi deployment. Every other row belongs to one."""

    __tablename__ = "deployment"
    __table_args__ = (UniqueConstraint("chain_id", "invoice_token"),)

    id: int | None = Field(default=None, primary_key=True)
    anchor_hash: str = Field(description="hash of block deployed_at: tells a reset or different chain apart")
    contracts: dict[str, str] = Field(sa_column=Column(JsonDocument, nullable=False), default_factory=dict)


class ChainDeploymentPublic(ChainDeploymentBase):
    id: int
    contracts: dict[str, str]


class IndexerCursor(SQLModel, table=True):
    """How far a deployment is indexed. Moves in the same transaction as the rows of each batch."""

    __tablename__ = "indexer_cursor"

    deployment_id: int = Field(foreign_key="deployment.id", primary_key=True, ondelete="CASCADE")
    last_block: int = Field(sa_type=BigInteger, description="every log up to this block is indexed")
    last_hash: str | None = Field(default=None, description="hash of last_block; None before the first batch")
    updated_at: datetime


class BlockHash(SQLModel, table=True):
    """Hashes of the most recent indexed blocks, to find the common ancestor after a reorg."""

    __tablename__ = "block_hash"

    deployment_id: int = Field(foreign_key="deployment.id", primary_key=True, ondelete="CASCADE")
    block_number: int = Field(sa_type=BigInteger, primary_key=True)
    hash: str
    parent_hash: str


# ------------------------------------------------------------------------------------------------ raw events


class ChainEventBase(SQLModel):
    block_number: int = Field(sa_type=BigInteger)
    block_hash: str
    block_timestamp: int = Field(sa_type=BigInteger)
    tx_hash: str
    tx_index: int
    log_index: int
    address: str
    contract: str = Field(description="contract name in the deployment file")
    event: str = Field(description="event name, or 'Unknown' for a log the ABI does not describe")
    invoice_id: int | None = Field(default=None, sa_type=BigInteger, description="the invoice the event is about")
    account: str | None = Field(default=None, description="the account the event is about (investor, seller...)")
    args: dict[str, Any] = Field(sa_column=Column(JsonDocument, nullable=False), default_factory=dict)


class ChainEvent(ChainEventBase, table=True):
    """Every log of the deployment's contracts, decoded. The source of truth for all projections."""

    __tablename__ = "chain_event"
    __table_args__ = (
        PrimaryKeyConstraint("chain_id", "tx_hash", "log_index"),
        Index("ix_chain_event_deployment_block", "deployment_id", "block_number", "log_index"),
        Index("ix_chain_event_deployment_invoice", "deployment_id", "invoice_id", "block_number"),
        Index("ix_chain_event_deployment_account", "deployment_id", "account"),
    )

    chain_id: int = Field(sa_type=BigInteger)
    deployment_id: int = Field(foreign_key="deployment.id", ondelete="CASCADE")


class ChainEventPublic(ChainEventBase):
    pass


# ------------------------------------------------------------------------------------------------ projections


class InvoiceBase(SQLModel):
    invoice_id: int = Field(sa_type=BigInteger)
    seller: str
    invoice_key: str
    buyer_id: str
    face_value: int = Field(sa_type=Uint256)
    issue_date: int = Field(sa_type=Uint256)
    due_date: int = Field(sa_type=Uint256)
    doc_digest: str
    doc_cid: str
    status: int = Field(default=InvoiceStatus.MINTED, description="IInvoiceToken.Status number")
    status_name: str = Field(default=InvoiceStatus.MINTED.label)
    risk_score: int | None = None
    checks: int | None = Field(default=None, description="verification checks bitmask (CONTRACTS.md bits 0-5)")
    report_id: str | None = Field(default=None, description="the oracle report that verified or rejected it")
    total_repaid: int = Field(default=0, sa_type=Uint256)
    outstanding_at_default: int | None = Field(default=None, sa_type=Uint256)
    yield_fee: int = Field(default=0, sa_type=Uint256, description="sum of YieldFeeCharged: the treasury's cut")
    surplus_paid: int = Field(default=0, sa_type=Uint256, description="sum of SurplusPaid: repaid above face")
    minted_block: int = Field(sa_type=BigInteger)
    minted_tx: str
    updated_block: int = Field(sa_type=BigInteger)


class InvoiceCreate(SQLModel):
    """The fields of InvoiceMinted."""

    invoice_id: int
    seller: str
    invoice_key: str
    buyer_id: str
    face_value: int
    issue_date: int
    due_date: int
    doc_digest: str
    doc_cid: str


class Invoice(InvoiceBase, table=True):
    __tablename__ = "invoice"
    __table_args__ = (
        PrimaryKeyConstraint("deployment_id", "invoice_id"),
        Index("ix_invoice_deployment_seller", "deployment_id", "seller"),
        Index("ix_invoice_deployment_status", "deployment_id", "status"),
        Index("ix_invoice_deployment_key", "deployment_id", "invoice_key"),
    )

    deployment_id: int = Field(foreign_key="deployment.id", ondelete="CASCADE")


class InvoicePublic(InvoiceBase):
    pass


class ListingBase(SQLModel):
    invoice_id: int = Field(sa_type=BigInteger)
    seller: str
    price: int = Field(sa_type=Uint256)
    face_value: int = Field(sa_type=Uint256)
    due_date: int = Field(sa_type=Uint256)
    funding_deadline: int = Field(sa_type=Uint256)
    min_ticket: int = Field(sa_type=Uint256)
    raised: int = Field(default=0, sa_type=Uint256)
    fee: int | None = Field(default=None, sa_type=Uint256, description="platform fee taken when fully funded")
    state: int = Field(default=ListingState.OPEN, description="IFundingEscrow.ListingState number")
    state_name: str = Field(default=ListingState.OPEN.label)
    risk_score: int = Field(default=0, description="the invoice's risk score when listed (fixed once verified)")
    checks: int = Field(default=0, description="the invoice's verification checks bitmask when listed")
    listed_block: int = Field(sa_type=BigInteger)
    updated_block: int = Field(sa_type=BigInteger)


class ListingCreate(SQLModel):
    """The fields of InvoiceListed."""

    invoice_id: int
    seller: str
    price: int
    face_value: int
    due_date: int
    funding_deadline: int
    min_ticket: int


class Listing(ListingBase, table=True):
    __tablename__ = "listing"
    __table_args__ = (
        PrimaryKeyConstraint("deployment_id", "invoice_id"),
        Index("ix_listing_deployment_state", "deployment_id", "state"),
        # The marketplace's keyset pages: open listings in the order of each sort key, the invoice id breaking ties.
        Index("ix_listing_market_deadline", "deployment_id", "state", "funding_deadline", "invoice_id"),
        Index("ix_listing_market_amount", "deployment_id", "state", "face_value", "invoice_id"),
        Index("ix_listing_market_due", "deployment_id", "state", "due_date", "invoice_id"),
        Index("ix_listing_market_risk", "deployment_id", "state", "risk_score", "invoice_id"),
        Index("ix_listing_market_newest", "deployment_id", "state", "listed_block", "invoice_id"),
    )

    deployment_id: int = Field(foreign_key="deployment.id", ondelete="CASCADE")


class ListingPublic(ListingBase):
    pass


class PositionBase(SQLModel):
    invoice_id: int = Field(sa_type=BigInteger)
    holder: str
    shares: int = Field(default=0, sa_type=Uint256, description="InvoiceShares balance (1 share = 1 base unit)")
    invested: int = Field(default=0, sa_type=Uint256, description="sum of the holder's Invested amounts")
    refunded: int = Field(default=0, sa_type=Uint256)
    claimed: int = Field(default=0, sa_type=Uint256)
    correction: int = Field(
        default=0,
        sa_type=Int256,
        description="RepaymentDistributor's per-holder correction: net distributed x shares received or sent "
        "while repayments had been distributed (negative when received); makes claimable exact",
    )
    updated_block: int = Field(sa_type=BigInteger)


class Position(PositionBase, table=True):
    """One holder's stake in one invoice: its share balance and what it put in and took out."""

    __tablename__ = "position"
    __table_args__ = (
        PrimaryKeyConstraint("deployment_id", "invoice_id", "holder"),
        Index("ix_position_deployment_holder", "deployment_id", "holder"),
    )

    deployment_id: int = Field(foreign_key="deployment.id", ondelete="CASCADE")


class PositionPublic(PositionBase):
    pass


class EventRowBase(SQLModel):
    """Fields of a projection row that records one event."""

    invoice_id: int = Field(sa_type=BigInteger)
    block_number: int = Field(sa_type=BigInteger)
    block_timestamp: int = Field(sa_type=BigInteger)
    tx_hash: str
    log_index: int


class InvestmentBase(EventRowBase):
    investor: str
    amount: int = Field(sa_type=Uint256)
    raised: int = Field(sa_type=Uint256, description="the listing's total raised after this ticket")


class Investment(InvestmentBase, table=True):
    """One Invested event: a ticket into a listing."""

    __tablename__ = "investment"
    __table_args__ = (
        PrimaryKeyConstraint("chain_id", "tx_hash", "log_index"),
        Index("ix_investment_deployment_invoice", "deployment_id", "invoice_id"),
        Index("ix_investment_deployment_investor", "deployment_id", "investor"),
    )

    chain_id: int = Field(sa_type=BigInteger)
    deployment_id: int = Field(foreign_key="deployment.id", ondelete="CASCADE")


class InvestmentPublic(InvestmentBase):
    pass


class RepaymentBase(EventRowBase):
    payer: str
    amount: int = Field(sa_type=Uint256)
    total_repaid: int = Field(sa_type=Uint256)
    bank_ref: str | None = Field(default=None, description="bank transaction reference; None when paid on-chain")


class Repayment(RepaymentBase, table=True):
    """One RepaymentReceived event, on-chain or settled from a bank payment."""

    __tablename__ = "repayment"
    __table_args__ = (
        PrimaryKeyConstraint("chain_id", "tx_hash", "log_index"),
        Index("ix_repayment_deployment_invoice", "deployment_id", "invoice_id"),
    )

    chain_id: int = Field(sa_type=BigInteger)
    deployment_id: int = Field(foreign_key="deployment.id", ondelete="CASCADE")


class RepaymentPublic(RepaymentBase):
    pass


class ClaimBase(EventRowBase):
    investor: str
    amount: int = Field(sa_type=Uint256)


class Claim(ClaimBase, table=True):
    """One Claimed event: a holder took its share of repayments."""

    __tablename__ = "claim"
    __table_args__ = (
        PrimaryKeyConstraint("chain_id", "tx_hash", "log_index"),
        Index("ix_claim_deployment_invoice", "deployment_id", "invoice_id"),
        Index("ix_claim_deployment_investor", "deployment_id", "investor"),
    )

    chain_id: int = Field(sa_type=BigInteger)
    deployment_id: int = Field(foreign_key="deployment.id", ondelete="CASCADE")


class ClaimPublic(ClaimBase):
    pass


class OracleReportBase(EventRowBase):
    report_id: str
    kind: int
    kind_name: str
    submitter: str


class OracleReport(OracleReportBase, table=True):
    """One ReportAccepted event of the OracleHub."""

    __tablename__ = "oracle_report"
    __table_args__ = (
        PrimaryKeyConstraint("chain_id", "tx_hash", "log_index"),
        Index("ix_oracle_report_deployment_invoice", "deployment_id", "invoice_id"),
    )

    chain_id: int = Field(sa_type=BigInteger)
    deployment_id: int = Field(foreign_key="deployment.id", ondelete="CASCADE")


class OracleReportPublic(OracleReportBase):
    pass


class KycBase(SQLModel):
    account: str
    roles: int = Field(description="bitmask: SME = 1, INVESTOR = 2")
    valid_until: int = Field(sa_type=Uint256)
    updated_block: int = Field(sa_type=BigInteger)


class Kyc(KycBase, table=True):
    """The latest KycUpdated of each account."""

    __tablename__ = "kyc"
    __table_args__ = (PrimaryKeyConstraint("deployment_id", "account"),)

    deployment_id: int = Field(foreign_key="deployment.id", ondelete="CASCADE")


class KycPublic(KycBase):
    pass


class AutoPayoutBase(SQLModel):
    account: str
    enabled: bool = Field(description="the holder opted in to keeper payouts (RepaymentDistributor.claimFor)")
    updated_block: int = Field(sa_type=BigInteger)


class AutoPayout(AutoPayoutBase, table=True):
    """The latest AutoPayoutSet of each account."""

    __tablename__ = "auto_payout"
    __table_args__ = (PrimaryKeyConstraint("deployment_id", "account"),)

    deployment_id: int = Field(foreign_key="deployment.id", ondelete="CASCADE")


class AutoPayoutPublic(AutoPayoutBase):
    pass


#: The projection tables, in the order a rebuild deletes and rewrites them.
PROJECTIONS: tuple[type[SQLModel], ...] = (
    Invoice,
    Listing,
    Position,
    Investment,
    Repayment,
    Claim,
    OracleReport,
    Kyc,
    AutoPayout,
)
#: Every table of the indexer, parents first.
TABLES: tuple[type[SQLModel], ...] = (ChainDeployment, IndexerCursor, BlockHash, ChainEvent, *PROJECTIONS)
