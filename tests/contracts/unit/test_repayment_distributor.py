"""Unit tests of RepaymentDistributor: on-chain and oracle-reported repayments, the yield fee, surplus,
default, pull claims, keeper payouts, pause, admin setters and module hooks. Expected amounts are worked out
here by hand from the rules in IRepaymentDistributor: earned = floor((net * shares + correction) / principal)."""

from __future__ import annotations

import ape
import pytest
from ape.exceptions import CustomError
from eth_utils import keccak

from hundi.chain.reports import repayment_digest
from tests.contracts.assertions import assert_event, assert_no_event, error_abi, events, reverts_with, transfers
from tests.contracts.conftest import DAY, DEFAULTED, FUNDED, GRACE, LISTED, REPAID, UNIT, YIELD_FEE_BPS, mint_verified

FACE = 100_000 * UNIT
# "s": a standard invoice, price 95,000 UNIT, tickets 50,000 / 30,000 / 15,000 UNIT.
PRICE = 95_000 * UNIT
S_AMOUNTS = [50_000 * UNIT, 30_000 * UNIT, 15_000 * UNIT]
# "e": an invoice with price 2**36 and power-of-two tickets, so a repayment of `net` (below principal) earns a
# holder of b shares exactly net * b / 2**36.
P = 2**36
E_AMOUNTS = [2**35, 2**34, 2**34]
YIELD_FEE_FULL = 500 * UNIT  # 10% of (100,000 - 95,000) UNIT
ZERO32 = b"\x00" * 32
ZERO_ADDRESS = "0x" + "00" * 20
ADMIN_ROLE = b"\x00" * 32
COLLECTOR_ROLE = keccak(text="COLLECTOR_ROLE")
B_NONE, B_FUNDED, B_REPAID, B_DEFAULTED = range(4)


# ---------------------------------------------------------------- helpers


def _verified(system, chain, sme, admin, signers, tag: str) -> int:
    names = {"key": f"distributor-unit-{tag}", "doc": f"distributor-unit-doc-{tag}", "cid": "bafkreidistributorunit"}
    return mint_verified(system, chain, sme, admin, signers, **names)


@pytest.fixture(scope="module")
def pool(
    system, chain, sme, admin, oracle_signers, investors, investor, stranger, buyer, treasury_account
) -> dict[str, int]:
    """Built once per module (ape snapshots after module fixtures, so every test starts from here):
    s: Funded at PRICE with S_AMOUNTS; e: Funded at 2**36 with E_AMOUNTS; l: Listed, unfunded."""
    ids = {}
    for tag, price, amounts in (("s", PRICE, S_AMOUNTS), ("e", P, E_AMOUNTS), ("l", PRICE, [])):
        invoice_id = _verified(system, chain, sme, admin, oracle_signers, tag)
        system.escrow.list(invoice_id, price, chain.pending_timestamp + 7 * DAY, 0, sender=sme)
        for who, amount in zip(investors, amounts, strict=False):
            system.escrow.fund(invoice_id, amount, sender=who)
        ids[tag] = invoice_id
    return ids


@pytest.fixture
def s(pool) -> int:
    return pool["s"]


@pytest.fixture
def e(pool) -> int:
    return pool["e"]


@pytest.fixture
def listed(pool) -> int:
    return pool["l"]


@pytest.fixture
def due(token, s) -> int:
    """The due date of "s"."""
    return token.invoiceOf(s).dueDate


# ---------------------------------------------------------------- repay


def test_repay_reverts_on_zero_amount(distributor, s, buyer):
    with reverts_with(distributor.ZeroAmount):
        distributor.repay(s, 0, sender=buyer)


def test_repay_reverts_for_invoice_not_funded(distributor, token, listed, buyer):
    assert token.statusOf(listed) == LISTED
    with reverts_with(distributor.InvoiceNotRepayable, invoiceId=listed, state=B_NONE):
        distributor.repay(listed, 1_000 * UNIT, sender=buyer)
    with reverts_with(distributor.InvoiceNotRepayable, invoiceId=9_999, state=B_NONE):
        distributor.repay(9_999, 1_000 * UNIT, sender=buyer)


def test_partial_repayments_accumulate_and_emit_repayment_received(distributor, token, stablecoin, s, buyer):
    buyer_before = stablecoin.balanceOf(buyer)
    receipt = distributor.repay(s, 10_000 * UNIT, sender=buyer)
    assert_event(
        receipt,
        distributor.RepaymentReceived,
        invoiceId=s,
        payer=buyer,
        amount=10_000 * UNIT,
        totalRepaid=10_000 * UNIT,
        bankRef=ZERO32,
    )
    assert transfers(receipt, stablecoin) == [(buyer.address, distributor.address, 10_000 * UNIT)]
    for event in (distributor.InvoiceRepaid, distributor.YieldFeeCharged, distributor.SurplusPaid):
        assert_no_event(receipt, event)

    receipt = distributor.repay(s, 25_000 * UNIT, sender=buyer)
    assert_event(
        receipt,
        distributor.RepaymentReceived,
        invoiceId=s,
        payer=buyer,
        amount=25_000 * UNIT,
        totalRepaid=35_000 * UNIT,
        bankRef=ZERO32,
    )
    assert distributor.bookOf(s).repaid == 35_000 * UNIT
    assert distributor.bookOf(s).state == B_FUNDED
    assert token.statusOf(s) == FUNDED
    assert stablecoin.balanceOf(buyer) == buyer_before - 35_000 * UNIT
    assert stablecoin.balanceOf(distributor) == 35_000 * UNIT


def test_repay_is_open_to_anyone_not_only_the_buyer(distributor, stablecoin, s, stranger):
    stablecoin.mint(stranger, 1_000 * UNIT, sender=stranger)
    stablecoin.approve(distributor, 1_000 * UNIT, sender=stranger)
    receipt = distributor.repay(s, 1_000 * UNIT, sender=stranger)
    assert_event(
        receipt,
        distributor.RepaymentReceived,
        invoiceId=s,
        payer=stranger,
        amount=1_000 * UNIT,
        totalRepaid=1_000 * UNIT,
        bankRef=ZERO32,
    )


def test_repayment_reaching_face_marks_repaid_and_charges_yield_fee(system, distributor, token, stablecoin, s, buyer):
    treasury = system.treasury
    distributor.repay(s, 60_000 * UNIT, sender=buyer)
    treasury_before = stablecoin.balanceOf(treasury)

    receipt = distributor.repay(s, 40_000 * UNIT, sender=buyer)

    assert_event(
        receipt,
        distributor.RepaymentReceived,
        invoiceId=s,
        payer=buyer,
        amount=40_000 * UNIT,
        totalRepaid=FACE,
        bankRef=ZERO32,
    )
    assert_event(receipt, distributor.InvoiceRepaid, invoiceId=s, totalRepaid=FACE)
    assert_event(receipt, distributor.YieldFeeCharged, invoiceId=s, fee=YIELD_FEE_FULL)
    assert_event(receipt, token.InvoiceStatusChanged, invoiceId=s, **{"from": FUNDED, "to": REPAID})
    assert_no_event(receipt, distributor.SurplusPaid)
    assert token.statusOf(s) == REPAID
    assert distributor.bookOf(s).state == B_REPAID
    assert distributor.defaultableAfter(s) == 0
    assert stablecoin.balanceOf(treasury) - treasury_before == YIELD_FEE_FULL
    assert stablecoin.balanceOf(distributor) == FACE - YIELD_FEE_FULL


def test_repay_reverts_once_repaid(distributor, s, buyer):
    distributor.repay(s, FACE, sender=buyer)
    with reverts_with(distributor.InvoiceNotRepayable, invoiceId=s, state=B_REPAID):
        distributor.repay(s, 1, sender=buyer)


def test_overpayment_surplus_is_paid_to_seller_in_same_tx(system, distributor, stablecoin, s, buyer, sme):
    treasury = system.treasury
    surplus = 1_234 * UNIT + 1
    seller_before, treasury_before = stablecoin.balanceOf(sme), stablecoin.balanceOf(treasury)

    receipt = distributor.repay(s, FACE + surplus, sender=buyer)

    assert_event(receipt, distributor.InvoiceRepaid, invoiceId=s, totalRepaid=FACE + surplus)
    assert_event(receipt, distributor.SurplusPaid, invoiceId=s, seller=sme, amount=surplus)
    assert_event(receipt, distributor.YieldFeeCharged, invoiceId=s, fee=YIELD_FEE_FULL)
    assert transfers(receipt, stablecoin) == [
        (buyer.address, distributor.address, FACE + surplus),
        (distributor.address, treasury.address, YIELD_FEE_FULL),
        (distributor.address, sme.address, surplus),
    ]
    assert stablecoin.balanceOf(sme) - seller_before == surplus
    assert stablecoin.balanceOf(treasury) - treasury_before == YIELD_FEE_FULL
    assert stablecoin.balanceOf(distributor) == FACE - YIELD_FEE_FULL


def test_overpayment_after_partial_pays_only_the_excess_to_seller(distributor, stablecoin, s, buyer, sme):
    receipt = distributor.repay(s, 99_000 * UNIT, sender=buyer)
    # 4,000 above principal so far: 10% = 400.
    assert_event(receipt, distributor.YieldFeeCharged, invoiceId=s, fee=400 * UNIT)
    seller_before = stablecoin.balanceOf(sme)
    receipt = distributor.repay(s, 5_000 * UNIT, sender=buyer)
    # 1,000 more toward face (fee 100), 4,000 over face to the seller.
    assert_event(receipt, distributor.YieldFeeCharged, invoiceId=s, fee=100 * UNIT)
    assert_event(receipt, distributor.SurplusPaid, invoiceId=s, seller=sme, amount=4_000 * UNIT)
    assert_event(receipt, distributor.InvoiceRepaid, invoiceId=s, totalRepaid=104_000 * UNIT)
    assert stablecoin.balanceOf(sme) - seller_before == 4_000 * UNIT
    assert distributor.bookOf(s).repaid == 104_000 * UNIT


def test_yield_fee_is_only_on_the_part_above_principal_cumulative_and_rounded_up(
    system, distributor, stablecoin, s, buyer, investors
):
    treasury = system.treasury
    before = stablecoin.balanceOf(treasury)
    fees = []
    # (payment, expected fee): principal 95,000 UNIT, 10% of the cumulative amount above it, rounded up.
    steps = [
        (94_000 * UNIT, 0),  # held 94,000: below principal
        (1_000 * UNIT + 1, 1),  # held P + 1: ceil(0.1) = 1
        (3, 0),  # held P + 4: ceil(0.4) = 1, already charged
        (6, 0),  # held P + 10: ceil(1.0) = 1
        (1, 1),  # held P + 11: ceil(1.1) = 2
        (5_000 * UNIT - 11, 500 * UNIT - 2),  # held FACE: 500 UNIT in all
    ]
    for amount, fee in steps:
        receipt = distributor.repay(s, amount, sender=buyer)
        if fee:
            assert_event(receipt, distributor.YieldFeeCharged, invoiceId=s, fee=fee)
        else:
            assert_no_event(receipt, distributor.YieldFeeCharged)
        fees.append(fee)
    assert sum(fees) == YIELD_FEE_FULL  # splitting the payment never lowers the fee
    assert stablecoin.balanceOf(treasury) - before == YIELD_FEE_FULL
    net = FACE - YIELD_FEE_FULL
    total = sum(distributor.claimable(s, h) for h in investors)
    assert net - len(investors) < total <= net


def test_recovery_after_default_is_distributed_and_invoice_stays_defaulted(
    system, distributor, token, stablecoin, s, chain, buyer, sme, investors, due
):
    distributor.repay(s, 19_000 * UNIT, sender=buyer)
    chain.pending_timestamp = due + GRACE + 1
    distributor.markDefaulted(s, sender=buyer)
    # 19,000 over 95,000 shares = 0.2 per share; floor(19,000 * 50,000 / 95,000) is exact: no unit is lost.
    assert distributor.claimable(s, investors[0]) == 10_000 * UNIT

    receipt = distributor.repay(s, 38_000 * UNIT, sender=buyer)
    assert_event(
        receipt,
        distributor.RepaymentReceived,
        invoiceId=s,
        payer=buyer,
        amount=38_000 * UNIT,
        totalRepaid=57_000 * UNIT,
        bankRef=ZERO32,
    )
    # 57,000 over 95,000 shares = 0.6 per share, again exact.
    assert distributor.claimable(s, investors[0]) == 30_000 * UNIT
    assert distributor.claimable(s, investors[2]) == 9_000 * UNIT

    seller_before = stablecoin.balanceOf(sme)
    receipt = distributor.repay(s, 53_000 * UNIT, sender=buyer)  # total 110,000: 10,000 over face
    assert_no_event(receipt, distributor.InvoiceRepaid)
    assert_event(receipt, distributor.YieldFeeCharged, invoiceId=s, fee=YIELD_FEE_FULL)
    assert_event(receipt, distributor.SurplusPaid, invoiceId=s, seller=sme, amount=10_000 * UNIT)
    assert stablecoin.balanceOf(sme) - seller_before == 10_000 * UNIT
    assert token.statusOf(s) == DEFAULTED
    assert distributor.bookOf(s).state == B_DEFAULTED
    assert distributor.bookOf(s).repaid == 110_000 * UNIT


# ---------------------------------------------------------------- settleRepayment


def test_settle_repayment_takes_amount_from_collector_and_records_bank_ref(
    system, distributor, hub, stablecoin, repayment, s, admin
):
    report, sigs = repayment(s, 40_000 * UNIT)
    collector_before = stablecoin.balanceOf(admin)

    receipt = distributor.settleRepayment(report.as_tuple(), sigs, sender=admin)

    assert_event(
        receipt,
        distributor.RepaymentReceived,
        invoiceId=s,
        payer=admin,
        amount=40_000 * UNIT,
        totalRepaid=40_000 * UNIT,
        bankRef=report.bankRef,
    )
    assert_event(
        receipt,
        hub.ReportAccepted,
        reportId=repayment_digest(report, system.domain),
        kind=1,
        invoiceId=s,
        submitter=distributor,
    )
    assert transfers(receipt, stablecoin) == [(admin.address, distributor.address, 40_000 * UNIT)]
    assert stablecoin.balanceOf(admin) == collector_before - 40_000 * UNIT
    assert hub.isBankRefUsed(report.bankRef)
    assert distributor.bookOf(s).repaid == 40_000 * UNIT


def test_settle_repayment_reaching_face_marks_repaid(distributor, token, repayment, s, admin):
    distributor.repay(s, 30_000 * UNIT, sender=admin)
    report, sigs = repayment(s, 70_000 * UNIT)
    receipt = distributor.settleRepayment(report.as_tuple(), sigs, sender=admin)
    assert_event(receipt, distributor.InvoiceRepaid, invoiceId=s, totalRepaid=FACE)
    assert token.statusOf(s) == REPAID


def test_settle_repayment_refused_to_non_collector(distributor, hub, repayment, s, stranger, buyer):
    report, sigs = repayment(s, 1_000 * UNIT)
    for caller in (stranger, buyer):
        with reverts_with(distributor.AccessControlUnauthorizedAccount, account=caller, neededRole=COLLECTOR_ROLE):
            distributor.settleRepayment(report.as_tuple(), sigs, sender=caller)
    assert not hub.isBankRefUsed(report.bankRef)


def test_settle_repayment_cannot_count_the_same_report_twice(system, distributor, repayment, s, admin):
    report, sigs = repayment(s, 1_000 * UNIT)
    distributor.settleRepayment(report.as_tuple(), sigs, sender=admin)
    with ape.reverts() as info:
        distributor.settleRepayment(report.as_tuple(), sigs, sender=admin)
    # Either of the hub's two replay guards may fire first; each names what was reused.
    replayed = {
        "ReportAlreadyUsed": {"reportId": repayment_digest(report, system.domain)},
        "BankRefAlreadyUsed": {"bankRef": report.bankRef},
    }
    assert isinstance(info.value, CustomError)
    assert dict(info.value.inputs) == replayed[type(info.value).__name__]
    assert distributor.bookOf(s).repaid == 1_000 * UNIT


def test_settle_repayment_for_unfunded_invoice_reverts_and_keeps_bank_ref_free(
    distributor, hub, repayment, listed, admin
):
    report, sigs = repayment(listed, 1_000 * UNIT)
    with reverts_with(distributor.InvoiceNotRepayable, invoiceId=listed, state=B_NONE):
        distributor.settleRepayment(report.as_tuple(), sigs, sender=admin)
    assert not hub.isBankRefUsed(report.bankRef)


# ---------------------------------------------------------------- markDefaulted


def test_mark_defaulted_before_grace_period_reverts(distributor, s, stranger, due):
    with reverts_with(distributor.GracePeriodNotOver, invoiceId=s, defaultableAfter=due + GRACE):
        distributor.markDefaulted(s, sender=stranger)


def test_mark_defaulted_refused_at_boundary_and_accepted_one_second_after_by_anyone(
    distributor, token, s, chain, buyer, stranger, due
):
    distributor.repay(s, 20_000 * UNIT, sender=buyer)
    assert distributor.defaultableAfter(s) == due + GRACE
    chain.pending_timestamp = due + GRACE
    with reverts_with(distributor.GracePeriodNotOver, invoiceId=s, defaultableAfter=due + GRACE):
        distributor.markDefaulted(s, sender=stranger)
    chain.pending_timestamp = due + GRACE + 1

    receipt = distributor.markDefaulted(s, sender=stranger)

    assert chain.blocks[receipt.block_number].timestamp == due + GRACE + 1
    assert_event(receipt, distributor.InvoiceDefaulted, invoiceId=s, outstanding=80_000 * UNIT)
    assert_event(receipt, token.InvoiceStatusChanged, invoiceId=s, **{"from": FUNDED, "to": DEFAULTED})
    assert token.statusOf(s) == DEFAULTED
    assert distributor.bookOf(s).state == B_DEFAULTED
    assert distributor.defaultableAfter(s) == 0


def test_mark_defaulted_reverts_when_repaid(distributor, s, chain, buyer, due):
    distributor.repay(s, FACE, sender=buyer)
    chain.pending_timestamp = due + GRACE + 1
    with reverts_with(distributor.NotDefaultable, invoiceId=s, state=B_REPAID):
        distributor.markDefaulted(s, sender=buyer)


def test_mark_defaulted_twice_reverts(distributor, s, chain, stranger, due):
    chain.pending_timestamp = due + GRACE + 1
    distributor.markDefaulted(s, sender=stranger)
    with reverts_with(distributor.NotDefaultable, invoiceId=s, state=B_DEFAULTED):
        distributor.markDefaulted(s, sender=stranger)


def test_mark_defaulted_reverts_for_unfunded_invoice(distributor, listed, chain, stranger):
    chain.pending_timestamp = chain.pending_timestamp + 400 * DAY
    with reverts_with(distributor.NotDefaultable, invoiceId=listed, state=B_NONE):
        distributor.markDefaulted(listed, sender=stranger)


def test_defaultable_after_is_zero_unless_funded(distributor, s, listed, due):
    assert distributor.defaultableAfter(s) == due + GRACE
    assert distributor.defaultableAfter(listed) == 0
    assert distributor.defaultableAfter(123_456) == 0


# ---------------------------------------------------------------- claims


def test_claim_reverts_when_nothing_to_claim(distributor, s, investor, stranger, buyer):
    with reverts_with(distributor.NothingToClaim, invoiceId=s, investor=investor):
        distributor.claim(s, sender=investor)
    distributor.repay(s, 10_000 * UNIT, sender=buyer)
    with reverts_with(distributor.NothingToClaim, invoiceId=s, investor=stranger):
        distributor.claim(s, sender=stranger)


def test_claim_pays_exactly_claimable_once(shares, distributor, stablecoin, e, investors, buyer):
    x = investors[0]
    distributor.repay(e, 2**34, sender=buyer)
    assert distributor.claimable(e, x) == 2**33  # 2**34 * 2**35 / 2**36
    before = stablecoin.balanceOf(x)

    receipt = distributor.claim(e, sender=x)

    assert_event(receipt, distributor.Claimed, invoiceId=e, investor=x, amount=2**33)
    assert transfers(receipt, stablecoin) == [(distributor.address, x.address, 2**33)]
    assert stablecoin.balanceOf(x) - before == 2**33
    assert distributor.claimable(e, x) == 0
    assert shares.positionOf(e, x).withdrawn == 2**33
    with reverts_with(distributor.NothingToClaim, invoiceId=e, investor=x):
        distributor.claim(e, sender=x)
    # The other holders are untouched.
    assert distributor.claimable(e, investors[1]) == 2**32


def test_claim_after_partial_repayment_is_pro_rata_rounded_down(distributor, stablecoin, s, investors, buyer):
    distributor.repay(s, 40_000 * UNIT, sender=buyer)
    # 40,000 * ticket / 95,000, rounded down: 21,052.631578(947), 12,631.578947(368), 6,315.789473(684).
    expected = [21_052_631_578, 12_631_578_947, 6_315_789_473]
    assert [distributor.claimable(s, h) for h in investors] == expected
    paid = []
    for holder in investors:
        before = stablecoin.balanceOf(holder)
        distributor.claim(s, sender=holder)
        paid.append(stablecoin.balanceOf(holder) - before)
    assert paid == expected
    assert stablecoin.balanceOf(distributor) == 40_000 * UNIT - sum(expected)  # 2 units of dust


def test_claims_after_full_repayment_leave_dust_below_holder_count(distributor, stablecoin, s, investors, buyer):
    distributor.repay(s, FACE, sender=buyer)
    # Net 99,500 UNIT pro rata to 50/30/15 of 95, rounded down.
    expected = [52_368_421_052, 31_421_052_631, 15_710_526_315]
    for holder, amount in zip(investors, expected, strict=True):
        receipt = distributor.claim(s, sender=holder)
        assert_event(receipt, distributor.Claimed, invoiceId=s, investor=holder, amount=amount)
    assert stablecoin.balanceOf(distributor) == FACE - YIELD_FEE_FULL - sum(expected)
    assert stablecoin.balanceOf(distributor) < len(investors)


def test_claim_many_skips_ids_with_nothing_and_pays_the_sum(distributor, stablecoin, s, e, investors, buyer):
    x = investors[0]
    distributor.repay(e, 2**34, sender=buyer)
    before = stablecoin.balanceOf(x)
    receipt = distributor.claimMany([s, e], sender=x)
    assert events(receipt, distributor.Claimed) == [{"invoiceId": e, "investor": x.address, "amount": 2**33}]
    assert transfers(receipt, stablecoin) == [(distributor.address, x.address, 2**33)]
    assert stablecoin.balanceOf(x) - before == 2**33

    distributor.repay(s, 40_000 * UNIT, sender=buyer)
    distributor.repay(e, 2**35, sender=buyer)
    receipt = distributor.claimMany([s, e], sender=x)
    assert events(receipt, distributor.Claimed) == [
        {"invoiceId": s, "investor": x.address, "amount": 21_052_631_578},
        {"invoiceId": e, "investor": x.address, "amount": 2**34},
    ]
    # One transfer of the total.
    assert transfers(receipt, stablecoin) == [(distributor.address, x.address, 21_052_631_578 + 2**34)]


def test_claim_many_reverts_when_all_are_zero(distributor, s, e, investor):
    with reverts_with(distributor.NothingToClaim, invoiceId=s, investor=investor):
        distributor.claimMany([s, e], sender=investor)
    with reverts_with(distributor.NothingToClaim, invoiceId=0, investor=investor):
        distributor.claimMany([], sender=investor)


def test_claim_for_pays_only_opted_in_investors_to_their_own_address(
    distributor, stablecoin, e, investors, buyer, stranger
):
    x, y, _ = investors
    receipt = distributor.setAutoPayout(True, sender=x)
    assert_event(receipt, distributor.AutoPayoutSet, investor=x, enabled=True)
    assert distributor.autoPayoutOf(x)
    assert not distributor.autoPayoutOf(y)
    distributor.repay(e, 2**34, sender=buyer)
    x_before, y_before, keeper_before = (stablecoin.balanceOf(a) for a in (x, y, stranger))

    receipt = distributor.claimFor(e, [x, y], sender=stranger)

    assert events(receipt, distributor.Claimed) == [{"invoiceId": e, "investor": x.address, "amount": 2**33}]
    assert transfers(receipt, stablecoin) == [(distributor.address, x.address, 2**33)]
    assert stablecoin.balanceOf(x) - x_before == 2**33
    assert stablecoin.balanceOf(y) == y_before
    assert stablecoin.balanceOf(stranger) == keeper_before
    assert distributor.claimable(e, y) == 2**32


def test_claim_for_skips_investor_after_opt_out_and_zero_claims(distributor, stablecoin, e, investors, buyer, stranger):
    x = investors[0]
    distributor.setAutoPayout(True, sender=x)
    receipt = distributor.claimFor(e, [x], sender=stranger)  # opted in, nothing yet: no-op, no revert
    assert events(receipt, distributor.Claimed) == []
    receipt = distributor.setAutoPayout(False, sender=x)
    assert_event(receipt, distributor.AutoPayoutSet, investor=x, enabled=False)
    distributor.repay(e, 2**34, sender=buyer)
    before = stablecoin.balanceOf(x)
    receipt = distributor.claimFor(e, [x], sender=stranger)
    assert events(receipt, distributor.Claimed) == []
    assert stablecoin.balanceOf(x) == before
    assert distributor.claimable(e, x) == 2**33


def test_claims_and_claim_for_work_while_paused(distributor, stablecoin, s, e, investors, buyer, stranger, admin):
    x, y, z = investors
    distributor.setAutoPayout(True, sender=z)
    distributor.repay(e, 2**34, sender=buyer)
    distributor.pause(sender=admin)
    before = [stablecoin.balanceOf(h) for h in investors]
    distributor.claim(e, sender=x)
    distributor.claimMany([s, e], sender=y)
    distributor.claimFor(e, [z], sender=stranger)
    assert [stablecoin.balanceOf(h) - b for h, b in zip(investors, before, strict=True)] == [
        2**33,
        2**32,
        2**32,
    ]


def test_pause_blocks_repay_settle_mark_defaulted_and_set_auto_payout(
    distributor, repayment, s, chain, buyer, admin, investor, due
):
    report, sigs = repayment(s, 1_000 * UNIT)
    chain.pending_timestamp = due + GRACE + 1
    receipt = distributor.pause(sender=admin)
    assert_event(receipt, distributor.Paused, account=admin)
    with reverts_with(distributor.EnforcedPause):
        distributor.repay(s, 1_000 * UNIT, sender=buyer)
    with reverts_with(distributor.EnforcedPause):
        distributor.settleRepayment(report.as_tuple(), sigs, sender=admin)
    with reverts_with(distributor.EnforcedPause):
        distributor.markDefaulted(s, sender=buyer)
    with reverts_with(distributor.EnforcedPause):
        distributor.setAutoPayout(True, sender=investor)
    distributor.unpause(sender=admin)
    distributor.repay(s, 1_000 * UNIT, sender=buyer)
    assert distributor.bookOf(s).repaid == 1_000 * UNIT


def test_pause_and_unpause_refused_to_stranger(distributor, stranger, admin):
    role = distributor.PAUSER_ROLE()
    with reverts_with(distributor.AccessControlUnauthorizedAccount, account=stranger, neededRole=role):
        distributor.pause(sender=stranger)
    distributor.pause(sender=admin)
    with reverts_with(distributor.AccessControlUnauthorizedAccount, account=stranger, neededRole=role):
        distributor.unpause(sender=stranger)
    assert distributor.paused()


# ---------------------------------------------------------------- accounting


def test_donation_changes_nobodys_claimable(distributor, stablecoin, e, investors, buyer):
    distributor.repay(e, 2**34, sender=buyer)
    net = distributor.netDistributed(e)
    stablecoin.transfer(distributor, 7_777 * UNIT, sender=buyer)
    assert [distributor.claimable(e, h) for h in investors] == [2**33, 2**32, 2**32]
    assert distributor.netDistributed(e) == net
    distributor.repay(e, 2**34, sender=buyer)
    assert [distributor.claimable(e, h) for h in investors] == [2**34, 2**33, 2**33]


def test_net_distributed_tracks_cumulative_net_repaid_to_holders(distributor, s, e, listed, buyer):
    assert distributor.netDistributed(listed) == 0
    assert distributor.netDistributed(e) == 0  # funded, nothing repaid
    distributor.repay(e, 2**34, sender=buyer)
    assert distributor.netDistributed(e) == 2**34  # below principal: no yield fee
    # Above principal: 2**36 + 10,000 repaid in all; the fee is ceil(10% of 10,000) = 1,000.
    distributor.repay(e, 2**36 + 10_000 - 2**34, sender=buyer)
    assert distributor.netDistributed(e) == 2**36 + 9_000
    distributor.repay(s, 40_000 * UNIT, sender=buyer)
    assert distributor.netDistributed(s) == 40_000 * UNIT


def test_sole_holder_of_an_odd_principal_receives_every_unit(distributor, funded_invoice, investor, buyer, stablecoin):
    """A single holder is owed all of net: no scaled accumulator truncates 1 unit of a 3-unit principal to 0."""
    invoice_id = funded_invoice(face=4, price=3, amounts=[3])
    distributor.repay(invoice_id, 1, sender=buyer)
    assert distributor.claimable(invoice_id, investor) == 1
    before = stablecoin.balanceOf(investor)
    distributor.claim(invoice_id, sender=investor)
    assert stablecoin.balanceOf(investor) - before == 1


# ---------------------------------------------------------------- admin and hooks


def test_initial_parameters(system, distributor):
    assert distributor.yieldFeeBps() == YIELD_FEE_BPS
    assert distributor.gracePeriod() == GRACE
    assert distributor.treasury() == system.treasury.address
    assert distributor.MAX_YIELD_FEE_BPS() == 2000
    assert distributor.MAX_GRACE_PERIOD() == 365 * DAY


def test_set_yield_fee_emits_event_and_caps_at_2000(distributor, admin, stranger):
    receipt = distributor.setYieldFee(2000, sender=admin)
    assert_event(receipt, distributor.YieldFeeUpdated, yieldFeeBps=2000)
    assert distributor.yieldFeeBps() == 2000
    with reverts_with(distributor.FeeTooHigh, yieldFeeBps=2001, maxYieldFeeBps=2000):
        distributor.setYieldFee(2001, sender=admin)
    with reverts_with(distributor.AccessControlUnauthorizedAccount, account=stranger, neededRole=ADMIN_ROLE):
        distributor.setYieldFee(0, sender=stranger)
    assert distributor.yieldFeeBps() == 2000


def test_set_grace_period_emits_event_and_caps_at_365_days(distributor, admin, stranger):
    receipt = distributor.setGracePeriod(365 * DAY, sender=admin)
    assert_event(receipt, distributor.GracePeriodUpdated, gracePeriod=365 * DAY)
    assert distributor.gracePeriod() == 365 * DAY
    with reverts_with(distributor.GracePeriodTooLong, gracePeriod=365 * DAY + 1, maxGracePeriod=365 * DAY):
        distributor.setGracePeriod(365 * DAY + 1, sender=admin)
    with reverts_with(distributor.AccessControlUnauthorizedAccount, account=stranger, neededRole=ADMIN_ROLE):
        distributor.setGracePeriod(0, sender=stranger)
    assert distributor.gracePeriod() == 365 * DAY


def test_set_treasury_redirects_yield_fee(distributor, stablecoin, s, accounts, buyer, admin, stranger):
    new_treasury = accounts[8]
    receipt = distributor.setTreasury(new_treasury, sender=admin)
    assert_event(receipt, distributor.TreasuryUpdated, treasury=new_treasury)
    assert distributor.treasury() == new_treasury.address
    with reverts_with(distributor.ZeroAddress):
        distributor.setTreasury(ZERO_ADDRESS, sender=admin)
    with reverts_with(distributor.AccessControlUnauthorizedAccount, account=stranger, neededRole=ADMIN_ROLE):
        distributor.setTreasury(stranger, sender=stranger)
    before = stablecoin.balanceOf(new_treasury)
    distributor.repay(s, FACE, sender=buyer)
    assert stablecoin.balanceOf(new_treasury) - before == YIELD_FEE_FULL


def test_constructor_refuses_zero_addresses_and_parameters_above_caps(project, system, admin):
    def deploy(treasury=None, escrow=None, yield_fee=YIELD_FEE_BPS, grace=GRACE):
        return project.RepaymentDistributor.deploy(
            admin, system.stablecoin, system.token, system.shares, system.hub,
            escrow or system.escrow, treasury or system.treasury, yield_fee, grace, sender=admin,
        )  # fmt: skip

    def error(name):
        return error_abi(project.RepaymentDistributor, name)

    with reverts_with(error("ZeroAddress")):
        deploy(treasury=ZERO_ADDRESS)
    with reverts_with(error("ZeroAddress")):
        deploy(escrow=ZERO_ADDRESS)
    with reverts_with(error("FeeTooHigh"), yieldFeeBps=2001, maxYieldFeeBps=2000):
        deploy(yield_fee=2001)
    with reverts_with(error("GracePeriodTooLong"), gracePeriod=365 * DAY + 1, maxGracePeriod=365 * DAY):
        deploy(grace=365 * DAY + 1)
    deployed = deploy(yield_fee=2000, grace=365 * DAY)
    assert (deployed.yieldFeeBps(), deployed.gracePeriod()) == (2000, 365 * DAY)


def test_on_funded_refused_to_anyone_but_escrow(distributor, listed, stranger, admin):
    for caller in (stranger, admin):
        with reverts_with(distributor.NotEscrow, caller=caller):
            distributor.onFunded(listed, 1, 0, 0, sender=caller)
    assert distributor.bookOf(listed).state == B_NONE


def test_on_shares_transferred_refused_to_anyone_but_shares(distributor, e, investors, stranger, buyer):
    distributor.repay(e, 2**34, sender=buyer)
    with reverts_with(distributor.NotShares, caller=stranger):
        distributor.onSharesTransferred(e, investors[0], stranger, 2**35, sender=stranger)
    assert distributor.claimable(e, investors[0]) == 2**33
