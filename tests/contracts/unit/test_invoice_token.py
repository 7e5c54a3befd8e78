"""Unit tests of InvoiceToken: minting and burning rules, the status machine, custody-derived ERC-721 views,
the on-chain metadata and pausing.

Spec: contracts/interfaces/IInvoiceToken.sol and CONTRACTS.md ("InvoiceToken"). To drive the status machine
directly, the admin grants MODULE_ROLE to a plain test account (`module`), as the deployer does for the real
modules.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from ape.utils import ZERO_ADDRESS
from eth_utils import keccak

from tests.contracts.assertions import call_error, events, only_event, reverts_with
from tests.contracts.conftest import (
    ALL_CHECKS,
    CANCELLED,
    DAY,
    DEFAULTED,
    FUNDED,
    INVESTOR,
    LISTED,
    MINTED,
    NONE,
    REJECTED,
    REPAID,
    SME,
    TRANSITIONS,
    UNIT,
    VERIFIED,
    fresh_key,
)

MODULE_ROLE = keccak(text="MODULE_ROLE")
PAUSER_ROLE = keccak(text="PAUSER_ROLE")
STATUS_NAMES = (
    "None",
    "Minted",
    "Verified",
    "Rejected",
    "Listed",
    "Funded",
    "Repaid",
    "Defaulted",
    "Cancelled",
)
REPORT_ID = keccak(text="report")

# How to reach each status from Minted along the machine.
PATH_FROM_MINTED = {
    MINTED: (),
    VERIFIED: (VERIFIED,),
    REJECTED: (REJECTED,),
    LISTED: (VERIFIED, LISTED),
    FUNDED: (VERIFIED, LISTED, FUNDED),
    REPAID: (VERIFIED, LISTED, FUNDED, REPAID),
    DEFAULTED: (VERIFIED, LISTED, FUNDED, DEFAULTED),
    CANCELLED: (VERIFIED, LISTED, CANCELLED),
}
IN_ESCROW = frozenset({LISTED, FUNDED, REPAID, DEFAULTED})


# --------------------------------------------------------------------------------------------- helpers


def decode_token_uri(uri: str) -> dict[str, Any]:
    prefix = "data:application/json;base64,"
    assert uri.startswith(prefix), uri[:64]
    meta: dict[str, Any] = json.loads(base64.b64decode(uri[len(prefix) :], validate=True))
    return meta


# -------------------------------------------------------------------------------------------- fixtures


@pytest.fixture
def module(token, chain, accounts, admin):
    """A plain account holding MODULE_ROLE, to drive the status machine directly."""
    module_account = accounts.generate_test_account()
    chain.set_balance(module_account, 10**20)
    token.grantRole(MODULE_ROLE, module_account, sender=admin)
    return module_account


@pytest.fixture
def advance(token: Any, module: Any) -> Callable[..., Any]:
    """Move invoice `invoice_id` one step to `to` as the module; returns the receipt."""

    def step(invoice_id: int, to: int, risk: int = 40, checks: int = ALL_CHECKS) -> Any:
        if to in (VERIFIED, REJECTED):
            return token.recordVerification(invoice_id, to == VERIFIED, risk, checks, REPORT_ID, sender=module)
        return token.transition(invoice_id, to, sender=module)

    return step


@pytest.fixture
def invoice_in(make_invoice: Callable[..., int], advance: Callable[..., Any]) -> Callable[..., int]:
    """Mint an invoice as the SME and walk it to `status` through the module; returns its id."""

    def make(status: int, **overrides: Any) -> int:
        invoice_id = make_invoice(**overrides)
        for to in PATH_FROM_MINTED[status]:
            advance(invoice_id, to)
        return invoice_id

    return make


# ---------------------------------------------------------------------------------------------- wiring


def test_metadata_roles_and_wiring(system, token, admin):
    assert token.name() == "Hundi Invoice"
    assert token.symbol() == "HINV"
    assert token.MODULE_ROLE() == MODULE_ROLE
    assert token.PAUSER_ROLE() == PAUSER_ROLE
    assert token.kyc() == system.kyc.address
    assert token.escrow() == system.escrow.address
    assert token.nextInvoiceId() == 1
    for module_contract in (system.hub, system.escrow, system.distributor):
        assert token.hasRole(MODULE_ROLE, module_contract)
    assert not token.hasRole(MODULE_ROLE, admin)


@pytest.mark.parametrize(
    ("interface_id", "supported"),
    [
        ("0x80ac58cd", True),  # IERC721
        ("0x5b5e139f", True),  # IERC721Metadata
        ("0x01ffc9a7", True),  # IERC165
        ("0x7965db0b", True),  # IAccessControl
        ("0x780e9d63", False),  # IERC721Enumerable: not implemented
        ("0xffffffff", False),  # ERC-165 requires false for 0xffffffff
    ],
)
def test_supports_interface(token, interface_id, supported):
    assert token.supportsInterface(interface_id) is supported


# ------------------------------------------------------------------------------------------------ mint


def test_mint_stores_every_field_and_emits_transfer_and_invoice_minted(token, sme, mint_request):
    request = mint_request(face=123_456 * UNIT, cid="bafkreiexamplecid")
    key, buyer_id, face, issue, due, digest, cid = request
    receipt = token.mint(request, sender=sme)

    assert receipt.return_value == 1
    assert only_event(receipt, token.Transfer) == {"from": ZERO_ADDRESS, "to": sme.address, "tokenId": 1}
    assert only_event(receipt, token.InvoiceMinted) == {
        "invoiceId": 1,
        "seller": sme.address,
        "invoiceKey": key,
        "buyerId": buyer_id,
        "faceValue": face,
        "issueDate": issue,
        "dueDate": due,
        "docDigest": digest,
        "docCid": cid,
    }
    inv = token.invoiceOf(1)
    assert (inv.invoiceKey, inv.buyerId, inv.docDigest) == (key, buyer_id, digest)
    assert (inv.seller, inv.issueDate, inv.dueDate, inv.faceValue) == (sme.address, issue, due, face)
    assert (inv.status, inv.riskScore, inv.checks) == (MINTED, 0, 0)
    assert token.statusOf(1) == MINTED
    assert token.idByKey(key) == 1
    assert token.ownerOf(1) == sme.address
    assert token.balanceOf(sme) == 1
    assert token.nextInvoiceId() == 2


def test_invoice_ids_start_at_one_and_increase_by_one(token, sme, make_invoice):
    assert token.nextInvoiceId() == 1
    assert [make_invoice() for _ in range(3)] == [1, 2, 3]
    assert token.nextInvoiceId() == 4
    assert token.balanceOf(sme) == 3


def test_mint_reverts_for_caller_without_kyc(token, stranger, mint_request):
    with reverts_with(token.NotKycApproved, account=stranger, role=SME):
        token.mint(mint_request(), sender=stranger)


def test_mint_reverts_for_investor_without_sme_role(token, investor, mint_request):
    with reverts_with(token.NotKycApproved, account=investor, role=SME):
        token.mint(mint_request(), sender=investor)


def test_mint_reverts_when_seller_kyc_expired(system, token, chain, admin, sme, mint_request):
    system.kyc.setKyc(sme, SME, chain.pending_timestamp + 10, sender=admin)
    chain.mine(deltatime=60)
    with reverts_with(token.NotKycApproved, account=sme, role=SME):
        token.mint(mint_request(), sender=sme)


def test_mint_reverts_on_zero_face_value(token, sme, mint_request):
    with reverts_with(token.ZeroFaceValue):
        token.mint(mint_request(face=0), sender=sme)


@pytest.mark.parametrize("due_offset", [0, -DAY], ids=["due_now", "due_in_past"])
def test_mint_reverts_when_due_date_not_in_future(token, chain, sme, mint_request, due_offset):
    now = chain.blocks.head.timestamp + 100
    chain.pending_timestamp = now  # the mint's block
    due = now + due_offset
    with reverts_with(token.DueDateNotInFuture, dueDate=due, blockTimestamp=now):
        token.mint(mint_request(issue_date=due - DAY, due_in=due_offset), sender=sme)


def test_mint_accepts_due_date_one_second_ahead_and_issue_date_equal_to_due(token, chain, sme, mint_request):
    now = chain.blocks.head.timestamp + 100
    chain.pending_timestamp = now
    token.mint(mint_request(issue_date=now + 1, due_in=1), sender=sme)
    inv = token.invoiceOf(1)
    assert (inv.issueDate, inv.dueDate) == (now + 1, now + 1)


def test_mint_reverts_when_issue_date_after_due_date(token, sme, mint_request):
    request = list(mint_request(due_in=30 * DAY))
    due = request[4]
    request[3] = due + 1
    with reverts_with(token.IssueDateAfterDueDate, issueDate=due + 1, dueDate=due):
        token.mint(tuple(request), sender=sme)


def test_mint_reverts_on_empty_doc_digest(token, sme, mint_request):
    with reverts_with(token.EmptyDocDigest):
        token.mint(mint_request(digest=b"\x00" * 32), sender=sme)


def test_mint_reverts_on_empty_invoice_key(token, sme, mint_request):
    request = (b"\x00" * 32, *mint_request()[1:])
    with reverts_with(token.EmptyInvoiceKey):
        token.mint(request, sender=sme)
    assert token.nextInvoiceId() == 1


@pytest.mark.parametrize("first_status", [MINTED, REJECTED, CANCELLED], ids=lambda s: STATUS_NAMES[s])
def test_mint_reverts_on_duplicate_key_while_first_token_is_live(token, sme, mint_request, invoice_in, first_status):
    key = fresh_key()
    first = invoice_in(first_status, key=key)
    assert token.statusOf(first) == first_status
    with reverts_with(token.DuplicateInvoice, invoiceKey=key, existingId=first):
        token.mint(mint_request(key=key, digest=keccak(text="another document")), sender=sme)


def test_mint_reverts_on_duplicate_key_after_real_verification(token, sme, mint_request, verified_invoice):
    key = fresh_key()
    first = verified_invoice(key=key)
    assert token.statusOf(first) == VERIFIED
    with reverts_with(token.DuplicateInvoice, invoiceKey=key, existingId=first):
        token.mint(mint_request(key=key), sender=sme)


def test_mint_reverts_on_duplicate_key_after_real_listing(system, token, sme, mint_request, listed_invoice):
    key = fresh_key()
    first = listed_invoice(key=key)
    assert token.statusOf(first) == LISTED
    assert token.ownerOf(first) == system.escrow.address
    with reverts_with(token.DuplicateInvoice, invoiceKey=key, existingId=first):
        token.mint(mint_request(key=key), sender=sme)


def test_duplicate_key_is_refused_to_another_sme(system, token, chain, admin, sme, stranger, mint_request):
    """The key is the global "already financed" key: it is not per seller."""
    key = fresh_key()
    token.mint(mint_request(key=key), sender=sme)
    system.kyc.setKyc(stranger, SME, chain.pending_timestamp + DAY, sender=admin)
    with reverts_with(token.DuplicateInvoice, invoiceKey=key, existingId=1):
        token.mint(mint_request(key=key), sender=stranger)


# ------------------------------------------------------------------------------------------------ burn


def test_burn_frees_the_key_so_it_mints_again_under_a_new_id(token, sme, make_invoice, mint_request):
    key = fresh_key()
    first = make_invoice(key=key)
    token.burn(first, sender=sme)
    assert token.idByKey(key) == 0
    receipt = token.mint(mint_request(key=key), sender=sme)
    assert receipt.return_value == first + 1
    assert token.idByKey(key) == first + 1
    assert token.statusOf(first + 1) == MINTED


def test_burned_token_reads_none_and_is_gone(chain, token, sme, make_invoice):
    key = fresh_key()
    invoice_id = make_invoice(key=key)
    receipt = token.burn(invoice_id, sender=sme)

    assert only_event(receipt, token.Transfer) == {
        "from": sme.address,
        "to": ZERO_ADDRESS,
        "tokenId": invoice_id,
    }
    assert only_event(receipt, token.InvoiceStatusChanged) == {
        "invoiceId": invoice_id,
        "from": MINTED,
        "to": NONE,
    }
    assert token.statusOf(invoice_id) == NONE
    assert token.idByKey(key) == 0
    assert token.balanceOf(sme) == 0
    assert call_error(token.invoiceOf, invoice_id) == ("InvoiceNotFound", {"invoiceId": invoice_id})
    assert call_error(token.ownerOf, invoice_id) == (
        "ERC721NonexistentToken",
        {"tokenId": invoice_id},
    )
    assert call_error(token.tokenURI, invoice_id) == ("InvoiceNotFound", {"invoiceId": invoice_id})
    assert call_error(token.getApproved, invoice_id) == (
        "ERC721NonexistentToken",
        {"tokenId": invoice_id},
    )
    with reverts_with(token.InvoiceNotFound, invoiceId=invoice_id):
        token.burn(invoice_id, sender=sme)


@pytest.mark.parametrize("status", [VERIFIED, REJECTED, CANCELLED], ids=lambda s: STATUS_NAMES[s])
def test_seller_burns_while_verified_rejected_or_cancelled(token, sme, invoice_in, status):
    invoice_id = invoice_in(status)
    receipt = token.burn(invoice_id, sender=sme)
    assert only_event(receipt, token.InvoiceStatusChanged) == {
        "invoiceId": invoice_id,
        "from": status,
        "to": NONE,
    }
    assert only_event(receipt, token.Transfer) == {
        "from": sme.address,
        "to": ZERO_ADDRESS,
        "tokenId": invoice_id,
    }
    assert token.statusOf(invoice_id) == NONE


def test_burn_reverts_for_anyone_but_the_seller(token, sme, stranger, admin, make_invoice):
    invoice_id = make_invoice()
    with reverts_with(token.NotSeller, invoiceId=invoice_id, caller=stranger):
        token.burn(invoice_id, sender=stranger)
    with reverts_with(token.NotSeller, invoiceId=invoice_id, caller=admin):
        token.burn(invoice_id, sender=admin)
    assert token.statusOf(invoice_id) == MINTED


@pytest.mark.parametrize("status", [LISTED, FUNDED, REPAID, DEFAULTED], ids=lambda s: STATUS_NAMES[s])
def test_burn_reverts_with_not_burnable_while_escrow_holds_the_invoice(token, sme, invoice_in, status):
    invoice_id = invoice_in(status)
    with reverts_with(token.NotBurnable, invoiceId=invoice_id, status=status):
        token.burn(invoice_id, sender=sme)
    assert token.statusOf(invoice_id) == status


def test_burning_a_cancelled_listing_keeps_refunds_and_frees_the_key(
    system, token, chain, sme, investor, mint_request, listed_invoice
):
    """Why Cancelled is burnable: an unfilled listing's invoice can be financed again. The burn must not
    strand the investors' refunds, which the escrow keeps."""
    escrow, stablecoin = system.escrow, system.stablecoin
    key = fresh_key()
    invoice_id = listed_invoice(key=key, deadline_in=DAY)
    escrow.fund(invoice_id, 10_000 * UNIT, sender=investor)
    chain.mine(deltatime=DAY + 1)
    escrow.cancel(invoice_id, sender=investor)  # anyone, after an unfilled deadline
    assert (token.statusOf(invoice_id), token.ownerOf(invoice_id)) == (CANCELLED, sme.address)

    token.burn(invoice_id, sender=sme)
    assert token.idByKey(key) == 0

    before = stablecoin.balanceOf(investor)
    escrow.refund(invoice_id, sender=investor)
    assert stablecoin.balanceOf(investor) - before == 10_000 * UNIT

    again = token.mint(mint_request(key=key), sender=sme).return_value
    assert again != invoice_id
    assert token.idByKey(key) == again


def test_burn_reverts_for_never_minted_id(token, sme):
    with reverts_with(token.InvoiceNotFound, invoiceId=42):
        token.burn(42, sender=sme)


# ----------------------------------------------------------------------------------------------- pause


def test_pause_blocks_mint_and_burn_but_not_views(token, admin, sme, make_invoice, mint_request):
    invoice_id = make_invoice()
    receipt = token.pause(sender=admin)
    assert only_event(receipt, token.Paused) == {"account": admin.address}
    with reverts_with(token.EnforcedPause):
        token.mint(mint_request(), sender=sme)
    with reverts_with(token.EnforcedPause):
        token.burn(invoice_id, sender=sme)
    assert token.statusOf(invoice_id) == MINTED
    assert token.invoiceOf(invoice_id).seller == sme.address
    assert token.ownerOf(invoice_id) == sme.address
    assert token.balanceOf(sme) == 1
    assert decode_token_uri(token.tokenURI(invoice_id))["name"] == f"Hundi Invoice #{invoice_id}"

    receipt = token.unpause(sender=admin)
    assert only_event(receipt, token.Unpaused) == {"account": admin.address}
    token.burn(invoice_id, sender=sme)
    assert token.statusOf(invoice_id) == NONE


def test_pause_refused_to_stranger(token, stranger):
    with reverts_with(token.AccessControlUnauthorizedAccount, account=stranger, neededRole=PAUSER_ROLE):
        token.pause(sender=stranger)
    assert not token.paused()


def test_unpause_refused_to_stranger(token, admin, stranger):
    token.pause(sender=admin)
    with reverts_with(token.AccessControlUnauthorizedAccount, account=stranger, neededRole=PAUSER_ROLE):
        token.unpause(sender=stranger)
    assert token.paused()


# --------------------------------------------------------------------------------- module entry points


@pytest.mark.parametrize("caller", ["stranger", "sme"])
def test_transition_refused_without_module_role(request, token, invoice_in, caller):
    who = request.getfixturevalue(caller)
    invoice_id = invoice_in(VERIFIED)
    with reverts_with(token.AccessControlUnauthorizedAccount, account=who, neededRole=MODULE_ROLE):
        token.transition(invoice_id, LISTED, sender=who)
    assert token.statusOf(invoice_id) == VERIFIED


@pytest.mark.parametrize("caller", ["stranger", "sme"])
def test_record_verification_refused_without_module_role(request, token, make_invoice, caller):
    who = request.getfixturevalue(caller)
    invoice_id = make_invoice()
    with reverts_with(token.AccessControlUnauthorizedAccount, account=who, neededRole=MODULE_ROLE):
        token.recordVerification(invoice_id, True, 10, ALL_CHECKS, REPORT_ID, sender=who)
    assert token.statusOf(invoice_id) == MINTED


def test_record_verification_approved_stores_score_and_checks(token, module, make_invoice):
    invoice_id = make_invoice()
    receipt = token.recordVerification(invoice_id, True, 37, 0b011111, REPORT_ID, sender=module)
    assert only_event(receipt, token.InvoiceStatusChanged) == {
        "invoiceId": invoice_id,
        "from": MINTED,
        "to": VERIFIED,
    }
    assert only_event(receipt, token.InvoiceVerified) == {
        "invoiceId": invoice_id,
        "riskScore": 37,
        "checks": 0b011111,
        "reportId": REPORT_ID,
    }
    assert events(receipt, token.InvoiceRejected) == []
    inv = token.invoiceOf(invoice_id)
    assert (inv.status, inv.riskScore, inv.checks) == (VERIFIED, 37, 0b011111)


def test_record_verification_rejected_emits_invoice_rejected(token, module, make_invoice):
    invoice_id = make_invoice()
    receipt = token.recordVerification(invoice_id, False, 90, 0b000011, REPORT_ID, sender=module)
    assert only_event(receipt, token.InvoiceStatusChanged) == {
        "invoiceId": invoice_id,
        "from": MINTED,
        "to": REJECTED,
    }
    assert only_event(receipt, token.InvoiceRejected) == {
        "invoiceId": invoice_id,
        "checks": 0b000011,
        "reportId": REPORT_ID,
    }
    assert events(receipt, token.InvoiceVerified) == []
    inv = token.invoiceOf(invoice_id)
    assert (inv.status, inv.checks) == (REJECTED, 0b000011)


def test_record_verification_reverts_on_risk_score_above_100(token, module, make_invoice):
    invoice_id = make_invoice()
    with reverts_with(token.InvalidRiskScore, riskScore=101):
        token.recordVerification(invoice_id, True, 101, ALL_CHECKS, REPORT_ID, sender=module)
    assert token.statusOf(invoice_id) == MINTED
    token.recordVerification(invoice_id, True, 100, ALL_CHECKS, REPORT_ID, sender=module)
    assert token.invoiceOf(invoice_id).riskScore == 100


def test_transition_of_burned_invoice_reverts_from_none(token, sme, module, make_invoice):
    invoice_id = make_invoice()
    token.burn(invoice_id, sender=sme)
    with reverts_with(token.InvalidTransition, invoiceId=invoice_id, **{"from": NONE, "to": LISTED}):
        token.transition(invoice_id, LISTED, sender=module)


@pytest.mark.parametrize("start", range(9), ids=[f"from_{n}" for n in STATUS_NAMES])
def test_status_machine_allows_exactly_the_seven_edges(chain, token, module, invoice_in, start):
    """Row `start` of the 9x9 (from, to) matrix, through both module entry points.

    Every `to` is tried with recordVerification when it is Verified or Rejected, else with transition; the
    ones that succeed must be exactly the machine's edges out of `start`, each emitting
    InvoiceStatusChanged(id, start, to).
    transition() must also refuse Verified and Rejected from every status.
    """
    invoice_id = token.nextInvoiceId() + 100 if start == NONE else invoice_in(start)
    assert token.statusOf(invoice_id) == start

    succeeded = set()
    for to in range(9):
        method, args = (
            ("recordVerification", (invoice_id, to == VERIFIED, 50, ALL_CHECKS, REPORT_ID))
            if to in (VERIFIED, REJECTED)
            else ("transition", (invoice_id, to))
        )
        error = call_error(getattr(token, method), *args, sender=module)
        if error is not None:
            assert error == ("InvalidTransition", {"invoiceId": invoice_id, "from": start, "to": to})
            continue
        succeeded.add(to)
        snapshot = chain.snapshot()
        receipt = getattr(token, method)(*args, sender=module)
        assert token.statusOf(invoice_id) == to
        assert only_event(receipt, token.InvoiceStatusChanged) == {
            "invoiceId": invoice_id,
            "from": start,
            "to": to,
        }
        chain.restore(snapshot)
        assert token.statusOf(invoice_id) == start

    assert succeeded == {to for (frm, to) in TRANSITIONS if frm == start}
    for to in (VERIFIED, REJECTED):
        assert call_error(token.transition, invoice_id, to, sender=module) == (
            "InvalidTransition",
            {"invoiceId": invoice_id, "from": start, "to": to},
        )


# --------------------------------------------------------------------------------------------- custody


@pytest.mark.parametrize("end", [REPAID, DEFAULTED], ids=lambda s: STATUS_NAMES[s])
def test_owner_and_balances_follow_status_into_escrow(system, token, sme, make_invoice, advance, end):
    escrow = system.escrow.address
    invoice_id = make_invoice()
    assert (token.ownerOf(invoice_id), token.balanceOf(sme), token.balanceOf(escrow)) == (sme.address, 1, 0)

    for to in (VERIFIED, LISTED, FUNDED, end):
        receipt = advance(invoice_id, to)
        holder = escrow if to in IN_ESCROW else sme.address
        assert token.ownerOf(invoice_id) == holder
        assert (token.balanceOf(sme), token.balanceOf(escrow)) == ((0, 1) if to in IN_ESCROW else (1, 0))
        moved = events(receipt, token.Transfer)
        if to == LISTED:
            assert moved == [{"from": sme.address, "to": escrow, "tokenId": invoice_id}]
        else:
            assert moved == []


def test_cancel_returns_custody_to_the_seller(system, token, sme, invoice_in, advance):
    escrow = system.escrow.address
    invoice_id = invoice_in(LISTED)
    assert token.ownerOf(invoice_id) == escrow
    receipt = advance(invoice_id, CANCELLED)
    assert only_event(receipt, token.Transfer) == {"from": escrow, "to": sme.address, "tokenId": invoice_id}
    assert only_event(receipt, token.InvoiceStatusChanged) == {
        "invoiceId": invoice_id,
        "from": LISTED,
        "to": CANCELLED,
    }
    assert token.ownerOf(invoice_id) == sme.address
    assert (token.balanceOf(sme), token.balanceOf(escrow)) == (1, 0)


def test_balance_counts_only_the_owners_live_tokens(system, token, sme, make_invoice, invoice_in):
    make_invoice()
    invoice_in(LISTED)
    invoice_in(REJECTED)
    burned = make_invoice()
    token.burn(burned, sender=sme)
    assert token.balanceOf(sme) == 2
    assert token.balanceOf(system.escrow) == 1


def test_balance_of_zero_address_reverts(chain, token):
    assert call_error(token.balanceOf, ZERO_ADDRESS) == (
        "ERC721InvalidOwner",
        {"owner": ZERO_ADDRESS},
    )


def test_owner_of_never_minted_token_reverts(chain, token):
    assert call_error(token.ownerOf, 7) == ("ERC721NonexistentToken", {"tokenId": 7})


def test_approvals_read_as_none(chain, token, sme, stranger, make_invoice):
    invoice_id = make_invoice()
    assert token.getApproved(invoice_id) == ZERO_ADDRESS
    assert not token.isApprovedForAll(sme, stranger)
    assert call_error(token.getApproved, invoice_id + 1) == (
        "ERC721NonexistentToken",
        {"tokenId": invoice_id + 1},
    )


def test_holder_transfers_and_approvals_always_revert(chain, token, sme, stranger, make_invoice):
    """The functions are `pure`, so ape would only eth_call them: check each revert by its decoded error."""
    invoice_id = make_invoice()
    restricted = ("TransferRestricted", {"invoiceId": invoice_id})
    assert call_error(token.approve, stranger, invoice_id, sender=sme) == restricted
    assert call_error(token.transferFrom, sme, stranger, invoice_id, sender=sme) == restricted
    assert call_error(token.safeTransferFrom, sme, stranger, invoice_id, sender=sme) == restricted
    assert call_error(token.safeTransferFrom, sme, stranger, invoice_id, b"hi", sender=sme) == restricted
    assert call_error(token.setApprovalForAll, stranger, True, sender=sme) == (
        "TransferRestricted",
        {"invoiceId": 0},
    )
    assert token.ownerOf(invoice_id) == sme.address
    assert token.balanceOf(stranger) == 0


# -------------------------------------------------------------------------------------------- tokenURI


def test_token_uri_is_base64_json_with_the_invoice_attributes(token, sme, module, mint_request):
    request = mint_request(face=250_000 * UNIT)
    _, _, face, issue, due, digest, _ = request
    token.mint(request, sender=sme)

    meta = decode_token_uri(token.tokenURI(1))
    assert meta["name"] == "Hundi Invoice #1"
    assert meta["seller"] == sme.address.lower()
    attrs = {a["trait_type"]: a["value"] for a in meta["attributes"]}
    assert attrs == {
        "status": "Minted",
        "faceValue": face,
        "issueDate": issue,
        "dueDate": due,
        "riskScore": 0,
        "checks": 0,
        "docDigest": "0x" + digest.hex(),
    }

    token.recordVerification(1, True, 42, 0b101101, REPORT_ID, sender=module)
    attrs = {a["trait_type"]: a["value"] for a in decode_token_uri(token.tokenURI(1))["attributes"]}
    assert (attrs["status"], attrs["riskScore"], attrs["checks"]) == ("Verified", 42, 0b101101)


def test_token_uri_names_every_status(chain, token, make_invoice, advance):
    def status_attr(invoice_id: int) -> str:
        attrs = decode_token_uri(token.tokenURI(invoice_id))["attributes"]
        return str(next(a["value"] for a in attrs if a["trait_type"] == "status"))

    seen = {}
    invoice_id = make_invoice()
    seen[MINTED] = status_attr(invoice_id)
    for to in (VERIFIED, LISTED, FUNDED):
        advance(invoice_id, to)
        seen[to] = status_attr(invoice_id)
    # Branches, each from a snapshot: Funded -> Repaid / Defaulted, Listed -> Cancelled, Minted -> Rejected.
    for to in (REPAID, DEFAULTED):
        snapshot = chain.snapshot()
        advance(invoice_id, to)
        seen[to] = status_attr(invoice_id)
        chain.restore(snapshot)
    other = make_invoice()
    advance(other, REJECTED)
    seen[REJECTED] = status_attr(other)
    advance(another := make_invoice(), VERIFIED)
    advance(another, LISTED)
    advance(another, CANCELLED)
    seen[CANCELLED] = status_attr(another)

    assert seen == {status: STATUS_NAMES[status] for status in range(1, 9)}


def test_token_uri_reverts_for_never_minted_token(chain, token):
    assert call_error(token.tokenURI, 3) == ("InvoiceNotFound", {"invoiceId": 3})


# ----------------------------------------------------------------------------------------------- views


def test_status_of_and_id_by_key_read_empty_for_unknown(token):
    assert token.statusOf(12345) == NONE
    assert token.idByKey(fresh_key()) == 0


def test_invoice_of_never_minted_reverts(chain, token):
    assert call_error(token.invoiceOf, 1) == ("InvoiceNotFound", {"invoiceId": 1})


def test_investor_and_sme_roles_in_one_entry_may_mint(system, token, chain, admin, stranger, mint_request):
    system.kyc.setKyc(stranger, SME | INVESTOR, chain.pending_timestamp + DAY, sender=admin)
    receipt = token.mint(mint_request(), sender=stranger)
    assert token.ownerOf(receipt.return_value) == stranger.address
