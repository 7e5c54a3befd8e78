"""Oracle benchmark: each figure beside the same work done naively in the same run, with the ratio.

    python tests/bench/bench_oracle.py [--samples 10]

It starts its own anvil (automine: a block per transaction, as a local chain runs), deploys the system with one
signer (threshold 1) and a collector, and runs an in-process oracle node on a fresh SQLite database. Rows:

- **verify latency**: InvoiceMinted -> InvoiceVerified for a text-layer fixture PDF (real OCR), p50/p95. Goal:
  p95 <= 2 s. Naive: a loop that polls every block with web3's per-call helpers (event filter per block, a
  contract call per field, build_transaction with its own nonce/gas/fee calls, wait_for_transaction_receipt).
- **repayment latency**: bank webhook received -> RepaymentReceived on chain, p50/p95. Goal: p95 <= 1 s. Naive:
  the same report built, signed and settled per call (allowance, nonce, gas estimate and fee reads each time,
  wait_for_transaction_receipt).
- **reports signed/s**: the outbox signing stored reports in one pass; naive: one session, one commit and fresh
  chain reads (chain id, hub address, signer set) per report.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402
from sqlmodel import Session  # noqa: E402

from hundi.chain.devkeys import dev_account  # noqa: E402
from hundi.chain.reports import Repayment, Verification, report_domain, sign_report  # noqa: E402
from hundi.gst.registry import SandboxGstRegistry  # noqa: E402
from hundi.risk import SeedRiskModel  # noqa: E402
from hundi.verification import DeclaredInvoice, verify_invoice  # noqa: E402
from oracle.app import create_app  # noqa: E402
from oracle.bank.signature import sign_header  # noqa: E402
from oracle.db.models import OutboxReport  # noqa: E402
from oracle.db.session import migrate  # noqa: E402
from oracle.outbox import payload_of  # noqa: E402
from oracle.service import Accounts, OracleService  # noqa: E402
from oracle.settings import LOCAL_BANK_SECRET  # noqa: E402
from tests.backend.localchain import INVESTORS, Driver  # noqa: E402
from tests.oracle.support import (  # noqa: E402
    COLLECTOR,
    STATUS,
    deploy_oracle_system,
    mint_fixture,
    onboard,
    oracle_settings,
    start_anvil,
    status_of,
    vault_at,
    wait_for,
)

log = logging.getLogger("bench_oracle")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def naive_verify(driver: Driver, vault: Any, invoice_id: int, start_block: int) -> None:
    """What a first relay looks like: poll each block, read fields one call at a time, send with web3 helpers."""
    w3, token, hub = driver.w3, driver.c.token, driver.c.hub
    signer = dev_account(7)
    block = start_block
    while True:  # one eth_getLogs per block until the mint shows up
        head = w3.eth.block_number
        found = None
        while block <= head and found is None:
            for entry in token.events.InvoiceMinted().get_logs(from_block=block, to_block=block):
                if entry.args.invoiceId == invoice_id:
                    found = entry
            block += 1
        if found is not None:
            break
        time.sleep(0.1)
    inv = token.functions.invoiceOf(invoice_id).call()
    document = vault.load(found.args.docCid)
    declared = DeclaredInvoice(
        invoice_key=bytes(inv[0]),
        buyer_id=bytes(inv[1]),
        face_value=int(inv[8]),
        issue_date=int(inv[4]),
        due_date=int(inv[9]),
        doc_digest=bytes(inv[2]),
    )
    result = verify_invoice(document, declared, SandboxGstRegistry(), risk_model=SeedRiskModel())
    domain = report_domain(w3.eth.chain_id, hub.address)
    now = w3.eth.get_block("latest")["timestamp"]
    report = Verification(
        invoice_id,
        bytes(inv[2]),
        result.approved,
        result.risk.score if result.risk else 0,
        result.checks,
        now + 86400,
        1,
    )
    signature = sign_report(report, domain, signer.key)
    tx = hub.functions.submitVerification(report.as_tuple(), [signature]).build_transaction(
        {"from": signer.address, "nonce": w3.eth.get_transaction_count(signer.address)}
    )
    tx_hash = w3.eth.send_raw_transaction(signer.sign_transaction(tx).raw_transaction)
    w3.eth.wait_for_transaction_receipt(tx_hash)


def naive_settle(driver: Driver, invoice_id: int, amount: int, reference: str) -> None:
    w3, hub, dist, coin = driver.w3, driver.c.hub, driver.c.distributor, driver.c.stablecoin
    collector, signer = dev_account(COLLECTOR), dev_account(7)
    if coin.functions.allowance(collector.address, dist.address).call() < amount:
        tx = coin.functions.approve(dist.address, 2**256 - 1).build_transaction(
            {"from": collector.address, "nonce": w3.eth.get_transaction_count(collector.address)}
        )
        w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(collector.sign_transaction(tx).raw_transaction))
    domain = report_domain(w3.eth.chain_id, hub.address)
    now = int(time.time())
    from eth_utils import keccak

    report = Repayment(invoice_id, amount, keccak(text=reference), now, now + 86400, 1)
    signature = sign_report(report, domain, signer.key)
    tx = dist.functions.settleRepayment(report.as_tuple(), [signature]).build_transaction(
        {"from": collector.address, "nonce": w3.eth.get_transaction_count(collector.address)}
    )
    w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(collector.sign_transaction(tx).raw_transaction))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=10, help="invoices and payments per row")
    parser.add_argument("--reports", type=int, default=300, help="reports for the signing rate")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    folder = Path(tempfile.mkdtemp(prefix="bench-oracle-"))
    db = f"sqlite:///{folder / 'oracle.db'}"
    migrate(db)
    rows: list[tuple[str, str, str, str, str]] = []
    with start_anvil() as node:
        deployment = deploy_oracle_system(node, folder / "deployment.json")
        driver = Driver(node, deployment)
        onboard(driver)
        vault = vault_at(folder / "docs")
        settings = oracle_settings(db, node, folder / "deployment.json", oracle_poll_interval=0.02)
        service = OracleService(settings, deployment, Accounts(dev_account(7), dev_account(COLLECTOR)), vault=vault)
        service.start()
        try:
            # Warm-up (not measured): the first document starts the OCR sandbox, which both loops then share.
            warm = mint_fixture(driver, vault, seed=499)
            wait_for(lambda: status_of(driver, warm.invoice_id) == STATUS["Verified"], interval=0.01)
            ours: list[float] = []
            for i in range(args.samples):
                start = time.perf_counter()
                minted = mint_fixture(driver, vault, seed=500 + i)
                wait_for(lambda m=minted: status_of(driver, m.invoice_id) == STATUS["Verified"], interval=0.01)
                ours.append(time.perf_counter() - start)
            service.stop()
            naive: list[float] = []
            for i in range(args.samples):
                start_block = driver.w3.eth.block_number + 1
                start = time.perf_counter()
                minted = mint_fixture(driver, vault, seed=700 + i)
                naive_verify(driver, vault, minted.invoice_id, start_block)
                naive.append(time.perf_counter() - start)
            rows.append(
                (
                    "verify p50 (s)",
                    f"{pct(ours, 0.5):.3f}",
                    f"{pct(naive, 0.5):.3f}",
                    f"{pct(naive, 0.5) / pct(ours, 0.5):.2f}x",
                    "-",
                )
            )
            rows.append(
                (
                    "verify p95 (s)",
                    f"{pct(ours, 0.95):.3f}",
                    f"{pct(naive, 0.95):.3f}",
                    f"{pct(naive, 0.95) / pct(ours, 0.95):.2f}x",
                    "p95 <= 2 s",
                )
            )

            # repayments: fund the invoices the oracle verified, then webhook -> RepaymentReceived
            service = OracleService(settings, deployment, Accounts(dev_account(7), dev_account(COLLECTOR)), vault=vault)
            service.start()
            client = TestClient(create_app(service))
            funded = list(range(2, args.samples + 2))
            for invoice_id in funded:
                face = int(driver.c.token.functions.invoiceOf(invoice_id).call()[8])
                driver.list(invoice_id, price=face // 2)
                driver.fund(invoice_id, INVESTORS[0], face // 2)
            wait_for(lambda: service.watcher.last_block >= driver.w3.eth.block_number, interval=0.01)
            numbers = {i: client.get(f"/oracle/v1/invoices/{i}").json()["invoiceNumber"] for i in funded}
            ours_pay: list[float] = []
            for n, invoice_id in enumerate(funded):
                body = json.dumps(
                    {
                        "transactionId": f"BENCH-{n}",
                        "invoiceNumber": numbers[invoice_id],
                        "amount": "10.00",
                        "status": "success",
                        "paidAt": int(time.time()) - 1,
                    }
                ).encode()
                header = sign_header(LOCAL_BANK_SECRET.encode(), body, int(time.time()))
                before = int(driver.c.distributor.functions.bookOf(invoice_id).call()[2])
                start = time.perf_counter()
                reply = client.post(
                    "/api/v1/webhooks/payment",
                    content=body,
                    headers={"Content-Type": "application/json", "X-Bank-Signature": header},
                )
                assert reply.status_code == 200, reply.text
                wait_for(
                    lambda i=invoice_id, b=before: int(driver.c.distributor.functions.bookOf(i).call()[2]) > b,
                    interval=0.005,
                )
                ours_pay.append(time.perf_counter() - start)
            service.stop()
            naive_pay: list[float] = []
            for n, invoice_id in enumerate(funded):
                start = time.perf_counter()
                naive_settle(driver, invoice_id, 10 * 10**6, f"NAIVE-{n}")
                naive_pay.append(time.perf_counter() - start)
            rows.append(
                (
                    "repayment p50 (s)",
                    f"{pct(ours_pay, 0.5):.3f}",
                    f"{pct(naive_pay, 0.5):.3f}",
                    f"{pct(naive_pay, 0.5) / pct(ours_pay, 0.5):.2f}x",
                    "-",
                )
            )
            rows.append(
                (
                    "repayment p95 (s)",
                    f"{pct(ours_pay, 0.95):.3f}",
                    f"{pct(naive_pay, 0.95):.3f}",
                    f"{pct(naive_pay, 0.95) / pct(ours_pay, 0.95):.2f}x",
                    "p95 <= 1 s",
                )
            )

            # signing rate
            service = OracleService(settings, deployment, Accounts(dev_account(7), None), vault=vault)
            reports = [Repayment(1, 10**6 + k, k.to_bytes(32, "big"), 1, 2**40, 1) for k in range(1, args.reports + 1)]
            with Session(service.engine) as session:
                for r in reports:
                    service.outbox._store(session, "repayment", r)
                session.commit()
            start = time.perf_counter()
            service.outbox._sign_created()
            ours_rate = len(reports) / (time.perf_counter() - start)
            start = time.perf_counter()
            for r in reports[: max(20, args.reports // 5)]:
                domain = report_domain(driver.w3.eth.chain_id, deployment.address("OracleHub"))
                driver.c.hub.functions.signerSet().call()
                signature = sign_report(r, domain, dev_account(7).key)
                with Session(service.engine) as session:
                    session.add(
                        OutboxReport(
                            report_id="0x" + signature.hex()[:64],
                            kind="repayment",
                            invoice_id=1,
                            payload=json.dumps(payload_of(r)),
                            status="signed",
                        )
                    )
                    session.commit()
            naive_rate = max(20, args.reports // 5) / (time.perf_counter() - start)
            rows.append(
                ("reports signed/s", f"{ours_rate:.0f}", f"{naive_rate:.0f}", f"{ours_rate / naive_rate:.2f}x", "-")
            )
            service.stop()
        finally:
            service.stop()
    width = (20, 10, 10, 8, 12, 5)
    header = ("row", "ours", "naive", "ratio", "goal", "met")
    sys.stdout.write("  ".join(h.ljust(w) for h, w in zip(header, width, strict=True)) + "\n")
    for row in rows:
        sys.stdout.write("  ".join(c.ljust(w) for c, w in zip((*row, _met(row)), width, strict=True)) + "\n")
    sys.stdout.write(
        "ratio: naive / ours for latencies, ours / naive for rates (above 1: ours is faster). The naive loop keeps no\n"
        "durable outbox, does not check that a report is unused and signs once per call, so it is a speed floor,\n"
        "not an alternative.\n"
    )


def _met(row: tuple[str, ...]) -> str:
    """'yes' / 'NO' against a 'p95 <= N s' goal; '-' for rows without one."""
    goal = row[4]
    if not goal.startswith("p95 <="):
        return "-"
    return "yes" if float(row[1]) <= float(goal.split("<=")[1].split()[0]) else "NO"


if __name__ == "__main__":
    main()
