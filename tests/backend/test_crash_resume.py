"""`kill -9` mid-backfill loses and duplicates nothing: each batch commits with its cursor, so a restart resumes
where the last commit left off. The indexer runs as the real `hundi indexer run` subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, select

from backend.db.models import ChainEvent, IndexerCursor
from backend.db.session import make_engine
from backend.indexer.decode import INDEXED_CONTRACTS
from backend.indexer.store import table_of
from hundi.chain.deployment import Deployment
from tests.backend.conftest import Databases, assert_same_state, dump
from tests.backend.localchain import Anvil, Driver, flood, run_lifecycle

HUNDI = str(Path(sys.executable).with_name("hundi"))


def indexed_to(engine: Engine) -> int | None:
    """The subprocess's cursor, or None before it registered the deployment."""
    cursor = table_of(IndexerCursor)
    with engine.connect() as connection:
        return connection.execute(select(cursor.c.last_block)).scalar_one_or_none()


def test_kill_9_mid_backfill_then_restart_equals_a_fresh_index(
    node: Anvil,
    deployment: Deployment,
    driver: Driver,
    databases: Databases,
    fresh_index: Callable[[Deployment, Anvil], Engine],
    tmp_path: Path,
) -> None:
    driver.onboard()
    run_lifecycle(driver, node)
    flood(node, deployment, 3000, per_block=10, mints=True)
    driver.resync()
    head = node.head
    url = databases.new()
    deployment_file = tmp_path / "deployment.json"
    command = [HUNDI, "indexer", "run", "--deployment", str(deployment_file), "--database-url", url]
    command += ["--rpc-url", node.url]
    # Three blocks per batch: a backfill of many small transactions, so the kills land mid-way.
    env = {
        **os.environ,
        "HUNDI_INDEXER_INITIAL_RANGE": "3",
        "HUNDI_INDEXER_MAX_RANGE": "3",
        "HUNDI_INDEXER_CONFIRMATIONS": "0",
    }
    engine = make_engine(url)
    log = (tmp_path / "indexer.log").open("w")
    try:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        threshold = deployment.deployedAt + 0.4 * (head - deployment.deployedAt)
        deadline = time.monotonic() + 90
        while (indexed_to(engine) or 0) < threshold:
            assert process.poll() is None, f"the indexer exited early; see {log.name}"
            assert time.monotonic() < deadline, "the indexer made no progress"
            time.sleep(0.005)
        process.kill()  # SIGKILL: no cleanup, possibly mid-transaction
        process.wait(timeout=10)
        killed_at = indexed_to(engine)
        assert killed_at is not None and killed_at < head  # the kill was mid-backfill
        finished = subprocess.run([*command, "--once"], env=env, stdout=log, stderr=subprocess.STDOUT, timeout=120)
        assert finished.returncode == 0, f"see {log.name}"
    finally:
        log.close()

    assert indexed_to(engine) == head
    stored = dump(engine)
    # Exactly the chain's logs: none missing, none twice.
    logs = node.rpc(
        "eth_getLogs",
        [
            {
                "fromBlock": hex(deployment.deployedAt),
                "toBlock": hex(head),
                "address": [deployment.address(n) for n in INDEXED_CONTRACTS],
            }
        ],
    )
    events = table_of(ChainEvent)
    with engine.connect() as connection:
        keys = connection.execute(select(events.c.tx_hash, events.c.log_index)).all()
    assert sorted((tx, index) for tx, index in keys) == sorted(
        (e["transactionHash"], int(e["logIndex"], 16)) for e in logs
    )
    assert len(keys) > 3000
    assert_same_state(stored, dump(fresh_index(deployment, node)))
    engine.dispose()
