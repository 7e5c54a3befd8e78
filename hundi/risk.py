"""Invoice risk scores: the ``RiskModel`` protocol and the seed formula as the default model.

The seed formula (SERVICES.md, ``risk``)::

    50
    + 10 per past repayment of the seller       - 20 per seller default
    +  5 per buyer credit-rating point          - 15 per buyer late payment
    - 10 if the face value exceeds 5,00,000 rupees
    - 15 if the maturity exceeds 90 days
    clamped to 0..100

Units and definitions, chosen so that every oracle operator computes the same score from chain data:

* Amounts are the token's integer base units plus its ``decimals`` (the stablecoin is a rupee token, so
  1 token = 1 rupee). "Exceeds 5,00,000" is strictly greater than 500000 * 10**decimals, compared in
  integers: no floating point.
* Maturity is ``due_date - issue_date`` in whole days, from the minted invoice fields, never from the
  clock, so the score does not depend on when an operator looks. "Exceeds 90 days" is strictly greater.
* A buyer's credit rating is on a 0..5 scale. Derived from history it is the number of the buyer's past
  invoices repaid on or before their due date, capped at 5; a late payment is one repaid after its due
  date, or defaulted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal, Protocol

BASE_SCORE = 50
PER_SELLER_REPAYMENT = 10
PER_SELLER_DEFAULT = -20
PER_CREDIT_POINT = 5
PER_BUYER_LATE_PAYMENT = -15
LARGE_AMOUNT_RUPEES = 5_00_000
LARGE_AMOUNT_PENALTY = -10
LONG_MATURITY_DAYS = 90
LONG_MATURITY_PENALTY = -15
MAX_CREDIT_RATING = 5
MIN_SCORE, MAX_SCORE = 0, 100


def _non_negative(**values: int) -> None:
    for name, value in values.items():
        if value < 0:
            raise ValueError(f"{name} must be >= 0, got {value}")


@dataclass(frozen=True)
class SellerHistory:
    """How the seller's past financed invoices ended."""

    repaid: int = 0
    defaulted: int = 0

    def __post_init__(self) -> None:
        _non_negative(repaid=self.repaid, defaulted=self.defaulted)


@dataclass(frozen=True)
class BuyerHistory:
    """How the buyer has paid: a 0..5 credit rating and a count of late payments."""

    credit_rating: int = 0
    late_payments: int = 0

    def __post_init__(self) -> None:
        _non_negative(credit_rating=self.credit_rating, late_payments=self.late_payments)
        if self.credit_rating > MAX_CREDIT_RATING:
            raise ValueError(f"credit_rating is on a 0..{MAX_CREDIT_RATING} scale, got {self.credit_rating}")


@dataclass(frozen=True)
class RiskInput:
    """Everything a model may use: the invoice's amount and dates and the two parties' histories."""

    face_value: int  # token base units
    decimals: int  # the token's decimals
    issue_date: date
    due_date: date
    seller: SellerHistory
    buyer: BuyerHistory

    def __post_init__(self) -> None:
        _non_negative(face_value=self.face_value, decimals=self.decimals)

    @property
    def amount_rupees(self) -> Decimal:
        return Decimal(self.face_value).scaleb(-self.decimals)

    @property
    def maturity_days(self) -> int:
        return (self.due_date - self.issue_date).days


@dataclass(frozen=True)
class RiskTerm:
    """One line of a score's explanation."""

    name: str
    points: int


@dataclass(frozen=True)
class RiskAssessment:
    """A score with the terms that produced it; ``raw`` is the sum before clamping."""

    model: str
    score: int
    raw: int
    terms: tuple[RiskTerm, ...]


class RiskModel(Protocol):
    """Scores an invoice from 0 (worst) to 100 (best)."""

    name: str

    def assess(self, request: RiskInput) -> RiskAssessment: ...


class SeedRiskModel:
    """The seed formula, term by term."""

    name = "seed-v1"

    def assess(self, request: RiskInput) -> RiskAssessment:
        large = request.face_value > LARGE_AMOUNT_RUPEES * 10**request.decimals
        long_maturity = request.maturity_days > LONG_MATURITY_DAYS
        terms = (
            RiskTerm("base", BASE_SCORE),
            RiskTerm("seller repayments", PER_SELLER_REPAYMENT * request.seller.repaid),
            RiskTerm("seller defaults", PER_SELLER_DEFAULT * request.seller.defaulted),
            RiskTerm("buyer credit rating", PER_CREDIT_POINT * request.buyer.credit_rating),
            RiskTerm("buyer late payments", PER_BUYER_LATE_PAYMENT * request.buyer.late_payments),
            RiskTerm("amount over 5,00,000", LARGE_AMOUNT_PENALTY if large else 0),
            RiskTerm("maturity over 90 days", LONG_MATURITY_PENALTY if long_maturity else 0),
        )
        raw = sum(term.points for term in terms)
        return RiskAssessment(self.name, max(MIN_SCORE, min(MAX_SCORE, raw)), raw, terms)


DEFAULT_MODEL: RiskModel = SeedRiskModel()


def risk_score(request: RiskInput, model: RiskModel = DEFAULT_MODEL) -> int:
    """The 0..100 score of ``request`` under ``model`` (the seed formula by default)."""
    return model.assess(request).score


# --- history from past outcomes ------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceOutcome:
    """How one past invoice ended, as read from chain events (Repaid / Defaulted)."""

    seller: str  # seller address
    buyer_id: bytes  # keccak256 of the buyer's GSTIN
    due_date: date
    status: Literal["repaid", "defaulted"]
    repaid_on: date | None = None  # the day the face value was fully repaid

    def __post_init__(self) -> None:
        if (self.status == "repaid") != (self.repaid_on is not None):
            raise ValueError("repaid_on is required exactly when status is 'repaid'")

    @property
    def paid_on_time(self) -> bool:
        return self.repaid_on is not None and self.repaid_on <= self.due_date


def seller_history(outcomes: Iterable[InvoiceOutcome], seller: str) -> SellerHistory:
    """Repayments and defaults of ``seller``'s past invoices (addresses compared case-insensitively)."""
    mine = [o for o in outcomes if o.seller.lower() == seller.lower()]
    return SellerHistory(
        repaid=sum(o.status == "repaid" for o in mine),
        defaulted=sum(o.status == "defaulted" for o in mine),
    )


def buyer_history(outcomes: Iterable[InvoiceOutcome], buyer_id: bytes) -> BuyerHistory:
    """The buyer's credit rating (on-time repayments, capped at 5) and late payments (late or defaulted)."""
    theirs = [o for o in outcomes if o.buyer_id == buyer_id]
    on_time = sum(o.paid_on_time for o in theirs)
    return BuyerHistory(
        credit_rating=min(MAX_CREDIT_RATING, on_time),
        late_payments=len(theirs) - on_time,
    )
