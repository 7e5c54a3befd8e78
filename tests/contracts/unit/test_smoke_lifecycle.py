from tests.contracts.conftest import FUNDED, REPAID, UNIT


def test_funded_invoice_pays_seller_price_minus_fee_and_repays(system, funded_invoice, sme, buyer, investors):
    before = system.stablecoin.balanceOf(sme)
    invoice_id = funded_invoice()
    price = 95_000 * UNIT
    fee = price * 100 // 10_000
    assert system.token.statusOf(invoice_id) == FUNDED
    assert system.stablecoin.balanceOf(sme) - before == price - fee
    assert system.shares.totalSupply(invoice_id) == price
    system.distributor.repay(invoice_id, 100_000 * UNIT, sender=buyer)
    assert system.token.statusOf(invoice_id) == REPAID
    yield_fee = (100_000 * UNIT - price) * 1000 // 10_000
    total = sum(system.distributor.claimable(invoice_id, i) for i in investors)
    assert 100_000 * UNIT - yield_fee - len(investors) <= total <= 100_000 * UNIT - yield_fee
