"""The transaction manager: one nonce source per sending account, EIP-1559 fees, a bounded number of transactions in
flight, fee-bumped replacement of stuck transactions, and crash safety.

Crash safety comes from write-ahead order. A transaction is stored *queued* (no nonce) in the same database
transaction as whatever needs it (a report moving to submitted). The manager then, in one database transaction,
assigns the next nonce and stores the signed bytes (*signed*); only after that commit does it broadcast (*pending*).
A restart re-broadcasts every signed or pending transaction from its stored bytes (a node answers "already known"),
so an assigned nonce is always eventually used: no gap, whatever the moment of a kill -9. Replacements keep the
nonce and bump both fee fields by at least 12.5% (geth and anvil refuse a replacement below +10%); the receipt of
any hash ever broadcast for the nonce settles it.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from typing import Any

from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from oracle.chain import Chain, RpcFailure
from oracle.crash import NO_CRASH, CrashPlan
from oracle.db.models import OracleTx
from oracle.errors import Reverted
from oracle.settings import OracleSettings

log = logging.getLogger("hundi.oracle.tx")

#: Statuses of a transaction that holds a nonce and is not settled yet.
IN_FLIGHT = ("signed", "pending")
#: Final statuses.
FINAL = ("mined", "reverted", "cancelled", "dropped")

# Callbacks, run inside the database transaction that records the outcome, so both commit together.
Precheck = Callable[[Session, OracleTx], str | None]  # a reason to cancel the queued tx, or None to send it
Settled = Callable[[Session, OracleTx], None]


def _now() -> float:
    return time.time()


class TxManager:
    """Sends the transactions of one account. Only one thread (the service loop) calls `tick`."""

    def __init__(
        self,
        chain: Chain,
        engine: Engine,
        account: LocalAccount,
        settings: OracleSettings,
        *,
        crash: CrashPlan = NO_CRASH,
        precheck: Precheck | None = None,
        settled: Settled | None = None,
    ) -> None:
        self.chain = chain
        self.engine = engine
        self.account = account
        self.sender = str(account.address)
        self.settings = settings
        self.crash = crash
        self.precheck = precheck
        self.settled = settled
        self.sent = 0
        self.replaced = 0

    # ------------------------------------------------------------------ queueing

    def enqueue(
        self,
        session: Session,
        *,
        purpose: str,
        to: str,
        data: str,
        report_id: str | None = None,
        invoice_id: int | None = None,
    ) -> OracleTx:
        """Add a transaction to the queue in `session` (the caller commits)."""
        now = _now()
        tx = OracleTx(
            sender=self.sender,
            purpose=purpose,
            to=to,
            data=data,
            report_id=report_id,
            invoice_id=invoice_id,
            created_at=now,
            updated_at=now,
        )
        session.add(tx)
        session.flush()
        return tx

    # ------------------------------------------------------------------ the loop

    def tick(self) -> bool:
        """One round: settle mined transactions, broadcast stored ones, replace stuck ones, send queued ones within
        the in-flight bound. Returns whether anything changed."""
        head = self.chain.head()
        progressed = self._settle(head)
        progressed |= self._broadcast_stored(head)
        progressed |= self._replace_stuck(head)
        progressed |= self._send_queued(head)
        return progressed

    def in_flight(self, session: Session) -> list[OracleTx]:
        return list(
            session.exec(
                select(OracleTx)
                .where(OracleTx.sender == self.sender, col(OracleTx.status).in_(IN_FLIGHT))
                .order_by(col(OracleTx.nonce))
            ).all()
        )

    def _settle(self, head: int) -> bool:
        with Session(self.engine) as session:
            rows = self.in_flight(session)
            if not rows:
                return False
            hashes = [(row, h) for row in rows for h in json.loads(row.hashes)]
            if not hashes:
                return False
            # The account's nonce is read *before* the receipts: a nonce used by then shows up in a receipt below
            # if any of our hashes used it, so "used, and none of ours" is never a race with mining.
            chain_nonce = int(self.chain.rpc("eth_getTransactionCount", [self.sender, "latest"]), 16)
            receipts = self.chain.batch([("eth_getTransactionReceipt", [h]) for _, h in hashes])
            mined: dict[int, dict[str, Any]] = {}
            for (row, _h), receipt in zip(hashes, receipts, strict=True):
                if isinstance(receipt, dict) and receipt.get("blockNumber") and row.id is not None:
                    mined[row.id] = receipt
            changed = False
            for row in rows:
                receipt = mined.get(row.id or -1)
                if receipt is None:
                    if row.status == "pending" and row.nonce is not None and chain_nonce > row.nonce:
                        # The nonce is used, by none of our hashes: another process sent with this account.
                        self._finish(session, row, "dropped", error="nonce used by a transaction not sent here")
                        changed = True
                    continue
                self.crash.point("tx-mined")
                ok = int(receipt["status"], 16) == 1
                row.mined_hash = str(receipt["transactionHash"])
                row.block_number = int(receipt["blockNumber"], 16)
                error = None if ok else self._revert_reason(row, row.block_number)
                self._finish(session, row, "mined" if ok else "reverted", error=error)
                log.info(
                    "transaction mined" if ok else "transaction reverted",
                    extra={"purpose": row.purpose, "tx": row.mined_hash, "nonce": row.nonce, "error": error},
                )
                changed = True
            if changed:
                session.commit()
                self.crash.point("report-confirmed")
            return changed

    def _revert_reason(self, row: OracleTx, block: int) -> str:
        """Replay the call against the state the block left to learn the custom error (receipts carry no data)."""
        try:
            self.chain.call(row.to, row.data, sender=self.sender, block=hex(block))
        except Reverted as exc:
            return exc.error
        except RpcFailure as exc:
            return f"reverted ({exc.message})"
        try:  # after the block it passes: it failed on state earlier in that block
            self.chain.call(row.to, row.data, sender=self.sender, block=hex(block - 1))
        except Reverted as exc:
            return exc.error
        except RpcFailure:
            pass
        return "reverted (reason unknown)"

    def _finish(self, session: Session, row: OracleTx, status: str, *, error: str | None = None) -> None:
        row.status = status
        row.error = error
        row.updated_at = _now()
        session.add(row)
        if self.settled is not None:
            self.settled(session, row)

    def _broadcast(self, row: OracleTx) -> None:
        """Send the stored bytes; "already known" and "nonce too low" mean the node has (or had) it."""
        assert row.raw is not None  # noqa: S101 (signed rows always carry their bytes)
        try:
            self.chain.rpc("eth_sendRawTransaction", [row.raw])
        except RpcFailure as exc:
            message = exc.message.lower()
            if any(s in message for s in ("already known", "known transaction", "nonce too low", "already imported")):
                return
            if "underpriced" in message:  # a pricier tx with this nonce is in the pool already (an earlier bump)
                return
            raise

    def _broadcast_stored(self, head: int) -> bool:
        with Session(self.engine) as session:
            rows = session.exec(
                select(OracleTx)
                .where(OracleTx.sender == self.sender, OracleTx.status == "signed")
                .order_by(col(OracleTx.nonce))
            ).all()
            for row in rows:
                self._broadcast(row)
                self.crash.point("tx-broadcast")
                row.status, row.sent_block, row.updated_at = "pending", head, _now()
                session.add(row)
                session.commit()
            return bool(rows)

    def _fees(self) -> tuple[int, int]:
        """(maxFeePerGas, maxPriorityFeePerGas) for a new transaction: twice the base fee plus the tip, capped."""
        latest = self.chain.block("latest")
        base = int(latest.get("baseFeePerGas", "0x0"), 16)
        tip = self.settings.oracle_priority_fee_wei
        if tip is None:
            try:
                tip = int(self.chain.rpc("eth_maxPriorityFeePerGas"), 16)
            except RpcFailure:
                tip = 10**9
        cap = self.settings.oracle_max_fee_wei
        tip = min(tip, cap)
        return min(2 * base + tip, cap), tip

    def _sign(self, row: OracleTx, nonce: int, gas: int, max_fee: int, tip: int) -> None:
        tx: dict[str, Any] = {
            "type": 2,
            "chainId": self.chain.chain_id,
            "nonce": nonce,
            "to": row.to,
            "value": 0,
            "data": row.data,
            "gas": gas,
            "maxFeePerGas": max_fee,
            "maxPriorityFeePerGas": tip,
        }
        signed = self.account.sign_transaction(tx)
        tx_hash = "0x" + bytes(signed.hash).hex()
        row.nonce, row.gas, row.max_fee, row.priority_fee = nonce, gas, max_fee, tip
        row.raw = "0x" + bytes(signed.raw_transaction).hex()
        row.tx_hash = tx_hash
        row.hashes = json.dumps([*json.loads(row.hashes), tx_hash])

    def _replace_stuck(self, head: int) -> bool:
        after = self.settings.oracle_replace_after_blocks
        bump = 1 + self.settings.oracle_fee_bump_percent / 100
        changed = False
        with Session(self.engine) as session:
            for row in self.in_flight(session):
                if row.status != "pending" or row.sent_block is None or head - row.sent_block < after:
                    continue
                assert row.nonce is not None and row.gas is not None  # noqa: S101
                old_max, old_tip = row.max_fee or 0, row.priority_fee or 0
                max_now, tip_now = self._fees()
                tip = max(math.ceil(old_tip * bump), tip_now)
                max_fee = max(math.ceil(old_max * bump), max_now, tip)
                if max_fee > self.settings.oracle_max_fee_wei:
                    log.warning(
                        "stuck transaction not replaced: the bump would pass HUNDI_ORACLE_MAX_FEE_WEI",
                        extra={"tx": row.tx_hash, "nonce": row.nonce, "max_fee": max_fee},
                    )
                    row.sent_block = head  # look again after another window
                    session.add(row)
                    session.commit()
                    continue
                self._sign(row, row.nonce, row.gas, max_fee, tip)
                row.replacements += 1
                row.status, row.sent_block, row.updated_at = "signed", head, _now()
                session.add(row)
                session.commit()  # the new bytes are stored before they are sent, like a first broadcast
                self._broadcast(row)
                row.status = "pending"
                session.add(row)
                session.commit()
                self.replaced += 1
                changed = True
                log.info(
                    "stuck transaction replaced",
                    extra={"tx": row.tx_hash, "nonce": row.nonce, "max_fee": max_fee, "tip": tip, "was": old_max},
                )
        return changed

    def _next_nonce(self, session: Session) -> int:
        stored = session.exec(select(func.max(OracleTx.nonce)).where(OracleTx.sender == self.sender)).one()
        chain = int(self.chain.rpc("eth_getTransactionCount", [self.sender, "latest"]), 16)
        return max(chain, -1 if stored is None else int(stored) + 1)

    def _send_queued(self, head: int) -> bool:
        changed = False
        with Session(self.engine) as session:
            room = self.settings.oracle_max_in_flight - len(self.in_flight(session))
            if room <= 0:
                return False
            queued = session.exec(
                select(OracleTx)
                .where(OracleTx.sender == self.sender, OracleTx.status == "queued")
                .order_by(col(OracleTx.id))
                .limit(room)
            ).all()
            for row in queued:
                reason = self.precheck(session, row) if self.precheck is not None else None
                if reason is not None:
                    self._finish(session, row, "cancelled", error=reason)
                    session.commit()
                    changed = True
                    continue
                try:
                    estimate = int(
                        self.chain.rpc("eth_estimateGas", [{"from": self.sender, "to": row.to, "data": row.data}]), 16
                    )
                except Reverted as exc:
                    # It would revert: no nonce is spent on it. The caller's callback decides what that means.
                    self._finish(session, row, "cancelled", error=exc.error)
                    session.commit()
                    log.info(
                        "transaction not sent: it would revert", extra={"purpose": row.purpose, "error": exc.error}
                    )
                    changed = True
                    continue
                max_fee, tip = self._fees()
                self._sign(row, self._next_nonce(session), estimate * 5 // 4 + 10_000, max_fee, tip)
                row.status, row.updated_at = "signed", _now()
                session.add(row)
                session.commit()
                self.crash.point("tx-signed")
                self._broadcast(row)
                self.crash.point("tx-broadcast")
                row.status, row.sent_block = "pending", head
                session.add(row)
                session.commit()
                self.sent += 1
                changed = True
                log.info("transaction sent", extra={"purpose": row.purpose, "tx": row.tx_hash, "nonce": row.nonce})
        return changed
