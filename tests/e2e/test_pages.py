"""Every page of the dApp with the demo world's real data, for visitors and for signed-in people, at desktop and
phone width: each renders its content (not an empty, loading or error state), logs no console error, and is
saved as a screenshot under var/e2e/screenshots/."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from hundi.devstack.seed import ASHA, GANESH
from tests.e2e.conftest import PersonFactory, screenshot
from tests.e2e.stack import STRANGER, Stack
from tests.e2e.ui import SLOW_MS, connect_and_sign_in, money

pytestmark = pytest.mark.e2e


def _first_listing(stack: Stack) -> int:
    body = httpx.get(f"{stack.api_url}/api/v1/invoices/marketplace", timeout=10).json()
    assert body["items"], f"the demo seed left no open listing: {body}"
    return int(body["items"][0]["id"])


def _visible(page: Page, test_id: str) -> None:
    expect(page.get_by_test_id(test_id).first).to_be_visible(timeout=SLOW_MS)


def test_visitor_pages_show_the_demo_data(dapp: Stack, people: PersonFactory) -> None:
    visitor = people("visitor", STRANGER)
    page = visitor.goto("/")
    cards = page.get_by_test_id("listing-card")
    expect(cards.first).to_be_visible(timeout=SLOW_MS)
    assert cards.count() >= 2  # the seed's open and fresh listings
    expect(page.get_by_test_id("stat-open-listings")).not_to_have_text("0")
    screenshot(page, "marketplace", settle=lambda p: _visible(p, "listing-card"))

    invoice_id = _first_listing(dapp)
    page.get_by_test_id("listing-card").filter(has=page.locator(f"a[href='/invoices/{invoice_id}']")).get_by_test_id(
        "listing-link"
    ).click()
    expect(page.get_by_test_id("page-invoice")).to_have_attribute("data-invoice-id", str(invoice_id))
    expect(page.get_by_test_id("timeline-entry").nth(2)).to_be_visible()
    expect(page.get_by_test_id("check-digestMatch")).to_have_attribute("data-state", "pass")
    expect(page.get_by_test_id("listing-panel")).to_have_attribute("data-listing-state", "Open")
    expect(page.get_by_test_id("document-download")).to_have_count(0)  # the document is the seller's only
    screenshot(page, "invoice", settle=lambda p: _visible(p, "invoice-timeline"))

    page.get_by_test_id("nav-operator").click()
    _visible(page, "api-ready")
    page.get_by_test_id("operator-token").fill(dapp.dev.admin_token)
    page.get_by_test_id("operator-token-save").click()
    # The picture first (whatever the oracle answered), then what it must show: the node healthy, its reports.
    expect(page.locator("[data-testid=oracle-status], [data-testid=oracle-status-error]").first).to_be_visible()
    screenshot(page, "operator")
    expect(page.get_by_test_id("oracle-health")).to_have_attribute("data-status", "ok")
    _visible(page, "oracle-status")

    page.goto(f"{dapp.api_url}/no/such/page")
    _visible(page, "page-not-found")


def test_signed_in_pages_show_the_demo_people_their_own_data(dapp: Stack, people: PersonFactory) -> None:
    investor = people("asha", ASHA)
    page = investor.goto("/portfolio")
    expect(page.get_by_test_id("gate")).to_have_attribute("data-gate", "wallet")
    connect_and_sign_in(investor)
    rows = page.get_by_test_id("position-row")
    expect(rows.first).to_be_visible(timeout=SLOW_MS)
    assert rows.count() >= 2
    assert money(page.get_by_test_id("total-claimable")) > 0  # the seed's repaid invoice has claims waiting
    expect(page.get_by_test_id("history-entry").first).to_be_visible()
    screenshot(page, "portfolio", settle=lambda p: _visible(p, "position-row"))

    sme = people("ganesh", GANESH)
    page = sme.goto("/sell")
    sme.page.get_by_test_id("gate-connect").click()
    sme.page.get_by_test_id("gate-sign-in").click()
    _visible(page, "upload-form")
    invoices = page.get_by_test_id("my-invoice-row")
    expect(invoices.first).to_be_visible(timeout=SLOW_MS)
    statuses = {invoices.nth(i).get_attribute("data-status") for i in range(invoices.count())}
    assert len(statuses) >= 3, statuses  # the seed gave this SME invoices in several states
    screenshot(page, "sell", settle=lambda p: _visible(p, "my-invoice-row"))
