"""Crash safety: `hundi oracle run` is killed again and again (HUNDI_ORACLE_CRASH_AT exits inside a chosen outbox
stage, plus plain SIGKILLs at random moments) while invoices are minted and bank payments arrive, and restarted each
time. Afterwards the chain shows no duplicate report, no lost report and no nonce gap.

Default: at least 20 crashes. HUNDI_DEEP=1: at least 100. HUNDI_CRASH_SEED=<n> replays one run's schedule.
"""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path

import pytest
from eth_utils import keccak
from sqlmodel import Session, func, select

from hundi.chain.devkeys import dev_account
from oracle.bank.intake import BankIntake
from oracle.bank.signature import sign_header
from oracle.crash import EXIT_CODE, STAGES
from oracle.db.models import OracleInvoice, OracleTx, OutboxReport
from oracle.db.session import make_engine, migrate
from oracle.directory import Directory
from oracle.service import Accounts, OracleService
from oracle.settings import LOCAL_BANK_SECRET
from tests.backend.localchain import INVESTORS, Driver
from tests.oracle.support import (
    COLLECTOR,
    STATUS,
    ForkedOracle,
    OracleProcess,
    Zygote,
    deploy_oracle_system,
    events,
    mint_fixture,
    onboard,
    oracle_settings,
    start_anvil,
    status_of,
    vault_at,
    wait_for,
)

CRASHES = 100 if os.environ.get("HUNDI_DEEP") == "1" else 20
SIGNER = 7


def _nonce_check(driver: Driver, address: str, engine: object) -> tuple[int, int, int]:
    """(latest nonce, pending nonce, transactions mined from `address` since genesis, counted block by block)."""
    w3 = driver.w3
    mined = 0
    for number in range(w3.eth.block_number + 1):
        block = w3.eth.get_block(number, full_transactions=True)
        mined += sum(1 for tx in block["transactions"] if dict(tx).get("from") == address)  # type: ignore[arg-type]
    checksum = w3.to_checksum_address(address)
    return w3.eth.get_transaction_count(checksum), w3.eth.get_transaction_count(checksum, "pending"), mined


@pytest.mark.deep
@pytest.mark.timeout(1800 if os.environ.get("HUNDI_DEEP") == "1" else 900)
def test_kill_9_at_any_stage_loses_nothing_duplicates_nothing_and_leaves_no_nonce_gap(tmp_path: Path) -> None:
    seed = int(os.environ.get("HUNDI_CRASH_SEED", str(int(time.time()))))
    rng = random.Random(seed)
    print(f"crash schedule seed {seed} (HUNDI_CRASH_SEED={seed} replays it); {CRASHES} crashes")  # noqa: T201
    docs = tmp_path / "docs"
    db = f"sqlite:///{tmp_path / 'oracle.db'}"
    migrate(db)
    with start_anvil() as node:
        deployment = deploy_oracle_system(node, tmp_path / "deployment.json")
        driver = Driver(node, deployment)
        onboard(driver)
        vault = vault_at(docs)
        # The bank intake runs in this process (as the webhook route would) against the oracle's database.
        desk = OracleService(
            oracle_settings(db, node, tmp_path / "deployment.json", oracle_keepers=False),
            deployment,
            Accounts(dev_account(SIGNER), None),
            vault=vault,
        )
        intake = BankIntake(desk.engine, Directory(), desk.outbox, [LOCAL_BANK_SECRET.encode()])
        minted: list[int] = []
        listed: set[int] = set()
        paid: dict[int, tuple[str, int]] = {}
        engine = make_engine(db)

        def add_work(cycle: int) -> None:
            # Keep a little of each kind of work pending, so every stage stays reachable.
            if not any(status_of(driver, i) == STATUS["Minted"] for i in minted):
                minted.append(mint_fixture(driver, vault, seed=1000 + cycle).invoice_id)
            for invoice_id in minted:
                status = status_of(driver, invoice_id)
                if status == STATUS["Verified"] and invoice_id not in listed and len(listed) < 4:
                    face = int(driver.c.token.functions.invoiceOf(invoice_id).call()[8])
                    driver.list(invoice_id, price=face // 2)
                    driver.fund(invoice_id, INVESTORS[0], face // 2)
                    listed.add(invoice_id)
                if status == STATUS["Funded"] and invoice_id not in paid:
                    with Session(engine) as session:
                        row = session.get(OracleInvoice, invoice_id)
                    if row is None or row.status != STATUS["Funded"] or row.invoice_number is None:
                        continue  # the oracle has not seen it funded yet; next cycle
                    transaction_id = f"UTR-CRASH-{invoice_id}"
                    amount = 100 + invoice_id
                    body = json.dumps(
                        {
                            "transactionId": transaction_id,
                            "invoiceNumber": row.invoice_number,
                            "amount": str(amount),
                            "status": "success",
                            "paidAt": int(time.time()) - 5,
                        }
                    ).encode()
                    result = intake.receive(body, sign_header(LOCAL_BANK_SECRET.encode(), body, int(time.time())))
                    assert result.outcome.value == "reported", result
                    paid[invoice_id] = (transaction_id, amount * 10**6)

        zygote = Zygote()

        def process(env: dict[str, str]) -> ForkedOracle:
            return zygote.run(
                OracleProcess(
                    node,
                    tmp_path / "deployment.json",
                    db,
                    docs,
                    signer=SIGNER,
                    collector=COLLECTOR,
                    env=env,
                    log_path=tmp_path / "oracle.log",
                )
            )

        crashes = cycle = 0
        injected: dict[str, int] = {}
        while crashes < CRASHES:
            cycle += 1
            add_work(cycle)
            if rng.random() < 0.8:
                stage = rng.choice(STAGES)
                proc = process({"HUNDI_ORACLE_CRASH_AT": f"{stage}:{rng.randint(1, 2)}"})
                try:
                    wait_for(lambda p=proc: p.exited() is not None, timeout=30, interval=0.05, what="crash")
                    assert proc.exited() == EXIT_CODE, f"oracle exited with {proc.exited()}; see oracle.log"
                    injected[stage] = injected.get(stage, 0) + 1
                except AssertionError as exc:
                    if "timed out" not in str(exc):
                        raise
                    proc.kill()  # the stage was not reached within the window: a kill -9 at an arbitrary point
                    injected["sigkill"] = injected.get("sigkill", 0) + 1
            else:
                proc = process({})
                time.sleep(rng.uniform(0.5, 4.0))
                proc.kill()
                injected["sigkill"] = injected.get("sigkill", 0) + 1
            crashes += 1

        # A last, uninterrupted run finishes the work.
        final = process({})
        try:

            def settled() -> bool:
                with Session(engine) as session:
                    open_reports = session.exec(
                        select(func.count()).where(OutboxReport.status.in_(("created", "signed", "submitted")))  # type: ignore[attr-defined]
                    ).one()
                    open_txs = session.exec(
                        select(func.count()).where(OracleTx.status.in_(("queued", "signed", "pending")))  # type: ignore[attr-defined]
                    ).one()
                done = all(status_of(driver, i) != STATUS["Minted"] for i in minted)
                return done and open_reports == 0 and open_txs == 0

            wait_for(settled, timeout=120, what="all work settled after the last restart")
        finally:
            final.kill()
            zygote.close()
        print(f"injected: {injected}; invoices {len(minted)}, payments {len(paid)}")  # noqa: T201

        # No lost report: every invoice decided, every payment on chain. No duplicate: one acceptance each.
        accepted = events(driver, driver.c.hub, "ReportAccepted")
        ids = [bytes(e.args.reportId) for e in accepted]
        assert len(ids) == len(set(ids))
        for invoice_id in minted:
            assert status_of(driver, invoice_id) in (STATUS["Verified"], STATUS["Listed"], STATUS["Funded"])
            kinds = [e.args.kind for e in accepted if e.args.invoiceId == invoice_id]
            assert kinds.count(0) == 1, (invoice_id, kinds)
        received = events(driver, driver.c.distributor, "RepaymentReceived")
        assert len(received) == len(paid)
        for invoice_id, (transaction_id, amount) in paid.items():
            mine = [r for r in received if r.args.invoiceId == invoice_id]
            assert len(mine) == 1 and mine[0].args.amount == amount
            assert bytes(mine[0].args.bankRef) == keccak(text=transaction_id)
        assert len(accepted) == len(minted) + len(paid)

        # No nonce gap: each sender's nonce equals its mined transactions, nothing is left pending, and the
        # oracle's own record agrees with the chain.
        with Session(engine) as session:
            for address in (dev_account(SIGNER).address, dev_account(COLLECTOR).address):
                latest, pending, mined_count = _nonce_check(driver, address, engine)
                recorded = session.exec(
                    select(func.count()).where(OracleTx.sender == address, OracleTx.status.in_(("mined", "reverted")))  # type: ignore[attr-defined]
                ).one()
                assert latest == pending == mined_count == recorded, (address, latest, pending, mined_count, recorded)
        engine.dispose()
        desk.stop()
        assert len(paid) >= 1 and crashes >= CRASHES
