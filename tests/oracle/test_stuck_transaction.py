"""A transaction priced below the market stays unmined; after HUNDI_ORACLE_REPLACE_AFTER_BLOCKS blocks the manager
replaces it under the same nonce with both fee fields bumped by at least 12.5%, and the replacement confirms.

anvil runs with automine off and the test mines each block itself. The market: blocks just too small for the
oracle's transaction once a competing transaction with a much higher tip is in (anvil packs by fee), so the
oracle's offer waits in the pool, valid but outbid, as on a congested chain."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlmodel import Session, select

from hundi.chain.deployment import Deployment
from hundi.documents import DocumentVault
from oracle.db.models import OracleTx
from tests.backend.localchain import Anvil, Driver
from tests.oracle.support import STATUS, mint_fixture, status_of, wait_for

GWEI = 10**9
COMPETITOR = 3  # dev account outbidding the oracle in every block


def test_stuck_transaction_is_replaced_with_a_bump_of_at_least_12_5_percent_and_confirms(
    sqlite_db: str,
    node: Anvil,
    deployment: Deployment,
    driver: Driver,
    vault: DocumentVault,
    make_oracle: Callable[..., Any],
) -> None:
    minted = mint_fixture(driver, vault, seed=51)
    node.rpc("evm_setAutomine", [False])
    try:
        service = make_oracle(sqlite_db, deployment, oracle_replace_after_blocks=2, oracle_priority_fee_wei=GWEI)
        node.mine()  # an empty block, so the oracle sees a head to work from

        def sent() -> OracleTx | None:
            with Session(service.engine) as session:
                return session.exec(select(OracleTx).where(OracleTx.status == "pending")).first()

        first = wait_for(sent, what="the verification transaction in the pool")
        assert first.max_fee is not None and first.gas is not None
        first_hash, first_max, first_tip = first.tx_hash, first.max_fee, first.priority_fee or 0
        node.rpc("evm_setBlockGasLimit", [hex(first.gas + 10_000)])  # room for it alone, not beside a competitor
        competitor = driver.account(COMPETITOR)

        def mine_expensive_block() -> None:
            nonce = driver.w3.eth.get_transaction_count(competitor.address, "pending")
            bid = {
                "type": 2,
                "chainId": deployment.chainId,
                "nonce": nonce,
                "to": competitor.address,
                "value": 1,
                "gas": 21_000,
                "maxFeePerGas": 500 * GWEI,
                "maxPriorityFeePerGas": 100 * GWEI,
            }
            driver.w3.eth.send_raw_transaction(competitor.sign_transaction(bid).raw_transaction)
            node.rpc("evm_mine")

        replaced = None
        for _ in range(30):
            mine_expensive_block()
            assert status_of(driver, minted.invoice_id) == STATUS["Minted"] or replaced is not None
            with Session(service.engine) as session:
                row = session.get(OracleTx, first.id)
            if row is not None and row.replacements >= 1:
                replaced = row
                break
            wait_for(lambda: service.watcher.last_block >= node.head, timeout=10, what="oracle sees the block")
        assert replaced is not None, "the stuck transaction was never replaced"
        assert replaced.nonce == first.nonce and replaced.tx_hash != first_hash
        assert replaced.max_fee is not None and replaced.max_fee * 8 >= first_max * 9  # >= +12.5%
        assert (replaced.priority_fee or 0) * 8 >= first_tip * 9

        node.rpc("evm_mine")  # the competitor stops bidding: the replacement gets the block
        wait_for(lambda: status_of(driver, minted.invoice_id) == STATUS["Verified"], what="Verified")
        tx = driver.w3.eth.get_transaction(replaced.tx_hash)  # type: ignore[arg-type]
        assert tx["nonce"] == first.nonce
        assert tx["maxFeePerGas"] * 8 >= first_max * 9 and tx["maxPriorityFeePerGas"] * 8 >= first_tip * 9
        wait_for(lambda: sent() is None, what="the transaction settled in the oracle's database")
        with Session(service.engine) as session:
            final = session.get(OracleTx, first.id)
        assert final is not None and final.status == "mined" and final.mined_hash == replaced.tx_hash
        assert first_hash in json.loads(final.hashes)
    finally:
        node.rpc("evm_setBlockGasLimit", [hex(30_000_000)])
        node.rpc("evm_setAutomine", [True])
