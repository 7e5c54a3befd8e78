"""What a person does in the dApp, step by step, through its documented data-testid hooks (frontend/README.md),
and how the tests read amounts back from the page."""

from __future__ import annotations

import re
from decimal import Decimal

from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import Person

UNIT = 10**6
#: Milliseconds to wait for the chain, the indexer and the oracle (the oracle's verification takes longest).
SLOW_MS = 90_000


def connect(person: Person) -> None:
    """Connect the wallet from the header (one wallet is announced, so the app connects to it directly)."""
    page = person.page
    page.get_by_test_id("connect-wallet").click()
    expect(page.get_by_test_id("wallet-address")).to_have_attribute("data-address", person.wallet.address.lower())


def sign_in(person: Person) -> None:
    """SIWE sign-in from the header; waits for the session (the sign-out button appears)."""
    page = person.page
    page.get_by_test_id("sign-in").click()
    expect(page.get_by_test_id("sign-out")).to_be_visible()


def connect_and_sign_in(person: Person) -> None:
    connect(person)
    sign_in(person)
    assert "personal_sign" in person.wallet.methods()


def rupees_to_units(text: str) -> int:
    """'₹2,36,000.00' (or the exact '₹2,36,000.000000' of a Money title) -> base units."""
    match = re.search(r"-?[\d,]+(?:\.\d+)?", text.replace("\u20b9", ""))
    if match is None:
        raise AssertionError(f"no rupee amount in {text!r}")
    return int(Decimal(match.group(0).replace(",", "")).scaleb(6))


def money(locator: Locator) -> int:
    """The exact amount a Money element shows (its title carries every decimal)."""
    title = locator.get_attribute("title")
    return rupees_to_units(title if title else locator.inner_text())


def units_to_input(units: int) -> str:
    """Base units -> what a person types in an amount field ('120000' or '120000.5')."""
    whole, fraction = divmod(units, UNIT)
    return f"{whole}.{fraction:06d}".rstrip("0").rstrip(".")


def tx_confirmed(page: Page, scope: Locator | None = None) -> None:
    """Wait until the transaction panel says confirmed."""
    status = (scope or page).get_by_test_id("tx-status")
    expect(status).to_have_attribute("data-phase", "confirmed", timeout=SLOW_MS)
