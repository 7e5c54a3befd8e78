"""Repayments above face: the excess is the seller's; the holders get face less the yield fee, no more."""

from __future__ import annotations

from tests.contracts.assertions import events, reverts_with
from tests.contracts.conftest import REPAID, UNIT
from tests.contracts.integration.conftest import BookModel, balances, deltas

FACE = 100_000 * UNIT
PRICE = 95_000 * UNIT
TICKETS = [40_000 * UNIT, 35_000 * UNIT, 20_000 * UNIT]


def test_single_payment_above_face_sends_the_surplus_to_the_seller(system, funded_invoice, parties, investors, buyer):
    distributor, coin = system.distributor, system.stablecoin
    iid = funded_invoice(amounts=TICKETS, face=FACE, price=PRICE)
    model = BookModel(principal=PRICE, face=FACE)
    excess = 1_234 * UNIT + 567_891

    before = balances(coin, parties)
    receipt = distributor.repay(iid, FACE + excess, sender=buyer)
    y_fee, net, surplus = model.repay(FACE + excess)
    assert surplus == excess
    assert y_fee == (FACE - PRICE) // 10 == 500 * UNIT  # only on face - principal, never on the surplus
    [paid] = events(receipt, distributor.SurplusPaid)
    assert (paid.invoiceId, paid.seller, paid.amount) == (iid, parties["seller"].address, excess)
    [repaid] = events(receipt, distributor.InvoiceRepaid)
    assert repaid.totalRepaid == FACE + excess
    assert deltas(before, balances(coin, parties)) == {
        **dict.fromkeys(parties, 0),
        "buyer": -(FACE + excess),
        "seller": excess,
        "treasury": y_fee,
        "distributor": FACE - y_fee,
    }
    assert system.token.statusOf(iid) == REPAID

    # once Repaid, nothing more is taken
    with reverts_with(distributor.InvoiceNotRepayable, invoiceId=iid, state=2):
        distributor.repay(iid, 1, sender=buyer)

    claimed = 0
    for who, amount in zip(investors, TICKETS, strict=True):
        expected = model.earned(who.address, amount)
        assert distributor.claimable(iid, who) == expected
        distributor.claim(iid, sender=who)
        claimed += expected
    assert 0 <= net - claimed < len(investors)
    assert coin.balanceOf(distributor) == net - claimed


def test_bank_report_crossing_face_sends_only_the_excess_to_the_seller(
    system,
    funded_invoice,
    repayment,
    parties,
    investors,
    buyer,
    admin,
):
    distributor, coin = system.distributor, system.stablecoin
    iid = funded_invoice(amounts=TICKETS, face=FACE, price=PRICE)
    model = BookModel(principal=PRICE, face=FACE)

    first = 60_000 * UNIT
    distributor.repay(iid, first, sender=buyer)
    model.repay(first)

    bank = 45_000 * UNIT  # 60,000 + 45,000 = 105,000: 5,000 above face
    report, sigs = repayment(iid, bank)
    before = balances(coin, parties)
    receipt = distributor.settleRepayment(report.as_tuple(), sigs, sender=admin)
    y_fee, net, surplus = model.repay(bank)
    assert surplus == 5_000 * UNIT
    assert y_fee == 500 * UNIT
    assert net == bank - surplus - y_fee
    [paid] = events(receipt, distributor.SurplusPaid)
    assert paid.amount == surplus
    [received] = events(receipt, distributor.RepaymentReceived)
    assert (received.payer, received.totalRepaid, bytes(received.bankRef)) == (
        admin.address,
        first + bank,
        bytes(report.bankRef),
    )
    assert events(receipt, distributor.InvoiceRepaid)[0].totalRepaid == first + bank
    assert deltas(before, balances(coin, parties)) == {
        **dict.fromkeys(parties, 0),
        "collector": -bank,
        "seller": surplus,
        "treasury": y_fee,
        "distributor": net,
    }
    assert system.token.statusOf(iid) == REPAID
    assert distributor.bookOf(iid).repaid == first + bank

    claimed = 0
    for who, amount in zip(investors, TICKETS, strict=True):
        expected = model.earned(who.address, amount)
        before_claim = coin.balanceOf(who)
        distributor.claim(iid, sender=who)
        assert coin.balanceOf(who) - before_claim == expected
        claimed += expected
    assert model.net == FACE - 500 * UNIT
    assert 0 <= model.net - claimed < len(investors)
    assert coin.balanceOf(distributor) == model.net - claimed
