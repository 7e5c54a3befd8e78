"""Oracle reports that must be refused, each leaving every piece of state exactly as it was."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ape
import pytest
from eth_utils import keccak

from hundi.chain.devkeys import dev_account
from hundi.chain.reports import report_domain, sign_all, sign_report
from tests.contracts.assertions import ANY, assert_error, events, reverts_with
from tests.contracts.conftest import FUNDED, MINTED, REJECTED, SIGNER_INDEXES, UNIT

OPERATORS = {dev_account(i).address for i in SIGNER_INDEXES}


@dataclass
class Refusal:
    """A report to submit, and the error (with arguments) it must be refused with."""

    report: Any
    signatures: list[bytes]
    errors: tuple[str, ...]
    inputs: dict[str, Any]


@dataclass
class Ctx:
    system: Any
    chain: Any
    invoice_id: int
    build: Callable[..., Any]  # the `verification` or `repayment` factory
    keys: list[bytes]
    submit: Callable[[Any, list[bytes]], Any]


# ------------------------------------------------------------------ refusals common to both report kinds


def replayed(ctx: Ctx, **kw: Any) -> Refusal:
    report, sigs = ctx.build(ctx.invoice_id, **kw)
    ctx.submit(report, sigs)
    return Refusal(report, sigs, ("ReportAlreadyUsed",), {"reportId": _report_id(ctx, report)})


def expired(ctx: Ctx, **kw: Any) -> Refusal:
    report, sigs = ctx.build(ctx.invoice_id, deadline_in=60, **kw)
    ctx.chain.mine(deltatime=120)
    return Refusal(report, sigs, ("ReportExpired",), {"deadline": report.deadline, "blockTimestamp": ANY})


def duplicate_signer(ctx: Ctx, **kw: Any) -> Refusal:
    report, _ = ctx.build(ctx.invoice_id, **kw)
    sig = sign_report(report, ctx.system.domain, ctx.keys[0])
    return Refusal(report, [sig, sig], ("DuplicateSigner",), {"signer": dev_account(SIGNER_INDEXES[0]).address})


def too_few_signers(ctx: Ctx, **kw: Any) -> Refusal:
    report, sigs = ctx.build(ctx.invoice_id, signer_keys=ctx.keys[:1], **kw)
    return Refusal(report, sigs, ("InsufficientSignatures",), {"provided": 1, "threshold": 2})


def signed_for_another_chain(ctx: Ctx, **kw: Any) -> Refusal:
    domain = report_domain(1, ctx.system.hub.address)
    report, sigs = ctx.build(ctx.invoice_id, domain=domain, **kw)
    return Refusal(report, sigs, ("UnknownSigner",), {})


def signed_for_another_hub(ctx: Ctx, **kw: Any) -> Refusal:
    domain = report_domain(ctx.chain.chain_id, ctx.system.escrow.address)
    report, sigs = ctx.build(ctx.invoice_id, domain=domain, **kw)
    return Refusal(report, sigs, ("UnknownSigner",), {})


def signed_by_a_non_operator(ctx: Ctx, **kw: Any) -> Refusal:
    outsider = dev_account(5)
    report, _ = ctx.build(ctx.invoice_id, **kw)
    sigs = sign_all(report, ctx.system.domain, [ctx.keys[0], outsider.key])
    return Refusal(report, sigs, ("UnknownSigner",), {"signer": outsider.address})


# ------------------------------------------------------------------ refusals of one kind only


def digest_mismatch(ctx: Ctx) -> Refusal:
    other = keccak(text="a different document")
    report, sigs = ctx.build(ctx.invoice_id, digest=other)
    on_chain = bytes(ctx.system.token.invoiceOf(ctx.invoice_id).docDigest)
    return Refusal(
        report,
        sigs,
        ("DigestMismatch",),
        {"invoiceId": ctx.invoice_id, "onChain": on_chain, "reported": other},
    )


def bank_ref_reused_under_new_nonce(ctx: Ctx) -> Refusal:
    bank_ref = keccak(text="UTR 000123")
    first, sigs = ctx.build(ctx.invoice_id, 10_000 * UNIT, bank_ref=bank_ref, nonce=1)
    ctx.submit(first, sigs)
    again, sigs = ctx.build(ctx.invoice_id, 12_000 * UNIT, bank_ref=bank_ref, nonce=2)
    return Refusal(again, sigs, ("BankRefAlreadyUsed",), {"bankRef": bank_ref})


def replayed_repayment(ctx: Ctx) -> Refusal:
    # An exact replay repeats the bankRef as well as the reportId: either check may refuse it first.
    refusal = replayed(ctx, amount=10_000 * UNIT)
    return Refusal(refusal.report, refusal.signatures, ("ReportAlreadyUsed", "BankRefAlreadyUsed"), {})


def _report_id(ctx: Ctx, report: Any) -> bytes:
    hub = ctx.system.hub
    fn = hub.hashVerification if type(report).__name__ == "Verification" else hub.hashRepayment
    return bytes(fn(report.as_tuple()))


def _assert_refused(system: Any, refusal: Refusal, call: Callable[[], Any]) -> None:
    with ape.reverts() as info:
        call()
    inputs = assert_error(info.value, refusal.errors, (system.hub,), **refusal.inputs)
    if "signer" in inputs and not refusal.inputs:
        # recovery over another domain yields some unrelated address, never one of the operators
        assert inputs["signer"] not in OPERATORS


# ------------------------------------------------------------------ verification reports


def _verification_state(system: Any, invoice_id: int, report_id: bytes) -> tuple[Any, ...]:
    inv = system.token.invoiceOf(invoice_id)
    return (
        system.token.statusOf(invoice_id),
        (inv.status, inv.riskScore, inv.checks, bytes(inv.docDigest)),
        system.hub.isReportUsed(report_id),
        system.hub.signerSet(),
    )


@pytest.mark.parametrize(
    "make_refusal",
    [
        replayed,
        expired,
        duplicate_signer,
        too_few_signers,
        signed_for_another_chain,
        signed_for_another_hub,
        signed_by_a_non_operator,
        digest_mismatch,
    ],
    ids=lambda f: f.__name__,
)
def test_refused_verification_report_changes_nothing(
    system,
    chain,
    make_invoice,
    verification,
    oracle_signers,
    stranger,
    make_refusal,
):
    iid = make_invoice()

    def submit(report, sigs):
        return system.hub.submitVerification(report.as_tuple(), sigs, sender=stranger)

    ctx = Ctx(system, chain, iid, verification, oracle_signers, submit)
    refusal = make_refusal(ctx)
    report_id = _report_id(ctx, refusal.report)
    before = _verification_state(system, iid, report_id)
    if make_refusal is not replayed:
        assert before[0] == MINTED

    _assert_refused(system, refusal, lambda: submit(refusal.report, refusal.signatures))

    assert _verification_state(system, iid, report_id) == before


def test_rejected_verification_makes_invoice_rejected_and_unlistable(
    system,
    chain,
    make_invoice,
    verification,
    sme,
    stranger,
):
    token, hub, escrow = system.token, system.hub, system.escrow
    iid = make_invoice()
    report, sigs = verification(iid, approved=False, risk=95, checks=0b000111)
    receipt = hub.submitVerification(report.as_tuple(), sigs, sender=stranger)
    [rejected] = events(receipt, token.InvoiceRejected)
    assert (rejected.invoiceId, rejected.checks, bytes(rejected.reportId)) == (
        iid,
        0b000111,
        bytes(hub.hashVerification(report.as_tuple())),
    )
    assert not events(receipt, token.InvoiceVerified)
    assert token.statusOf(iid) == REJECTED
    assert token.invoiceOf(iid).checks == 0b000111

    with reverts_with(escrow.InvoiceNotVerified, invoiceId=iid, status=REJECTED):
        escrow.list(iid, 90_000 * UNIT, chain.pending_timestamp + 86400, 0, sender=sme)
    assert token.statusOf(iid) == REJECTED
    assert token.ownerOf(iid) == sme.address


# ------------------------------------------------------------------ repayment reports


def _repayment_state(system: Any, invoice_id: int, report: Any, report_id: bytes, investors: list[Any]) -> tuple:
    coin, distributor = system.stablecoin, system.distributor
    return (
        system.token.statusOf(invoice_id),
        tuple(distributor.bookOf(invoice_id)),
        distributor.netDistributed(invoice_id),
        tuple(distributor.claimable(invoice_id, who) for who in investors),
        system.hub.isReportUsed(report_id),
        system.hub.isBankRefUsed(report.bankRef),
        tuple(coin.balanceOf(a) for a in (distributor, system.treasury, *investors)),
    )


@pytest.mark.parametrize(
    "make_refusal",
    [
        replayed_repayment,
        expired,
        duplicate_signer,
        too_few_signers,
        bank_ref_reused_under_new_nonce,
        signed_for_another_chain,
        signed_for_another_hub,
    ],
    ids=lambda f: f.__name__,
)
def test_refused_repayment_report_changes_nothing(
    system,
    chain,
    funded_invoice,
    repayment,
    oracle_signers,
    investors,
    admin,
    make_refusal,
):
    iid = funded_invoice(amounts=[95_000 * UNIT])  # one ticket: the cheapest Funded invoice

    def build(invoice_id, amount=20_000 * UNIT, **kw):
        return repayment(invoice_id, amount, **kw)

    def submit(report, sigs):
        return system.distributor.settleRepayment(report.as_tuple(), sigs, sender=admin)

    ctx = Ctx(system, chain, iid, build, oracle_signers, submit)
    refusal = make_refusal(ctx)
    report_id = _report_id(ctx, refusal.report)
    before = _repayment_state(system, iid, refusal.report, report_id, investors)
    collector_before = system.stablecoin.balanceOf(admin)
    assert before[0] == FUNDED

    _assert_refused(system, refusal, lambda: submit(refusal.report, refusal.signatures))

    assert _repayment_state(system, iid, refusal.report, report_id, investors) == before
    assert system.stablecoin.balanceOf(admin) == collector_before
