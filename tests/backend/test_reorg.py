"""Reorgs: the indexer rolls back to the common ancestor, rebuilds what the orphaned events touched and replays,
and ends in exactly the state a fresh index of the final chain gives.

Competing chains come from anvil's ``anvil_reorg`` (params: depth, and [raw transaction, block offset] pairs that
fill the replacement blocks)."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from backend.indexer.sync import Cursor, Indexer
from hundi.chain.deployment import Deployment
from tests.backend.conftest import Databases, Indexers, assert_same_state, dump
from tests.backend.localchain import (
    ADMIN,
    INVESTOR,
    INVESTORS,
    OTHER_SELLER,
    SME,
    UNIT,
    Anvil,
    Driver,
    deploy,
)


def caught_up(indexer: Indexer, node: Anvil, timeout: float = 30.0) -> None:
    """Wait until the indexer's cursor is the node's head, hash included."""
    deadline = time.monotonic() + timeout
    while True:
        head = node.head
        expected = Cursor(head, node.rpc("eth_getBlockByNumber", [hex(head), False])["hash"].lower())
        if indexer.cursor() == expected:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"indexer at {indexer.cursor()}, chain at {expected}")
        time.sleep(0.02)


def reorg(driver: Driver, node: Anvil, depth: int, rng: random.Random) -> None:
    """Replace the last `depth` blocks with blocks holding other transactions: a mint by another seller (it takes
    the invoice id an orphaned mint may have had), new KYC entries, and a changed KYC of an existing investor."""
    ancestor = node.head - depth
    w3, c = node.w3, driver.c
    nonce = {who: w3.eth.get_transaction_count(driver.address(who), ancestor) for who in (ADMIN, OTHER_SELLER)}
    replacement: list[tuple[str, int]] = []
    request = driver.mint_request(face=(1_000 + depth) * UNIT, tag=f"reorg-{depth}-{rng.random()}")
    replacement.append((driver.signed(OTHER_SELLER, c.token.functions.mint(request), nonce=nonce[OTHER_SELLER]), 0))
    for offset in range(depth):
        account = driver.address(INVESTORS[0]) if offset == depth - 1 else f"0x{rng.getrandbits(160):040x}"
        roles = INVESTOR | SME if offset == depth - 1 else INVESTOR
        fn = c.kyc.functions.setKyc(w3.to_checksum_address(account), roles, 2**40 + rng.randrange(2**20))
        replacement.append((driver.signed(ADMIN, fn, nonce=nonce[ADMIN], gas=100_000), offset))
        nonce[ADMIN] += 1
    node.rpc("anvil_reorg", [depth, [[tx, offset] for tx, offset in replacement]])
    driver.resync()


def test_reorgs_of_depth_1_to_12_during_live_follow_end_equal_to_a_fresh_index(
    node: Anvil,
    deployment: Deployment,
    driver: Driver,
    databases: Databases,
    indexers: Indexers,
    fresh_index: Callable[[Deployment, Anvil], Engine],
) -> None:
    driver.onboard()
    rng = random.Random(1234)
    indexer = indexers.make(deployment, databases.new(), node)
    follower = threading.Thread(target=indexer.run, daemon=True)
    follower.start()
    try:
        for depth in range(1, 13):
            for _ in range(depth + 2):  # at least `depth` blocks of lifecycle steps, which the reorg then orphans
                driver.advance()
            caught_up(indexer, node)
            reorg(driver, node, depth, rng)
            caught_up(indexer, node)
        driver.advance()
        caught_up(indexer, node)
    finally:
        indexer.stop()
        follower.join(timeout=30)
    assert not follower.is_alive()

    assert indexer.stats.reorg_depths == list(range(1, 13))
    assert indexer.stats.rolled_back_events > 12
    reference = fresh_index(deployment, node)
    assert_same_state(dump(indexer.engine), dump(reference))


def test_reorg_deeper_than_the_kept_hashes_reindexes_a_local_chain(
    node: Anvil, deployment: Deployment, driver: Driver, databases: Databases, indexers: Indexers
) -> None:
    driver.onboard()
    indexer = indexers.make(deployment, databases.new(), node, indexer_keep_blocks=4)
    for _ in range(8):
        driver.advance()
    indexer.run(once=True)
    reorg(driver, node, 6, random.Random(7))
    indexer.run(once=True)

    assert indexer.stats.reorgs == 1  # the whole deployment was rolled back, then re-indexed
    assert indexer.stats.reorg_depths == [node.head - deployment.deployedAt + 1]
    reference = indexers.make(deployment, databases.new(), node, indexer_keep_blocks=4)
    reference.run(once=True)
    assert_same_state(dump(indexer.engine), dump(reference.engine))


def test_a_reset_local_chain_is_detected_and_reindexed(
    databases: Databases, indexers: Indexers, tmp_path: Path
) -> None:
    url = databases.new()
    with Anvil() as first:
        deployment = deploy(first, tmp_path / "first.json")
        driver = Driver(first, deployment)
        driver.onboard()
        driver.advance()
        indexers.make(deployment, url, first).run(once=True)
    # A new anvil: the same deployer and nonces give the same addresses, on a different chain history.
    with Anvil() as second:
        again = deploy(second, tmp_path / "second.json")
        assert again.address("InvoiceToken") == deployment.address("InvoiceToken")
        Driver(second, again).set_kyc(f"0x{7:040x}", INVESTOR)
        indexer = indexers.make(again, url, second)
        indexer.run(once=True)
        reference = indexers.make(again, databases.new(), second)
        reference.run(once=True)
        assert_same_state(dump(indexer.engine), dump(reference.engine))
