"""The CONTRACTS.md gas goals, asserted on transaction gasUsed measured on anvil.

Gas is deterministic (up to a few units of calldata gas as timestamps move), so the goals are asserted as
bounds. The scenarios (tests/contracts/gas_scenarios.py, shared with `make bench`) run once per module, with
the real 200-investor invoice; each test checks one goal against that run.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.contracts.gas_scenarios import (
    CLAIM_GOAL,
    FLAT_TOLERANCE,
    FUND_VS_VAULT_DEPOSIT_GOAL,
    MANY_INVESTORS,
    MINT_FIRST_GOAL,
    GasReport,
    measure,
    relative_spread,
)


@pytest.fixture(scope="module")
def gas(chain: Any, project: Any, system: Any, admin: Any, oracle_signers: list[bytes]) -> GasReport:
    """One run of every gas scenario, the 200-investor invoice included (about 10 s)."""
    return measure(chain, project, system, admin, oracle_signers, many=MANY_INVESTORS)


def test_mint_of_a_sellers_first_invoice_stays_within_goal(gas):
    assert gas.mint_first <= MINT_FIRST_GOAL, f"mint used {gas.mint_first:,} gas, goal {MINT_FIRST_GOAL:,}"


def test_fund_by_a_new_investor_costs_at_most_one_and_a_half_erc4626_deposits(gas):
    limit = FUND_VS_VAULT_DEPOSIT_GOAL * gas.anchor_erc4626_deposit
    assert gas.fund_new_investor <= limit, (
        f"fund used {gas.fund_new_investor:,} gas, goal {limit:,.0f} "
        f"({FUND_VS_VAULT_DEPOSIT_GOAL}x the ERC-4626 deposit, {gas.anchor_erc4626_deposit:,})"
    )


def test_first_claim_after_a_repayment_stays_within_goal(gas):
    # The investor still holds stablecoin, as in the other contract tests. A payout into an emptied wallet
    # also writes a fresh balance slot (about +17k); the benchmark reports that case beside this one.
    assert gas.claim_first <= CLAIM_GOAL, f"claim used {gas.claim_first:,} gas, goal {CLAIM_GOAL:,}"


def test_repay_costs_the_same_for_one_and_for_two_hundred_investors(gas):
    assert gas.many_investors == 200, "the goal is stated for 200 investors"
    spread = relative_spread(gas.repay_one, gas.repay_many)
    assert spread <= FLAT_TOLERANCE, f"repay: {gas.repay_one:,} (1 investor) vs {gas.repay_many:,} (200), {spread:.2%}"


def test_mark_defaulted_costs_the_same_for_one_and_for_two_hundred_investors(gas):
    assert gas.many_investors == 200, "the goal is stated for 200 investors"
    one, many = gas.mark_defaulted_one, gas.mark_defaulted_many
    spread = relative_spread(one, many)
    assert spread <= FLAT_TOLERANCE, f"markDefaulted: {one:,} (1 investor) vs {many:,} (200), {spread:.2%}"
