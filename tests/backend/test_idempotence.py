"""Indexing is idempotent on (chain id, tx hash, log index): re-running a range, or two indexers racing on one
database, never duplicates a raw event nor applies one twice to the projections."""

from __future__ import annotations

import threading

from sqlalchemy import func, select, update

from backend.db.models import ChainEvent, IndexerCursor
from backend.indexer.store import table_of
from hundi.chain.deployment import Deployment
from tests.backend.conftest import Databases, Indexers, assert_same_state, dump
from tests.backend.localchain import Anvil


def test_indexing_the_same_range_twice_leaves_identical_state(
    lifecycle: tuple[Anvil, Deployment, dict[str, int]], databases: Databases, indexers: Indexers
) -> None:
    node, deployment, _ = lifecycle
    indexer = indexers.make(deployment, databases.new(), node, indexer_initial_range=5, indexer_max_range=5)
    indexer.run(once=True)
    first = dump(indexer.engine)
    events, batches = indexer.stats.events, indexer.stats.batches
    assert events == len(first["chain_event"]) > 50

    # Rewind the cursor to before the deployment, keeping every row, and index the whole range again.
    cursor = table_of(IndexerCursor)
    with indexer.engine.begin() as connection:
        connection.execute(update(cursor).values(last_block=deployment.deployedAt - 1, last_hash=None))
    indexer.run(once=True)

    assert indexer.stats.batches == 2 * batches  # every batch really ran again...
    assert indexer.stats.events == events  # ...and wrote nothing new
    assert_same_state(dump(indexer.engine), first)


def test_two_indexers_racing_on_one_database_write_each_event_once(
    lifecycle: tuple[Anvil, Deployment, dict[str, int]], databases: Databases, indexers: Indexers
) -> None:
    node, deployment, _ = lifecycle
    url = databases.new()
    racers = [indexers.make(deployment, url, node, indexer_initial_range=2, indexer_max_range=2) for _ in range(2)]
    threads = [threading.Thread(target=r.run, kwargs={"once": True}) for r in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    reference = indexers.make(deployment, databases.new(), node)
    reference.run(once=True)
    assert_same_state(dump(racers[0].engine), dump(reference.engine))
    # Between them, each event was written exactly once (a racer that lost a batch rolled it back).
    assert sum(r.stats.events for r in racers) == reference.stats.events
    with racers[0].engine.connect() as connection:
        stored = connection.execute(select(func.count()).select_from(table_of(ChainEvent))).scalar_one()
    assert stored == reference.stats.events
