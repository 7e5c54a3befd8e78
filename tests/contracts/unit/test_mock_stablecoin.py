"""Unit tests of MockStablecoin: 6 decimals, the capped open faucet, and EIP-2612 permits signed in Python."""

from __future__ import annotations

import pytest
from eth_abi import encode as abi_encode
from eth_utils import keccak

from tests.contracts.assertions import ANY, assert_event, reverts_with
from tests.contracts.conftest import UNIT, sign_permit

LIMIT = 10_000_000 * UNIT  # 1 crore rupees
ZERO_ADDRESS = "0x" + "00" * 20


@pytest.fixture(autouse=True, scope="module")
def _roles_first(system, admin, sme, investors, investor, stranger, buyer, treasury_account):
    """Creates the session fixtures before the first function snapshot (ape rebases if one comes later)."""


def test_metadata_is_a_six_decimal_rupee(stablecoin):
    assert stablecoin.decimals() == 6
    assert stablecoin.name() == "Hundi Test Rupee"
    assert stablecoin.symbol() == "hINR"
    assert stablecoin.FAUCET_LIMIT() == LIMIT


def test_faucet_mints_to_caller(stablecoin, stranger):
    supply = stablecoin.totalSupply()
    receipt = stablecoin.faucet(2_500 * UNIT, sender=stranger)
    assert_event(receipt, stablecoin.Transfer, **{"from": ZERO_ADDRESS, "to": stranger.address}, value=2_500 * UNIT)
    assert stablecoin.balanceOf(stranger) == 2_500 * UNIT
    assert stablecoin.totalSupply() == supply + 2_500 * UNIT


def test_faucet_accepts_exactly_the_limit_and_refuses_more(stablecoin, stranger):
    stablecoin.faucet(LIMIT, sender=stranger)
    assert stablecoin.balanceOf(stranger) == LIMIT
    with reverts_with(stablecoin.FaucetLimitExceeded, requested=LIMIT + 1, limit=LIMIT):
        stablecoin.faucet(LIMIT + 1, sender=stranger)
    assert stablecoin.balanceOf(stranger) == LIMIT


def test_mint_credits_the_recipient_and_is_capped_per_call(stablecoin, stranger, sme):
    before = stablecoin.balanceOf(sme)
    receipt = stablecoin.mint(sme, 700 * UNIT, sender=stranger)
    assert_event(receipt, stablecoin.Transfer, **{"from": ZERO_ADDRESS, "to": sme.address}, value=700 * UNIT)
    assert stablecoin.balanceOf(sme) == before + 700 * UNIT
    assert stablecoin.balanceOf(stranger) == 0
    with reverts_with(stablecoin.FaucetLimitExceeded, requested=LIMIT + 1, limit=LIMIT):
        stablecoin.mint(sme, LIMIT + 1, sender=stranger)


def test_domain_separator_is_the_eip712_domain_name_version_1(stablecoin, chain):
    typehash = keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
    expected = keccak(
        abi_encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [typehash, keccak(text="Hundi Test Rupee"), keccak(text="1"), chain.chain_id, stablecoin.address],
        )
    )
    assert stablecoin.DOMAIN_SEPARATOR() == expected


def test_permit_sets_allowance_and_spends_the_nonce(stablecoin, chain, investor, sme, stranger):
    deadline = chain.pending_timestamp + 3600
    v, r, s = sign_permit(stablecoin, chain, investor, sme, 1_500 * UNIT, deadline)
    nonce = stablecoin.nonces(investor)

    receipt = stablecoin.permit(investor, sme, 1_500 * UNIT, deadline, v, r, s, sender=stranger)  # anyone submits

    assert_event(receipt, stablecoin.Approval, owner=investor, spender=sme, value=1_500 * UNIT)
    assert stablecoin.allowance(investor, sme) == 1_500 * UNIT
    assert stablecoin.nonces(investor) == nonce + 1
    before = stablecoin.balanceOf(investor)
    stablecoin.transferFrom(investor, sme, 1_500 * UNIT, sender=sme)
    assert stablecoin.balanceOf(investor) == before - 1_500 * UNIT
    assert stablecoin.allowance(investor, sme) == 0


def test_permit_cannot_be_replayed(stablecoin, chain, investor, sme):
    deadline = chain.pending_timestamp + 3600
    v, r, s = sign_permit(stablecoin, chain, investor, sme, 1_500 * UNIT, deadline)
    stablecoin.permit(investor, sme, 1_500 * UNIT, deadline, v, r, s, sender=sme)
    stablecoin.transferFrom(investor, sme, 1_000 * UNIT, sender=sme)
    with reverts_with(stablecoin.ERC2612InvalidSigner, owner=investor, signer=ANY):
        stablecoin.permit(investor, sme, 1_500 * UNIT, deadline, v, r, s, sender=sme)
    assert stablecoin.allowance(investor, sme) == 500 * UNIT


def test_permit_signed_by_another_key_reverts(stablecoin, chain, investor, sme, stranger):
    deadline = chain.pending_timestamp + 3600
    v, r, s = sign_permit(stablecoin, chain, investor, sme, 1_500 * UNIT, deadline, key=stranger.private_key)
    with reverts_with(stablecoin.ERC2612InvalidSigner, signer=stranger, owner=investor):
        stablecoin.permit(investor, sme, 1_500 * UNIT, deadline, v, r, s, sender=sme)
    assert stablecoin.allowance(investor, sme) == 0


def test_permit_past_its_deadline_reverts(stablecoin, chain, investor, sme):
    deadline = chain.pending_timestamp + 60
    v, r, s = sign_permit(stablecoin, chain, investor, sme, 1_500 * UNIT, deadline)
    chain.pending_timestamp = deadline + 1
    with reverts_with(stablecoin.ERC2612ExpiredSignature, deadline=deadline):
        stablecoin.permit(investor, sme, 1_500 * UNIT, deadline, v, r, s, sender=sme)
    assert stablecoin.nonces(investor) == 0
