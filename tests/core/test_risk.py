"""The seed risk formula, term by term; expected scores are written by hand from SERVICES.md."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from hundi.risk import (
    BuyerHistory,
    InvoiceOutcome,
    RiskAssessment,
    RiskInput,
    RiskTerm,
    SeedRiskModel,
    SellerHistory,
    buyer_history,
    risk_score,
    seller_history,
)

ISSUE = date(2025, 4, 1)
DECIMALS = 6  # the local rupee stablecoin (CONTRACTS.md)
RUPEE = 10**DECIMALS

# A neutral invoice: no history, 1,00,000 rupees, 30 days. Every term but the base is zero.
NEUTRAL = RiskInput(
    face_value=1_00_000 * RUPEE,
    decimals=DECIMALS,
    issue_date=ISSUE,
    due_date=ISSUE + timedelta(days=30),
    seller=SellerHistory(),
    buyer=BuyerHistory(),
)


def test_base_score_is_50() -> None:
    assert risk_score(NEUTRAL) == 50


@pytest.mark.parametrize(
    ("change", "score"),
    [
        ({"seller": SellerHistory(repaid=1)}, 60),
        ({"seller": SellerHistory(repaid=3)}, 80),
        ({"seller": SellerHistory(defaulted=1)}, 30),
        ({"seller": SellerHistory(defaulted=2)}, 10),
        ({"buyer": BuyerHistory(credit_rating=1)}, 55),
        ({"buyer": BuyerHistory(credit_rating=4)}, 70),
        ({"buyer": BuyerHistory(late_payments=1)}, 35),
        ({"buyer": BuyerHistory(late_payments=2)}, 20),
    ],
    ids=["1-repaid", "3-repaid", "1-default", "2-defaults", "rating-1", "rating-4", "1-late", "2-late"],
)
def test_each_history_term(change: dict[str, object], score: int) -> None:
    assert risk_score(replace(NEUTRAL, **change)) == score  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("face_value", "score"),
    [
        (5_00_000 * RUPEE, 50),  # exactly 5,00,000: does not exceed
        (5_00_000 * RUPEE + 1, 40),  # one base unit (0.000001 rupee) more
        (50_00_000 * RUPEE, 40),
        (0, 50),
    ],
    ids=["at-threshold", "one-unit-over", "50-lakh", "zero"],
)
def test_amount_over_five_lakh_costs_10(face_value: int, score: int) -> None:
    assert risk_score(replace(NEUTRAL, face_value=face_value)) == score


def test_amount_threshold_follows_the_token_decimals() -> None:
    eighteen = replace(NEUTRAL, decimals=18, face_value=5_00_000 * 10**18)
    assert risk_score(eighteen) == 50
    assert risk_score(replace(eighteen, face_value=5_00_000 * 10**18 + 1)) == 40
    assert replace(eighteen, face_value=5_00_000 * 10**18 + 1).amount_rupees > 500000


@pytest.mark.parametrize(("days", "score"), [(90, 50), (91, 35), (365, 35), (0, 50)])
def test_maturity_over_90_days_costs_15(days: int, score: int) -> None:
    assert risk_score(replace(NEUTRAL, due_date=ISSUE + timedelta(days=days))) == score


def test_all_terms_together() -> None:
    request = RiskInput(
        face_value=6_00_000 * RUPEE,
        decimals=DECIMALS,
        issue_date=ISSUE,
        due_date=ISSUE + timedelta(days=120),
        seller=SellerHistory(repaid=2, defaulted=1),
        buyer=BuyerHistory(credit_rating=3, late_payments=1),
    )
    # 50 + 2*10 - 1*20 + 3*5 - 1*15 - 10 - 15 = 25
    assessment = SeedRiskModel().assess(request)
    assert (assessment.score, assessment.raw) == (25, 25)
    assert [term.points for term in assessment.terms] == [50, 20, -20, 15, -15, -10, -15]


def test_score_is_clamped_at_zero() -> None:
    request = replace(NEUTRAL, seller=SellerHistory(defaulted=3), buyer=BuyerHistory(late_payments=1))
    assessment = SeedRiskModel().assess(request)
    assert (assessment.raw, assessment.score) == (50 - 60 - 15, 0)


def test_score_is_clamped_at_100() -> None:
    request = replace(NEUTRAL, seller=SellerHistory(repaid=5), buyer=BuyerHistory(credit_rating=5))
    assessment = SeedRiskModel().assess(request)
    assert (assessment.raw, assessment.score) == (50 + 50 + 25, 100)


def test_score_exactly_at_the_bounds_is_kept() -> None:
    assert risk_score(replace(NEUTRAL, seller=SellerHistory(repaid=5))) == 100
    assert risk_score(replace(NEUTRAL, buyer=BuyerHistory(late_payments=2), seller=SellerHistory(defaulted=1))) == 0


@pytest.mark.parametrize(
    "build",
    [
        lambda: SellerHistory(repaid=-1),
        lambda: SellerHistory(defaulted=-1),
        lambda: BuyerHistory(credit_rating=-1),
        lambda: BuyerHistory(credit_rating=6),
        lambda: BuyerHistory(late_payments=-1),
        lambda: replace(NEUTRAL, face_value=-1),
        lambda: replace(NEUTRAL, decimals=-1),
    ],
    ids=["repaid", "defaulted", "rating-negative", "rating-over-5", "late", "face-value", "decimals"],
)
def test_malformed_inputs_are_rejected(build: object) -> None:
    with pytest.raises(ValueError):
        build()  # type: ignore[operator]


def test_risk_model_is_pluggable() -> None:
    class Flat:
        name = "flat"

        def assess(self, request: RiskInput) -> RiskAssessment:
            return RiskAssessment(self.name, 42, 42, (RiskTerm("flat", 42),))

    assert risk_score(NEUTRAL, Flat()) == 42


# --- histories from past outcomes ----------------------------------------------------------------------

SELLER = "0xabcdefabcdefabcdefabcdefabcdefabcdefabcd"
OTHER_SELLER = "0x2222222222222222222222222222222222222222"
BUYER, OTHER_BUYER = b"\x0b" * 32, b"\x0c" * 32
DUE = date(2025, 1, 31)


def outcome(
    seller: str = SELLER, buyer: bytes = BUYER, status: str = "repaid", repaid_on: date | None = DUE
) -> InvoiceOutcome:
    return InvoiceOutcome(seller, buyer, DUE, status, repaid_on if status == "repaid" else None)  # type: ignore[arg-type]


def test_seller_history_counts_repayments_and_defaults_of_that_seller_only() -> None:
    outcomes = [
        outcome(),
        outcome(repaid_on=DUE + timedelta(days=10)),  # late, still a repayment by the seller's invoice
        outcome(status="defaulted"),
        outcome(seller=OTHER_SELLER),
        outcome(seller=SELLER.upper().replace("0X", "0x")),  # same address, other case
    ]
    assert seller_history(outcomes, SELLER) == SellerHistory(repaid=3, defaulted=1)


def test_buyer_history_rates_on_time_payments_and_counts_late_ones() -> None:
    outcomes = [
        outcome(repaid_on=DUE),  # on the due date: on time
        outcome(repaid_on=DUE - timedelta(days=3)),
        outcome(repaid_on=DUE + timedelta(days=1)),  # late
        outcome(status="defaulted"),  # never paid: late
        outcome(buyer=OTHER_BUYER, status="defaulted"),
    ]
    assert buyer_history(outcomes, BUYER) == BuyerHistory(credit_rating=2, late_payments=2)


def test_buyer_credit_rating_is_capped_at_5() -> None:
    assert buyer_history([outcome()] * 9, BUYER) == BuyerHistory(credit_rating=5, late_payments=0)


def test_no_history_is_neutral() -> None:
    assert seller_history([], SELLER) == SellerHistory(0, 0)
    assert buyer_history([], BUYER) == BuyerHistory(0, 0)


@pytest.mark.parametrize(("status", "repaid_on"), [("repaid", None), ("defaulted", DUE)])
def test_outcome_needs_a_repayment_date_exactly_when_repaid(status: str, repaid_on: date | None) -> None:
    with pytest.raises(ValueError, match="repaid_on"):
        InvoiceOutcome(SELLER, BUYER, DUE, status, repaid_on)  # type: ignore[arg-type]


def test_history_feeds_the_score() -> None:
    outcomes = [outcome(), outcome(), outcome(status="defaulted")]
    request = replace(NEUTRAL, seller=seller_history(outcomes, SELLER), buyer=buyer_history(outcomes, BUYER))
    # seller: 2 repaid, 1 default -> +20 - 20; buyer: rating 2, 1 late -> +10 - 15; 50 - 5 = 45
    assert risk_score(request) == 45
