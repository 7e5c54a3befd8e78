"""Unit tests of FundingEscrow: listing, funding (with and without a permit), settlement, cancel, refund,
fees, treasury and pause. Expected amounts are computed here from the rules in IFundingEscrow, never read
back."""

from __future__ import annotations

import pytest

from tests.contracts.assertions import ANY, assert_event, error_abi, reverts_with, transfers
from tests.contracts.conftest import (
    CANCELLED,
    DAY,
    FEE_BPS,
    FUNDED,
    GRACE,
    INVESTOR,
    LISTED,
    MINTED,
    REJECTED,
    REPAID,
    UNIT,
    VERIFIED,
    YIELD_FEE_BPS,
    ceil_div,
    mint_verified,
    sign_permit,
)

FACE = 100_000 * UNIT
PRICE = 95_000 * UNIT
ZERO_ADDRESS = "0x" + "00" * 20
ADMIN_ROLE = b"\x00" * 32
# ListingState
L_NONE, L_OPEN, L_FUNDED, L_CANCELLED = range(4)
# BookState
B_FUNDED = 1


# ---------------------------------------------------------------- helpers


POOL_SIZE = 4


@pytest.fixture(scope="module")
def verified_pool(
    system, chain, sme, admin, oracle_signers, investors, investor, stranger, buyer, treasury_account
) -> list[int]:
    """Verified invoices (FACE, due in 60 days), minted once per module: ape snapshots after module
    fixtures, so every test starts from this state and may use the same ids. (The role fixtures are requested
    only so that they exist before the first function snapshot; one first used later makes ape rebase.)"""
    document = {"doc": "escrow-unit-document", "cid": "bafkreiescrowunit"}
    return [
        mint_verified(system, chain, sme, admin, oracle_signers, key=f"escrow-unit-{i}", **document)
        for i in range(POOL_SIZE)
    ]


@pytest.fixture
def fresh_verified(verified_pool):
    """Hands out the pool's Verified invoices one by one (within a test)."""
    ids = iter(verified_pool)
    return lambda: next(ids)


@pytest.fixture
def list_verified(system, chain, sme):
    """Lists an existing Verified invoice with an explicit deadline; returns (receipt, deadline)."""

    def do(invoice_id: int, *, price: int = PRICE, deadline_in: int = 7 * DAY, min_ticket: int = 0):
        deadline = chain.pending_timestamp + deadline_in
        receipt = system.escrow.list(invoice_id, price, deadline, min_ticket, sender=sme)
        return receipt, deadline

    return do


@pytest.fixture
def open_listing(fresh_verified, list_verified):
    """A fresh listing at FACE / PRICE; returns (invoice_id, funding_deadline)."""

    def make(*, price: int = PRICE, deadline_in: int = 7 * DAY, min_ticket: int = 0) -> tuple[int, int]:
        invoice_id = fresh_verified()
        _, deadline = list_verified(invoice_id, price=price, deadline_in=deadline_in, min_ticket=min_ticket)
        return invoice_id, deadline

    return make


# ---------------------------------------------------------------- list


def test_list_by_seller_emits_event_records_listing_and_takes_custody(
    escrow, token, fresh_verified, list_verified, sme
):
    invoice_id = fresh_verified()
    due = token.invoiceOf(invoice_id).dueDate
    receipt, deadline = list_verified(invoice_id, price=PRICE, min_ticket=1_000 * UNIT)

    assert_event(
        receipt,
        escrow.InvoiceListed,
        invoiceId=invoice_id,
        seller=sme,
        price=PRICE,
        faceValue=FACE,
        dueDate=due,
        fundingDeadline=deadline,
        minTicket=1_000 * UNIT,
    )
    assert_event(receipt, token.InvoiceStatusChanged, invoiceId=invoice_id, **{"from": VERIFIED, "to": LISTED})
    assert token.ownerOf(invoice_id) == escrow.address
    assert token.statusOf(invoice_id) == LISTED
    listing = escrow.listingOf(invoice_id)
    assert (listing.price, listing.raised, listing.minTicket, listing.fundingDeadline) == (
        PRICE,
        0,
        1_000 * UNIT,
        deadline,
    )
    assert (listing.feeBps, listing.yieldFeeBps, listing.state, listing.seller) == (
        FEE_BPS,
        YIELD_FEE_BPS,
        L_OPEN,
        sme.address,
    )
    assert escrow.remaining(invoice_id) == PRICE


def test_list_reverts_for_caller_other_than_seller(escrow, fresh_verified, chain, stranger, investor):
    invoice_id = fresh_verified()
    deadline = chain.pending_timestamp + 7 * DAY
    for caller in (stranger, investor):
        with reverts_with(escrow.NotSeller, invoiceId=invoice_id, caller=caller):
            escrow.list(invoice_id, PRICE, deadline, 0, sender=caller)


def test_list_reverts_for_minted_and_rejected_invoices(escrow, system, make_invoice, verification, chain, sme, admin):
    minted = make_invoice(face=FACE)
    rejected = make_invoice(face=FACE)
    report, sigs = verification(rejected, approved=False)
    system.hub.submitVerification(report.as_tuple(), sigs, sender=admin)
    deadline = chain.pending_timestamp + 7 * DAY
    with reverts_with(escrow.InvoiceNotVerified, invoiceId=minted, status=MINTED):
        escrow.list(minted, PRICE, deadline, 0, sender=sme)
    with reverts_with(escrow.InvoiceNotVerified, invoiceId=rejected, status=REJECTED):
        escrow.list(rejected, PRICE, deadline, 0, sender=sme)


def test_list_reverts_when_already_listed(escrow, open_listing, chain, sme):
    invoice_id, _ = open_listing()
    with reverts_with(escrow.InvoiceNotVerified, invoiceId=invoice_id, status=LISTED):
        escrow.list(invoice_id, PRICE, chain.pending_timestamp + DAY, 0, sender=sme)


def test_list_reverts_for_unknown_invoice(escrow, token, chain, sme):
    with reverts_with(token.InvoiceNotFound, invoiceId=999):
        escrow.list(999, PRICE, chain.pending_timestamp + DAY, 0, sender=sme)


@pytest.mark.parametrize("price", [0, FACE, FACE + 1])
def test_list_reverts_on_price_zero_or_not_below_face(escrow, fresh_verified, chain, sme, price):
    invoice_id = fresh_verified()
    with reverts_with(escrow.InvalidPrice, price=price, faceValue=FACE):
        escrow.list(invoice_id, price, chain.pending_timestamp + 7 * DAY, 0, sender=sme)


def test_list_accepts_price_one_unit_below_face(escrow, fresh_verified, list_verified):
    invoice_id = fresh_verified()
    list_verified(invoice_id, price=FACE - 1)
    assert escrow.remaining(invoice_id) == FACE - 1


def test_list_reverts_when_deadline_is_not_in_the_future(escrow, token, fresh_verified, chain, sme):
    invoice_id = fresh_verified()
    due = token.invoiceOf(invoice_id).dueDate
    now = chain.pending_timestamp + 100
    for deadline in (now, now - 1):
        chain.pending_timestamp = now
        with reverts_with(escrow.InvalidFundingDeadline, fundingDeadline=deadline, blockTimestamp=now, dueDate=due):
            escrow.list(invoice_id, PRICE, deadline, 0, sender=sme)
    chain.pending_timestamp = now
    escrow.list(invoice_id, PRICE, now + 1, 0, sender=sme)  # one second ahead is enough
    assert escrow.listingOf(invoice_id).fundingDeadline == now + 1


def test_list_reverts_when_deadline_is_at_or_after_due_date(escrow, token, fresh_verified, chain, sme):
    invoice_id = fresh_verified()
    due = token.invoiceOf(invoice_id).dueDate
    for deadline in (due, due + 1):
        with reverts_with(escrow.InvalidFundingDeadline, fundingDeadline=deadline, dueDate=due, blockTimestamp=ANY):
            escrow.list(invoice_id, PRICE, deadline, 0, sender=sme)
    escrow.list(invoice_id, PRICE, due - 1, 0, sender=sme)
    assert token.statusOf(invoice_id) == LISTED


def test_list_snapshots_fees_and_settlement_uses_them_after_fee_changes(
    system, escrow, distributor, stablecoin, open_listing, investor, sme, buyer, admin
):
    invoice_id, _ = open_listing()
    escrow.setFee(500, sender=admin)
    distributor.setYieldFee(2000, sender=admin)
    treasury = system.treasury
    seller_before, treasury_before = stablecoin.balanceOf(sme), stablecoin.balanceOf(treasury)

    receipt = escrow.fund(invoice_id, PRICE, sender=investor)

    fee = PRICE * FEE_BPS // 10_000  # 950 UNIT at the listing's 1%, not 4,750 at the new 5%
    assert fee == 950 * UNIT
    assert_event(receipt, escrow.InvoiceFunded, invoiceId=invoice_id, price=PRICE, fee=fee)
    assert stablecoin.balanceOf(sme) - seller_before == PRICE - fee
    assert stablecoin.balanceOf(treasury) - treasury_before == fee
    assert distributor.bookOf(invoice_id).yieldFeeBps == YIELD_FEE_BPS

    receipt = distributor.repay(invoice_id, FACE, sender=buyer)
    yield_fee = (FACE - PRICE) * YIELD_FEE_BPS // 10_000  # 500 UNIT at 10%, not 1,000 at 20%
    assert yield_fee == 500 * UNIT
    assert_event(receipt, distributor.YieldFeeCharged, invoiceId=invoice_id, fee=yield_fee)
    assert stablecoin.balanceOf(treasury) - treasury_before == fee + yield_fee


def test_fee_change_applies_to_listings_made_after_it(
    system, escrow, distributor, stablecoin, open_listing, investor, sme, admin
):
    escrow.setFee(500, sender=admin)
    distributor.setYieldFee(2000, sender=admin)
    invoice_id, _ = open_listing()
    listing = escrow.listingOf(invoice_id)
    assert (listing.feeBps, listing.yieldFeeBps) == (500, 2000)
    seller_before = stablecoin.balanceOf(sme)
    receipt = escrow.fund(invoice_id, PRICE, sender=investor)
    assert_event(receipt, escrow.InvoiceFunded, invoiceId=invoice_id, price=PRICE, fee=4_750 * UNIT)
    assert stablecoin.balanceOf(sme) - seller_before == PRICE - 4_750 * UNIT
    assert distributor.bookOf(invoice_id).yieldFeeBps == 2000


def test_list_reverts_when_paused(escrow, fresh_verified, chain, sme, admin):
    invoice_id = fresh_verified()
    escrow.pause(sender=admin)
    with reverts_with(escrow.EnforcedPause):
        escrow.list(invoice_id, PRICE, chain.pending_timestamp + DAY, 0, sender=sme)


# ---------------------------------------------------------------- fund


def test_fund_mints_shares_one_to_one_and_emits_invested(system, escrow, stablecoin, open_listing, investors):
    shares = system.shares
    invoice_id, _ = open_listing()
    a, b = investors[0], investors[1]
    a_before, escrow_before = stablecoin.balanceOf(a), stablecoin.balanceOf(escrow)

    receipt = escrow.fund(invoice_id, 30_000 * UNIT, sender=a)
    assert_event(receipt, escrow.Invested, invoiceId=invoice_id, investor=a, amount=30_000 * UNIT, raised=30_000 * UNIT)
    assert_event(
        receipt,
        shares.TransferSingle,
        operator=escrow,
        **{"from": ZERO_ADDRESS, "to": a.address},
        id=invoice_id,
        value=30_000 * UNIT,
    )
    assert transfers(receipt, stablecoin) == [(a.address, escrow.address, 30_000 * UNIT)]
    assert stablecoin.balanceOf(a) == a_before - 30_000 * UNIT
    assert stablecoin.balanceOf(escrow) == escrow_before + 30_000 * UNIT

    receipt = escrow.fund(invoice_id, 20_000 * UNIT, sender=b)
    assert_event(receipt, escrow.Invested, invoiceId=invoice_id, investor=b, amount=20_000 * UNIT, raised=50_000 * UNIT)
    assert shares.balanceOf(a, invoice_id) == 30_000 * UNIT
    assert shares.balanceOf(b, invoice_id) == 20_000 * UNIT
    assert shares.totalSupply(invoice_id) == 50_000 * UNIT
    assert escrow.listingOf(invoice_id).raised == 50_000 * UNIT
    assert escrow.remaining(invoice_id) == 45_000 * UNIT
    assert system.token.statusOf(invoice_id) == LISTED


def test_fund_twice_by_same_investor_accumulates_shares(system, escrow, open_listing, investor):
    invoice_id, _ = open_listing()
    escrow.fund(invoice_id, 10_000 * UNIT, sender=investor)
    receipt = escrow.fund(invoice_id, 5_000 * UNIT, sender=investor)
    assert_event(
        receipt,
        escrow.Invested,
        invoiceId=invoice_id,
        investor=investor,
        amount=5_000 * UNIT,
        raised=15_000 * UNIT,
    )
    assert system.shares.balanceOf(investor, invoice_id) == 15_000 * UNIT


def test_fund_reverts_for_investor_without_kyc(escrow, stablecoin, open_listing, stranger):
    invoice_id, _ = open_listing()
    stablecoin.mint(stranger, 1_000 * UNIT, sender=stranger)
    stablecoin.approve(escrow, 1_000 * UNIT, sender=stranger)
    with reverts_with(escrow.NotKycApproved, account=stranger, role=INVESTOR):
        escrow.fund(invoice_id, 1_000 * UNIT, sender=stranger)


def test_fund_reverts_when_investor_kyc_expired(escrow, kyc, open_listing, chain, investor, admin):
    invoice_id, _ = open_listing()
    kyc.setKyc(investor, INVESTOR, chain.pending_timestamp + 60, sender=admin)
    chain.mine(deltatime=120)
    with reverts_with(escrow.NotKycApproved, account=investor, role=INVESTOR):
        escrow.fund(invoice_id, 1_000 * UNIT, sender=investor)


def test_fund_reverts_when_listing_not_open(escrow, open_listing, fresh_verified, investors, sme):
    unlisted = fresh_verified()
    with reverts_with(escrow.ListingNotOpen, invoiceId=unlisted, state=L_NONE):
        escrow.fund(unlisted, 1_000 * UNIT, sender=investors[0])
    with reverts_with(escrow.ListingNotOpen, invoiceId=4242, state=L_NONE):
        escrow.fund(4242, 1_000 * UNIT, sender=investors[0])

    funded, _ = open_listing()
    escrow.fund(funded, PRICE, sender=investors[0])
    with reverts_with(escrow.ListingNotOpen, invoiceId=funded, state=L_FUNDED):
        escrow.fund(funded, 1_000 * UNIT, sender=investors[1])

    cancelled, _ = open_listing()
    escrow.cancel(cancelled, sender=sme)
    with reverts_with(escrow.ListingNotOpen, invoiceId=cancelled, state=L_CANCELLED):
        escrow.fund(cancelled, 1_000 * UNIT, sender=investors[1])


def test_fund_accepted_at_deadline_and_reverts_one_second_after(escrow, open_listing, chain, investor):
    invoice_id, deadline = open_listing()
    chain.pending_timestamp = deadline
    receipt = escrow.fund(invoice_id, 1_000 * UNIT, sender=investor)
    assert chain.blocks[receipt.block_number].timestamp == deadline
    chain.pending_timestamp = deadline + 1
    with reverts_with(escrow.FundingClosed, invoiceId=invoice_id, fundingDeadline=deadline):
        escrow.fund(invoice_id, 1_000 * UNIT, sender=investor)


def test_fund_reverts_on_zero_amount(escrow, open_listing, investor):
    invoice_id, _ = open_listing()
    with reverts_with(escrow.ZeroAmount):
        escrow.fund(invoice_id, 0, sender=investor)


def test_fund_reverts_below_min_ticket_and_accepts_exactly_min_ticket(escrow, system, open_listing, investor):
    invoice_id, _ = open_listing(min_ticket=5_000 * UNIT)
    with reverts_with(escrow.AmountBelowMinTicket, amount=5_000 * UNIT - 1, minTicket=5_000 * UNIT):
        escrow.fund(invoice_id, 5_000 * UNIT - 1, sender=investor)
    escrow.fund(invoice_id, 5_000 * UNIT, sender=investor)
    assert system.shares.balanceOf(investor, invoice_id) == 5_000 * UNIT


def test_fund_accepts_exact_remaining_below_min_ticket(escrow, system, open_listing, investors):
    invoice_id, _ = open_listing(price=10_000 * UNIT, min_ticket=3_000 * UNIT)
    escrow.fund(invoice_id, 8_000 * UNIT, sender=investors[0])
    assert escrow.remaining(invoice_id) == 2_000 * UNIT
    # Below both the remaining and minTicket: refused.
    with reverts_with(escrow.AmountBelowMinTicket, amount=1_999 * UNIT, minTicket=3_000 * UNIT):
        escrow.fund(invoice_id, 1_999 * UNIT, sender=investors[1])
    escrow.fund(invoice_id, 2_000 * UNIT, sender=investors[1])
    assert system.token.statusOf(invoice_id) == FUNDED
    assert system.shares.balanceOf(investors[1], invoice_id) == 2_000 * UNIT


def test_fund_reverts_when_amount_exceeds_remaining(escrow, open_listing, investors):
    invoice_id, _ = open_listing()
    with reverts_with(escrow.AmountExceedsRemaining, amount=PRICE + 1, remaining=PRICE):
        escrow.fund(invoice_id, PRICE + 1, sender=investors[0])
    escrow.fund(invoice_id, 90_000 * UNIT, sender=investors[0])
    with reverts_with(escrow.AmountExceedsRemaining, amount=5_000 * UNIT + 1, remaining=5_000 * UNIT):
        escrow.fund(invoice_id, 5_000 * UNIT + 1, sender=investors[1])


def test_completing_fill_pays_seller_and_treasury_in_same_tx_with_fee_rounded_up(
    system, escrow, token, distributor, stablecoin, fresh_verified, list_verified, investors, sme
):
    shares, treasury = system.shares, system.treasury
    price = PRICE + 1  # 95,000.000001: 1% of it is 950.00000001, so the fee rounds up to 950.000001
    fee = 950 * UNIT + 1
    assert fee == ceil_div(price * FEE_BPS, 10_000)
    invoice_id = fresh_verified()
    due = token.invoiceOf(invoice_id).dueDate
    list_verified(invoice_id, price=price)
    escrow.fund(invoice_id, 50_000 * UNIT, sender=investors[0])
    seller_before, treasury_before = stablecoin.balanceOf(sme), stablecoin.balanceOf(treasury)
    last = price - 50_000 * UNIT

    receipt = escrow.fund(invoice_id, last, sender=investors[1])

    assert_event(receipt, escrow.Invested, invoiceId=invoice_id, investor=investors[1], amount=last, raised=price)
    assert_event(receipt, escrow.InvoiceFunded, invoiceId=invoice_id, price=price, fee=fee)
    assert_event(receipt, token.InvoiceStatusChanged, invoiceId=invoice_id, **{"from": LISTED, "to": FUNDED})
    assert_event(
        receipt,
        shares.TransferSingle,
        operator=escrow,
        **{"from": ZERO_ADDRESS, "to": investors[1].address},
        id=invoice_id,
        value=last,
    )
    assert transfers(receipt, stablecoin) == [
        (investors[1].address, escrow.address, last),
        (escrow.address, sme.address, 94_050 * UNIT),
        (escrow.address, treasury.address, fee),
    ]
    assert stablecoin.balanceOf(sme) - seller_before == 94_050 * UNIT
    assert stablecoin.balanceOf(treasury) - treasury_before == fee
    assert stablecoin.balanceOf(escrow) == 0  # keeps nothing
    assert token.statusOf(invoice_id) == FUNDED
    assert token.ownerOf(invoice_id) == escrow.address
    assert escrow.listingOf(invoice_id).state == L_FUNDED
    assert escrow.listingOf(invoice_id).raised == price
    assert escrow.remaining(invoice_id) == 0
    assert shares.totalSupply(invoice_id) == price
    book = distributor.bookOf(invoice_id)
    assert (book.principal, book.faceValue, book.repaid, book.dueDate) == (price, FACE, 0, due)
    assert (book.yieldFeeBps, book.state, book.seller) == (YIELD_FEE_BPS, B_FUNDED, sme.address)
    assert distributor.defaultableAfter(invoice_id) == due + GRACE


def test_completing_fill_with_zero_fee_pays_whole_price_to_seller(
    system, escrow, stablecoin, open_listing, investor, sme, admin
):
    escrow.setFee(0, sender=admin)
    invoice_id, _ = open_listing()
    seller_before, treasury_before = stablecoin.balanceOf(sme), stablecoin.balanceOf(system.treasury)
    receipt = escrow.fund(invoice_id, PRICE, sender=investor)
    assert_event(receipt, escrow.InvoiceFunded, invoiceId=invoice_id, price=PRICE, fee=0)
    assert transfers(receipt, stablecoin) == [
        (investor.address, escrow.address, PRICE),
        (escrow.address, sme.address, PRICE),
    ]
    assert stablecoin.balanceOf(sme) - seller_before == PRICE
    assert stablecoin.balanceOf(system.treasury) == treasury_before


def test_fund_reverts_without_allowance(escrow, stablecoin, open_listing, investor):
    invoice_id, _ = open_listing()
    stablecoin.approve(escrow, 999 * UNIT, sender=investor)
    with reverts_with(stablecoin.ERC20InsufficientAllowance, spender=escrow, allowance=999 * UNIT, needed=1_000 * UNIT):
        escrow.fund(invoice_id, 1_000 * UNIT, sender=investor)


def test_fund_reverts_when_paused(escrow, open_listing, investor, admin):
    invoice_id, _ = open_listing()
    escrow.pause(sender=admin)
    with reverts_with(escrow.EnforcedPause):
        escrow.fund(invoice_id, 1_000 * UNIT, sender=investor)
    escrow.unpause(sender=admin)
    escrow.fund(invoice_id, 1_000 * UNIT, sender=investor)
    assert escrow.listingOf(invoice_id).raised == 1_000 * UNIT


# ---------------------------------------------------------------- fundWithPermit


def test_fund_with_permit_works_from_zero_allowance(system, escrow, stablecoin, open_listing, chain, investors):
    who = investors[1]
    stablecoin.approve(escrow, 0, sender=who)
    invoice_id, _ = open_listing()
    amount = 12_345 * UNIT
    nonce = stablecoin.nonces(who)
    deadline = chain.pending_timestamp + 3600
    v, r, s = sign_permit(stablecoin, chain, who, escrow, amount, deadline)
    before = stablecoin.balanceOf(who)

    receipt = escrow.fundWithPermit(invoice_id, amount, deadline, v, r, s, sender=who)

    assert_event(receipt, escrow.Invested, invoiceId=invoice_id, investor=who, amount=amount, raised=amount)
    assert_event(receipt, stablecoin.Approval, owner=who, spender=escrow, value=amount)
    assert stablecoin.nonces(who) == nonce + 1
    assert stablecoin.allowance(who, escrow) == 0  # the permit's allowance was used up exactly
    assert stablecoin.balanceOf(who) == before - amount
    assert system.shares.balanceOf(who, invoice_id) == amount


def test_fund_with_front_run_permit_still_funds(system, escrow, stablecoin, open_listing, chain, investors, stranger):
    who = investors[1]
    stablecoin.approve(escrow, 0, sender=who)
    invoice_id, _ = open_listing()
    amount = 7_000 * UNIT
    deadline = chain.pending_timestamp + 3600
    v, r, s = sign_permit(stablecoin, chain, who, escrow, amount, deadline)
    # Someone copies the signature from the mempool and submits the permit first.
    stablecoin.permit(who, escrow, amount, deadline, v, r, s, sender=stranger)
    assert stablecoin.allowance(who, escrow) == amount

    receipt = escrow.fundWithPermit(invoice_id, amount, deadline, v, r, s, sender=who)

    assert_event(receipt, escrow.Invested, invoiceId=invoice_id, investor=who, amount=amount, raised=amount)
    assert system.shares.balanceOf(who, invoice_id) == amount
    assert stablecoin.allowance(who, escrow) == 0


def test_fund_with_bad_permit_and_no_allowance_reverts(escrow, stablecoin, open_listing, chain, investors, stranger):
    who = investors[1]
    stablecoin.approve(escrow, 0, sender=who)
    invoice_id, _ = open_listing()
    amount = 7_000 * UNIT
    deadline = chain.pending_timestamp + 3600
    # Signed by someone else's key: the permit fails, and nothing else grants an allowance.
    v, r, s = sign_permit(stablecoin, chain, who, escrow, amount, deadline, key=stranger.private_key)
    with reverts_with(stablecoin.ERC20InsufficientAllowance, spender=escrow, allowance=0, needed=amount):
        escrow.fundWithPermit(invoice_id, amount, deadline, v, r, s, sender=who)


def test_fund_with_permit_reverts_when_paused(escrow, stablecoin, open_listing, chain, investors, admin):
    who = investors[1]
    invoice_id, _ = open_listing()
    deadline = chain.pending_timestamp + 3600
    v, r, s = sign_permit(stablecoin, chain, who, escrow, 1_000 * UNIT, deadline)
    escrow.pause(sender=admin)
    with reverts_with(escrow.EnforcedPause):
        escrow.fundWithPermit(invoice_id, 1_000 * UNIT, deadline, v, r, s, sender=who)


def test_fund_with_permit_applies_fund_rules(escrow, stablecoin, open_listing, chain, investors, stranger):
    invoice_id, _ = open_listing(min_ticket=2_000 * UNIT)
    deadline = chain.pending_timestamp + 3600
    v, r, s = sign_permit(stablecoin, chain, investors[1], escrow, 1_000 * UNIT, deadline)
    with reverts_with(escrow.AmountBelowMinTicket, amount=1_000 * UNIT, minTicket=2_000 * UNIT):
        escrow.fundWithPermit(invoice_id, 1_000 * UNIT, deadline, v, r, s, sender=investors[1])
    v, r, s = sign_permit(stablecoin, chain, stranger, escrow, 3_000 * UNIT, deadline)
    with reverts_with(escrow.NotKycApproved, account=stranger, role=INVESTOR):
        escrow.fundWithPermit(invoice_id, 3_000 * UNIT, deadline, v, r, s, sender=stranger)


# ---------------------------------------------------------------- cancel


def test_seller_cancels_before_any_funding_and_gets_nft_back(escrow, token, open_listing, sme):
    invoice_id, _ = open_listing()
    receipt = escrow.cancel(invoice_id, sender=sme)
    assert_event(receipt, escrow.ListingCancelled, invoiceId=invoice_id)
    assert_event(receipt, token.InvoiceStatusChanged, invoiceId=invoice_id, **{"from": LISTED, "to": CANCELLED})
    assert token.ownerOf(invoice_id) == sme.address
    assert token.statusOf(invoice_id) == CANCELLED
    assert escrow.listingOf(invoice_id).state == L_CANCELLED
    assert escrow.remaining(invoice_id) == 0


def test_cancelled_invoice_cannot_be_listed_again(escrow, open_listing, chain, sme):
    invoice_id, _ = open_listing()
    escrow.cancel(invoice_id, sender=sme)
    with reverts_with(escrow.InvoiceNotVerified, invoiceId=invoice_id, status=CANCELLED):
        escrow.list(invoice_id, PRICE, chain.pending_timestamp + DAY, 0, sender=sme)


def test_seller_cannot_cancel_after_funding_before_deadline(escrow, open_listing, investor, sme):
    invoice_id, _ = open_listing()
    escrow.fund(invoice_id, 1 * UNIT, sender=investor)
    with reverts_with(escrow.CancelNotAllowed, invoiceId=invoice_id, caller=sme):
        escrow.cancel(invoice_id, sender=sme)


def test_stranger_cannot_cancel_before_deadline(escrow, open_listing, chain, stranger, investor):
    invoice_id, deadline = open_listing()
    with reverts_with(escrow.CancelNotAllowed, invoiceId=invoice_id, caller=stranger):
        escrow.cancel(invoice_id, sender=stranger)
    escrow.fund(invoice_id, 1_000 * UNIT, sender=investor)
    chain.pending_timestamp = deadline  # at the deadline funding is still open
    with reverts_with(escrow.CancelNotAllowed, invoiceId=invoice_id, caller=investor):
        escrow.cancel(invoice_id, sender=investor)


def test_anyone_cancels_unfilled_listing_after_deadline(escrow, token, open_listing, chain, stranger, investor, sme):
    invoice_id, deadline = open_listing()
    escrow.fund(invoice_id, 1_000 * UNIT, sender=investor)
    chain.pending_timestamp = deadline + 1
    receipt = escrow.cancel(invoice_id, sender=stranger)
    assert_event(receipt, escrow.ListingCancelled, invoiceId=invoice_id)
    assert token.ownerOf(invoice_id) == sme.address
    assert token.statusOf(invoice_id) == CANCELLED


def test_cancel_reverts_when_listing_not_open(escrow, open_listing, investor, sme):
    with reverts_with(escrow.ListingNotOpen, invoiceId=777, state=L_NONE):
        escrow.cancel(777, sender=sme)
    funded, _ = open_listing()
    escrow.fund(funded, PRICE, sender=investor)
    with reverts_with(escrow.ListingNotOpen, invoiceId=funded, state=L_FUNDED):
        escrow.cancel(funded, sender=sme)
    cancelled, _ = open_listing()
    escrow.cancel(cancelled, sender=sme)
    with reverts_with(escrow.ListingNotOpen, invoiceId=cancelled, state=L_CANCELLED):
        escrow.cancel(cancelled, sender=sme)


def test_cancel_and_refund_work_while_paused_so_investors_always_get_money_out(
    escrow, stablecoin, open_listing, chain, investor, stranger, admin
):
    invoice_id, deadline = open_listing(deadline_in=2 * DAY)
    escrow.fund(invoice_id, 3_000 * UNIT, sender=investor)
    escrow.pause(sender=admin)
    chain.mine(deltatime=deadline + 1 - chain.pending_timestamp)
    escrow.cancel(invoice_id, sender=stranger)  # a paused escrow must not trap an expired listing's funds
    before = stablecoin.balanceOf(investor)
    escrow.refund(invoice_id, sender=investor)
    assert stablecoin.balanceOf(investor) - before == 3_000 * UNIT


def test_list_reverts_when_seller_kyc_expired_or_revoked(escrow, kyc, fresh_verified, chain, sme, admin):
    invoice_id = fresh_verified()
    kyc.setKyc(sme, 0, 0, sender=admin)
    with reverts_with(escrow.NotKycApproved, account=sme, role=1):
        escrow.list(invoice_id, PRICE, chain.pending_timestamp + 7 * DAY, 0, sender=sme)


def test_list_snapshots_grace_period_so_a_later_change_does_not_touch_the_invoice(
    system, escrow, open_listing, investors, admin
):
    invoice_id, _ = open_listing()
    grace = system.distributor.gracePeriod()
    assert escrow.listingOf(invoice_id).gracePeriod == grace
    system.distributor.setGracePeriod(DAY, sender=admin)  # shortened after listing
    escrow.fund(invoice_id, PRICE, sender=investors[0])
    book = system.distributor.bookOf(invoice_id)
    assert book.gracePeriod == grace
    assert system.distributor.defaultableAfter(invoice_id) == book.dueDate + grace


def test_fund_with_permit_keeps_an_existing_unlimited_approval(
    system, escrow, stablecoin, open_listing, chain, investors
):
    who = investors[1]
    assert stablecoin.allowance(who, escrow) == 2**256 - 1
    invoice_id, _ = open_listing()
    deadline = chain.pending_timestamp + 3600
    v, r, s = sign_permit(stablecoin, chain, who, escrow, 5_000 * UNIT, deadline)
    nonce = stablecoin.nonces(who)
    escrow.fundWithPermit(invoice_id, 5_000 * UNIT, deadline, v, r, s, sender=who)
    assert stablecoin.allowance(who, escrow) == 2**256 - 1  # the permit was not used to overwrite it
    assert stablecoin.nonces(who) == nonce
    assert system.shares.balanceOf(who, invoice_id) == 5_000 * UNIT


# ---------------------------------------------------------------- refund


def test_refund_reverts_unless_cancelled(escrow, open_listing, investors):
    invoice_id, _ = open_listing()
    escrow.fund(invoice_id, 1_000 * UNIT, sender=investors[0])
    with reverts_with(escrow.ListingNotCancelled, invoiceId=invoice_id, state=L_OPEN):
        escrow.refund(invoice_id, sender=investors[0])
    escrow.fund(invoice_id, PRICE - 1_000 * UNIT, sender=investors[1])
    with reverts_with(escrow.ListingNotCancelled, invoiceId=invoice_id, state=L_FUNDED):
        escrow.refund(invoice_id, sender=investors[0])
    with reverts_with(escrow.ListingNotCancelled, invoiceId=31337, state=L_NONE):
        escrow.refund(31337, sender=investors[0])


def test_refund_burns_shares_and_returns_principal_once(system, escrow, stablecoin, open_listing, chain, investors):
    shares = system.shares
    invoice_id, deadline = open_listing()
    a, b = investors[0], investors[1]
    escrow.fund(invoice_id, 30_000 * UNIT, sender=a)
    escrow.fund(invoice_id, 12_000 * UNIT, sender=b)
    chain.pending_timestamp = deadline + 1
    escrow.cancel(invoice_id, sender=a)
    a_before, escrow_before = stablecoin.balanceOf(a), stablecoin.balanceOf(escrow)

    receipt = escrow.refund(invoice_id, sender=a)

    assert_event(receipt, escrow.Refunded, invoiceId=invoice_id, investor=a, amount=30_000 * UNIT)
    assert_event(
        receipt,
        shares.TransferSingle,
        operator=escrow,
        **{"from": a.address, "to": ZERO_ADDRESS},
        id=invoice_id,
        value=30_000 * UNIT,
    )
    assert transfers(receipt, stablecoin) == [(escrow.address, a.address, 30_000 * UNIT)]
    assert stablecoin.balanceOf(a) == a_before + 30_000 * UNIT
    assert stablecoin.balanceOf(escrow) == escrow_before - 30_000 * UNIT
    assert shares.balanceOf(a, invoice_id) == 0
    assert shares.totalSupply(invoice_id) == 12_000 * UNIT

    with reverts_with(escrow.NothingToRefund, invoiceId=invoice_id, investor=a):
        escrow.refund(invoice_id, sender=a)
    escrow.refund(invoice_id, sender=b)
    assert shares.totalSupply(invoice_id) == 0
    assert stablecoin.balanceOf(escrow) == escrow_before - 42_000 * UNIT


def test_refund_reverts_for_non_investor(escrow, open_listing, stranger, sme):
    invoice_id, _ = open_listing()
    escrow.cancel(invoice_id, sender=sme)
    with reverts_with(escrow.NothingToRefund, invoiceId=invoice_id, investor=stranger):
        escrow.refund(invoice_id, sender=stranger)


def test_refund_works_while_escrow_paused(escrow, stablecoin, open_listing, chain, investor, admin):
    invoice_id, deadline = open_listing()
    escrow.fund(invoice_id, 5_000 * UNIT, sender=investor)
    chain.pending_timestamp = deadline + 1
    escrow.cancel(invoice_id, sender=investor)
    escrow.pause(sender=admin)
    before = stablecoin.balanceOf(investor)
    receipt = escrow.refund(invoice_id, sender=investor)
    assert_event(receipt, escrow.Refunded, invoiceId=invoice_id, investor=investor, amount=5_000 * UNIT)
    assert stablecoin.balanceOf(investor) == before + 5_000 * UNIT


def test_refund_works_after_investor_kyc_expired(escrow, kyc, stablecoin, open_listing, chain, investor, admin):
    invoice_id, deadline = open_listing()
    escrow.fund(invoice_id, 5_000 * UNIT, sender=investor)
    kyc.setKyc(investor, INVESTOR, chain.pending_timestamp + 60, sender=admin)
    chain.pending_timestamp = deadline + 1
    escrow.cancel(invoice_id, sender=investor)
    before = stablecoin.balanceOf(investor)
    escrow.refund(invoice_id, sender=investor)
    assert stablecoin.balanceOf(investor) == before + 5_000 * UNIT


def test_refund_pays_current_share_holder_after_transfer(
    system, escrow, stablecoin, open_listing, chain, investors, sme
):
    invoice_id, _ = open_listing()
    escrow.fund(invoice_id, 10_000 * UNIT, sender=investors[0])
    system.shares.safeTransferFrom(investors[0], investors[1], invoice_id, 4_000 * UNIT, b"", sender=investors[0])
    # Seller can no longer cancel (funding happened); wait for the deadline instead.
    chain.pending_timestamp = escrow.listingOf(invoice_id).fundingDeadline + 1
    escrow.cancel(invoice_id, sender=sme)
    b0, b1 = stablecoin.balanceOf(investors[0]), stablecoin.balanceOf(investors[1])
    escrow.refund(invoice_id, sender=investors[0])
    escrow.refund(invoice_id, sender=investors[1])
    assert stablecoin.balanceOf(investors[0]) - b0 == 6_000 * UNIT
    assert stablecoin.balanceOf(investors[1]) - b1 == 4_000 * UNIT


# ---------------------------------------------------------------- admin: fee, treasury, pause


def test_initial_fee_treasury_and_cap(system, escrow):
    assert escrow.feeBps() == FEE_BPS
    assert escrow.treasury() == system.treasury.address
    assert escrow.MAX_FEE_BPS() == 500


def test_set_fee_emits_fee_updated_and_caps_at_500(escrow, admin):
    receipt = escrow.setFee(500, sender=admin)
    assert_event(receipt, escrow.FeeUpdated, feeBps=500)
    assert escrow.feeBps() == 500
    with reverts_with(escrow.FeeTooHigh, feeBps=501, maxFeeBps=500):
        escrow.setFee(501, sender=admin)
    assert escrow.feeBps() == 500


def test_set_fee_refused_to_stranger(escrow, stranger, sme):
    for who in (stranger, sme):
        with reverts_with(escrow.AccessControlUnauthorizedAccount, account=who, neededRole=ADMIN_ROLE):
            escrow.setFee(200, sender=who)
    assert escrow.feeBps() == FEE_BPS


def test_set_treasury_redirects_fees(escrow, stablecoin, open_listing, accounts, investor, admin):
    new_treasury = accounts[8]
    receipt = escrow.setTreasury(new_treasury, sender=admin)
    assert_event(receipt, escrow.TreasuryUpdated, treasury=new_treasury)
    assert escrow.treasury() == new_treasury.address
    invoice_id, _ = open_listing()
    before = stablecoin.balanceOf(new_treasury)
    escrow.fund(invoice_id, PRICE, sender=investor)
    assert stablecoin.balanceOf(new_treasury) - before == 950 * UNIT


def test_set_treasury_refuses_zero_address_and_stranger(system, escrow, stranger, admin):
    with reverts_with(escrow.ZeroAddress):
        escrow.setTreasury(ZERO_ADDRESS, sender=admin)
    with reverts_with(escrow.AccessControlUnauthorizedAccount, account=stranger, neededRole=ADMIN_ROLE):
        escrow.setTreasury(stranger, sender=stranger)
    assert escrow.treasury() == system.treasury.address


def test_pause_and_unpause_refused_to_stranger(escrow, stranger, admin):
    role = escrow.PAUSER_ROLE()
    with reverts_with(escrow.AccessControlUnauthorizedAccount, account=stranger, neededRole=role):
        escrow.pause(sender=stranger)
    escrow.pause(sender=admin)
    assert escrow.paused()
    with reverts_with(escrow.AccessControlUnauthorizedAccount, account=stranger, neededRole=role):
        escrow.unpause(sender=stranger)
    assert escrow.paused()


def test_pause_blocks_list_and_unpause_restores_it(escrow, token, fresh_verified, list_verified, admin):
    invoice_id = fresh_verified()
    receipt = escrow.pause(sender=admin)
    assert_event(receipt, escrow.Paused, account=admin)
    with reverts_with(escrow.EnforcedPause):
        list_verified(invoice_id)
    receipt = escrow.unpause(sender=admin)
    assert_event(receipt, escrow.Unpaused, account=admin)
    list_verified(invoice_id)
    assert token.statusOf(invoice_id) == LISTED


def test_constructor_refuses_zero_treasury_and_fee_above_cap(project, system, admin):
    args = (admin, system.stablecoin, system.token, system.shares, system.distributor, system.kyc)
    with reverts_with(error_abi(project.FundingEscrow, "ZeroAddress")):
        project.FundingEscrow.deploy(*args, ZERO_ADDRESS, 100, sender=admin)
    with reverts_with(error_abi(project.FundingEscrow, "FeeTooHigh"), feeBps=501, maxFeeBps=500):
        project.FundingEscrow.deploy(*args, system.treasury, 501, sender=admin)
    deployed = project.FundingEscrow.deploy(*args, system.treasury, 500, sender=admin)
    assert deployed.feeBps() == 500


def test_remaining_is_zero_unless_open(escrow, open_listing, investor, sme):
    assert escrow.remaining(12345) == 0
    invoice_id, _ = open_listing()
    assert escrow.remaining(invoice_id) == PRICE
    escrow.fund(invoice_id, PRICE, sender=investor)
    assert escrow.remaining(invoice_id) == 0


def test_full_lifecycle_leaves_escrow_solvent(system, escrow, stablecoin, open_listing, investors, chain, sme, buyer):
    """Escrow balance == sum of raised over Listed + unrefunded principal of Cancelled (invariant 1)."""
    open_id, _ = open_listing()
    escrow.fund(open_id, 10_000 * UNIT, sender=investors[0])
    cancelled_id, deadline = open_listing(deadline_in=2 * DAY)
    escrow.fund(cancelled_id, 3_000 * UNIT, sender=investors[1])
    escrow.fund(cancelled_id, 4_000 * UNIT, sender=investors[2])
    funded_id, _ = open_listing()
    escrow.fund(funded_id, PRICE, sender=investors[2])
    chain.pending_timestamp = deadline + 1
    escrow.cancel(cancelled_id, sender=sme)
    escrow.refund(cancelled_id, sender=investors[1])
    assert stablecoin.balanceOf(escrow) == 10_000 * UNIT + 4_000 * UNIT
    system.distributor.repay(funded_id, FACE, sender=buyer)
    assert system.token.statusOf(funded_id) == REPAID
    assert stablecoin.balanceOf(escrow) == 14_000 * UNIT
