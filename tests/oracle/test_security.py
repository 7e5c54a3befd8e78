"""Every privileged endpoint refuses a stranger; a peer signature is accepted only from a current on-chain signer
over a report this node computed itself; malformed input gets a clear 4xx and changes nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hundi.chain.devkeys import dev_account
from hundi.chain.reports import report_digest, sign_report
from hundi.documents import DocumentVault
from oracle.app import create_app
from oracle.bank.signature import sign_header
from oracle.outbox import report_from
from oracle.settings import LOCAL_BANK_SECRET
from tests.backend.localchain import Anvil, Driver
from tests.oracle.support import (
    ADMIN_TOKEN,
    STATUS,
    deploy_oracle_system,
    mint_fixture,
    onboard,
    reports,
    status_of,
    wait_for,
)

PRIVILEGED = [("GET", "/oracle/v1/status"), ("POST", "/api/v1/payouts/distribute/1")]


@pytest.fixture
def two_of_three(node: Anvil, tmp_path: Path) -> Driver:
    deployment = deploy_oracle_system(node, tmp_path / "k.json", signers=(7, 8, 9), threshold=2)
    driver = Driver(node, deployment)
    onboard(driver)
    return driver


@pytest.mark.parametrize(("method", "path"), PRIVILEGED)
def test_stranger_is_refused_on_privileged_endpoints(
    sqlite_db: str, two_of_three: Driver, make_oracle: Callable[..., Any], method: str, path: str
) -> None:
    client = TestClient(create_app(make_oracle(sqlite_db, two_of_three.deployment, start=False)))
    assert client.request(method, path).status_code == 401
    assert client.request(method, path, headers={"Authorization": "Bearer wrong-token-0123456789"}).status_code == 403
    assert client.request(method, path, headers={"Authorization": ADMIN_TOKEN}).status_code == 401  # not a bearer
    ok = client.request(method, path, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert ok.status_code in (200, 202, 404), ok.text  # 404: invoice 1 does not exist here; auth passed


def test_operator_endpoints_refuse_everyone_without_a_configured_token(
    sqlite_db: str, two_of_three: Driver, make_oracle: Callable[..., Any]
) -> None:
    service = make_oracle(sqlite_db, two_of_three.deployment, start=False, oracle_admin_token="short")
    client = TestClient(create_app(service))
    for method, path in PRIVILEGED:
        reply = client.request(method, path, headers={"Authorization": "Bearer short"})
        assert reply.status_code == 403
        assert reply.json()["error"]["code"] == "forbidden"


def test_bank_webhook_with_a_bad_signature_is_refused_and_records_nothing(
    sqlite_db: str, two_of_three: Driver, make_oracle: Callable[..., Any]
) -> None:
    service = make_oracle(sqlite_db, two_of_three.deployment, start=False)
    client = TestClient(create_app(service))
    body = b'{"transactionId":"X","invoiceNumber":"INV-1","amount":"10.00","status":"success","paidAt":1700000000}'
    for header in (None, "t=1,v1=" + "00" * 32, "garbage"):
        headers = {"Content-Type": "application/json"} | ({"X-Bank-Signature": header} if header else {})
        reply = client.post("/api/v1/webhooks/payment", content=body, headers=headers)
        assert reply.status_code in (400, 401), reply.text
    assert reports(service.engine) == []


def test_peer_signatures_from_non_signers_or_for_unknown_reports_are_refused(
    sqlite_db: str, two_of_three: Driver, vault: DocumentVault, make_oracle: Callable[..., Any]
) -> None:
    driver = two_of_three
    minted = mint_fixture(driver, vault, seed=31)
    service = make_oracle(sqlite_db, driver.deployment)  # signer 7; threshold 2: it waits for a peer
    row = wait_for(lambda: next((r for r in reports(service.engine) if r.status == "signed"), None), what="signed")
    report = report_from(row.kind, json.loads(row.payload))
    domain = service.chain.domain
    client = TestClient(create_app(service))

    def post(body: Any) -> Any:
        return client.post("/oracle/v1/signatures", json=body)

    stranger = sign_report(report, domain, dev_account(5).key)
    reply = post({"reportId": row.report_id, "signature": "0x" + stranger.hex()})
    assert reply.status_code == 403 and reply.json()["error"]["code"] == "not_a_signer"

    other = type(report)(**{**report.__dict__, "riskScore": (report.riskScore + 1) % 100})
    forged = sign_report(other, domain, dev_account(8).key)
    other_id = "0x" + report_digest(other, domain).hex()
    reply = post({"reportId": other_id, "signature": "0x" + forged.hex()})
    assert reply.status_code == 404 and reply.json()["error"]["code"] == "unknown_report"
    reply = post({"reportId": other_id, "signature": "0x" + forged.hex(), "invoiceId": minted.invoice_id})
    assert reply.status_code == 409 and reply.json()["error"]["code"] == "report_mismatch"
    # A signer's signature over *another* report, presented under this node's reportId, recovers to a stranger.
    reply = post({"reportId": row.report_id, "signature": "0x" + forged.hex()})
    assert reply.status_code == 403

    for bad in (
        {"reportId": row.report_id},
        {"reportId": "0x1234", "signature": "0x" + stranger.hex()},
        {"reportId": row.report_id, "signature": "0xzz"},
        {"reportId": row.report_id, "signature": "0x" + stranger.hex(), "extra": 1},
        [],
    ):
        reply = post(bad)
        assert reply.status_code == 422, (bad, reply.text)
        assert "error" in reply.json()
    assert status_of(driver, minted.invoice_id) == STATUS["Minted"]  # nothing above counted towards k

    genuine = sign_report(report, domain, dev_account(8).key)
    reply = post({"reportId": row.report_id, "signature": "0x" + genuine.hex()})
    assert reply.status_code == 200 and reply.json()["signatures"] == 2
    wait_for(lambda: status_of(driver, minted.invoice_id) == STATUS["Verified"], what="Verified with 2 of 3")


def test_only_the_configured_dapp_origin_may_read_the_status_from_a_browser(
    sqlite_db: str, two_of_three: Driver, make_oracle: Callable[..., Any]
) -> None:
    dapp = "http://127.0.0.1:18000"
    service = make_oracle(sqlite_db, two_of_three.deployment, start=False, oracle_cors_origins=dapp)
    client = TestClient(create_app(service))
    preflight = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"}

    allowed = client.options("/oracle/v1/status", headers={"Origin": dapp, **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == dapp
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()

    other = client.options("/oracle/v1/status", headers={"Origin": "http://attacker.invalid", **preflight})
    assert "access-control-allow-origin" not in other.headers
    read = client.get("/healthz", headers={"Origin": "http://attacker.invalid"})
    assert "access-control-allow-origin" not in read.headers
    # The operator page releases held payments with a JSON POST: allowed from the dApp, refused from anyone else.
    post = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}
    release = "/oracle/v1/payments/UTR1/release"
    allowed_post = client.options(release, headers={"Origin": dapp, **post})
    assert allowed_post.status_code == 200
    assert allowed_post.headers["access-control-allow-origin"] == dapp
    assert "POST" in allowed_post.headers["access-control-allow-methods"]
    assert "content-type" in allowed_post.headers["access-control-allow-headers"].lower()
    other_post = client.options(release, headers={"Origin": "http://attacker.invalid", **post})
    assert other_post.status_code == 400
    assert "access-control-allow-origin" not in other_post.headers


def test_a_held_payment_whose_transaction_id_holds_a_slash_can_be_addressed_for_release(
    sqlite_db: str, two_of_three: Driver, make_oracle: Callable[..., Any]
) -> None:
    service = make_oracle(sqlite_db, two_of_three.deployment, start=False)
    client = TestClient(create_app(service))
    body = json.dumps(
        {
            "transactionId": "UTR/2026/11/0001",
            "invoiceNumber": "NO-SUCH-INVOICE",
            "amount": "10.00",
            "status": "success",
            "paidAt": int(time.time()) - 60,
        }
    ).encode()
    signed = {
        "Content-Type": "application/json",
        "X-Bank-Signature": sign_header(LOCAL_BANK_SECRET.encode(), body, int(time.time())),
    }
    assert client.post("/api/v1/webhooks/payment", content=body, headers=signed).json()["outcome"] == "held"

    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    reply = client.post("/oracle/v1/payments/UTR%2F2026%2F11%2F0001/release", json={"invoiceId": 99}, headers=auth)
    # The handler saw the whole id: the payment was found, and refused only because invoice 99 is unknown.
    assert (reply.status_code, reply.json()["error"]["code"]) == (409, "release_refused"), reply.text
    assert "invoice 99 is not known" in reply.json()["error"]["message"]
