"""The whole happy path, upload to ROI: every party's balance is asserted to the base unit at every step
that moves money."""

from __future__ import annotations

from fractions import Fraction

from tests.contracts.assertions import events, reverts_with
from tests.contracts.conftest import (
    FUNDED,
    LISTED,
    MINTED,
    REPAID,
    UNIT,
    VERIFIED,
)
from tests.contracts.integration.conftest import BookModel, balances, deltas, listing_fee

FACE = 100_000 * UNIT
PRICE = 95_123_456_789  # not a round number, so the fee's rounding direction shows
MIN_TICKET = 1_000 * UNIT
# Three different tickets; the last one completes the price and is below minTicket, which the rules allow.
TICKETS = [61_234_567_890, 33_388_888_899]
TICKETS.append(PRICE - sum(TICKETS))


def test_full_lifecycle_pays_every_party_exactly(
    system,
    chain,
    mint_request,
    verification,
    repayment,
    oracle_signers,
    parties,
    sme,
    investors,
    buyer,
    admin,
    stranger,
):
    token, hub, escrow, distributor, shares, coin = (
        system.token,
        system.hub,
        system.escrow,
        system.distributor,
        system.shares,
        system.stablecoin,
    )
    assert TICKETS[2] < MIN_TICKET
    start = balances(coin, parties)

    # --- mint
    receipt = token.mint(mint_request(face=FACE), sender=sme)
    iid = int(receipt.return_value)
    [minted] = events(receipt, token.InvoiceMinted)
    assert (minted.invoiceId, minted.seller, minted.faceValue) == (iid, sme.address, FACE)
    assert token.statusOf(iid) == MINTED
    assert token.ownerOf(iid) == sme.address

    # --- 2-of-3 verification, submitted by someone who is not an operator
    report, sigs = verification(iid, risk=42)
    receipt = hub.submitVerification(report.as_tuple(), sigs, sender=stranger)
    report_id = bytes(hub.hashVerification(report.as_tuple()))
    [verified] = events(receipt, token.InvoiceVerified)
    assert (verified.invoiceId, verified.riskScore, bytes(verified.reportId)) == (iid, 42, report_id)
    [accepted] = events(receipt, hub.ReportAccepted)
    assert (accepted.kind, accepted.invoiceId, accepted.submitter) == (0, iid, stranger.address)
    assert token.statusOf(iid) == VERIFIED
    assert hub.isReportUsed(report_id)

    # --- list: the NFT moves into escrow custody
    deadline = chain.pending_timestamp + 7 * 86400
    receipt = escrow.list(iid, PRICE, deadline, MIN_TICKET, sender=sme)
    [listed] = events(receipt, escrow.InvoiceListed)
    assert (listed.price, listed.faceValue, listed.minTicket) == (PRICE, FACE, MIN_TICKET)
    assert token.statusOf(iid) == LISTED
    assert token.ownerOf(iid) == escrow.address

    # --- the first two tickets lock funds in escrow and pay nobody
    raised = 0
    for who, amount in zip(investors[:2], TICKETS[:2], strict=True):
        before = balances(coin, parties)
        receipt = escrow.fund(iid, amount, sender=who)
        raised += amount
        [invested] = events(receipt, escrow.Invested)
        assert (invested.investor, invested.amount, invested.raised) == (who.address, amount, raised)
        assert not events(receipt, escrow.InvoiceFunded)
        moved = deltas(before, balances(coin, parties))
        assert moved == {**dict.fromkeys(parties, 0), f"inv{investors.index(who)}": -amount, "escrow": amount}
        assert token.statusOf(iid) == LISTED
        assert shares.balanceOf(who, iid) == amount
    assert escrow.remaining(iid) == TICKETS[2]

    # --- the completing fill pays the seller price - fee and the treasury the fee, in the same transaction
    fee = listing_fee(PRICE)
    assert fee == 951_234_568  # 1% of 95,123.456789 rounded up
    before = balances(coin, parties)
    receipt = escrow.fund(iid, TICKETS[2], sender=investors[2])
    [funded] = events(receipt, escrow.InvoiceFunded)
    assert (funded.invoiceId, funded.price, funded.fee) == (iid, PRICE, fee)
    moved = deltas(before, balances(coin, parties))
    assert moved == {
        **dict.fromkeys(parties, 0),
        "inv2": -TICKETS[2],
        "seller": PRICE - fee,
        "treasury": fee,
        "escrow": -(TICKETS[0] + TICKETS[1]),
    }
    assert coin.balanceOf(escrow) == 0
    assert token.statusOf(iid) == FUNDED
    assert token.ownerOf(iid) == escrow.address
    assert shares.totalSupply(iid) == PRICE
    assert [shares.balanceOf(i, iid) for i in investors] == TICKETS
    book = distributor.bookOf(iid)
    assert (book.principal, book.faceValue, book.repaid) == (PRICE, FACE, 0)

    model = BookModel(principal=PRICE, face=FACE)

    # --- partial on-chain repayment by the buyer, below principal: no yield fee
    first = 40_000 * UNIT
    before = balances(coin, parties)
    receipt = distributor.repay(iid, first, sender=buyer)
    y_fee, net, surplus = model.repay(first)
    assert (y_fee, net, surplus) == (0, first, 0)
    [received] = events(receipt, distributor.RepaymentReceived)
    assert (received.payer, received.amount, received.totalRepaid, bytes(received.bankRef)) == (
        buyer.address,
        first,
        first,
        b"\x00" * 32,
    )
    assert not events(receipt, distributor.YieldFeeCharged)
    assert deltas(before, balances(coin, parties)) == {
        **dict.fromkeys(parties, 0),
        "buyer": -first,
        "distributor": first,
    }
    assert token.statusOf(iid) == FUNDED
    for who, amount in zip(investors, TICKETS, strict=True):
        assert distributor.claimable(iid, who) == model.earned(who.address, amount)

    # --- a bank repayment: 2-of-3 signed report, the collector pays the stablecoin; it crosses the principal
    bank = 58_000 * UNIT
    report, sigs = repayment(iid, bank, signer_keys=oracle_signers[1:])
    before = balances(coin, parties)
    receipt = distributor.settleRepayment(report.as_tuple(), sigs, sender=admin)
    y_fee, net, surplus = model.repay(bank)
    # the fee is due only on the part of the cumulative 98,000 above the principal, rounded up
    assert y_fee == -(-(first + bank - PRICE) * 1000 // 10_000) == 287_654_322
    [received] = events(receipt, distributor.RepaymentReceived)
    assert (received.payer, received.amount, received.totalRepaid, bytes(received.bankRef)) == (
        admin.address,
        bank,
        first + bank,
        bytes(report.bankRef),
    )
    [accepted] = events(receipt, hub.ReportAccepted)
    assert (accepted.kind, accepted.invoiceId, bytes(accepted.reportId)) == (
        1,
        iid,
        bytes(hub.hashRepayment(report.as_tuple())),
    )
    [charged] = events(receipt, distributor.YieldFeeCharged)
    assert charged.fee == y_fee
    assert deltas(before, balances(coin, parties)) == {
        **dict.fromkeys(parties, 0),
        "collector": -bank,
        "treasury": y_fee,
        "distributor": bank - y_fee,
    }
    assert hub.isBankRefUsed(report.bankRef)
    assert token.statusOf(iid) == FUNDED

    # --- the rest, on-chain: reaches face, the invoice is Repaid
    last = FACE - first - bank
    before = balances(coin, parties)
    receipt = distributor.repay(iid, last, sender=buyer)
    y_fee, net, surplus = model.repay(last)
    assert surplus == 0
    [repaid] = events(receipt, distributor.InvoiceRepaid)
    assert repaid.totalRepaid == FACE
    assert deltas(before, balances(coin, parties)) == {
        **dict.fromkeys(parties, 0),
        "buyer": -last,
        "treasury": y_fee,
        "distributor": last - y_fee,
    }
    assert token.statusOf(iid) == REPAID
    assert distributor.bookOf(iid).repaid == FACE
    # total yield fee: 10% of (face - principal), rounded up, and never on the principal itself
    assert model.fees == -(-(FACE - PRICE) * 1000 // 10_000) == 487_654_322
    assert model.net == FACE - model.fees

    # --- every holder claims its pro-rata part
    claims = []
    for who, amount in zip(investors, TICKETS, strict=True):
        expected = model.earned(who.address, amount)
        exact = Fraction(model.net * amount, PRICE)
        assert int(exact) - 1 <= expected <= int(exact)  # pro-rata, rounded down, at most one unit of dust
        assert distributor.claimable(iid, who) == expected
        bal = coin.balanceOf(who)
        receipt = distributor.claim(iid, sender=who)
        [claimed] = events(receipt, distributor.Claimed)
        assert (claimed.investor, claimed.amount) == (who.address, expected)
        assert coin.balanceOf(who) - bal == expected
        assert distributor.claimable(iid, who) == 0
        claims.append(expected)
    with reverts_with(distributor.NothingToClaim, invoiceId=iid, investor=investors[0].address):
        distributor.claim(iid, sender=investors[0])

    dust = model.net - sum(claims)
    assert 0 <= dust < len(investors)

    # --- end state of every party, against where they started
    total_fees = fee + model.fees
    end = deltas(start, balances(coin, parties))
    assert end == {
        "seller": PRICE - fee,
        "inv0": claims[0] - TICKETS[0],
        "inv1": claims[1] - TICKETS[1],
        "inv2": claims[2] - TICKETS[2],
        "buyer": -(first + last),
        "collector": -bank,
        "treasury": total_fees,
        "escrow": 0,
        "distributor": dust,
    }
    assert sum(end.values()) == 0  # nothing created or lost
    assert coin.balanceOf(distributor) == dust
