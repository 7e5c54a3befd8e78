"""The sync layer: cursor, batches, reorgs and retries. Handlers (projections.py) know none of this.

One pass (`Indexer.sync_to_head`):

1. **Reconcile.** If the indexed tip's hash is no longer the chain's, walk back through the kept block hashes to
   the newest block both agree on (the common ancestor), and in one transaction delete the raw events above it,
   rebuild the projections those events touched from the raw events that remain, and move the cursor back.
2. **Batches** from the cursor to ``head - confirmations``, over an adaptive block range (ranges.py). Per batch:
   - headers of the batch's last ``keep`` blocks and of its first block, *before* the logs. The first block
     must extend the indexed tip and the window must be one chain; every log in a block whose header we hold
     must carry that header's hash. A reorg after the headers were read leaves older hashes in the database,
     which the next pass's reconcile step catches, so nothing fetched across a reorg can stick.
   - ``eth_getLogs`` for the six contracts, decoded with the deployment ABIs.
   - one database transaction: cursor (moved only if it is still where this batch started, so two indexers
     cannot both apply a batch), raw events not already stored (idempotent on chain id, tx hash, log index),
     the projections of those events, and the block hashes.

Following (`Indexer.run`): after a pass, the follower reads the head (eth_blockNumber) at once and then every
`head_poll` seconds (0.05 on local chains, else the poll interval), and starts the next pass as soon as there is a
block to index; with no new block, a full pass still runs every poll interval, for reorgs that keep the height.

A chain the node reset (anvil restarted, same addresses) shows up as a different hash of the deployment block:
on local chains the deployment's rows are dropped and indexing restarts; elsewhere that is an error.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, SQLModel

from backend.db.bulk import insert_rows
from backend.db.models import PROJECTIONS, BlockHash, ChainDeployment, ChainEvent, IndexerCursor
from backend.errors import (
    ChainChanged,
    ChainMismatch,
    CursorMoved,
    IndexerError,
    RangeTooLarge,
    ReorgTooDeep,
    RpcUnavailable,
)
from backend.indexer import projections
from backend.indexer.decode import DecodedEvent, EventDecoder
from backend.indexer.ranges import RangeController
from backend.indexer.rpc import BlockHeader, ChainReader
from backend.indexer.store import table_of
from backend.settings import IndexerSettings
from hundi.chain.deployment import Deployment
from hundi.chain.devkeys import is_local_chain

log = logging.getLogger(__name__)

_EVENTS = table_of(ChainEvent)
_CURSOR = table_of(IndexerCursor)
_HASHES = table_of(BlockHash)

#: Seconds between head reads of a caught-up follower on a local chain (at most the poll interval).
LOCAL_HEAD_POLL = 0.05


@dataclass(frozen=True)
class Cursor:
    """The last indexed block and its hash (None before the first batch and after a full rollback)."""

    block: int
    hash: str | None


@dataclass
class Batch:
    """One range of blocks, fetched and decoded, ready to be written in one transaction."""

    start: int
    end: int
    events: list[DecodedEvent]
    window: list[BlockHeader]  # the batch's last blocks, contiguous, ending at `end`


@dataclass
class SyncStats:
    """Counters since the indexer started."""

    batches: int = 0
    blocks: int = 0
    events: int = 0
    reorgs: int = 0
    rolled_back_events: int = 0
    replayed_events: int = 0
    range_refusals: int = 0
    reorg_depths: list[int] = field(default_factory=list)


class _Progress:
    """Logs a long backfill every `interval` seconds: position, % done, blocks/s, events/s and ETA."""

    def __init__(self, first: int, target: int, interval: float) -> None:
        self.first, self.target, self.interval = first, target, interval
        self.started = self.last_log = time.monotonic()
        self.events = 0
        self.block = first - 1

    def advance(self, block: int, events: int) -> None:
        self.block = block
        self.events += events
        now = time.monotonic()
        if now - self.last_log >= self.interval:
            self.last_log = now
            elapsed = now - self.started
            done = block - self.first + 1
            total = self.target - self.first + 1
            rate = done / elapsed if elapsed else 0.0
            eta = (self.target - block) / rate if rate else float("inf")
            log.info(
                "backfill: block %d of %d (%.1f%%), %d events; %.0f blocks/s, %.0f events/s, eta %.0fs",
                block,
                self.target,
                100 * done / total,
                self.events,
                rate,
                self.events / elapsed if elapsed else 0.0,
                eta,
            )

    def finish(self) -> None:
        elapsed = time.monotonic() - self.started
        blocks = self.block - self.first + 1
        if blocks <= 0:
            return
        level = logging.INFO if elapsed >= self.interval or self.events >= 1000 else logging.DEBUG
        log.log(
            level,
            "indexed blocks %d..%d: %d events in %.1fs (%.0f events/s)",
            self.first,
            self.block,
            self.events,
            elapsed,
            self.events / elapsed if elapsed else 0.0,
        )


class Indexer:
    """Mirrors one deployment's events into the database and keeps the projections current."""

    def __init__(
        self,
        deployment: Deployment,
        engine: Engine,
        chain: ChainReader,
        settings: IndexerSettings | None = None,
    ) -> None:
        self.deployment = deployment
        self.engine = engine
        self.chain = chain
        self.settings = settings or IndexerSettings()
        self.chain_id = deployment.chainId
        self.local = is_local_chain(self.chain_id)
        self.confirmations = self.settings.confirmations_for(self.chain_id)
        self.keep = self.settings.indexer_keep_blocks
        self.decoder = EventDecoder.from_deployment(deployment)
        self.token = deployment.address("InvoiceToken").lower()
        s = self.settings
        self.ranges = RangeController(
            size=s.indexer_initial_range,
            min_size=s.indexer_min_range,
            max_size=s.indexer_max_range,
            target_logs=s.indexer_target_logs,
        )
        self.stats = SyncStats()
        #: Seconds between head reads while caught up. A local chain mines a block per transaction (or per
        #: `evm_mine`) and bursts of them arrive faster than any sensible full-pass interval: following them
        #: within a block needs a prompt look at the head, which costs anvil next to nothing. Elsewhere blocks
        #: come every few seconds and providers count calls: the poll interval.
        poll = self.settings.indexer_poll_interval
        self.head_poll = min(poll, LOCAL_HEAD_POLL) if self.local else poll
        #: The cursor block after the last pass (-1 before the first).
        self.indexed_block = -1
        self._deployment_id: int | None = None
        self._stop = threading.Event()

    # -------------------------------------------------------------------------------------------- lifecycle

    @property
    def deployment_id(self) -> int:
        if self._deployment_id is None:
            raise IndexerError("call prepare() (or run()) first")
        return self._deployment_id

    def stop(self) -> None:
        """Ask `run` to return after the current batch."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def prepare(self) -> None:
        """Check the node serves the deployment's chain; register the deployment and its cursor on first use.

        Raises:
            ChainMismatch: the node is on another chain, lacks the deployment block, or (not a local chain) the
                database holds a different chain's history for this deployment.
        """
        node_chain = self.chain.chain_id()
        if node_chain != self.chain_id:
            raise ChainMismatch(f"the node serves chain {node_chain}; the deployment is on chain {self.chain_id}")
        anchor = self._anchor()
        with Session(self.engine) as session, session.begin():
            row = session.execute(
                select(ChainDeployment).where(
                    table_of(ChainDeployment).c.chain_id == self.chain_id,
                    table_of(ChainDeployment).c.invoice_token == self.token,
                )
            ).scalar_one_or_none()
            if row is not None and row.anchor_hash != anchor.hash:
                if not self.local:
                    raise ChainMismatch(
                        f"block {anchor.number} on the node is {anchor.hash}, the database indexed "
                        f"{row.anchor_hash}: wrong node, or a database of another network"
                    )
                log.warning("chain %d was reset (deployment block hash changed): dropping its indexed data", node_chain)
                _forget(session, row.id)
                row = None
            if row is None:
                row = ChainDeployment(
                    chain_id=self.chain_id,
                    name=self.deployment.name,
                    invoice_token=self.token,
                    deployed_at=self.deployment.deployedAt,
                    anchor_hash=anchor.hash,
                    contracts={name: self.deployment.address(name).lower() for name in self.deployment.contracts},
                )
                session.add(row)
                session.flush()
                if row.id is None:
                    raise IndexerError("the database assigned no id to the deployment")
                session.add(
                    IndexerCursor(
                        deployment_id=row.id,
                        last_block=self.deployment.deployedAt - 1,
                        last_hash=None,
                        updated_at=datetime.now(UTC),
                    )
                )
            self._deployment_id = row.id

    def _anchor(self) -> BlockHeader:
        anchor = self.chain.headers([self.deployment.deployedAt]).get(self.deployment.deployedAt)
        if anchor is None:
            raise ChainMismatch(
                f"the node has no block {self.deployment.deployedAt} (the deployment block): wrong node or network"
            )
        return anchor

    def run(self, *, once: bool = False) -> SyncStats:
        """Index to the head, then follow it until `stop()` (with `once`: return when caught up): a new pass as
        soon as the head moves (see `wait_for_head`), and a full pass at least every poll interval. Retries what a
        node or database hiccup interrupts."""
        self.prepare()
        backoff = 1.0
        while not self.stopping:
            try:
                self.sync_to_head()
                backoff = 1.0
                if once:
                    break
                self.wait_for_head()
            except (ChainChanged, CursorMoved) as exc:
                log.info("%s; reconciling", exc)
                continue
            except (RpcUnavailable, OperationalError) as exc:
                log.warning("%s; retrying in %.0fs", exc, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
        return self.stats

    def wait_for_head(self) -> None:
        """Return as soon as the chain has a block to index past the last pass, else after the poll interval.

        The head (eth_blockNumber, the cheapest call) is read right away, since blocks may have arrived while the
        last pass ran, then every `head_poll` seconds. A full pass also checks the indexed tip's hash, so
        returning after the poll interval even with no new block still catches a reorg that kept the height."""
        deadline = time.monotonic() + self.settings.indexer_poll_interval
        while not self.stopping:
            if self.chain.head() - self.confirmations > self.indexed_block:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self._stop.wait(min(self.head_poll, remaining))

    # -------------------------------------------------------------------------------------------- one pass

    def cursor(self) -> Cursor:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(_CURSOR.c.last_block, _CURSOR.c.last_hash).where(_CURSOR.c.deployment_id == self.deployment_id)
            ).one()
        return Cursor(int(row.last_block), row.last_hash)

    def sync_to_head(self) -> int:
        """Reconcile reorgs, then index every block up to ``head - confirmations``. Returns the events written.

        Raises:
            ChainChanged: the chain moved under a batch (call again: the next pass reconciles).
        """
        self.reconcile()
        target = self.chain.head() - self.confirmations
        cursor = self.cursor()
        self.indexed_block = cursor.block
        if cursor.block >= target:
            return 0
        progress = _Progress(cursor.block + 1, target, self.settings.indexer_progress_interval)
        written = 0
        try:
            while cursor.block < target and not self.stopping:
                start = cursor.block + 1
                end = self.ranges.next_end(start, target)
                try:
                    with _gc_paused():
                        batch = self._fetch(start, end, cursor.hash)
                except RangeTooLarge as exc:
                    if self.ranges.at_minimum:
                        raise IndexerError(f"the node refuses eth_getLogs even for block {start}: {exc}") from exc
                    self.stats.range_refusals += 1
                    suggested = exc.suggested[1] - exc.suggested[0] + 1 if exc.suggested else None
                    self.ranges.failed(suggested)
                    log.info("eth_getLogs refused %d blocks (%s); trying %d", end - start + 1, exc, self.ranges.size)
                    continue
                with _gc_paused():
                    written += self._write(batch)
                log.debug("batch %d..%d: %d events", start, end, len(batch.events))
                self.ranges.succeeded(end - start + 1, len(batch.events))
                cursor = Cursor(end, batch.window[-1].hash)
                self.indexed_block = end
                progress.advance(end, len(batch.events))
        finally:
            progress.finish()
        return written

    def _fetch(self, start: int, end: int, parent_hash: str | None) -> Batch:
        window_start = max(start, end - self.keep + 1)
        numbers = [start, *range(window_start, end + 1)]
        headers = self.chain.headers(numbers)
        missing = sorted(set(numbers) - headers.keys())
        if missing:
            raise ChainChanged(f"block {missing[0]} is no longer on the chain")
        if parent_hash is not None and headers[start].parent_hash != parent_hash:
            raise ChainChanged(f"block {start} no longer extends the indexed block {start - 1}")
        for number in range(window_start + 1, end + 1):
            if headers[number].parent_hash != headers[number - 1].hash:
                raise ChainChanged(f"blocks {number - 1} and {number} were read from different chains")

        logs = self.chain.logs(start, end, self.decoder.addresses)
        stamps: dict[int, int] = {}
        unstamped: set[int] = set()
        for entry in logs:
            number = int(entry["blockNumber"], 16)
            header = headers.get(number)
            if entry.get("removed") or (header is not None and header.hash != str(entry["blockHash"]).lower()):
                raise ChainChanged(f"the logs of block {number} come from another chain than its header")
            if header is not None:
                stamps[number] = header.timestamp
            elif entry.get("blockTimestamp") is not None:
                stamps[number] = int(entry["blockTimestamp"], 16)
            else:
                unstamped.add(number)
        if unstamped:  # a node without the blockTimestamp log field: read those headers too
            extra = self.chain.headers(unstamped)
            for entry in logs:
                number = int(entry["blockNumber"], 16)
                if number in unstamped:
                    header = extra.get(number)
                    if header is None or header.hash != str(entry["blockHash"]).lower():
                        raise ChainChanged(f"the logs of block {number} come from another chain than its header")
                    stamps[number] = header.timestamp
        events = [self.decoder.decode(entry, stamps[int(entry["blockNumber"], 16)]) for entry in logs]
        events.sort(key=lambda e: e.position)
        return Batch(start, end, events, [headers[n] for n in range(window_start, end + 1)])

    def _write(self, batch: Batch) -> int:
        deployment_id = self.deployment_id
        tip = batch.window[-1]
        with Session(self.engine) as session, session.begin():
            moved = session.execute(
                update(_CURSOR)
                .where(_CURSOR.c.deployment_id == deployment_id, _CURSOR.c.last_block == batch.start - 1)
                .values(last_block=batch.end, last_hash=tip.hash, updated_at=datetime.now(UTC))
            )
            if moved.rowcount != 1:  # type: ignore[attr-defined]
                raise CursorMoved(f"the cursor is no longer at block {batch.start - 1}: another indexer is running")
            fresh = self._unseen(session, batch)
            if fresh:
                insert_rows(session, _EVENTS, [self._event_row(ev) for ev in fresh])
                store = projections.ProjectionStore(session, deployment_id, self.chain_id)
                projections.apply(store, fresh)
                store.flush()
            # Rewrite the window's hashes and forget those that fell out of the last `keep` blocks.
            session.execute(
                delete(_HASHES).where(
                    _HASHES.c.deployment_id == deployment_id,
                    or_(
                        _HASHES.c.block_number >= batch.window[0].number,
                        _HASHES.c.block_number <= tip.number - self.keep,
                    ),
                )
            )
            insert_rows(
                session,
                _HASHES,
                [
                    {
                        "deployment_id": deployment_id,
                        "block_number": h.number,
                        "hash": h.hash,
                        "parent_hash": h.parent_hash,
                    }
                    for h in batch.window
                ],
            )
        self.stats.batches += 1
        self.stats.blocks += batch.end - batch.start + 1
        self.stats.events += len(fresh)
        return len(fresh)

    def _unseen(self, session: Session, batch: Batch) -> list[DecodedEvent]:
        """The batch's events not stored yet. Normally all of them: the cursor guards against re-running a
        range, this against anyone resetting the cursor."""
        if not batch.events:
            return []
        stored = session.execute(
            select(_EVENTS.c.tx_hash, _EVENTS.c.log_index).where(
                _EVENTS.c.deployment_id == self.deployment_id,
                _EVENTS.c.block_number >= batch.start,
                _EVENTS.c.block_number <= batch.end,
            )
        ).all()
        if not stored:
            return batch.events
        seen = {(tx, index) for tx, index in stored}
        return [ev for ev in batch.events if (ev.tx_hash, ev.log_index) not in seen]

    def _event_row(self, ev: DecodedEvent) -> dict[str, Any]:
        return {
            "chain_id": self.chain_id,
            "tx_hash": ev.tx_hash,
            "log_index": ev.log_index,
            "deployment_id": self.deployment_id,
            "block_number": ev.block_number,
            "block_hash": ev.block_hash,
            "block_timestamp": ev.block_timestamp,
            "tx_index": ev.tx_index,
            "address": ev.address,
            "contract": ev.contract,
            "event": ev.event,
            "invoice_id": ev.invoice_id,
            "account": ev.account,
            "args": ev.args,
        }

    # -------------------------------------------------------------------------------------------- reorgs

    def reconcile(self) -> int | None:
        """Roll back to the common ancestor if the indexed tip left the chain. Returns the ancestor, or None
        when the tip is still canonical.

        Raises:
            ReorgTooDeep: not a local chain, and no kept block hash is still on the chain.
        """
        cursor = self.cursor()
        if cursor.hash is None:
            return None
        tip = self.chain.headers([cursor.block]).get(cursor.block)
        if tip is not None and tip.hash == cursor.hash:
            return None

        with self.engine.connect() as connection:
            kept = connection.execute(
                select(_HASHES.c.block_number, _HASHES.c.hash)
                .where(_HASHES.c.deployment_id == self.deployment_id, _HASHES.c.block_number <= cursor.block)
                .order_by(_HASHES.c.block_number.desc())
            ).all()
        canonical = self.chain.headers(number for number, _ in kept)
        ancestor: tuple[int, str | None] | None = next(
            ((n, h) for n, h in kept if n in canonical and canonical[n].hash == h), None
        )
        if ancestor is None:
            if self._anchor().hash != self._stored_anchor():
                if not self.local:
                    raise ChainMismatch("the deployment block's hash changed: the node now serves another chain")
                log.warning("chain %d was reset under the indexer: re-indexing from the deployment", self.chain_id)
                self.prepare()
                return self.deployment.deployedAt - 1
            oldest = kept[-1][0] if kept else cursor.block
            if not self.local:
                raise ReorgTooDeep(
                    f"the chain diverged below block {oldest}, the oldest of the {len(kept)} block hashes kept "
                    "(HUNDI_INDEXER_KEEP_BLOCKS); re-index into a fresh database"
                )
            log.warning("reorg deeper than the %d kept block hashes: re-indexing from the deployment", len(kept))
            ancestor = (self.deployment.deployedAt - 1, None)
        self._rollback(cursor, *ancestor)
        return ancestor[0]

    def _stored_anchor(self) -> str:
        with self.engine.connect() as connection:
            anchor: str = connection.execute(
                select(table_of(ChainDeployment).c.anchor_hash).where(
                    table_of(ChainDeployment).c.id == self.deployment_id
                )
            ).scalar_one()
        return anchor

    def _rollback(self, cursor: Cursor, ancestor: int, ancestor_hash: str | None) -> None:
        """In one transaction: drop the raw events above `ancestor`, rebuild the projections they touched from
        the raw events that remain, and move the cursor to `ancestor`."""
        deployment_id = self.deployment_id
        with Session(self.engine) as session, session.begin():
            moved = session.execute(
                update(_CURSOR)
                .where(_CURSOR.c.deployment_id == deployment_id, _CURSOR.c.last_block == cursor.block)
                .values(last_block=ancestor, last_hash=ancestor_hash, updated_at=datetime.now(UTC))
            )
            if moved.rowcount != 1:  # type: ignore[attr-defined]
                raise CursorMoved("the cursor moved during a rollback: another indexer is running")
            dropped = session.execute(
                select(_EVENTS).where(_EVENTS.c.deployment_id == deployment_id, _EVENTS.c.block_number > ancestor)
            ).all()
            scope = projections.Scope()
            for row in dropped:
                scope.add(projections.event_from_row(row))
            session.execute(
                delete(_EVENTS).where(_EVENTS.c.deployment_id == deployment_id, _EVENTS.c.block_number > ancestor)
            )
            session.execute(
                delete(_HASHES).where(_HASHES.c.deployment_id == deployment_id, _HASHES.c.block_number > ancestor)
            )
            replayed = projections.rebuild(session, deployment_id, self.chain_id, scope)
        depth = cursor.block - ancestor
        self.stats.reorgs += 1
        self.stats.reorg_depths.append(depth)
        self.stats.rolled_back_events += len(dropped)
        self.stats.replayed_events += replayed
        log.warning(
            "reorg: rolled back %d blocks to block %d; dropped %d events, rebuilt %d invoices and %d KYC rows "
            "from %d stored events",
            depth,
            ancestor,
            len(dropped),
            len(scope.invoices),
            len(scope.accounts),
            replayed,
        )


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for one batch. A batch allocates tens of thousands of short-lived
    objects and no long-lived cycles; the collector's repeated scans of them cost a quarter of the backfill time.
    Reference counting still frees everything; the collector catches up when the batch is done."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _forget(session: Session, deployment_id: int | None) -> None:
    """Delete every row of a deployment (children first: SQLite may run without enforced cascades)."""
    models: tuple[type[SQLModel], ...] = (*PROJECTIONS, ChainEvent, BlockHash, IndexerCursor)
    for model in models:
        table = table_of(model)
        session.execute(delete(table).where(table.c.deployment_id == deployment_id))
    table = table_of(ChainDeployment)
    session.execute(delete(table).where(table.c.id == deployment_id))


def index_once(
    deployment: Deployment, engine: Engine, chain: ChainReader, settings: IndexerSettings | None = None
) -> SyncStats:
    """Index `deployment` up to the current head and return (no following)."""
    return Indexer(deployment, engine, chain, settings).run(once=True)
