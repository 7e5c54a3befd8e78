"""A listing that misses its funding deadline: anyone cancels; every investor gets exactly its principal
back."""

from __future__ import annotations

from tests.contracts.assertions import events, reverts_with
from tests.contracts.conftest import CANCELLED, LISTED, UNIT
from tests.contracts.integration.conftest import balances, deltas

TICKETS = [20_000 * UNIT + 11, 10_000 * UNIT + 7, 5_000 * UNIT + 3]  # 35,000.000021 of a 95,000 price


def test_unfilled_listing_is_cancelled_after_deadline_and_everyone_refunded(
    system,
    chain,
    listed_invoice,
    parties,
    investors,
    sme,
    buyer,
    stranger,
):
    token, escrow, shares, distributor, coin = (
        system.token,
        system.escrow,
        system.shares,
        system.distributor,
        system.stablecoin,
    )
    start = balances(coin, parties)
    seller_nfts = token.balanceOf(sme)
    iid = listed_invoice(deadline_in=7 * 86400)
    assert token.balanceOf(sme) == seller_nfts  # minted, then moved into escrow custody by the listing
    assert token.ownerOf(iid) == escrow.address
    escrow_nfts = token.balanceOf(escrow)
    for who, amount in zip(investors, TICKETS, strict=True):
        escrow.fund(iid, amount, sender=who)
    raised = sum(TICKETS)
    assert coin.balanceOf(escrow) == raised
    deadline = escrow.listingOf(iid).fundingDeadline

    # before the deadline: no refunds, and nobody may cancel a listing that has funds (not even the seller)
    with reverts_with(escrow.ListingNotCancelled, invoiceId=iid, state=1):
        escrow.refund(iid, sender=investors[0])
    for caller in (sme, stranger):
        with reverts_with(escrow.CancelNotAllowed, invoiceId=iid, caller=caller.address):
            escrow.cancel(iid, sender=caller)

    chain.mine(deltatime=deadline + 1 - chain.pending_timestamp)
    with reverts_with(escrow.FundingClosed, invoiceId=iid, fundingDeadline=deadline):
        escrow.fund(iid, escrow.remaining(iid), sender=investors[0])

    # --- after the deadline anyone may cancel; the NFT goes back to the seller
    receipt = escrow.cancel(iid, sender=stranger)
    assert [e.invoiceId for e in events(receipt, escrow.ListingCancelled)] == [iid]
    [changed] = events(receipt, token.InvoiceStatusChanged)
    assert (getattr(changed, "from"), changed.to) == (LISTED, CANCELLED)
    assert token.statusOf(iid) == CANCELLED
    assert token.ownerOf(iid) == sme.address
    assert token.balanceOf(sme) == seller_nfts + 1
    assert token.balanceOf(escrow) == escrow_nfts - 1
    assert escrow.remaining(iid) == 0
    assert coin.balanceOf(escrow) == raised  # the principal waits for the refunds

    # --- every investor refunds exactly its principal
    supply = raised
    for who, amount in zip(investors, TICKETS, strict=True):
        before = coin.balanceOf(who)
        receipt = escrow.refund(iid, sender=who)
        [refunded] = events(receipt, escrow.Refunded)
        assert (refunded.invoiceId, refunded.investor, refunded.amount) == (iid, who.address, amount)
        assert coin.balanceOf(who) - before == amount
        assert shares.balanceOf(who, iid) == 0
        supply -= amount
        assert shares.totalSupply(iid) == supply
    # a second refund, or one by someone who never funded, pays nothing
    for who in (investors[0], stranger):
        with reverts_with(escrow.NothingToRefund, invoiceId=iid, investor=who.address):
            escrow.refund(iid, sender=who)

    assert coin.balanceOf(escrow) == 0
    assert deltas(start, balances(coin, parties)) == dict.fromkeys(parties, 0)  # nobody gained or lost a unit

    # a cancelled invoice takes no repayment and cannot default
    with reverts_with(distributor.InvoiceNotRepayable, invoiceId=iid, state=0):
        distributor.repay(iid, 1_000 * UNIT, sender=buyer)
    with reverts_with(distributor.NotDefaultable, invoiceId=iid, state=0):
        distributor.markDefaulted(iid, sender=stranger)
    assert token.statusOf(iid) == CANCELLED


def test_seller_may_cancel_before_any_funding(system, listed_invoice, sme, investors):
    token, escrow = system.token, system.escrow
    iid = listed_invoice()
    escrow.cancel(iid, sender=sme)
    assert token.statusOf(iid) == CANCELLED
    assert token.ownerOf(iid) == sme.address
    with reverts_with(escrow.ListingNotOpen, invoiceId=iid, state=3):
        escrow.fund(iid, 1_000 * UNIT, sender=investors[0])


def test_seller_burns_cancelled_invoice_to_finance_it_again_and_refunds_still_work(
    system, chain, listed_invoice, make_invoice, investors, sme
):
    token, escrow, coin = system.token, system.escrow, system.stablecoin
    iid = listed_invoice(deadline_in=2 * 86400)
    key = bytes(token.invoiceOf(iid).invoiceKey)
    escrow.fund(iid, 10_000 * UNIT, sender=investors[0])
    chain.mine(deltatime=escrow.listingOf(iid).fundingDeadline + 1 - chain.pending_timestamp)
    escrow.cancel(iid, sender=sme)

    # The key stays taken while the cancelled token lives ...
    with reverts_with(token.DuplicateInvoice, invoiceKey=key, existingId=iid):
        make_invoice(key=key)
    # ... and burning it (the NFT is back with the seller) frees the key for a new attempt.
    token.burn(iid, sender=sme)
    assert token.statusOf(iid) == 0
    assert token.idByKey(key) == 0
    again = make_invoice(key=key)
    assert again != iid
    assert token.idByKey(key) == again

    # The investor's refund of the burned invoice is untouched.
    before = coin.balanceOf(investors[0])
    escrow.refund(iid, sender=investors[0])
    assert coin.balanceOf(investors[0]) - before == 10_000 * UNIT
    assert coin.balanceOf(escrow) == 0
