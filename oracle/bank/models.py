"""The ``oracle_bank_payment`` table: one row per bank transactionId, whatever became of it.

The unique constraint on ``transaction_id`` is the deduplication: concurrent deliveries of one payment race to insert
the row, the database lets exactly one win (on SQLite and Postgres alike, across processes), and the others read the
winner's outcome. The row and its Repayment report commit in one transaction, so a payment is never recorded without
its report, nor reported twice.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import BigInteger, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

TABLE = "oracle_bank_payment"


class PaymentOutcome(StrEnum):
    """What the intake did with a payment."""

    #: Matched to exactly one repayable invoice; a Repayment report is in the outbox.
    REPORTED = "reported"
    #: Successful, but not attributable to one repayable invoice: waits for an operator. Nothing was guessed.
    HELD = "held"
    #: The bank reports a status other than success (pending, failed, reversed): kept, no money moves.
    RECORDED = "recorded"


class HoldReason(StrEnum):
    """Why a successful payment was held for review."""

    UNKNOWN_INVOICE = "unknown_invoice"
    AMBIGUOUS_INVOICE = "ambiguous_invoice"
    NOT_REPAYABLE = "invoice_not_repayable"


class BankPaymentBase(SQLModel):
    transaction_id: str = Field(max_length=128, description="the bank's reference (e.g. UTR), unique")
    invoice_number: str = Field(max_length=64, description="as the bank sent it")
    amount: str = Field(max_length=48, description="rupees, canonical text such as 1234.50")
    amount_units: str = Field(
        max_length=40, description="stablecoin base units in decimal text (a uint128 does not fit BIGINT)"
    )
    status: str = Field(max_length=16, description="the bank's status: success, pending, failed, reversed")
    paid_at: int = Field(sa_type=BigInteger, description="unix seconds")
    bank_ref: str = Field(max_length=66, description="0x-hex keccak256 of transaction_id: the report's bankRef")
    outcome: str = Field(max_length=16, description="a PaymentOutcome value")
    hold_reason: str | None = Field(default=None, max_length=32, description="a HoldReason value when held")
    hold_detail: str | None = Field(default=None, max_length=500, description="what the reviewer should know")
    invoice_id: int | None = Field(default=None, sa_type=BigInteger, description="the matched invoice, if exactly one")
    candidates: str | None = Field(
        default=None, max_length=500, description="comma-separated invoice ids sharing the number (ambiguous holds)"
    )
    report_id: str | None = Field(default=None, max_length=66, description="the outbox report id (0x-hex) if reported")
    received_at: int = Field(sa_type=BigInteger, description="unix seconds of the first accepted delivery")


class BankPayment(BankPaymentBase, table=True):
    __tablename__ = TABLE
    __table_args__ = (
        UniqueConstraint("transaction_id", name="uq_oracle_bank_payment_transaction_id"),
        Index("ix_oracle_bank_payment_outcome", "outcome", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)


class BankPaymentPublic(BankPaymentBase):
    """A payment as the oracle's status endpoint shows it."""

    id: int
