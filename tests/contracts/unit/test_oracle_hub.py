"""Unit tests of OracleHub: the k-of-n signer set, EIP-712 report hashing, and the acceptance rules of
verification and repayment reports.

Spec: contracts/interfaces/IOracleHub.sol and CONTRACTS.md ("OracleHub"). Reports are built and signed with
hundi.chain.reports, the same code the oracle nodes use; `verification`/`repayment` (conftest) sign 2-of-3
with the deployed signers (dev accounts 7, 8, 9, whose addresses are in ascending order).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from ape.utils import ZERO_ADDRESS
from eth_abi import encode as abi_encode
from eth_keys import keys
from eth_utils import keccak

from hundi.chain.devkeys import dev_account
from hundi.chain.reports import Repayment, Verification, report_digest, report_domain, sign_all
from tests.contracts.assertions import call_error, events, only_event, reverts_with
from tests.contracts.conftest import MINTED, REJECTED, SIGNER_INDEXES, UNIT, VERIFIED

ADMIN_ROLE = b"\x00" * 32
PAUSER_ROLE = keccak(text="PAUSER_ROLE")
VERIFICATION_TYPE = (
    "Verification(uint256 invoiceId,bytes32 docDigest,bool approved,uint8 riskScore,uint16 checks,"
    "uint64 deadline,uint256 nonce)"
)
REPAYMENT_TYPE = (
    "Repayment(uint256 invoiceId,uint128 amount,bytes32 bankRef,uint64 paidAt,uint64 deadline,uint256 nonce)"
)
EIP712_DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
KIND_VERIFICATION, KIND_REPAYMENT = 0, 1

S7, S8, S9 = (dev_account(i).address for i in SIGNER_INDEXES)


# --------------------------------------------------------------------------------------------- helpers


def domain_separator(chain_id: int, verifying_contract: str) -> bytes:
    """EIP-712 domain separator of an OracleHub, computed from the standard's definition."""
    return keccak(
        abi_encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [
                keccak(text=EIP712_DOMAIN_TYPE),
                keccak(text="Hundi OracleHub"),
                keccak(text="1"),
                chain_id,
                verifying_contract,
            ],
        )
    )


def recover(digest: bytes, signature: bytes) -> str:
    """The address that `signature` (r ‖ s ‖ v, v in {27, 28}) recovers to over `digest`."""
    sig = keys.Signature(signature_bytes=signature[:64] + bytes([signature[64] - 27]))
    return sig.recover_public_key_from_msg_hash(digest).to_checksum_address()


# -------------------------------------------------------------------------------------------- fixtures


@pytest.fixture
def as_distributor(accounts, chain, distributor):
    """The RepaymentDistributor's address, impersonated on anvil, to call consumeRepayment directly."""
    impersonated = accounts[distributor.address]
    chain.set_balance(impersonated, 10**20)
    return impersonated


@pytest.fixture
def submit_revert(system, hub, admin):
    """The decoded error that `submitVerification(report, signatures)` reverts with (`call_error`).

    Used for reverts raised inside the InvoiceToken during submitVerification: the token's error bubbles up
    unchanged, but ape decodes a nested custom error by materialising the whole struct-log trace, which costs
    seconds per test.
    """

    def attempt(report: Verification, signatures: list[bytes]) -> tuple[str, dict[str, Any]] | None:
        return call_error(hub.submitVerification, report.as_tuple(), signatures, sender=admin, also=(system.token,))

    return attempt


@pytest.fixture
def submit(hub, admin):
    """Submit a (report, signatures) pair as `sender` (the admin by default); returns the receipt."""

    def send(report: Verification, signatures: list[bytes], sender: Any = None) -> Any:
        return hub.submitVerification(report.as_tuple(), signatures, sender=sender or admin)

    return send


# ---------------------------------------------------------------------------------- wiring and hashing


def test_typehashes_roles_and_wiring(system, hub):
    assert hub.VERIFICATION_TYPEHASH() == keccak(text=VERIFICATION_TYPE)
    assert hub.REPAYMENT_TYPEHASH() == keccak(text=REPAYMENT_TYPE)
    assert hub.PAUSER_ROLE() == PAUSER_ROLE
    assert hub.token() == system.token.address
    assert hub.distributor() == system.distributor.address


def test_domain_separator_matches_eip712_computed_in_python(hub, chain):
    assert hub.domainSeparator() == domain_separator(chain.chain_id, hub.address)


def test_domain_separator_is_rebuilt_when_chain_id_changes(hub, chain, make_invoice, verification):
    """The cross-chain replay guard: under another chain id the domain, and so every reportId, changes."""
    report, _ = verification(make_invoice())
    original = chain.chain_id
    other = original + 1000
    chain.provider.make_request("anvil_setChainId", [other])
    try:
        assert int(chain.provider.make_request("eth_chainId", []), 16) == other
        assert hub.domainSeparator() == domain_separator(other, hub.address)
        assert hub.hashVerification(report.as_tuple()) == report_digest(report, report_domain(other, hub.address))
    finally:
        chain.provider.make_request("anvil_setChainId", [original])
    assert hub.domainSeparator() == domain_separator(original, hub.address)


@pytest.mark.parametrize("approved", [True, False])
def test_hash_verification_equals_python_report_digest(system, hub, approved):
    report = Verification(
        invoiceId=7,
        docDigest=keccak(text="doc"),
        approved=approved,
        riskScore=55,
        checks=0b101010,
        deadline=1_900_000_000,
        nonce=2**200 + 3,
    )
    assert hub.hashVerification(report.as_tuple()) == report_digest(report, system.domain)


def test_hash_repayment_equals_python_report_digest(system, hub):
    report = Repayment(
        invoiceId=9,
        amount=2**127 + 5,
        bankRef=keccak(text="UTR-123"),
        paidAt=1_800_000_000,
        deadline=1_900_000_000,
        nonce=4,
    )
    assert hub.hashRepayment(report.as_tuple()) == report_digest(report, system.domain)


def test_every_report_field_changes_the_report_id(system, hub):
    base = Verification(1, keccak(text="doc"), True, 10, 1, 1_900_000_000, 1)
    variants = [
        replace(base, invoiceId=2),
        replace(base, docDigest=keccak(text="other")),
        replace(base, approved=False),
        replace(base, riskScore=11),
        replace(base, checks=3),
        replace(base, deadline=1_900_000_001),
        replace(base, nonce=2),
    ]
    ids = {bytes(hub.hashVerification(r.as_tuple())) for r in [base, *variants]}
    assert len(ids) == 1 + len(variants)


# ------------------------------------------------------------------------------------------ signer set


def test_deployed_signer_set_is_two_of_three_version_one(hub, stranger):
    signers, threshold, version = hub.signerSet()
    assert (list(signers), threshold, version) == ([S7, S8, S9], 2, 1)
    assert all(hub.isSigner(s) for s in (S7, S8, S9))
    assert not hub.isSigner(stranger)
    assert not hub.isSigner(ZERO_ADDRESS)


def test_set_signers_replaces_the_set_bumps_the_version_and_emits(hub, admin, stranger):
    receipt = hub.setSigners([S9, stranger.address], 1, sender=admin)
    assert only_event(receipt, hub.SignerSetUpdated) == {
        "version": 2,
        "signers": [S9, stranger.address],
        "threshold": 1,
    }
    signers, threshold, version = hub.signerSet()
    assert (list(signers), threshold, version) == ([S9, stranger.address], 1, 2)
    assert [hub.isSigner(a) for a in (S7, S8, S9, stranger.address)] == [False, False, True, True]

    receipt = hub.setSigners([S7, S8], 2, sender=admin)
    assert only_event(receipt, hub.SignerSetUpdated)["version"] == 3
    assert [hub.isSigner(a) for a in (S7, S8, S9, stranger.address)] == [True, True, False, False]


def test_set_signers_refused_to_non_admin(hub, stranger):
    with reverts_with(hub.AccessControlUnauthorizedAccount, account=stranger, neededRole=ADMIN_ROLE):
        hub.setSigners([stranger.address], 1, sender=stranger)
    assert hub.signerSet()[2] == 1


@pytest.mark.parametrize(
    ("count", "threshold"),
    [(2, 0), (2, 3), (0, 1)],
    ids=["zero_threshold", "threshold_above_n", "no_signers"],
)
def test_set_signers_reverts_on_invalid_threshold(hub, admin, count, threshold):
    with reverts_with(hub.InvalidThreshold, threshold=threshold, signerCount=count):
        hub.setSigners([S7, S8][:count], threshold, sender=admin)


def test_set_signers_reverts_on_zero_address_signer(hub, admin):
    with reverts_with(hub.InvalidSigner, signer=ZERO_ADDRESS):
        hub.setSigners([S7, ZERO_ADDRESS], 1, sender=admin)


def test_set_signers_reverts_on_duplicate_signer(hub, admin):
    with reverts_with(hub.InvalidSigner, signer=S7):
        hub.setSigners([S7, S8, S7], 2, sender=admin)
    assert hub.signerSet()[2] == 1


def test_removed_signer_no_longer_counts(system, hub, admin, make_invoice, verification, submit, oracle_signers):
    k7, k8, k9 = oracle_signers
    hub.setSigners([S7, S9], 2, sender=admin)
    invoice_id = make_invoice()
    report, sigs = verification(invoice_id, signer_keys=[k7, k8])
    with reverts_with(hub.UnknownSigner, signer=S8):
        submit(report, sigs)
    report, sigs = verification(invoice_id, signer_keys=[k7, k9], nonce=2)
    submit(report, sigs)
    assert system.token.statusOf(invoice_id) == VERIFIED


def test_new_signer_counts_once_added(system, hub, admin, stranger, make_invoice, verification, submit, oracle_signers):
    hub.setSigners([S7, stranger.address], 2, sender=admin)
    invoice_id = make_invoice()
    report, sigs = verification(invoice_id, signer_keys=[oracle_signers[0], dev_account(5).key])
    submit(report, sigs)
    assert system.token.statusOf(invoice_id) == VERIFIED


def test_unconfigured_hub_accepts_no_report(project, system, admin, chain, make_invoice, verification):
    fresh = project.OracleHub.deploy(admin, system.token, system.distributor, sender=admin)
    signers, threshold, version = fresh.signerSet()
    assert (list(signers), threshold, version) == ([], 0, 0)
    assert not fresh.isSigner(S7)
    report, sigs = verification(make_invoice(), domain=report_domain(chain.chain_id, fresh.address))
    with reverts_with(fresh.InsufficientSignatures, provided=2, threshold=0):
        fresh.submitVerification(report.as_tuple(), sigs, sender=admin)


# ---------------------------------------------------------------------------------- submitVerification


def test_submit_verification_approved_verifies_the_invoice(system, hub, stranger, make_invoice, verification, submit):
    token = system.token
    invoice_id = make_invoice()
    report, sigs = verification(invoice_id, risk=63, checks=0b111011)
    report_id = report_digest(report, system.domain)
    assert not hub.isReportUsed(report_id)

    receipt = submit(report, sigs, sender=stranger)  # anyone holding the signatures may submit

    assert only_event(receipt, hub.ReportAccepted) == {
        "reportId": report_id,
        "kind": KIND_VERIFICATION,
        "invoiceId": invoice_id,
        "submitter": stranger.address,
    }
    assert only_event(receipt, token.InvoiceStatusChanged) == {
        "invoiceId": invoice_id,
        "from": MINTED,
        "to": VERIFIED,
    }
    assert only_event(receipt, token.InvoiceVerified) == {
        "invoiceId": invoice_id,
        "riskScore": 63,
        "checks": 0b111011,
        "reportId": report_id,
    }
    inv = token.invoiceOf(invoice_id)
    assert (inv.status, inv.riskScore, inv.checks) == (VERIFIED, 63, 0b111011)
    assert hub.isReportUsed(report_id)


def test_submit_verification_not_approved_rejects_the_invoice(system, hub, make_invoice, verification, submit):
    token = system.token
    invoice_id = make_invoice()
    report, sigs = verification(invoice_id, approved=False, risk=95, checks=0b000111)
    report_id = report_digest(report, system.domain)
    receipt = submit(report, sigs)
    assert only_event(receipt, token.InvoiceRejected) == {
        "invoiceId": invoice_id,
        "checks": 0b000111,
        "reportId": report_id,
    }
    assert events(receipt, token.InvoiceVerified) == []
    assert only_event(receipt, hub.ReportAccepted)["kind"] == KIND_VERIFICATION
    inv = token.invoiceOf(invoice_id)
    assert (inv.status, inv.checks) == (REJECTED, 0b000111)


def test_submit_verification_accepts_more_signatures_than_threshold(
    system, make_invoice, verification, submit, oracle_signers
):
    invoice_id = make_invoice()
    report, sigs = verification(invoice_id, signer_keys=oracle_signers)
    assert len(sigs) == 3
    submit(report, sigs)
    assert system.token.statusOf(invoice_id) == VERIFIED


def test_submit_verification_accepts_report_at_its_deadline(system, chain, make_invoice, verification, submit):
    invoice_id = make_invoice()
    report, sigs = verification(invoice_id, deadline_in=100)
    chain.pending_timestamp = report.deadline
    submit(report, sigs)
    assert system.token.statusOf(invoice_id) == VERIFIED


def test_submit_verification_reverts_when_report_expired(hub, chain, make_invoice, verification, submit):
    report, sigs = verification(make_invoice(), deadline_in=100)
    chain.pending_timestamp = report.deadline + 1
    with reverts_with(hub.ReportExpired, deadline=report.deadline, blockTimestamp=report.deadline + 1):
        submit(report, sigs)


def test_submit_verification_reverts_on_replay(system, hub, make_invoice, verification, submit):
    report, sigs = verification(make_invoice())
    submit(report, sigs)
    with reverts_with(hub.ReportAlreadyUsed, reportId=report_digest(report, system.domain)):
        submit(report, sigs)


def test_submit_verification_reverts_on_digest_mismatch(system, hub, make_invoice, verification, submit):
    invoice_id = make_invoice()
    wrong = keccak(text="a different document")
    report, sigs = verification(invoice_id, digest=wrong)
    with reverts_with(
        hub.DigestMismatch,
        invoiceId=invoice_id,
        onChain=system.token.invoiceOf(invoice_id).docDigest,
        reported=wrong,
    ):
        submit(report, sigs)
    assert system.token.statusOf(invoice_id) == MINTED


@pytest.mark.parametrize("kept", [1, 0], ids=["one_of_two", "none"])
def test_submit_verification_reverts_on_insufficient_signatures(hub, make_invoice, verification, submit, kept):
    report, sigs = verification(make_invoice())
    with reverts_with(hub.InsufficientSignatures, provided=kept, threshold=2):
        submit(report, sigs[:kept])


def test_submit_verification_reverts_on_the_same_signature_twice(hub, make_invoice, verification, submit):
    report, sigs = verification(make_invoice())
    with reverts_with(hub.DuplicateSigner, signer=S7):
        submit(report, [sigs[0], sigs[0]])


def test_submit_verification_reverts_on_unsorted_signatures(hub, make_invoice, verification, submit):
    report, sigs = verification(make_invoice())  # sorted: S7 then S8
    with reverts_with(hub.SignaturesNotSorted, previous=S8, next=S7):
        submit(report, list(reversed(sigs)))


def test_submit_verification_reverts_on_a_non_signer_signature(
    hub, stranger, make_invoice, verification, submit, oracle_signers
):
    report, sigs = verification(make_invoice(), signer_keys=[oracle_signers[0], dev_account(5).key])
    assert dev_account(5).address == stranger.address
    with reverts_with(hub.UnknownSigner, signer=stranger):
        submit(report, sigs)


@pytest.mark.parametrize("length", [64, 66])
def test_submit_verification_reverts_on_signature_of_wrong_length(hub, make_invoice, verification, submit, length):
    report, sigs = verification(make_invoice())
    malformed = (sigs[0] + b"\x00")[:length]
    with reverts_with(hub.ECDSAInvalidSignatureLength, length=length):
        submit(report, [malformed, sigs[1]])


def test_submit_verification_reverts_on_high_s_malleable_signature(system, hub, make_invoice, verification, submit):
    report, sigs = verification(make_invoice())
    r, s, v = sigs[0][:32], int.from_bytes(sigs[0][32:64], "big"), sigs[0][64]
    high_s = SECP256K1_N - s
    twin = r + high_s.to_bytes(32, "big") + bytes([55 - v])  # v flips between 27 and 28
    # The twin is a valid signature by the same key over the same digest: only the low-s rule refuses it.
    assert recover(report_digest(report, system.domain), twin) == S7
    with reverts_with(hub.ECDSAInvalidSignatureS, s=high_s.to_bytes(32, "big")):
        submit(report, [twin, sigs[1]])


def test_submit_verification_reverts_on_invalid_v(hub, make_invoice, verification, submit):
    report, sigs = verification(make_invoice())
    with reverts_with(hub.ECDSAInvalidSignature):
        submit(report, [sigs[0][:64] + bytes([29]), sigs[1]])


@pytest.mark.parametrize("foreign", ["chain_id", "verifying_contract"])
def test_submit_verification_reverts_on_report_signed_for_another_domain(
    system, hub, chain, make_invoice, verification, submit, foreign
):
    """A report signed for another chain or another hub has another digest here, so its signatures recover to
    unrelated addresses: the first one is reported as an unknown signer."""
    domain = (
        report_domain(chain.chain_id + 1, hub.address)
        if foreign == "chain_id"
        else report_domain(chain.chain_id, system.token.address)
    )
    report, sigs = verification(make_invoice(), domain=domain)
    recovered = recover(report_digest(report, system.domain), sigs[0])
    assert recovered not in (S7, S8, S9)
    with reverts_with(hub.UnknownSigner, signer=recovered):
        submit(report, sigs)


def test_submit_verification_reverts_on_risk_score_above_100(
    system, hub, make_invoice, verification, submit, submit_revert
):
    """The hub relays the score; the token refuses it, and the report is rolled back (not marked used)."""
    token = system.token
    invoice_id = make_invoice()
    report, sigs = verification(invoice_id, risk=101)
    assert submit_revert(report, sigs) == ("InvalidRiskScore", {"riskScore": 101})
    assert not hub.isReportUsed(report_digest(report, system.domain))
    assert token.statusOf(invoice_id) == MINTED
    report, sigs = verification(invoice_id, risk=100, nonce=2)
    submit(report, sigs)
    assert token.invoiceOf(invoice_id).riskScore == 100


def test_submit_verification_reverts_on_undefined_check_bits(
    system, hub, make_invoice, verification, submit, submit_revert
):
    """Only bits 0-5 of `checks` are defined; a report with any other bit is refused and not marked used."""
    invoice_id = make_invoice()
    report, sigs = verification(invoice_id, checks=0b1000000)
    assert submit_revert(report, sigs) == ("InvalidChecks", {"checks": 64})
    assert not hub.isReportUsed(report_digest(report, system.domain))
    report, sigs = verification(invoice_id, checks=0b111111, nonce=2)
    submit(report, sigs)
    assert system.token.invoiceOf(invoice_id).checks == 0b111111


@pytest.mark.parametrize(
    ("first_approved", "second_approved"),
    [(True, True), (False, True)],
    ids=["verified_again", "rejected_then_ok"],
)
def test_submit_verification_reverts_when_invoice_not_minted(
    system, make_invoice, verification, submit, submit_revert, first_approved, second_approved
):
    token = system.token
    invoice_id = make_invoice()
    submit(*verification(invoice_id, approved=first_approved))
    current = VERIFIED if first_approved else REJECTED
    report, sigs = verification(invoice_id, approved=second_approved, nonce=2)
    assert submit_revert(report, sigs) == (
        "InvalidTransition",
        {"invoiceId": invoice_id, "from": current, "to": VERIFIED if second_approved else REJECTED},
    )
    assert token.statusOf(invoice_id) == current


def test_submit_verification_reverts_for_unknown_invoice(verification, submit_revert):
    report, sigs = verification(99, digest=keccak(text="document"))
    assert submit_revert(report, sigs) == ("InvoiceNotFound", {"invoiceId": 99})


# ----------------------------------------------------------------------------------------------- pause


def test_pause_blocks_submit_verification_until_unpaused(system, hub, admin, make_invoice, verification, submit):
    invoice_id = make_invoice()
    report, sigs = verification(invoice_id)
    receipt = hub.pause(sender=admin)
    assert only_event(receipt, hub.Paused) == {"account": admin.address}
    with reverts_with(hub.EnforcedPause):
        submit(report, sigs)
    # Views keep working while paused.
    assert hub.isSigner(S7)
    assert hub.hashVerification(report.as_tuple()) == report_digest(report, system.domain)
    hub.unpause(sender=admin)
    submit(report, sigs)
    assert system.token.statusOf(invoice_id) == VERIFIED


def test_pause_refused_to_stranger(hub, stranger):
    with reverts_with(hub.AccessControlUnauthorizedAccount, account=stranger, neededRole=PAUSER_ROLE):
        hub.pause(sender=stranger)


def test_unpause_refused_to_stranger(hub, admin, stranger):
    hub.pause(sender=admin)
    with reverts_with(hub.AccessControlUnauthorizedAccount, account=stranger, neededRole=PAUSER_ROLE):
        hub.unpause(sender=stranger)
    assert hub.paused()


# ------------------------------------------------------------------------------------ consumeRepayment


@pytest.mark.parametrize("caller", ["stranger", "admin"])
def test_consume_repayment_refused_to_anyone_but_the_distributor(request, hub, repayment, caller):
    who = request.getfixturevalue(caller)
    report, sigs = repayment(1, 1_000 * UNIT)
    with reverts_with(hub.NotDistributor, caller=who):
        hub.consumeRepayment(report.as_tuple(), sigs, sender=who)


def test_consume_repayment_marks_report_and_bank_ref_used(system, hub, chain, as_distributor, repayment):
    report, sigs = repayment(3, 40_000 * UNIT)
    report_id = report_digest(report, system.domain)
    assert not hub.isBankRefUsed(report.bankRef)
    receipt = hub.consumeRepayment(report.as_tuple(), sigs, sender=as_distributor)
    assert only_event(receipt, hub.ReportAccepted) == {
        "reportId": report_id,
        "kind": KIND_REPAYMENT,
        "invoiceId": 3,
        "submitter": system.distributor.address,
    }
    assert hub.isReportUsed(report_id)
    assert hub.isBankRefUsed(report.bankRef)


def test_consume_repayment_reverts_on_zero_amount(hub, as_distributor, repayment):
    report, sigs = repayment(3, 0)
    with reverts_with(hub.ZeroAmount):
        hub.consumeRepayment(report.as_tuple(), sigs, sender=as_distributor)


def test_consume_repayment_reverts_on_empty_bank_ref(system, hub, as_distributor, repayment, oracle_signers):
    report, _ = repayment(3, 10 * UNIT)
    report = replace(report, bankRef=b"\x00" * 32)
    sigs = sign_all(report, system.domain, oracle_signers[:2])
    with reverts_with(hub.EmptyBankRef):
        hub.consumeRepayment(report.as_tuple(), sigs, sender=as_distributor)


def test_consume_repayment_reverts_on_bank_ref_counted_under_another_nonce(hub, as_distributor, repayment):
    bank_ref = keccak(text="UTR-ONE-PAYMENT")
    first, sigs = repayment(3, 10 * UNIT, bank_ref=bank_ref, nonce=1)
    hub.consumeRepayment(first.as_tuple(), sigs, sender=as_distributor)
    again, sigs = repayment(3, 10 * UNIT, bank_ref=bank_ref, nonce=2)
    with reverts_with(hub.BankRefAlreadyUsed, bankRef=bank_ref):
        hub.consumeRepayment(again.as_tuple(), sigs, sender=as_distributor)


def test_consume_repayment_reverts_on_insufficient_signatures(hub, as_distributor, repayment):
    report, sigs = repayment(3, 10 * UNIT)
    with reverts_with(hub.InsufficientSignatures, provided=1, threshold=2):
        hub.consumeRepayment(report.as_tuple(), sigs[:1], sender=as_distributor)
    assert not hub.isBankRefUsed(report.bankRef)


def test_consume_repayment_reverts_when_report_expired(hub, chain, as_distributor, repayment):
    report, sigs = repayment(3, 10 * UNIT, deadline_in=50)
    chain.pending_timestamp = report.deadline + 10
    with reverts_with(hub.ReportExpired, deadline=report.deadline, blockTimestamp=report.deadline + 10):
        hub.consumeRepayment(report.as_tuple(), sigs, sender=as_distributor)


def test_consume_repayment_blocked_while_paused(hub, admin, as_distributor, repayment):
    report, sigs = repayment(3, 10 * UNIT)
    hub.pause(sender=admin)
    with reverts_with(hub.EnforcedPause):
        hub.consumeRepayment(report.as_tuple(), sigs, sender=as_distributor)
