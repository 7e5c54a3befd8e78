"""A wallet on another network: the dApp says so in a banner, keeps transactions disabled, and switches the wallet
with wallet_switchEthereumChain; a switch away from the wallet's side brings the banner back."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PersonFactory, screenshot
from tests.e2e.stack import INVESTOR_A, Stack
from tests.e2e.ui import connect, sign_in
from tests.e2e.wallet import WRONG_CHAIN_ID

pytestmark = pytest.mark.e2e


def test_a_wallet_on_the_wrong_network_is_told_and_switched(dapp: Stack, people: PersonFactory) -> None:
    listings = httpx.get(f"{dapp.api_url}/api/v1/invoices/marketplace", timeout=10).json()["items"]
    invoice_id = int(listings[0]["id"])
    person = people("investor", INVESTOR_A, chain_id=WRONG_CHAIN_ID)
    page = person.goto(f"/invoices/{invoice_id}")
    connect(person)

    banner = page.get_by_test_id("wrong-network")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(f"({WRONG_CHAIN_ID})")
    expect(banner).to_contain_text(f"({dapp.chain_id})")
    fund = page.get_by_test_id("listing-panel").get_by_test_id("fund-button")
    expect(fund).to_be_disabled()
    screenshot(page, "wrong-network", full_page=False)
    page.get_by_test_id("nav-portfolio").click()
    expect(page.get_by_test_id("gate")).to_have_attribute("data-gate", "network")

    page.get_by_test_id("switch-network").click()
    expect(banner).to_have_count(0)
    assert person.wallet.chain_id == dapp.chain_id
    assert "wallet_switchEthereumChain" in person.wallet.methods()
    expect(page.get_by_test_id("gate")).to_have_attribute("data-gate", "session")
    sign_in(person)
    expect(page.get_by_test_id("page-portfolio")).to_be_visible()

    person.wallet.switch_chain(WRONG_CHAIN_ID)  # the person changes network in the wallet itself
    expect(banner).to_be_visible()
    page.get_by_test_id("nav-marketplace").click()
    page.goto(f"{dapp.api_url}/invoices/{invoice_id}")
    expect(page.get_by_test_id("wrong-network")).to_be_visible()
    expect(page.get_by_test_id("listing-panel").get_by_test_id("fund-button")).to_be_disabled()
