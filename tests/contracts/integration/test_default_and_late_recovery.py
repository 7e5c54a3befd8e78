"""Default after the grace period, then late recoveries that still reach the holders."""

from __future__ import annotations

from tests.contracts.assertions import events, reverts_with
from tests.contracts.conftest import DEFAULTED, FUNDED, GRACE, UNIT
from tests.contracts.integration.conftest import BookModel, balances, deltas

FACE = 100_000 * UNIT
PRICE = 95_000 * UNIT
TICKETS = [45_000 * UNIT + 1, 30_000 * UNIT + 1, 20_000 * UNIT - 2]


def test_default_after_grace_then_late_recoveries_reach_holders(
    system,
    chain,
    funded_invoice,
    parties,
    investors,
    buyer,
    stranger,
):
    token, distributor, coin = system.token, system.distributor, system.stablecoin
    iid = funded_invoice(amounts=TICKETS, face=FACE, price=PRICE)
    model = BookModel(principal=PRICE, face=FACE)

    early = 30_000 * UNIT
    distributor.repay(iid, early, sender=buyer)
    model.repay(early)

    due = token.invoiceOf(iid).dueDate
    defaultable_after = due + GRACE
    assert distributor.defaultableAfter(iid) == defaultable_after

    # past the due date but inside the grace period: not yet
    chain.mine(deltatime=due + 1 - chain.pending_timestamp)
    with reverts_with(distributor.GracePeriodNotOver, invoiceId=iid, defaultableAfter=defaultable_after):
        distributor.markDefaulted(iid, sender=stranger)
    assert token.statusOf(iid) == FUNDED

    # grace over: anyone may mark it
    chain.mine(deltatime=defaultable_after + 1 - chain.pending_timestamp)
    receipt = distributor.markDefaulted(iid, sender=stranger)
    [defaulted] = events(receipt, distributor.InvoiceDefaulted)
    assert (defaulted.invoiceId, defaulted.outstanding) == (iid, FACE - early)
    [changed] = events(receipt, token.InvoiceStatusChanged)
    assert (changed.invoiceId, getattr(changed, "from"), changed.to) == (iid, FUNDED, DEFAULTED)
    assert token.statusOf(iid) == DEFAULTED
    assert distributor.defaultableAfter(iid) == 0
    with reverts_with(distributor.NotDefaultable, invoiceId=iid, state=3):
        distributor.markDefaulted(iid, sender=stranger)

    # --- a late recovery below principal: all of it to the holders, no fee, still Defaulted
    late = 50_000 * UNIT
    before = balances(coin, parties)
    receipt = distributor.repay(iid, late, sender=buyer)
    y_fee, net, surplus = model.repay(late)
    assert (y_fee, surplus) == (0, 0)
    assert events(receipt, distributor.RepaymentReceived)[0].totalRepaid == early + late
    assert not events(receipt, distributor.InvoiceRepaid)
    assert deltas(before, balances(coin, parties)) == {
        **dict.fromkeys(parties, 0),
        "buyer": -late,
        "distributor": late,
    }
    assert token.statusOf(iid) == DEFAULTED
    for who, amount in zip(investors, TICKETS, strict=True):
        assert distributor.claimable(iid, who) == model.earned(who.address, amount)

    # --- a final recovery that crosses face: fee above principal, surplus to the seller, status unchanged
    final = 25_000 * UNIT
    before = balances(coin, parties)
    receipt = distributor.repay(iid, final, sender=buyer)
    y_fee, net, surplus = model.repay(final)
    assert (y_fee, surplus) == (500 * UNIT, 5_000 * UNIT)
    assert not events(receipt, distributor.InvoiceRepaid)
    assert deltas(before, balances(coin, parties)) == {
        **dict.fromkeys(parties, 0),
        "buyer": -final,
        "treasury": y_fee,
        "seller": surplus,
        "distributor": net,
    }
    assert token.statusOf(iid) == DEFAULTED
    assert distributor.bookOf(iid).state == 3  # BookState.Defaulted

    claimed = 0
    for who, amount in zip(investors, TICKETS, strict=True):
        expected = model.earned(who.address, amount)
        before_claim = coin.balanceOf(who)
        distributor.claim(iid, sender=who)
        assert coin.balanceOf(who) - before_claim == expected
        claimed += expected
    assert 0 <= model.net - claimed < len(investors)
    assert coin.balanceOf(distributor) == model.net - claimed
