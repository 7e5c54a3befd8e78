"""Keeper payouts: `claimFor` pays only investors who opted in, each to its own address."""

from __future__ import annotations

from tests.contracts.assertions import events
from tests.contracts.conftest import UNIT
from tests.contracts.integration.conftest import BookModel, balances, deltas

FACE = 100_000 * UNIT
PRICE = 95_000 * UNIT
TICKETS = [50_000 * UNIT + 1, 25_000 * UNIT + 2, 20_000 * UNIT - 3]


def test_keeper_claim_for_pays_only_opted_in_investors(
    system,
    funded_invoice,
    parties,
    investors,
    buyer,
    stranger,
):
    distributor, coin = system.distributor, system.stablecoin
    iid = funded_invoice(amounts=TICKETS, face=FACE, price=PRICE)
    opted, not_opted = investors[:2], investors[2]
    for who in opted:
        receipt = distributor.setAutoPayout(True, sender=who)
        [setting] = events(receipt, distributor.AutoPayoutSet)
        assert (setting.investor, setting.enabled) == (who.address, True)
    assert [distributor.autoPayoutOf(who) for who in investors] == [True, True, False]

    model = BookModel(principal=PRICE, face=FACE)
    distributor.repay(iid, FACE, sender=buyer)
    model.repay(FACE)
    owed = [model.earned(who.address, amount) for who, amount in zip(investors, TICKETS, strict=True)]

    keeper_before = coin.balanceOf(stranger)
    before = balances(coin, parties)
    receipt = distributor.claimFor(iid, [who.address for who in investors], sender=stranger)
    claimed = events(receipt, distributor.Claimed)
    assert [(c.investor, c.amount) for c in claimed] == [
        (opted[0].address, owed[0]),
        (opted[1].address, owed[1]),
    ]
    assert deltas(before, balances(coin, parties)) == {
        **dict.fromkeys(parties, 0),
        "inv0": owed[0],
        "inv1": owed[1],
        "distributor": -(owed[0] + owed[1]),
    }
    assert coin.balanceOf(stranger) == keeper_before  # the keeper is paid nothing
    assert distributor.claimable(iid, opted[0]) == 0
    assert distributor.claimable(iid, opted[1]) == 0
    assert distributor.claimable(iid, not_opted) == owed[2]

    # a second batch finds nothing to pay and does not revert
    receipt = distributor.claimFor(iid, [who.address for who in investors], sender=stranger)
    assert not events(receipt, distributor.Claimed)

    # the investor who did not opt in still claims itself
    before_claim = coin.balanceOf(not_opted)
    distributor.claim(iid, sender=not_opted)
    assert coin.balanceOf(not_opted) - before_claim == owed[2]
    assert 0 <= model.net - sum(owed) < len(investors)
    assert coin.balanceOf(distributor) == model.net - sum(owed)
