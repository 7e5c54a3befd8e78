"""Unit tests of KycRegistry: who may sell or invest, until when, and who may say so.

Spec: contracts/interfaces/IKycRegistry.sol and CONTRACTS.md ("KycRegistry"). An entry is valid while
`block.timestamp < validUntil`; `roles == 0` revokes; only KYC_OFFICER_ROLE writes; PAUSER_ROLE pauses writes.
"""

from __future__ import annotations

import ape
import pytest
from ape.utils import ZERO_ADDRESS
from eth_utils import keccak

from tests.contracts.assertions import only_event, reverts_with
from tests.contracts.conftest import DAY, INVESTOR, SME

KYC_OFFICER_ROLE = keccak(text="KYC_OFFICER_ROLE")
PAUSER_ROLE = keccak(text="PAUSER_ROLE")


# --------------------------------------------------------------------------------------------- helpers


@pytest.fixture
def newcomer(accounts):
    """A fresh address with no KYC entry and no role (`stranger` is the unprivileged caller)."""
    return accounts.generate_test_account()


# ------------------------------------------------------------------------------------------- constants


def test_role_constants_match_the_spec(kyc):
    assert kyc.SME() == SME == 1
    assert kyc.INVESTOR() == INVESTOR == 2
    assert kyc.KYC_OFFICER_ROLE() == KYC_OFFICER_ROLE
    assert kyc.PAUSER_ROLE() == PAUSER_ROLE


def test_constructor_reverts_on_zero_admin(project, admin):
    # ape does not decode a constructor's custom error: compare the raw revert data with the selector.
    with ape.reverts() as info:
        project.KycRegistry.deploy(ZERO_ADDRESS, sender=admin)
    assert info.value.revert_message == "0x" + keccak(text="ZeroAddress()")[:4].hex()


def test_unknown_account_has_empty_entry_and_is_not_allowed(kyc, newcomer):
    assert tuple(kyc.kycOf(newcomer)) == (0, 0)
    assert not kyc.isAllowed(newcomer, SME)
    assert not kyc.isAllowed(newcomer, INVESTOR)


# ---------------------------------------------------------------------------------------------- setKyc


def test_set_kyc_stores_entry_and_emits_kyc_updated(kyc, chain, admin, newcomer):
    until = chain.pending_timestamp + 30 * DAY
    receipt = kyc.setKyc(newcomer, INVESTOR, until, sender=admin)
    assert only_event(receipt, kyc.KycUpdated) == {
        "account": newcomer.address,
        "roles": INVESTOR,
        "validUntil": until,
    }
    assert tuple(kyc.kycOf(newcomer)) == (INVESTOR, until)
    assert kyc.isAllowed(newcomer, INVESTOR)
    assert not kyc.isAllowed(newcomer, SME)


def test_set_kyc_refused_to_stranger(kyc, chain, stranger, newcomer):
    with reverts_with(kyc.AccessControlUnauthorizedAccount, account=stranger, neededRole=KYC_OFFICER_ROLE):
        kyc.setKyc(newcomer, SME, chain.pending_timestamp + DAY, sender=stranger)
    assert tuple(kyc.kycOf(newcomer)) == (0, 0)


def test_set_kyc_allowed_to_any_granted_kyc_officer(kyc, chain, admin, stranger, newcomer):
    kyc.grantRole(KYC_OFFICER_ROLE, stranger, sender=admin)
    kyc.setKyc(newcomer, SME, chain.pending_timestamp + DAY, sender=stranger)
    assert kyc.isAllowed(newcomer, SME)


def test_set_kyc_reverts_on_zero_address(kyc, chain, admin):
    with reverts_with(kyc.ZeroAddress):
        kyc.setKyc(ZERO_ADDRESS, SME, chain.pending_timestamp + DAY, sender=admin)


@pytest.mark.parametrize("roles", [4, 0xFF])
def test_set_kyc_reverts_on_role_bits_outside_sme_and_investor(kyc, chain, admin, newcomer, roles):
    with reverts_with(kyc.InvalidRoles, roles=roles):
        kyc.setKyc(newcomer, roles, chain.pending_timestamp + DAY, sender=admin)


def test_set_kyc_overwrites_previous_entry(kyc, chain, admin, newcomer):
    kyc.setKyc(newcomer, SME, chain.pending_timestamp + DAY, sender=admin)
    later = chain.pending_timestamp + 90 * DAY
    kyc.setKyc(newcomer, INVESTOR, later, sender=admin)
    assert tuple(kyc.kycOf(newcomer)) == (INVESTOR, later)
    assert not kyc.isAllowed(newcomer, SME)
    assert kyc.isAllowed(newcomer, INVESTOR)


# ------------------------------------------------------------------------------------------- isAllowed


def test_both_roles_in_one_entry_allow_each_role_and_both(kyc, chain, admin, newcomer):
    kyc.setKyc(newcomer, SME | INVESTOR, chain.pending_timestamp + DAY, sender=admin)
    assert kyc.isAllowed(newcomer, SME)
    assert kyc.isAllowed(newcomer, INVESTOR)
    assert kyc.isAllowed(newcomer, SME | INVESTOR)


def test_is_allowed_requires_every_bit_of_the_asked_role(kyc, chain, admin, newcomer):
    kyc.setKyc(newcomer, SME, chain.pending_timestamp + DAY, sender=admin)
    assert kyc.isAllowed(newcomer, SME)
    assert not kyc.isAllowed(newcomer, INVESTOR)
    assert not kyc.isAllowed(newcomer, SME | INVESTOR)
    assert not kyc.isAllowed(newcomer, 4)


def test_is_allowed_is_false_for_role_zero(kyc, chain, admin, newcomer):
    kyc.setKyc(newcomer, SME | INVESTOR, chain.pending_timestamp + DAY, sender=admin)
    assert not kyc.isAllowed(newcomer, 0)


def test_kyc_is_valid_strictly_before_valid_until_and_expires_at_it(kyc, chain, admin, newcomer):
    until = chain.pending_timestamp + 1000
    kyc.setKyc(newcomer, SME | INVESTOR, until, sender=admin)
    chain.mine(timestamp=until - 1)
    assert chain.blocks.head.timestamp == until - 1
    assert kyc.isAllowed(newcomer, SME)
    assert kyc.isAllowed(newcomer, INVESTOR)
    chain.mine(timestamp=until)
    assert chain.blocks.head.timestamp == until
    assert not kyc.isAllowed(newcomer, SME)
    assert not kyc.isAllowed(newcomer, INVESTOR)
    # Expiry needs no transaction: the entry itself is unchanged.
    assert tuple(kyc.kycOf(newcomer)) == (SME | INVESTOR, until)


def test_entry_written_with_past_valid_until_is_not_allowed(kyc, chain, admin, newcomer):
    past = chain.blocks.head.timestamp - 1
    kyc.setKyc(newcomer, SME, past, sender=admin)
    assert not kyc.isAllowed(newcomer, SME)


def test_renewing_an_expired_entry_allows_again(kyc, chain, admin, newcomer):
    kyc.setKyc(newcomer, SME, chain.pending_timestamp + 10, sender=admin)
    chain.mine(deltatime=100)
    assert not kyc.isAllowed(newcomer, SME)
    kyc.setKyc(newcomer, SME, chain.pending_timestamp + DAY, sender=admin)
    assert kyc.isAllowed(newcomer, SME)


def test_revocation_with_roles_zero_disallows_every_role(kyc, chain, admin, sme):
    assert kyc.isAllowed(sme, SME)
    until = chain.pending_timestamp + DAY
    receipt = kyc.setKyc(sme, 0, until, sender=admin)
    assert only_event(receipt, kyc.KycUpdated) == {"account": sme.address, "roles": 0, "validUntil": until}
    assert tuple(kyc.kycOf(sme)) == (0, until)
    assert not kyc.isAllowed(sme, SME)
    assert not kyc.isAllowed(sme, INVESTOR)


# ----------------------------------------------------------------------------------------------- pause


def test_pause_refused_to_stranger(kyc, stranger):
    with reverts_with(kyc.AccessControlUnauthorizedAccount, account=stranger, neededRole=PAUSER_ROLE):
        kyc.pause(sender=stranger)
    assert not kyc.paused()


def test_unpause_refused_to_stranger(kyc, admin, stranger):
    kyc.pause(sender=admin)
    with reverts_with(kyc.AccessControlUnauthorizedAccount, account=stranger, neededRole=PAUSER_ROLE):
        kyc.unpause(sender=stranger)
    assert kyc.paused()


def test_pause_blocks_set_kyc_but_not_views_and_unpause_restores(kyc, chain, admin, sme, newcomer):
    receipt = kyc.pause(sender=admin)
    assert only_event(receipt, kyc.Paused) == {"account": admin.address}
    with reverts_with(kyc.EnforcedPause):
        kyc.setKyc(newcomer, SME, chain.pending_timestamp + DAY, sender=admin)
    # Reads keep working while paused.
    assert kyc.isAllowed(sme, SME)
    assert kyc.kycOf(sme).roles == SME
    receipt = kyc.unpause(sender=admin)
    assert only_event(receipt, kyc.Unpaused) == {"account": admin.address}
    kyc.setKyc(newcomer, SME, chain.pending_timestamp + DAY, sender=admin)
    assert kyc.isAllowed(newcomer, SME)


def test_pause_twice_and_unpause_when_not_paused_revert(kyc, admin):
    with reverts_with(kyc.ExpectedPause):
        kyc.unpause(sender=admin)
    kyc.pause(sender=admin)
    with reverts_with(kyc.EnforcedPause):
        kyc.pause(sender=admin)


def test_pause_still_lets_the_officer_revoke(kyc, chain, admin, sme):
    kyc.pause(sender=admin)
    receipt = kyc.setKyc(sme, 0, 0, sender=admin)
    assert only_event(receipt, kyc.KycUpdated) == {"account": sme.address, "roles": 0, "validUntil": 0}
    assert not kyc.isAllowed(sme, SME)
    # ...while a grant is still refused.
    with reverts_with(kyc.EnforcedPause):
        kyc.setKyc(sme, SME, chain.pending_timestamp + DAY, sender=admin)
