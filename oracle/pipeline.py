"""The verification pipeline: for each minted invoice, fetch and decrypt its document by CID, check the digest, OCR
it against the on-chain fields, check the GSTINs, registry and IRN (`hundi.verification.verify_invoice`), score the
risk from chain history (`hundi.risk`), and put a Verification report in the outbox.

A mismatch is a verdict, not an error: it yields approved=false with the failing check bits, so the invoice ends
Rejected. Only failures that say nothing about the invoice (the store, the registry or Tesseract unavailable) hold
it for a retry; the hold and its reason are visible on the status endpoint.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy import Engine
from sqlmodel import Session, col, or_, select

from hundi.documents import DocumentVault
from hundi.documents.errors import DecryptionFailed, DocumentError, DocumentNotFound, IntegrityError, InvalidCid
from hundi.gst.errors import RegistryError
from hundi.gst.registry import GstRegistry
from hundi.ocr.errors import OcrUnavailable
from hundi.ocr.fields import ExtractionResult
from hundi.risk import DEFAULT_MODEL, InvoiceOutcome, RiskModel, buyer_history, seller_history
from hundi.verification import DeclaredInvoice, ist_date, verify_invoice
from oracle.crash import NO_CRASH, CrashPlan
from oracle.db.models import OracleInvoice
from oracle.outbox import Outbox

log = logging.getLogger("hundi.oracle.pipeline")

MINTED = 1
BATCH = 4


def history(session: Session, before_block: int) -> list[InvoiceOutcome]:
    """Outcomes of invoices settled before `before_block`: every operator scores from the same chain history."""
    rows = session.exec(
        select(OracleInvoice).where(
            col(OracleInvoice.outcome).is_not(None), col(OracleInvoice.outcome_block) < before_block
        )
    ).all()
    outcomes = []
    for row in rows:
        repaid = row.outcome == "repaid"
        outcomes.append(
            InvoiceOutcome(
                seller=row.seller,
                buyer_id=bytes.fromhex(row.buyer_id[2:]),
                due_date=ist_date(row.due_date),
                status="repaid" if repaid else "defaulted",
                repaid_on=ist_date(row.outcome_time or 0) if repaid else None,
            )
        )
    return outcomes


class VerificationPipeline:
    """Turns minted invoices into Verification reports."""

    def __init__(
        self,
        engine: Engine,
        outbox: Outbox,
        vault: DocumentVault,
        registry: GstRegistry,
        *,
        decimals: int,
        retry_interval: float,
        risk_model: RiskModel = DEFAULT_MODEL,
        extract: Callable[[bytes], ExtractionResult] | None = None,
        crash: CrashPlan = NO_CRASH,
        on_verified: Callable[[int, float], None] | None = None,
    ) -> None:
        self.engine = engine
        self.outbox = outbox
        self.vault = vault
        self.registry = registry
        self.decimals = decimals
        self.retry_interval = retry_interval
        self.risk_model = risk_model
        self.extract = extract
        self.crash = crash
        self.on_verified = on_verified

    def tick(self) -> bool:
        now = time.time()
        with Session(self.engine) as session:
            ids = session.exec(
                select(OracleInvoice.invoice_id)
                .where(
                    OracleInvoice.status == MINTED,
                    or_(
                        OracleInvoice.verification == "pending",
                        (OracleInvoice.verification == "held") & (OracleInvoice.next_attempt_at <= now),
                    ),
                )
                .order_by(col(OracleInvoice.invoice_id))
                .limit(BATCH)
            ).all()
        for invoice_id in ids:
            self.verify(invoice_id)
        return bool(ids)

    def verify(self, invoice_id: int) -> None:
        """Verify one invoice and store its report (or hold it with the reason)."""
        started = time.monotonic()
        with Session(self.engine) as session:
            row = session.get(OracleInvoice, invoice_id)
            if row is None or row.verification == "done":
                return
            declared = DeclaredInvoice(
                invoice_key=bytes.fromhex(row.invoice_key[2:]),
                buyer_id=bytes.fromhex(row.buyer_id[2:]),
                face_value=int(row.face_value),
                issue_date=row.issue_date,
                due_date=row.due_date,
                doc_digest=bytes.fromhex(row.doc_digest[2:]),
                decimals=self.decimals,
            )
            try:
                document = self.vault.load(row.doc_cid)
            except (DocumentNotFound, InvalidCid, DecryptionFailed, IntegrityError) as exc:
                # The document behind the minted CID cannot be read with the operators' key: nothing on the invoice
                # is supported, so every bit is clear. (DocumentNotFound is held a while first: a store may lag.)
                if isinstance(exc, DocumentNotFound) and row.verify_attempts < 5:
                    self._hold(session, row, f"document not found yet: {exc}")
                    return
                self._report(session, row, approved=False, checks=0, risk=0, detail=f"document unreadable: {exc}")
                return
            except DocumentError as exc:
                self._hold(session, row, f"document store unavailable: {exc}")
                return
            outcomes = history(session, row.mint_block)
            kwargs = {"extract": self.extract} if self.extract is not None else {}
            try:
                result = verify_invoice(
                    document,
                    declared,
                    self.registry,
                    seller_history=seller_history(outcomes, row.seller),
                    buyer_history=buyer_history(outcomes, declared.buyer_id),
                    risk_model=self.risk_model,
                    **kwargs,
                )
            except (OcrUnavailable, RegistryError) as exc:
                self._hold(session, row, f"{type(exc).__name__}: {exc}")
                return
            fields = result.extraction.fields if result.extraction else None
            if fields is not None:
                row.invoice_number = fields.invoice_number.value if fields.invoice_number else None
                row.seller_gstin = fields.seller_gstin.value if fields.seller_gstin else None
            detail = "; ".join(str(m) for m in result.mismatches) or None
            risk = result.risk.score if result.risk is not None else 0
            self._report(session, row, approved=result.approved, checks=result.checks, risk=risk, detail=detail)
        if self.on_verified is not None:
            self.on_verified(invoice_id, time.monotonic() - started)

    def _report(
        self, session: Session, row: OracleInvoice, *, approved: bool, checks: int, risk: int, detail: str | None
    ) -> None:
        report_id = self.outbox.add_verification(
            session,
            row,
            approved=approved,
            risk_score=risk,
            checks=checks,
            detail=detail,
            chain_now=self.outbox.chain_now(),
        )
        row.verification, row.detail = "done", detail
        session.add(row)
        session.commit()
        self.crash.point("report-created")
        log.info(
            "invoice verified",
            extra={
                "invoice": row.invoice_id,
                "report": report_id,
                "approved": approved,
                "checks": checks,
                "risk": risk,
            },
        )

    def _hold(self, session: Session, row: OracleInvoice, reason: str) -> None:
        row.verification, row.detail = "held", reason
        row.verify_attempts += 1
        row.next_attempt_at = time.time() + self.retry_interval * min(row.verify_attempts, 12)
        session.add(row)
        session.commit()
        log.warning("verification held", extra={"invoice": row.invoice_id, "reason": reason})
