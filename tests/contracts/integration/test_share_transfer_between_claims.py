"""Shares change hands between repayments: the sender keeps what its shares accrued before the transfer, the
receiver earns on them only from then on, and the transfer neither creates nor destroys claimable value."""

from __future__ import annotations

from tests.contracts.assertions import events, reverts_with
from tests.contracts.conftest import INVESTOR, UNIT
from tests.contracts.integration.conftest import BookModel

FACE = 100_000 * UNIT
PRICE = 95_000 * UNIT
TICKETS = [50_000 * UNIT + 7, 30_000 * UNIT - 3, 15_000 * UNIT - 4]  # A's ticket is odd: "half" rounds down


def test_transferred_shares_earn_for_the_receiver_only_after_the_transfer(
    system,
    funded_invoice,
    investors,
    buyer,
    stranger,
):
    distributor, shares, coin = system.distributor, system.shares, system.stablecoin
    a, b, c = investors
    iid = funded_invoice(amounts=TICKETS, face=FACE, price=PRICE)
    model = BookModel(principal=PRICE, face=FACE)
    bal = {a.address: TICKETS[0], b.address: TICKETS[1], c.address: TICKETS[2]}

    # --- a partial repayment; A claims what it earned on all its shares
    first = 33_333 * UNIT + 333
    distributor.repay(iid, first, sender=buyer)
    model.repay(first)
    a_first = model.earned(a.address, bal[a.address])
    assert a_first > 0
    before = coin.balanceOf(a)
    distributor.claim(iid, sender=a)
    assert coin.balanceOf(a) - before == a_first
    assert shares.positionOf(iid, a).withdrawn == a_first

    # --- A moves half its shares to B (who holds shares of its own)
    claimable_before = {who.address: int(distributor.claimable(iid, who)) for who in investors}
    assert claimable_before[a.address] == 0
    half = TICKETS[0] // 2
    receipt = shares.safeTransferFrom(a, b, iid, half, b"", sender=a)
    assert len(events(receipt, shares.TransferSingle)) == 1
    model.transfer(a.address, b.address, half)
    bal[a.address] -= half
    bal[b.address] += half
    claimable_after = {who.address: int(distributor.claimable(iid, who)) for who in investors}
    assert claimable_after == claimable_before  # per holder, so the total is unchanged too
    assert sum(claimable_after.values()) == sum(claimable_before.values())
    assert shares.totalSupply(iid) == PRICE

    # shares may only go to a KYC'd investor
    with reverts_with(shares.NotKycApproved, account=stranger.address, role=INVESTOR):
        shares.safeTransferFrom(a, stranger, iid, 1, b"", sender=a)

    # --- the rest of the repayment arrives
    rest = FACE - first
    distributor.repay(iid, rest, sender=buyer)
    model.repay(rest)
    net_before = first  # below the principal: no yield fee, all of it reached the holders
    net_total = model.net

    # A: everything its full ticket earned before the transfer, plus what its remaining half earned after
    a_total = model.earned(a.address, bal[a.address])
    assert a_total == (net_total * (TICKETS[0] - half) + net_before * half) // PRICE
    # B: its own ticket earns on the whole repayment, the received half only on what came after the transfer
    b_total = model.earned(b.address, bal[b.address])
    assert b_total == (net_total * (TICKETS[1] + half) - net_before * half) // PRICE
    c_total = model.earned(c.address, bal[c.address])

    for who, total in ((a, a_total), (b, b_total), (c, c_total)):
        withdrawn = a_first if who == a else 0
        assert distributor.claimable(iid, who) == total - withdrawn
        before = coin.balanceOf(who)
        distributor.claim(iid, sender=who)
        assert coin.balanceOf(who) - before == total - withdrawn

    paid = a_total + b_total + c_total
    assert 0 <= model.net - paid < len(investors)
    assert coin.balanceOf(distributor) == model.net - paid
