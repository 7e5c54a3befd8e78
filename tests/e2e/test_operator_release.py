"""An operator reviews a held bank payment on the dApp's Operator page and releases it to the invoice it pays.

The bank notifies oracle node 1 of a payment whose invoice number no invoice has, so the node holds it. On the
Operator page (with the stack's operator token) the payment is listed with a "Release to invoice" form: a release
to an invoice that cannot be repaid is refused with the node's reason and the payment stays held; a release to a
Funded demo invoice, after the confirm step, is reported and the payment leaves the held list.

Only node 1 is told, so the repayment does not settle on-chain (every co-signing node must release it the same way);
this test is about the page and the node's answer, not the chain.
"""

from __future__ import annotations

import json
import re
import time
import uuid

import httpx
import pytest
from playwright.sync_api import expect

from hundi.devstack.seed import SeedResult
from hundi.devstack.stack import LOCAL_BANK_SECRET
from oracle.bank.signature import sign_header
from tests.e2e.conftest import PHONE, ConsoleWatch, PersonFactory, screenshot
from tests.e2e.stack import STRANGER, Stack
from tests.e2e.ui import SLOW_MS

pytestmark = pytest.mark.e2e

WEBHOOK = "/api/v1/webhooks/payment"


def _pay_unknown_invoice(stack: Stack, transaction_id: str, invoice_number: str) -> dict[str, object]:
    """What a bank sends node 1 for a ₹1 payment quoting an invoice number no invoice has (signed like a bank)."""
    body = json.dumps(
        {
            "transactionId": transaction_id,
            "invoiceNumber": invoice_number,
            "amount": "1.00",
            "status": "success",
            "paidAt": int(time.time()) - 60,
        }
    ).encode()
    header = sign_header(LOCAL_BANK_SECRET.encode(), body, int(time.time()))
    response = httpx.post(
        stack.oracle_url + WEBHOOK,
        content=body,
        headers={"Content-Type": "application/json", "X-Bank-Signature": header},
        timeout=30,
    )
    assert response.status_code == 202, response.text
    answer: dict[str, object] = response.json()
    assert answer["outcome"] == "held" and answer["holdReason"] == "unknown_invoice", answer
    return answer


def _oracle_status(stack: Stack) -> dict[str, object]:
    response = httpx.get(
        stack.oracle_url + "/oracle/v1/status",
        headers={"Authorization": f"Bearer {stack.dev.admin_token}"},
        timeout=30,
    )
    response.raise_for_status()
    status: dict[str, object] = response.json()
    return status


def _held_ids(stack: Stack) -> set[str]:
    held = _oracle_status(stack)["held"]
    assert isinstance(held, dict)
    return {p["transaction_id"] for p in held["payments"]}


def _seeded(stack: Stack, label: str, status_name: str) -> int:
    """The demo seed's `label` invoice, checked to be `status_name` on node 1 now."""
    seeded = stack.dev.seeded
    assert isinstance(seeded, SeedResult), "the e2e stack runs the demo seed"
    invoice_id = seeded.invoices[label].invoice_id
    known = httpx.get(f"{stack.oracle_url}/oracle/v1/invoices/{invoice_id}", timeout=30).json()
    assert known["statusName"] == status_name, known
    return invoice_id


def test_an_operator_releases_a_held_bank_payment_to_a_funded_invoice(
    dapp: Stack, people: PersonFactory, console: ConsoleWatch
) -> None:
    funded = _seeded(dapp, "funded", "Funded")
    listed = _seeded(dapp, "open", "Listed")
    transaction_id = f"UTR-E2E-{uuid.uuid4().hex[:12].upper()}"
    _pay_unknown_invoice(dapp, transaction_id, f"NO-SUCH/{uuid.uuid4().hex[:8].upper()}")
    assert transaction_id in _held_ids(dapp)
    # The node's refusal below is an HTTP 409, which Chromium logs as a failed resource load: expected here.
    console.allowed.append("the server responded with a status of 409")

    operator = people("operator", STRANGER)
    page = operator.goto("/operator")
    page.get_by_test_id("operator-token").fill(dapp.dev.admin_token)
    page.get_by_test_id("operator-token-save").click()
    card = page.locator(f"[data-testid=held-payment][data-transaction-id='{transaction_id}']")
    expect(card).to_be_visible(timeout=SLOW_MS)
    expect(card).to_have_attribute("data-hold-reason", "unknown_invoice")
    expect(card.get_by_test_id("held-amount")).to_have_text("₹1.00")
    invoice_input = card.get_by_test_id("release-invoice-id")
    expect(invoice_input).to_have_value("")  # an unknown number has no candidate: nothing is guessed

    # Nothing typed: the form says what it needs and sends nothing.
    card.get_by_test_id("release-submit").click()
    expect(card.get_by_test_id("release-problem")).to_contain_text("Enter the id of the invoice")
    expect(card.get_by_test_id("release-confirm")).to_have_count(0)

    # A Listed invoice cannot be repaid: the node refuses, the page says why, and the payment stays held.
    invoice_input.fill(str(listed))
    card.get_by_test_id("release-submit").click()
    card.get_by_test_id("release-confirm-submit").click()
    error = card.get_by_test_id("release-error")
    expect(error).to_contain_text(f"Invoice {listed} is Listed", timeout=SLOW_MS)
    expect(error).to_contain_text("Funded or Defaulted")
    expect(error).to_contain_text("Nothing was changed")
    assert transaction_id in _held_ids(dapp)

    # The Funded invoice, with a note: the confirm step names the amount and the co-signing nodes.
    invoice_input.fill(str(funded))
    card.get_by_test_id("release-note").fill("buyer quoted a wrong invoice number; confirmed by phone")
    card.get_by_test_id("release-submit").click()
    confirm = card.get_by_test_id("release-confirm")
    expect(confirm).to_contain_text(f"invoice #{funded}")
    expect(confirm).to_contain_text("every node that should co-sign")
    expect(confirm).to_contain_text("2 of")  # the local deployment's threshold
    screenshot(page, "operator-release", settle=lambda p: expect(confirm).to_be_visible())
    page.set_viewport_size(PHONE)  # release from a phone: the form must work at that width too
    card.get_by_test_id("release-confirm-submit").click()

    result = page.locator(f"[data-testid=release-result][data-transaction-id='{transaction_id}']")
    expect(result).to_have_attribute("data-outcome", "reported", timeout=SLOW_MS)
    expect(result).to_have_attribute("data-invoice-id", str(funded))
    expect(result).to_have_attribute("data-report-id", re.compile(r"^0x[0-9a-f]{64}$"))
    expect(result).to_contain_text(f"released to invoice #{funded}")
    # The page refreshed the node's status: the payment is no longer held, there or on the node.
    expect(card).to_have_count(0, timeout=SLOW_MS)
    assert transaction_id not in _held_ids(dapp)
    screenshot(page, "operator-released", settle=lambda p: expect(result).to_be_visible())
