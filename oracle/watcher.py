"""The chain watcher: reads the deployment's logs in block ranges from a cursor stored in the oracle database, and
applies each batch, with the cursor, in one database transaction. A restart resumes from the cursor; replaying a
batch is harmless (every handler is an idempotent upsert).

Handlers are small and declared per event (`@on("InvoiceMinted")`); ranges, retries, the cursor and reorgs live
here, never in handlers. A reorg is noticed when the cursor block's hash changes; the watcher then steps back
`REORG_STEP` blocks and replays.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import to_checksum_address
from eth_utils.abi import collapse_if_tuple, event_abi_to_log_topic
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from oracle.chain import Chain
from oracle.crash import NO_CRASH, CrashPlan
from oracle.db.models import OracleCursor, OracleInvestor, OracleInvoice, OutboxReport

log = logging.getLogger("hundi.oracle.watcher")

CURSOR = "events"
REORG_STEP = 64
#: IInvoiceToken.Status numbers the watcher acts on.
MINTED, VERIFIED, REJECTED, FUNDED, REPAID, DEFAULTED = 1, 2, 3, 5, 6, 7
WATCHED = ("InvoiceToken", "OracleHub", "RepaymentDistributor")


@dataclass(frozen=True)
class Event:
    """One decoded log with the block it is in."""

    name: str
    args: dict[str, Any]
    block: int
    block_time: int
    tx_hash: str


Handler = Callable[["Watcher", Session, Event], None]
_HANDLERS: dict[str, Handler] = {}


def on(event: str) -> Callable[[Handler], Handler]:
    """Declare a handler of `event` (by its ABI name)."""

    def register(handler: Handler) -> Handler:
        _HANDLERS[event] = handler
        return handler

    return register


def _normalise(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return to_checksum_address(value)
    if isinstance(value, (list, tuple)):
        return [_normalise(v) for v in value]
    return value


class Watcher:
    """Follows the chain from the stored cursor and feeds the handlers."""

    def __init__(
        self,
        chain: Chain,
        engine: Engine,
        *,
        confirmations: int,
        max_range: int,
        crash: CrashPlan = NO_CRASH,
        on_event: Callable[[Event], None] | None = None,
        wake: threading.Event | None = None,
    ) -> None:
        self.chain = chain
        self.engine = engine
        self.confirmations = confirmations
        self.max_range = max_range
        self.crash = crash
        self.on_event = on_event
        self.wake = wake
        deployment = chain.deployment
        self.addresses = [deployment.address(name) for name in WATCHED]
        self._events: dict[tuple[str, bytes], tuple[str, list[dict[str, Any]]]] = {}
        for name in WATCHED:
            address = deployment.address(name).lower()
            for item in deployment.contracts[name].abi:
                if item.get("type") == "event" and item["name"] in _HANDLERS:
                    topic = event_abi_to_log_topic(item)  # type: ignore[arg-type]
                    self._events[(address, topic)] = (item["name"], item["inputs"])
        self.last_block = 0
        self.head = 0

    def decode(self, entry: dict[str, Any], block_time: int) -> Event | None:
        """The event a raw log encodes, or None for events the oracle does not handle."""
        topics = [bytes.fromhex(t[2:]) for t in entry["topics"]]
        if not topics:
            return None
        spec = self._events.get((str(entry["address"]).lower(), topics[0]))
        if spec is None:
            return None
        name, inputs = spec
        indexed = [i for i in inputs if i.get("indexed")]
        plain = [i for i in inputs if not i.get("indexed")]
        args: dict[str, Any] = {}
        for item, topic in zip(indexed, topics[1:], strict=True):
            args[item["name"]] = _normalise(abi_decode([collapse_if_tuple(item)], topic)[0])
        values = abi_decode([collapse_if_tuple(i) for i in plain], bytes.fromhex(str(entry["data"])[2:]))
        for item, value in zip(plain, values, strict=True):
            args[item["name"]] = _normalise(value)
        return Event(name, args, int(entry["blockNumber"], 16), block_time, str(entry["transactionHash"]))

    def cursor(self, session: Session) -> OracleCursor:
        row = session.get(OracleCursor, CURSOR)
        if row is None:
            start = self.chain.deployment.deployedAt - 1
            row = OracleCursor(name=CURSOR, chain_id=self.chain.chain_id, block=start, block_hash="")
        elif row.chain_id != self.chain.chain_id:
            raise RuntimeError(
                f"the oracle database follows chain {row.chain_id}, the node is chain {self.chain.chain_id}: use "
                "another HUNDI_ORACLE_DATABASE_URL for this chain"
            )
        return row

    def tick(self) -> bool:
        """Apply the next range of logs. Returns whether the cursor moved."""
        head = self.chain.head()
        self.head = head
        target = head - self.confirmations
        with Session(self.engine) as session:
            cursor = self.cursor(session)
            self.last_block = cursor.block
            if cursor.block_hash and cursor.block <= head:
                current = self.chain.block(cursor.block)["hash"]
                if current != cursor.block_hash:
                    back = max(self.chain.deployment.deployedAt - 1, cursor.block - REORG_STEP)
                    log.warning("reorg: replaying", extra={"from": back, "was": cursor.block})
                    cursor.block, cursor.block_hash = back, ""
                    session.add(cursor)
                    session.commit()
                    return True
            if cursor.block >= target:
                return False
            start, end = cursor.block + 1, min(target, cursor.block + self.max_range)
            logs = self.chain.rpc(
                "eth_getLogs", [{"fromBlock": hex(start), "toBlock": hex(end), "address": self.addresses}]
            )
            blocks = sorted({int(e["blockNumber"], 16) for e in logs} | {end})
            headers = self.chain.batch([("eth_getBlockByNumber", [hex(n), False]) for n in blocks])
            times = {n: int(h["timestamp"], 16) for n, h in zip(blocks, headers, strict=True)}
            events = [e for e in (self.decode(entry, times[int(entry["blockNumber"], 16)]) for entry in logs) if e]
            for event in events:
                _HANDLERS[event.name](self, session, event)
            self.crash.point("event-processed")
            cursor.block, cursor.block_hash = end, str(headers[-1]["hash"])
            session.add(cursor)
            session.commit()
            self.last_block = end
        for event in events:
            if self.on_event is not None:
                self.on_event(event)
        if events and self.wake is not None:
            self.wake.set()
        return True


# ---------------------------------------------------------------------- handlers


@on("InvoiceMinted")
def _minted(w: Watcher, session: Session, e: Event) -> None:
    invoice_id = int(e.args["invoiceId"])
    if session.get(OracleInvoice, invoice_id) is not None:
        return
    session.add(
        OracleInvoice(
            invoice_id=invoice_id,
            seller=e.args["seller"],
            invoice_key=e.args["invoiceKey"],
            buyer_id=e.args["buyerId"],
            face_value=str(e.args["faceValue"]),
            issue_date=int(e.args["issueDate"]),
            due_date=int(e.args["dueDate"]),
            doc_digest=e.args["docDigest"],
            doc_cid=str(e.args["docCid"]),
            mint_block=e.block,
            mint_time=e.block_time,
        )
    )
    session.flush()


@on("InvoiceStatusChanged")
def _status(w: Watcher, session: Session, e: Event) -> None:
    row = session.get(OracleInvoice, int(e.args["invoiceId"]))
    if row is None:
        return
    to = int(e.args["to"])
    row.status = to
    if to in (VERIFIED, REJECTED) and row.verification != "done":
        row.verification = "done"  # a report (ours or the peers') went through
    if to == FUNDED:
        # The book's grace is fixed at funding (the listing's); defaultableAfter reads dueDate + that grace.
        row.defaultable_after = int(w.chain.c.distributor.functions.defaultableAfter(row.invoice_id).call())
    elif to in (REPAID, DEFAULTED):
        row.defaultable_after = 0
        row.outcome = "repaid" if to == REPAID else "defaulted"
        row.outcome_block, row.outcome_time = e.block, e.block_time
    elif to != FUNDED:
        row.defaultable_after = 0
    session.add(row)


@on("RepaymentReceived")
def _repayment(w: Watcher, session: Session, e: Event) -> None:
    row = session.get(OracleInvoice, int(e.args["invoiceId"]))
    if row is None:
        return
    row.total_repaid = str(e.args["totalRepaid"])
    row.payout_due = True  # the auto-payout keeper runs claimFor for opted-in holders
    session.add(row)


@on("ReportAccepted")
def _accepted(w: Watcher, session: Session, e: Event) -> None:
    row = session.get(OutboxReport, str(e.args["reportId"]).lower())
    if row is not None and row.status in ("created", "signed"):
        row.status = "confirmed"
        row.detail = f"accepted on chain in {e.tx_hash}, submitted by {e.args['submitter']}"
        session.add(row)


@on("SignerSetUpdated")
def _signers(w: Watcher, session: Session, e: Event) -> None:
    w.chain.invalidate_signers()


@on("AutoPayoutSet")
def _auto_payout(w: Watcher, session: Session, e: Event) -> None:
    investor = str(e.args["investor"])
    row = session.get(OracleInvestor, investor)
    if row is None:
        row = OracleInvestor(investor=investor)
    row.auto_payout, row.block = bool(e.args["enabled"]), e.block
    session.add(row)


def opted_in(session: Session) -> list[str]:
    """Investors who currently want auto-payouts."""
    return list(session.exec(select(OracleInvestor.investor).where(col(OracleInvestor.auto_payout))).all())
