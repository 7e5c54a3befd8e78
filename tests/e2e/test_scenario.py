"""One invoice's whole life through the dApp, in order, against the real stack: the SME uploads a PDF, sees the OCR
prefill, mints and lists; the oracle verifies it on its own; two investors fund it to full (racing each other,
so one of them sees the contract's revert, decoded); the SME receives the advance; the bank pays through
`hundi bank-sim`; both investors claim exactly their share. Every step is checked twice: in the UI, and on-chain
with web3.
"""

from __future__ import annotations

import math
import os
import subprocess
from datetime import timedelta

import pytest
from playwright.sync_api import FilePayload, Locator, Page, expect

from hundi.chain.devkeys import dev_account
from hundi.devstack.stack import hundi_command
from tests.e2e.conftest import PersonFactory, screenshot
from tests.e2e.invoices import BUYER, SELLER, sme_invoice, today_ist
from tests.e2e.stack import INVESTOR_A, INVESTOR_B, SME, Stack, send
from tests.e2e.ui import (
    SLOW_MS,
    UNIT,
    connect_and_sign_in,
    money,
    rupees_to_units,
    sign_in,
    tx_confirmed,
    units_to_input,
)

pytestmark = pytest.mark.e2e

DISCOUNT_PERCENT = 3
MIN_TICKET = 10_000 * UNIT
FIRST_TICKET = 1_00_000 * UNIT  # investor A through the dApp
RACING_TICKET = 20_000 * UNIT  # investor A again, from elsewhere, while B confirms in the wallet


def _status(page: Page, status: str) -> None:
    expect(page.get_by_test_id("invoice-status").first).to_have_attribute("data-status", status, timeout=SLOW_MS)


def test_an_invoice_goes_from_upload_to_verified_funded_repaid_and_claimed(dapp: Stack, people: PersonFactory) -> None:
    stack = dapp
    c = stack.deployment.handles(stack.w3)
    coin, escrow, distributor = c.stablecoin.functions, c.escrow.functions, c.distributor.functions
    sme_address = dev_account(SME).address
    a_address, b_address = dev_account(INVESTOR_A).address, dev_account(INVESTOR_B).address
    invoice = sme_invoice()
    issue = today_ist()

    # 1. The SME connects, signs in, uploads the PDF, checks the prefilled fields, mints and lists. ------------
    sme = people("sme", SME)
    page = sme.goto("/sell")
    gate = page.get_by_test_id("gate")
    expect(gate).to_have_attribute("data-gate", "wallet")
    screenshot(page, "connect")
    page.get_by_test_id("gate-connect").click()
    expect(gate).to_have_attribute("data-gate", "session")
    screenshot(page, "sign-in")
    page.get_by_test_id("gate-sign-in").click()
    expect(page.get_by_test_id("upload-form")).to_be_visible()
    assert sme.wallet.methods().count("personal_sign") == 1

    pdf: FilePayload = {"name": "KAF-2526-0042.pdf", "mimeType": "application/pdf", "buffer": invoice.pdf}
    page.get_by_test_id("upload-file").set_input_files(files=pdf)
    page.get_by_test_id("upload-submit").click()
    expect(page.get_by_test_id("review-form")).to_be_visible(timeout=SLOW_MS)
    expect(page.get_by_test_id("mint-invoiceNumber")).to_have_value(invoice.number)
    expect(page.get_by_test_id("mint-total")).to_have_value("236000")
    expect(page.get_by_test_id("mint-sellerGstin")).to_have_value(SELLER.gstin)
    expect(page.get_by_test_id("mint-buyerGstin")).to_have_value(BUYER.gstin)
    expect(page.get_by_test_id("mint-issueDate-picker")).to_have_value(issue.isoformat())
    expect(page.get_by_test_id("mint-dueDate-picker")).to_have_value((issue + timedelta(days=60)).isoformat())
    screenshot(page, "sme-upload-review")

    next_id = int(c.token.functions.nextInvoiceId().call())
    page.get_by_test_id("mint-submit").click()
    track = page.get_by_test_id("track-invoice")
    expect(track).to_be_visible(timeout=SLOW_MS)
    invoice_id = next_id
    minted = c.token.functions.invoiceOf(invoice_id).call()
    assert minted[3] == sme_address, "the dApp minted the invoice from another account"
    assert int(minted[8]) == invoice.face_units
    expect(track.get_by_role("heading", level=2)).to_contain_text(f"Invoice #{invoice_id}", timeout=SLOW_MS)

    # 2. The oracle nodes verify it by themselves; the page follows. ------------------------------------------
    expect(track).to_have_attribute("data-status", "Verified", timeout=SLOW_MS)
    for check in ("gstinValid", "sellerActive", "buyerActive", "fieldsMatch", "irnMatch", "digestMatch"):
        expect(page.get_by_test_id(f"check-{check}")).to_have_attribute("data-state", "pass")
    assert int(c.token.functions.statusOf(invoice_id).call()) == 2  # Verified on-chain
    screenshot(page, "sme-verified")

    page.get_by_test_id("list-discount").fill(str(DISCOUNT_PERCENT))
    page.get_by_test_id("list-min-ticket").fill(units_to_input(MIN_TICKET))
    expect(page.get_by_test_id("list-roi")).to_contain_text("% a year")
    advance_shown = rupees_to_units(page.get_by_test_id("list-advance").inner_text())
    page.get_by_test_id("list-submit").click()
    expect(track).to_have_attribute("data-status", "Listed", timeout=SLOW_MS)
    listing = escrow.listingOf(invoice_id).call()
    price, raised, min_ticket, fee_bps, yield_bps = (int(listing[i]) for i in (0, 1, 2, 4, 5))
    assert price == invoice.face_units * (100 - DISCOUNT_PERCENT) // 100 and raised == 0
    assert min_ticket == MIN_TICKET
    sme_before = int(coin.balanceOf(sme_address).call())

    # 3. Two investors fund it to full. A first, through the dApp with approve + fund. ------------------------
    a_before, b_before = int(coin.balanceOf(a_address).call()), int(coin.balanceOf(b_address).call())
    investor_a = people("investor-a", INVESTOR_A)
    page_a = investor_a.goto(f"/invoices/{invoice_id}")
    connect_and_sign_in(investor_a)
    _fund(page_a, FIRST_TICKET)
    assert _shares(stack, invoice_id, a_address) == FIRST_TICKET

    # B funds what the page says is left; while B confirms the approval in the wallet, A's second ticket lands
    # from elsewhere, so B's funding call would exceed the remainder: the dApp must show the contract's error.
    investor_b = people("investor-b", INVESTOR_B)
    page_b = investor_b.goto(f"/invoices/{invoice_id}")
    connect_and_sign_in(investor_b)
    left = price - FIRST_TICKET
    investor_b.wallet.on_next("eth_sendTransaction", lambda: _race(stack, invoice_id, RACING_TICKET))
    dialog = _open_fund_dialog(page_b)
    dialog.get_by_test_id("fund-amount").fill(units_to_input(left))
    dialog.get_by_test_id("fund-submit").click()
    error = dialog.get_by_test_id("tx-error-name")
    expect(error).to_have_attribute("data-error", "AmountExceedsRemaining", timeout=SLOW_MS)
    expect(error).to_contain_text(f"remaining: {left - RACING_TICKET}")
    expect(dialog.get_by_test_id("tx-status")).to_contain_text("more than what is left")
    screenshot(page_b, "invoice-revert", full_page=False)
    dialog.get_by_role("button", name="Close").click()

    # B funds the true remainder once the page shows it (live update).
    left -= RACING_TICKET
    expect(page_b.get_by_test_id("funding-progress")).to_have_attribute(
        "data-percent", f"{(price - left) * 100 / price:.2f}", timeout=SLOW_MS
    )
    _fund(page_b, left)
    _status(page_b, "Funded")
    assert int(c.token.functions.statusOf(invoice_id).call()) == 5  # Funded
    assert _shares(stack, invoice_id, b_address) == left
    assert a_before - int(coin.balanceOf(a_address).call()) == FIRST_TICKET + RACING_TICKET
    assert b_before - int(coin.balanceOf(b_address).call()) == left
    screenshot(page_b, "invoice-funded")

    # 4. The SME has the advance: on-chain, and the page says it was paid. ------------------------------------
    funded = c.escrow.events.InvoiceFunded().get_logs(
        from_block=stack.deployment.deployedAt, argument_filters={"invoiceId": invoice_id}
    )
    assert len(funded) == 1
    listing_fee = int(funded[0]["args"]["fee"])
    assert listing_fee == price * fee_bps // 10_000
    assert int(coin.balanceOf(sme_address).call()) - sme_before == price - listing_fee == advance_shown
    expect(track).to_have_attribute("data-status", "Funded", timeout=SLOW_MS)
    expect(page.get_by_test_id("settlement")).to_contain_text("Paid")

    # 5. The buyer pays the platform's bank account; the bank notifies every oracle operator (each one signs only the
    #    repayment it was told about; k of n then agree). One `hundi bank-sim pay` delivers to every node.
    face = invoice.face_units
    argv = [*hundi_command(), "bank-sim", "pay", "--invoice", str(invoice_id), "--amount", str(face // UNIT)]
    for node in range(stack.dev.oracle_nodes):
        argv += ["--oracle", stack.dev.config.oracle_url(node)]
    paid = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=os.environ.copy(), check=False)
    assert paid.returncode == 0, f"hundi bank-sim pay failed:\n{paid.stdout}\n{paid.stderr}"
    assert paid.stdout.count("reported") == stack.dev.oracle_nodes, paid.stdout
    _status(page_b, "Repaid")
    assert int(c.token.functions.statusOf(invoice_id).call()) == 6  # Repaid

    # 6. Both investors claim their share: A in the dApp; then the same browser's wallet switches to B. --------
    fee_logs = c.distributor.events.YieldFeeCharged().get_logs(
        from_block=stack.deployment.deployedAt, argument_filters={"invoiceId": invoice_id}
    )
    yield_fee = sum(int(log["args"]["fee"]) for log in fee_logs)
    assert yield_fee == math.ceil((face - price) * yield_bps / 10_000)
    net = face - yield_fee
    expected = {
        a_address: net * (FIRST_TICKET + RACING_TICKET) // price,
        b_address: net * left // price,
    }

    portfolio = investor_a.goto("/portfolio")
    for index, address in ((INVESTOR_A, a_address), (INVESTOR_B, b_address)):
        if index == INVESTOR_B:
            investor_a.wallet.switch_account(INVESTOR_B)
            expect(portfolio.get_by_test_id("wallet-address")).to_have_attribute("data-address", b_address.lower())
            sign_in(investor_a)
        row = portfolio.locator(f"[data-testid=position-row][data-invoice-id='{invoice_id}']")
        claimable_shown = money(row.get_by_test_id("position-claimable"))
        claimable = int(distributor.claimable(invoice_id, address).call())
        assert claimable_shown == claimable
        assert abs(claimable - expected[address]) <= 1, (claimable, expected[address])
        if index == INVESTOR_A:
            screenshot(portfolio, "portfolio-claimable")
        before = int(coin.balanceOf(address).call())
        row.get_by_test_id("claim-button").click()
        tx_confirmed(portfolio)
        assert int(coin.balanceOf(address).call()) - before == claimable
        expect(row.get_by_test_id("position-claimable")).to_have_attribute("title", "₹0.000000", timeout=SLOW_MS)
    assert int(distributor.claimable(invoice_id, a_address).call()) == 0
    assert int(distributor.claimable(invoice_id, b_address).call()) == 0


def _shares(stack: Stack, invoice_id: int, holder: str) -> int:
    return int(stack.deployment.handles(stack.w3).shares.functions.positionOf(invoice_id, holder).call()[0])


def _open_fund_dialog(page: Page) -> Locator:
    page.get_by_test_id("listing-panel").get_by_test_id("fund-button").click()
    dialog = page.get_by_test_id("fund-dialog")
    expect(dialog).to_be_visible()
    return dialog


def _fund(page: Page, amount: int) -> None:
    """Fund `amount` from the invoice page with approve + fund; waits for the confirmation."""
    dialog = _open_fund_dialog(page)
    dialog.get_by_test_id("fund-mode-approve").check()
    dialog.get_by_test_id("fund-amount").fill(units_to_input(amount))
    dialog.get_by_test_id("fund-submit").click()
    expect(dialog.get_by_test_id("fund-success")).to_be_visible(timeout=SLOW_MS)
    dialog.get_by_role("button", name="Close").click()


def _race(stack: Stack, invoice_id: int, amount: int) -> None:
    """Investor A funds another ticket directly on-chain (another device, the same moment)."""
    c = stack.deployment.handles(stack.w3)
    send(stack.w3, INVESTOR_A, c.stablecoin.functions.approve(c.escrow.address, amount))
    send(stack.w3, INVESTOR_A, c.escrow.functions.fund(invoice_id, amount))
