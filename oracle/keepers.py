"""Keepers: the permissionless calls that keep invoices moving.

- `markDefaulted(id)` once the chain's clock passes `defaultableAfter(id)` (dueDate plus the grace period fixed in
  the invoice's book at funding) while the invoice is still Funded;
- `claimFor(id, investors)` in bounded batches for holders who opted into auto-payout (AutoPayoutSet), after every
  repayment and on demand (`POST /api/v1/payouts/distribute/{invoiceId}`).

Both only queue transactions; the transaction manager sends them.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from oracle.chain import Chain
from oracle.db.models import OracleInvoice, OracleTx
from oracle.txmanager import TxManager
from oracle.watcher import FUNDED, opted_in

log = logging.getLogger("hundi.oracle.keepers")

_OPEN = ("queued", "signed", "pending")


@dataclass(frozen=True)
class Payout:
    """What one distribution run queued."""

    invoice_id: int
    investors: list[str]
    transactions: list[int]


class Keepers:
    """Queues markDefaulted and claimFor transactions from the sender's TxManager."""

    def __init__(self, chain: Chain, engine: Engine, tx: TxManager, *, batch: int, retry_interval: float) -> None:
        self.chain = chain
        self.engine = engine
        self.tx = tx
        self.batch = batch
        self.retry_interval = retry_interval
        self._tried: dict[int, float] = {}

    def tick(self) -> bool:
        progressed = self._defaults()
        with Session(self.engine) as session:
            due = session.exec(select(OracleInvoice).where(col(OracleInvoice.payout_due))).all()
            for row in due:
                self.distribute(session, row.invoice_id)
                row.payout_due = False
                session.add(row)
            session.commit()
        return progressed or bool(due)

    def _defaults(self) -> bool:
        chain_now = int(self.chain.block("latest")["timestamp"], 16)
        now = time.monotonic()
        queued = False
        with Session(self.engine) as session:
            rows = session.exec(
                select(OracleInvoice).where(
                    OracleInvoice.status == FUNDED,
                    OracleInvoice.defaultable_after > 0,
                    OracleInvoice.defaultable_after < chain_now,
                )
            ).all()
            for row in rows:
                if now - self._tried.get(row.invoice_id, -1e9) < self.retry_interval:
                    continue
                busy = session.exec(
                    select(OracleTx.id).where(
                        OracleTx.purpose == "markDefaulted",
                        OracleTx.invoice_id == row.invoice_id,
                        col(OracleTx.status).in_(_OPEN),
                    )
                ).first()
                if busy is not None:
                    continue
                self._tried[row.invoice_id] = now
                distributor = self.chain.c.distributor
                self.tx.enqueue(
                    session,
                    purpose="markDefaulted",
                    to=distributor.address,
                    data=distributor.encode_abi("markDefaulted", [row.invoice_id]),
                    invoice_id=row.invoice_id,
                )
                queued = True
                log.info("default queued", extra={"invoice": row.invoice_id, "after": row.defaultable_after})
            session.commit()
        return queued

    def distribute(self, session: Session, invoice_id: int) -> Payout:
        """Queue claimFor batches for the opted-in investors with something to claim on `invoice_id` (in `session`,
        the caller commits)."""
        investors = opted_in(session)
        distributor = self.chain.c.distributor
        calls = [
            (
                "eth_call",
                [{"to": distributor.address, "data": distributor.encode_abi("claimable", [invoice_id, a])}, "latest"],
            )
            for a in investors
        ]
        owed = []
        for investor, result in zip(investors, self.chain.batch(calls), strict=True):
            if isinstance(result, Exception):
                raise result
            if int(result, 16) > 0:
                owed.append(investor)
        txs = []
        for start in range(0, len(owed), self.batch):
            chunk = owed[start : start + self.batch]
            tx = self.tx.enqueue(
                session,
                purpose="claimFor",
                to=distributor.address,
                data=distributor.encode_abi("claimFor", [invoice_id, chunk]),
                invoice_id=invoice_id,
            )
            txs.append(int(tx.id or 0))
        if owed:
            log.info("auto-payout queued", extra={"invoice": invoice_id, "investors": len(owed), "txs": len(txs)})
        return Payout(invoice_id, owed, txs)
