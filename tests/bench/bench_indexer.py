"""Indexer benchmark: backfill throughput into Postgres beside a naive indexer measured in the same run, and head
lag while following. The SERVICES.md goal: at least 5,000 events/s and at least 10x the naive loop.

Run it from anywhere; `make bench` runs every tests/bench/bench_*.py this way:

    python tests/bench/bench_indexer.py [--events 50000] [--database-url postgresql://...]

It starts its own anvil, deploys the system with `hundi deploy`'s deployer, and emits the events quickly (KYC
updates and invoice mints sent in JSON-RPC batches, 200 transactions a block). Then, each into a fresh Postgres
schema (dropped afterwards):

- **ours**: `Indexer.run(once=True)` with the default settings: adaptive eth_getLogs ranges, one transaction
  per batch holding the raw events, the projections, the cursor and the block hashes.
- **naive**: what a first indexer looks like: one eth_getLogs per block through web3.py, decoded with web3's
  event objects, one ORM insert and commit per event, raw events only (no projections, so it does less work).
  It runs over the first `--naive-events` events (default 5,000) and its rate is extrapolated: its cost per
  event is flat, so the rate over a prefix is its rate over the whole.
- **follow**: a follower (full pass every 0.25 s, `indexer_poll_interval`) while blocks of 100 events arrive every
  0.2 s for 10 s; the lag is head minus indexed block, sampled every 50 ms. It runs twice on the same database:
  first reading the head only every 0.25 s (how the follower worked before it read the head every 0.05 s on local
  chains: a block arriving just after a pass waits up to a whole interval, and a second block comes meanwhile),
  then as `Indexer.run` follows by default. Goal: a lag of at most 1 block (the block just mined). Beside the lag,
  the time a pass takes to index one such block.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"
GOAL_RATE, GOAL_RATIO, GOAL_LAG = 5000.0, 10.0, 1
log = logging.getLogger("bench_indexer")


def backfill_ours(deployment: Any, node: Any, url: str) -> tuple[int, float, Any]:
    from backend.db.session import make_engine, migrate
    from backend.indexer.rpc import ChainReader, JsonRpc
    from backend.indexer.sync import Indexer
    from backend.settings import IndexerSettings

    migrate(url)
    engine = make_engine(url)
    settings = IndexerSettings(database_url=url, rpc_url=node.url, indexer_progress_interval=2.0)
    with JsonRpc(node.url) as rpc:
        indexer = Indexer(deployment, engine, ChainReader(rpc), settings)
        started = time.perf_counter()
        stats = indexer.run(once=True)
        elapsed = time.perf_counter() - started
    engine.dispose()
    return stats.events, elapsed, stats


def backfill_naive(deployment: Any, node: Any, url: str, limit: int) -> tuple[int, float]:
    """One get_logs per block, web3 decoding, one ORM insert + commit per event, until `limit` events."""
    from sqlmodel import Session

    from backend.db.models import ChainDeployment, ChainEvent
    from backend.db.session import make_engine, migrate
    from backend.indexer.decode import INDEXED_CONTRACTS

    migrate(url)
    engine = make_engine(url)
    w3 = node.w3
    contracts = {deployment.address(n): (n, deployment.contract(w3, n)) for n in INDEXED_CONTRACTS}
    events = {}
    for address, (name, contract) in contracts.items():
        for item in contract.abi:
            if item["type"] == "event":
                event = contract.events[item["name"]]()
                events[(address, bytes.fromhex(event.topic.removeprefix("0x")))] = (name, event)
    with Session(engine) as session:
        row = ChainDeployment(
            chain_id=deployment.chainId,
            name="naive",
            invoice_token=deployment.address("InvoiceToken").lower(),
            deployed_at=deployment.deployedAt,
            anchor_hash="",
        )
        session.add(row)
        session.commit()
        deployment_id = row.id
        assert deployment_id is not None, "the database assigned no id to the naive deployment"
    done, block, head = 0, deployment.deployedAt, node.head
    started = time.perf_counter()
    with Session(engine) as session:
        while done < limit and block <= head:
            for entry in w3.eth.get_logs({"fromBlock": block, "toBlock": block, "address": list(contracts)}):
                name, event = events[(entry["address"], bytes(entry["topics"][0]))]
                decoded = event.process_log(entry)
                args = {k: (v.hex() if isinstance(v, bytes) else v) for k, v in decoded["args"].items()}
                session.add(
                    ChainEvent(
                        chain_id=deployment.chainId,
                        tx_hash=decoded["transactionHash"].hex(),
                        log_index=decoded["logIndex"],
                        deployment_id=deployment_id,
                        block_number=decoded["blockNumber"],
                        block_hash=decoded["blockHash"].hex(),
                        block_timestamp=0,
                        tx_index=decoded["transactionIndex"],
                        address=entry["address"].lower(),
                        contract=name,
                        event=decoded["event"],
                        args={k: (str(v) if isinstance(v, list | tuple) else v) for k, v in args.items()},
                    )
                )
                session.commit()
                done += 1
            block += 1
    elapsed = time.perf_counter() - started
    engine.dispose()
    return done, elapsed


@dataclass
class Follow:
    """What one follow measurement saw."""

    lag: list[int]  # head minus indexed block, every 50 ms
    passes: list[float]  # seconds of each pass that indexed something
    events: int
    blocks: int
    seconds: float


def follow_lag(deployment: Any, node: Any, url: str, seconds: float = 10.0, head_poll: float | None = None) -> Follow:
    """Head lag (blocks) sampled every 50 ms while a follower keeps up with a block of 100 events every 0.2 s
    (or as fast as anvil takes them). `head_poll` overrides how often the caught-up follower reads the head."""
    from backend.db.session import make_engine, migrate
    from backend.indexer.rpc import ChainReader, JsonRpc
    from backend.indexer.sync import Indexer
    from backend.settings import IndexerSettings
    from tests.backend.localchain import flood

    migrate(url)
    engine = make_engine(url)
    settings = IndexerSettings(database_url=url, rpc_url=node.url, indexer_poll_interval=0.25)
    samples: list[int] = []
    passes: list[float] = []
    produced = 0
    with JsonRpc(node.url) as rpc:
        indexer = Indexer(deployment, engine, ChainReader(rpc), settings)
        indexer.run(once=True)  # caught up first: this measures following, not backfill
        if head_poll is not None:
            indexer.head_poll = head_poll
        sync_to_head = indexer.sync_to_head

        def timed_pass() -> int:
            started = time.perf_counter()
            written = sync_to_head()
            if written:
                passes.append(time.perf_counter() - started)
            return written

        indexer.sync_to_head = timed_pass  # type: ignore[method-assign]
        follower = threading.Thread(target=indexer.run, daemon=True)
        follower.start()
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                samples.append(node.head - indexer.cursor().block)
                stop.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        first_block = node.head
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            tick = time.monotonic()
            produced += flood(node, deployment, 100, per_block=100)
            time.sleep(max(0.0, 0.2 - (time.monotonic() - tick)))
        took = time.monotonic() - started
        blocks = node.head - first_block
        deadline = time.monotonic() + 30
        while indexer.cursor().block < node.head and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()
        sampler.join()
        indexer.stop()
        follower.join(timeout=30)
    engine.dispose()
    return Follow(samples, passes, produced, blocks, took)


def _follow_line(name: str, follow: Follow) -> str:
    lag, passes = follow.lag, sorted(follow.passes)
    return (
        f"{name}: {follow.events} events in {follow.blocks} blocks over {follow.seconds:.1f} s "
        f"({follow.blocks / follow.seconds:.1f} blocks/s); head lag p50 {statistics.median(lag):.0f}, "
        f"p95 {sorted(lag)[int(0.95 * (len(lag) - 1))]}, max {max(lag)} blocks ({len(lag)} samples); "
        f"pass p50 {1000 * statistics.median(passes):.0f} ms, max {1000 * passes[-1]:.0f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Measure indexer backfill throughput and head lag on anvil.")
    parser.add_argument("--events", type=int, default=50_000, help="events to emit and backfill (default 50,000)")
    parser.add_argument("--naive-events", type=int, default=5_000, help="events the naive loop indexes")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("HUNDI_BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="Postgres to benchmark against (a schema of its own is created and dropped)",
    )
    parser.add_argument("--no-follow", action="store_true", help="skip the head-lag measurement")
    args = parser.parse_args(argv)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    backend_log = logging.getLogger("backend")  # the indexer's progress lines
    backend_log.addHandler(handler)
    backend_log.setLevel(logging.INFO)
    backend_log.propagate = False

    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    from tests.backend.localchain import Anvil, Driver, deploy, flood
    from tests.databases import PostgresSchema

    schemas: list[PostgresSchema] = []
    load_start = os.getloadavg()
    try:
        with Anvil("--gas-limit", "100000000") as node:
            deployment = deploy(node, ROOT / "var" / "bench" / "deployment.json", name="bench")
            Driver(node, deployment).onboard()
            started = time.perf_counter()
            emitted = flood(node, deployment, args.events, per_block=200, mints=True)
            generation = time.perf_counter() - started
            blocks = node.head - deployment.deployedAt + 1
            log.info("emitted %d events in %d blocks in %.1f s (anvil, %s)", emitted, blocks, generation, node.url)

            schemas.append(PostgresSchema(args.database_url, "bench"))
            ours, ours_time, stats = backfill_ours(deployment, node, schemas[-1].url)
            schemas.append(PostgresSchema(args.database_url, "bench"))
            naive, naive_time = backfill_naive(deployment, node, schemas[-1].url, args.naive_events)
            follows: dict[str, Follow] = {}
            if not args.no_follow:
                schemas.append(PostgresSchema(args.database_url, "bench"))
                follows["before: head read every 0.25 s"] = follow_lag(
                    deployment, node, schemas[-1].url, head_poll=0.25
                )
                follows["ours: head read every 0.05 s"] = follow_lag(deployment, node, schemas[-1].url)
    finally:
        for schema in schemas:
            schema.drop()

    ours_rate, naive_rate = ours / ours_time, naive / naive_time
    ratio = ours_rate / naive_rate
    rows = [
        ("indexer", "events", "seconds", "events/s", "vs naive"),
        (
            "ours (batched, adaptive ranges, projections)",
            f"{ours:,}",
            f"{ours_time:.2f}",
            f"{ours_rate:,.0f}",
            f"{ratio:.1f}x",
        ),
        (
            "naive (get_logs per block, insert+commit per event)",
            f"{naive:,}",
            f"{naive_time:.2f}",
            f"{naive_rate:,.0f}",
            "1.0x",
        ),
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    log.info("")
    log.info("backfill into Postgres: %d batches (one transaction each), %d blocks", stats.batches, stats.blocks)
    for i, row in enumerate(rows):
        log.info(
            " | ".join(c.ljust(w) if j == 0 else c.rjust(w) for j, (c, w) in enumerate(zip(row, widths, strict=True)))
        )
        if i == 0:
            log.info("-+-".join("-" * w for w in widths))
    log.info("")
    log.info("naive: measured over its first %d events and extrapolated (its cost per event is flat)", naive)
    for name, follow in follows.items():
        log.info("follow, %s", _follow_line(name, follow))
    met = ours_rate >= GOAL_RATE and ratio >= GOAL_RATIO
    log.info(
        "goal (>= %s events/s and >= %.0fx naive): %s",
        f"{GOAL_RATE:,.0f}",
        GOAL_RATIO,
        "met" if met else "NOT met",
    )
    if follows:
        lag_max = max(follows["ours: head read every 0.05 s"].lag)
        log.info(
            "goal (head lag <= %d block while following): %s", GOAL_LAG, "met" if lag_max <= GOAL_LAG else "NOT met"
        )
        met = met and lag_max <= GOAL_LAG
    log.info("load average (1, 5, 15 min) at start %s, at end %s", _loadavg(load_start), _loadavg(os.getloadavg()))
    return 0 if met else 1


def _loadavg(values: tuple[float, float, float]) -> str:
    return " ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    sys.exit(main())
