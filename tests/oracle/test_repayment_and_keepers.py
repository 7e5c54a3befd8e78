"""Bank webhook -> RepaymentReceived on chain through the real oracle app (oracle/bank's router mounted in it), the
auto-payout keeper paying only opted-in investors (after each repayment and on demand), and the default keeper
marking an invoice Defaulted once dueDate + grace has passed."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from eth_utils import keccak
from fastapi.testclient import TestClient

from hundi.chain.deployment import Deployment
from hundi.chain.devkeys import dev_account
from hundi.documents import DocumentVault
from oracle.app import create_app
from oracle.bank.signature import sign_header
from oracle.settings import LOCAL_BANK_SECRET
from tests.backend.localchain import BUYER, DAY, INVESTORS, SELLER, UNIT, Anvil, Driver
from tests.oracle.support import ADMIN_TOKEN, COLLECTOR, GRACE, STATUS, events, mint_fixture, status_of, wait_for

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def webhook(
    client: TestClient, transaction_id: str, invoice_number: str, amount: str, paid_at: int | None = None
) -> Any:
    """Deliver a signed payment notice. A redelivery must repeat `paid_at`: another time is another payment."""
    body = json.dumps(
        {
            "transactionId": transaction_id,
            "invoiceNumber": invoice_number,
            "amount": amount,
            "status": "success",
            "paidAt": int(time.time()) - 60 if paid_at is None else paid_at,
        }
    ).encode()
    header = sign_header(LOCAL_BANK_SECRET.encode(), body, int(time.time()))
    return client.post(
        "/api/v1/webhooks/payment",
        content=body,
        headers={"Content-Type": "application/json", "X-Bank-Signature": header},
    )


def funded_invoice(driver: Driver, vault: DocumentVault, seed: int) -> tuple[int, str, int]:
    """A fixture invoice the oracle verified, then listed and fully funded by investors 2 and 3."""
    minted = mint_fixture(driver, vault, seed=seed)
    wait_for(lambda: status_of(driver, minted.invoice_id) == STATUS["Verified"], what="Verified")
    price = minted.face_value * 9 // 10
    driver.list(minted.invoice_id, price=price)
    driver.fund(minted.invoice_id, INVESTORS[0], price // 2)
    driver.fund(minted.invoice_id, INVESTORS[1], price - price // 2)
    assert status_of(driver, minted.invoice_id) == STATUS["Funded"]
    return minted.invoice_id, minted.spec.truth.invoice_number, minted.face_value


def test_bank_webhook_settles_on_chain_and_auto_payout_pays_only_opted_in_investors(
    oracle_db: str, deployment: Deployment, driver: Driver, vault: DocumentVault, make_oracle: Callable[..., Any]
) -> None:
    i2, i3, i4 = INVESTORS
    driver.send(i2, driver.c.distributor.functions.setAutoPayout(True))
    driver.send(i4, driver.c.distributor.functions.setAutoPayout(True))  # opted in, holds nothing
    service = make_oracle(oracle_db, deployment)
    invoice_id, number, face = funded_invoice(driver, vault, seed=21)
    client = TestClient(create_app(service))
    # The bank is only matched against what the oracle has seen: wait until its directory shows the invoice Funded.
    known = wait_for(
        lambda: (r := client.get(f"/oracle/v1/invoices/{invoice_id}").json())["status"] == STATUS["Funded"] and r,
        what="directory shows Funded",
    )
    assert known["invoiceNumber"] == number and int(known["outstanding"]) == face

    paid_at = int(time.time()) - 60
    reply = webhook(client, "UTR-0001", number, "1500.25", paid_at)
    assert reply.status_code == 200, reply.text
    assert reply.json()["outcome"] == "reported"

    received = wait_for(
        lambda: events(driver, driver.c.distributor, "RepaymentReceived", invoiceId=invoice_id), what="repayment"
    )
    assert len(received) == 1
    assert received[0].args.amount == 1_500_250_000  # 1500.25 rupees in 6-decimal base units
    assert bytes(received[0].args.bankRef) == keccak(text="UTR-0001")
    assert received[0].args.payer == dev_account(COLLECTOR).address
    # A redelivery changes nothing.
    assert webhook(client, "UTR-0001", number, "1500.25", paid_at).json()["duplicate"] is True

    claimed = wait_for(lambda: events(driver, driver.c.distributor, "Claimed", invoiceId=invoice_id), what="claimFor")
    assert [c.args.investor for c in claimed] == [driver.address(i2)]
    assert driver.c.distributor.functions.claimable(invoice_id, driver.address(i3)).call() > 0

    # Investor 3 opts in afterwards; the operator pays them on demand.
    driver.send(i3, driver.c.distributor.functions.setAutoPayout(True))
    wait_for(lambda: service.watcher.last_block >= driver.w3.eth.block_number, what="watcher catches up")
    reply = client.post(f"/api/v1/payouts/distribute/{invoice_id}", headers=AUTH)
    assert reply.status_code == 202, reply.text
    assert reply.json()["investors"] == [driver.address(i3)]
    wait_for(lambda: len(events(driver, driver.c.distributor, "Claimed", invoiceId=invoice_id)) == 2, what="on demand")
    assert driver.c.distributor.functions.claimable(invoice_id, driver.address(i3)).call() == 0
    status = client.get("/oracle/v1/status", headers=AUTH).json()
    assert status["pending"] == [] and status["failed"] == []
    assert status["counts"]["payments"]["reported"] == 1
    assert face > 1_500_250_000


def test_keeper_marks_default_after_due_date_plus_grace(
    sqlite_db: str,
    node: Anvil,
    deployment: Deployment,
    driver: Driver,
    vault: DocumentVault,
    make_oracle: Callable[..., Any],
) -> None:
    make_oracle(sqlite_db, deployment)
    invoice_id, _number, _face = funded_invoice(driver, vault, seed=22)
    due = int(driver.c.token.functions.invoiceOf(invoice_id).call()[9])
    after = int(driver.c.distributor.functions.defaultableAfter(invoice_id).call())
    assert after == due + GRACE  # the grace comes from the contracts, not from the oracle's settings

    node.travel(due - driver.now + 1)  # past the due date, inside the grace period: nothing happens
    time.sleep(1.0)
    assert status_of(driver, invoice_id) == STATUS["Funded"]

    node.travel(GRACE + DAY)
    wait_for(lambda: status_of(driver, invoice_id) == STATUS["Defaulted"], what="Defaulted")
    defaulted = events(driver, driver.c.distributor, "InvoiceDefaulted", invoiceId=invoice_id)
    assert len(defaulted) == 1
    assert driver.address(SELLER) != driver.address(BUYER)
    assert UNIT == 10**6


def test_a_held_payment_released_by_the_operator_settles_on_chain(
    sqlite_db: str, deployment: Deployment, driver: Driver, vault: DocumentVault, make_oracle: Callable[..., Any]
) -> None:
    service = make_oracle(sqlite_db, deployment)
    invoice_id, number, _face = funded_invoice(driver, vault, seed=23)
    client = TestClient(create_app(service))
    wait_for(lambda: client.get(f"/oracle/v1/invoices/{invoice_id}").json()["status"] == STATUS["Funded"], what="seen")

    # The bank's reference carries a typo: nothing is guessed, the payment waits for review.
    reply = webhook(client, "UTR-HELD-1", number + "X", "2500")
    assert (reply.status_code, reply.json()["holdReason"]) == (202, "unknown_invoice")
    held = client.get("/oracle/v1/status", headers=AUTH).json()["held"]["payments"]
    assert [p["transaction_id"] for p in held] == ["UTR-HELD-1"]

    path = "/oracle/v1/payments/UTR-HELD-1/release"
    assert client.post(path, json={"invoiceId": invoice_id}).status_code == 401
    assert (
        client.post(path, json={"invoiceId": invoice_id}, headers={"Authorization": "Bearer nope"}).status_code == 403
    )
    assert client.post(path, json={"invoiceId": 0}, headers=AUTH).status_code == 422
    assert client.post(path, json={"invoiceId": invoice_id, "extra": 1}, headers=AUTH).status_code == 422
    missing = client.post("/oracle/v1/payments/UTR-NONE/release", json={"invoiceId": invoice_id}, headers=AUTH)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "payment_not_found")
    assert events(driver, driver.c.distributor, "RepaymentReceived", invoiceId=invoice_id) == []

    released = client.post(path, json={"invoiceId": invoice_id, "note": "typo in the UTR memo"}, headers=AUTH)
    assert released.status_code == 200, released.text
    assert (released.json()["outcome"], released.json()["invoiceId"]) == ("reported", invoice_id)
    received = wait_for(
        lambda: events(driver, driver.c.distributor, "RepaymentReceived", invoiceId=invoice_id), what="repayment"
    )
    assert [(r.args.amount, bytes(r.args.bankRef)) for r in received] == [(2_500_000_000, keccak(text="UTR-HELD-1"))]
    again = client.post(path, json={"invoiceId": invoice_id}, headers=AUTH)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "release_refused")
    assert client.get("/oracle/v1/status", headers=AUTH).json()["held"]["payments"] == []
