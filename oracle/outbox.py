"""The durable outbox: every report moves created -> signed -> submitted -> confirmed | failed in the database.

- created: computed by this node (the verification pipeline, or the bank intake through `enqueue_repayment`);
- signed: this node's EIP-712 signature is stored, and is being delivered to the peers;
- submitted: k valid signatures are held and the submitting transaction is queued (see `oracle.txmanager`);
- confirmed: the reportId is consumed on chain, by this node's transaction or by a peer's;
- failed: the chain refused it for good (the reason is in `detail`).

A report is identified by its reportId (its EIP-712 digest), so every step is idempotent. The chain's
`isReportUsed` is checked before anything is sent and is the final guard against a duplicate.

k of n: the node whose signer is the report's leader (reportId mod n over the sorted signer set) submits as soon as
it holds k signatures; every other node waits `rank x HUNDI_ORACLE_SUBMIT_STAGGER` seconds first and stands down
when it sees the report consumed. With the leader down, the next in rank submits.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from sqlalchemy import Engine, event
from sqlmodel import Session, col, select

from hundi.chain.reports import Repayment, Verification, recover_signer, report_digest, sign_report
from oracle.chain import Chain
from oracle.crash import NO_CRASH, CrashPlan
from oracle.db.models import OracleDelivery, OracleInvoice, OracleSignature, OracleTx, OutboxReport
from oracle.errors import PeerRefused
from oracle.peers import PeerClient
from oracle.settings import OracleSettings
from oracle.txmanager import TxManager

log = logging.getLogger("hundi.oracle.outbox")

PENDING = ("created", "signed", "submitted")
#: Reverts after which the report may still go through later (signatures re-collected, allowance or balance topped up).
RETRYABLE = frozenset(
    {
        "InsufficientSignatures",
        "UnknownSigner",
        "SignaturesNotSorted",
        "DuplicateSigner",
        "EnforcedPause",
        "ERC20InsufficientAllowance",
        "ERC20InsufficientBalance",
    }
)
#: Reverts meaning the report (or its bank payment) is already on chain: the work is done.
ALREADY_DONE = frozenset({"ReportAlreadyUsed", "BankRefAlreadyUsed"})
MAX_ATTEMPTS = 20
_MAX_UINT = 2**256 - 1


def _now() -> float:
    return time.time()


def report_from(kind: str, payload: dict[str, Any]) -> Verification | Repayment:
    """The report dataclass from its stored JSON payload."""
    if kind == "verification":
        return Verification(
            invoiceId=int(payload["invoiceId"]),
            docDigest=bytes.fromhex(str(payload["docDigest"])[2:]),
            approved=bool(payload["approved"]),
            riskScore=int(payload["riskScore"]),
            checks=int(payload["checks"]),
            deadline=int(payload["deadline"]),
            nonce=int(payload["nonce"]),
        )
    return Repayment(
        invoiceId=int(payload["invoiceId"]),
        amount=int(payload["amount"]),
        bankRef=bytes.fromhex(str(payload["bankRef"])[2:]),
        paidAt=int(payload["paidAt"]),
        deadline=int(payload["deadline"]),
        nonce=int(payload["nonce"]),
    )


def payload_of(report: Verification | Repayment) -> dict[str, Any]:
    """The JSON form of a report (bytes as 0x-hex, the uint128 amount as a string)."""
    if isinstance(report, Verification):
        return {
            "invoiceId": report.invoiceId,
            "docDigest": "0x" + report.docDigest.hex(),
            "approved": report.approved,
            "riskScore": report.riskScore,
            "checks": report.checks,
            "deadline": report.deadline,
            "nonce": report.nonce,
        }
    return {
        "invoiceId": report.invoiceId,
        "amount": str(report.amount),
        "bankRef": "0x" + report.bankRef.hex(),
        "paidAt": report.paidAt,
        "deadline": report.deadline,
        "nonce": report.nonce,
    }


def deadline_and_nonce(anchor: int, chain_now: int, ttl: int, *, first_nonce: int = 1) -> tuple[int, int]:
    """A deadline every operator computes alike: `anchor + ttl * nonce` for the smallest nonce >= first_nonce that
    leaves at least a tenth of the ttl to get the report on chain."""
    needed = chain_now + ttl // 10 - anchor
    nonce = max(first_nonce, math.floor(needed / ttl) + 1 if needed > 0 else 1)
    return anchor + ttl * nonce, nonce


class Outbox:
    """Creates, signs, exchanges and submits reports. Implements the bank intake's `RepaymentSink`."""

    def __init__(
        self,
        chain: Chain,
        engine: Engine,
        signer: LocalAccount,
        settings: OracleSettings,
        *,
        signer_tx: TxManager,
        collector_tx: TxManager | None,
        peers: PeerClient,
        crash: CrashPlan = NO_CRASH,
        wake: threading.Event | None = None,
    ) -> None:
        self.chain = chain
        self.engine = engine
        self.signer = signer
        self.settings = settings
        self.signer_tx = signer_tx
        self.collector_tx = collector_tx
        self.peers = peers
        self.crash = crash
        self.wake = wake or threading.Event()
        self._last_used_check = 0.0
        signer_tx.precheck = self._precheck
        signer_tx.settled = self._settled
        if collector_tx is not None:
            collector_tx.precheck = self._precheck
            collector_tx.settled = self._settled

    # ------------------------------------------------------------------ creating reports

    def chain_now(self) -> int:
        return int(self.chain.block("latest")["timestamp"], 16)

    def _store(self, session: Session, kind: str, report: Verification | Repayment, **fields: Any) -> str:
        report_id = "0x" + report_digest(report, self.chain.domain).hex()
        if session.get(OutboxReport, report_id) is None:
            now = _now()
            session.add(
                OutboxReport(
                    report_id=report_id,
                    kind=kind,
                    invoice_id=report.invoiceId,
                    payload=json.dumps(payload_of(report)),
                    created_at=now,
                    updated_at=now,
                    **fields,
                )
            )
            session.flush()
        return report_id

    def add_verification(
        self,
        session: Session,
        invoice: OracleInvoice,
        *,
        approved: bool,
        risk_score: int,
        checks: int,
        detail: str | None,
        chain_now: int,
    ) -> str:
        """Add the Verification report of `invoice` to `session` (the caller commits); returns its reportId."""
        deadline, nonce = deadline_and_nonce(invoice.mint_time, chain_now, self.settings.oracle_report_ttl)
        report = Verification(
            invoiceId=invoice.invoice_id,
            docDigest=bytes.fromhex(invoice.doc_digest[2:]),
            approved=approved,
            riskScore=risk_score,
            checks=checks,
            deadline=deadline,
            nonce=nonce,
        )
        return self._store(session, "verification", report, detail=detail)

    def enqueue_repayment(
        self, session: Session, *, invoice_id: int, amount: int, bank_ref: bytes, paid_at: int, transaction_id: str
    ) -> str:
        """RepaymentSink: add a Repayment report in the caller's session (not committing); returns its reportId."""
        deadline, nonce = deadline_and_nonce(paid_at, self.chain_now(), self.settings.oracle_report_ttl)
        report = Repayment(
            invoiceId=invoice_id, amount=amount, bankRef=bank_ref, paidAt=paid_at, deadline=deadline, nonce=nonce
        )
        report_id = self._store(session, "repayment", report, source=transaction_id[:128])
        log.info("repayment report created", extra={"report": report_id, "invoice": invoice_id, "amount": amount})
        # Wake the loop when the caller's transaction commits (before that, the loop could not see the report).
        event.listen(session, "after_commit", lambda _s: self.wake.set(), once=True)
        return report_id

    # ------------------------------------------------------------------ peer signatures

    def accept_peer_signature(
        self, report_id: str, signature_hex: str, invoice_id: int | None = None
    ) -> dict[str, Any]:
        """Store a peer's signature if it recovers to a current on-chain signer over a report this node computed.

        Raises:
            PeerRefused: 404 unknown report, 409 a different report for the same invoice, 422 malformed,
                403 not a current signer.
        """
        try:
            signature = bytes.fromhex(signature_hex.removeprefix("0x"))
        except ValueError:
            raise PeerRefused(422, "malformed_signature", "signature must be 65 bytes of 0x-hex") from None
        if len(signature) != 65:
            raise PeerRefused(422, "malformed_signature", f"signature must be 65 bytes, got {len(signature)}")
        with Session(self.engine) as session:
            row = session.get(OutboxReport, report_id.lower())
            if row is None:
                if invoice_id is not None:
                    mine = session.exec(
                        select(OutboxReport).where(
                            OutboxReport.invoice_id == invoice_id, OutboxReport.kind == "verification"
                        )
                    ).first()
                    if mine is not None:
                        raise PeerRefused(
                            409,
                            "report_mismatch",
                            f"this node computed report {mine.report_id} for invoice {invoice_id}, not {report_id}",
                        )
                raise PeerRefused(
                    404, "unknown_report", f"this node has not computed report {report_id} (yet); retry later"
                )
            report = report_from(row.kind, json.loads(row.payload))
            try:
                signer = to_checksum_address(recover_signer(report, self.chain.domain, signature))
            except Exception as exc:
                raise PeerRefused(422, "malformed_signature", f"signature does not recover: {exc}") from None
            signers = self.chain.signer_set()
            if signer not in signers.signers:
                raise PeerRefused(403, "not_a_signer", f"{signer} is not a current OracleHub signer")
            if session.get(OracleSignature, (row.report_id, signer)) is None:
                session.add(
                    OracleSignature(
                        report_id=row.report_id,
                        signer=signer,
                        signature="0x" + signature.hex(),
                        own=signer == self.signer.address,
                        received_at=_now(),
                    )
                )
                session.commit()
                self.wake.set()
            count = len(self._valid_signatures(session, row.report_id, signers.signers))
            return {"reportId": row.report_id, "signer": signer, "signatures": count, "threshold": signers.threshold}

    @staticmethod
    def _valid_signatures(session: Session, report_id: str, signers: tuple[str, ...]) -> dict[str, bytes]:
        rows = session.exec(select(OracleSignature).where(OracleSignature.report_id == report_id)).all()
        return {r.signer: bytes.fromhex(r.signature[2:]) for r in rows if r.signer in signers}

    # ------------------------------------------------------------------ the loop

    def tick(self) -> bool:
        """Sign new reports, deliver signatures, submit what has k signatures, notice reports consumed elsewhere."""
        progressed = self._sign_created()
        progressed |= self._deliver()
        progressed |= self._submit_ready()
        return progressed

    def _sign_created(self) -> bool:
        with Session(self.engine) as session:
            rows = session.exec(
                select(OutboxReport).where(OutboxReport.status == "created").order_by(col(OutboxReport.created_at))
            ).all()
            for row in rows:
                report = report_from(row.kind, json.loads(row.payload))
                signature = sign_report(report, self.chain.domain, self.signer.key)
                if session.get(OracleSignature, (row.report_id, self.signer.address)) is None:
                    session.add(
                        OracleSignature(
                            report_id=row.report_id,
                            signer=self.signer.address,
                            signature="0x" + signature.hex(),
                            own=True,
                            received_at=_now(),
                        )
                    )
                for peer in self.peers.urls:
                    if session.get(OracleDelivery, (row.report_id, peer)) is None:
                        session.add(OracleDelivery(report_id=row.report_id, peer=peer))
                row.status, row.updated_at = "signed", _now()
                session.add(row)
                session.commit()
                self.crash.point("report-signed")
                log.info("report signed", extra={"report": row.report_id, "kind": row.kind, "invoice": row.invoice_id})
            return bool(rows)

    def _deliver(self) -> bool:
        now = _now()
        with Session(self.engine) as session:
            due = session.exec(
                select(OracleDelivery, OutboxReport, OracleSignature)
                .where(
                    OracleDelivery.report_id == OutboxReport.report_id,
                    OracleSignature.report_id == OutboxReport.report_id,
                    OracleSignature.signer == self.signer.address,
                    OracleDelivery.delivered == False,  # noqa: E712 (SQL comparison)
                    OracleDelivery.next_attempt_at <= now,
                    col(OutboxReport.status).in_(("signed", "submitted")),
                )
                .limit(64)
            ).all()
            delivered = False
            for delivery, report, own in due:
                status = self.peers.deliver(delivery.peer, report.report_id, own.signature, report.invoice_id)
                delivery.attempts += 1
                if status == 200:
                    delivery.delivered = True
                    delivered = True
                else:  # the peer is down or has not computed the report yet: back off, up to 10 s
                    delivery.next_attempt_at = now + min(10.0, 0.25 * 2 ** min(delivery.attempts, 6))
                session.add(delivery)
            session.commit()
            return delivered

    def _submit_ready(self) -> bool:
        now = _now()
        with Session(self.engine) as session:
            rows = session.exec(select(OutboxReport).where(OutboxReport.status == "signed")).all()
            if not rows:
                return False
            signers = self.chain.signer_set()
            chain_now = self.chain_now()
            ready: list[tuple[OutboxReport, dict[str, bytes]]] = []
            for row in rows:
                if row.next_attempt_at > now:
                    continue
                payload = json.loads(row.payload)
                if int(payload["deadline"]) <= chain_now:
                    self._expire(session, row, payload, chain_now)
                    continue
                sigs = self._valid_signatures(session, row.report_id, signers.signers)
                if len(sigs) < signers.threshold:
                    continue
                if row.kind == "repayment" and self.collector_tx is None:
                    continue  # k signatures, but only a collector node can settle a repayment
                wait = self._rank(row.report_id, signers.signers) * self.settings.oracle_submit_stagger
                if row.attempts == 0 and wait > 0:
                    row.attempts, row.next_attempt_at = 1, now + wait  # give the leader its head start
                    session.add(row)
                    continue
                ready.append((row, sigs))
            # Peers' submissions: one batched isReportUsed over everything still open (at most once a second).
            check = [r for r in rows if r.status == "signed"]
            if ready or (check and now - self._last_used_check > 1.0):
                self._last_used_check = now
                used = self.chain.reports_used([r.report_id for r in check])
                for row in check:
                    if used.get(row.report_id):
                        self._mark(session, row, "confirmed", "consumed on chain by another operator's transaction")
                ready = [(r, s) for r, s in ready if not used.get(r.report_id)]
            for row, sigs in ready:
                self._queue(session, row, sigs, signers.threshold)
            session.commit()
            if ready:
                self.crash.point("tx-queued")
            return bool(ready)

    def _rank(self, report_id: str, signers: tuple[str, ...]) -> int:
        """This node's place in the report's submission order (0 = leader)."""
        ordered = sorted(signers, key=lambda s: int(s, 16))
        if self.signer.address not in ordered:
            return len(ordered)
        leader = int(report_id, 16) % len(ordered)
        return (ordered.index(self.signer.address) - leader) % len(ordered)

    def _queue(self, session: Session, row: OutboxReport, sigs: dict[str, bytes], threshold: int) -> None:
        chosen = [sigs[s] for s in sorted(sigs, key=lambda s: int(s, 16))[:threshold]]  # sorted by signer address
        report = report_from(row.kind, json.loads(row.payload))
        c = self.chain.c
        if isinstance(report, Verification):
            data = c.hub.encode_abi("submitVerification", [report.as_tuple(), chosen])
            tx = self.signer_tx.enqueue(
                session,
                purpose="verification",
                to=c.hub.address,
                data=data,
                report_id=row.report_id,
                invoice_id=row.invoice_id,
            )
        else:
            assert self.collector_tx is not None  # noqa: S101 (checked by the caller)
            self._ensure_allowance(session, report.amount)
            data = c.distributor.encode_abi("settleRepayment", [report.as_tuple(), chosen])
            tx = self.collector_tx.enqueue(
                session,
                purpose="repayment",
                to=c.distributor.address,
                data=data,
                report_id=row.report_id,
                invoice_id=row.invoice_id,
            )
        row.tx_id = tx.id
        self._mark(session, row, "submitted", None)
        log.info("report submitted", extra={"report": row.report_id, "kind": row.kind, "signatures": len(chosen)})

    def _ensure_allowance(self, session: Session, amount: int) -> None:
        """Queue an approve(distributor, max) from the collector when its allowance cannot cover `amount`."""
        assert self.collector_tx is not None  # noqa: S101
        coin, distributor = self.chain.c.stablecoin, self.chain.c.distributor
        allowance = int(coin.functions.allowance(self.collector_tx.sender, distributor.address).call())
        if allowance >= amount:
            return
        open_approve = session.exec(
            select(OracleTx).where(
                OracleTx.sender == self.collector_tx.sender,
                OracleTx.purpose == "approve",
                col(OracleTx.status).in_(("queued", "signed", "pending")),
            )
        ).first()
        if open_approve is None:
            data = coin.encode_abi("approve", [distributor.address, _MAX_UINT])
            self.collector_tx.enqueue(session, purpose="approve", to=coin.address, data=data)

    def _expire(self, session: Session, row: OutboxReport, payload: dict[str, Any], chain_now: int) -> None:
        """A report past its deadline fails; a successor with the next nonce (and a later deadline) replaces it."""
        self._mark(session, row, "failed", f"deadline {payload['deadline']} passed before k signatures were on chain")
        report = report_from(row.kind, payload)
        anchor = (
            int(payload["paidAt"])
            if row.kind == "repayment"
            else int(payload["deadline"]) - (self.settings.oracle_report_ttl * int(payload["nonce"]))
        )
        deadline, nonce = deadline_and_nonce(
            anchor, chain_now, self.settings.oracle_report_ttl, first_nonce=report.nonce + 1
        )
        if isinstance(report, Verification):
            successor: Verification | Repayment = Verification(
                report.invoiceId, report.docDigest, report.approved, report.riskScore, report.checks, deadline, nonce
            )
        else:
            successor = Repayment(report.invoiceId, report.amount, report.bankRef, report.paidAt, deadline, nonce)
        new_id = self._store(session, row.kind, successor, source=row.source, detail=row.detail)
        log.warning("report expired; successor created", extra={"report": row.report_id, "successor": new_id})

    def _mark(self, session: Session, row: OutboxReport, status: str, detail: str | None) -> None:
        row.status, row.updated_at = status, _now()
        if detail is not None:
            row.detail = detail if row.detail is None or status != "confirmed" else f"{row.detail}; {detail}"
        session.add(row)

    # ------------------------------------------------------------------ transaction callbacks

    def _precheck(self, session: Session, tx: OracleTx) -> str | None:
        """Just before a report's transaction gets a nonce: is it still needed? (isReportUsed, the idempotence key)"""
        if tx.report_id is None:
            return None
        row = session.get(OutboxReport, tx.report_id)
        if row is None or row.status != "submitted":
            return f"report is {row.status if row else 'gone'}"
        if self.chain.reports_used([tx.report_id])[tx.report_id]:
            return "ReportAlreadyUsed"
        return None

    def _settled(self, session: Session, tx: OracleTx) -> None:
        """A report's transaction reached a final state: move the report on in the same database transaction."""
        if tx.report_id is None:
            if tx.status in ("reverted", "cancelled"):
                log.warning("keeper transaction failed", extra={"purpose": tx.purpose, "error": tx.error})
            return
        row = session.get(OutboxReport, tx.report_id)
        if row is None or row.status != "submitted" or row.tx_id != tx.id:
            return
        error = (tx.error or "").split("(")[0].strip()
        if tx.status == "mined":
            self._mark(session, row, "confirmed", f"accepted in transaction {tx.mined_hash}")
        elif error in ALREADY_DONE:
            self._mark(session, row, "confirmed", f"already on chain ({error})")
        elif tx.status == "dropped" or error in RETRYABLE:
            row.attempts += 1
            if row.attempts > MAX_ATTEMPTS:
                self._mark(session, row, "failed", f"gave up after {row.attempts} attempts: {tx.error}")
            else:
                row.next_attempt_at = _now() + self.settings.oracle_retry_interval
                self._mark(session, row, "signed", f"retrying: {tx.error}")
        else:
            self._mark(session, row, "failed", f"refused on chain: {tx.error}")
        self.wake.set()
