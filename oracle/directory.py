"""The invoice directory the bank intake matches payments against (``oracle.bank.intake.InvoiceDirectory``).

It is filled from InvoiceMinted (the watcher), the invoice number and seller GSTIN the verification pipeline read
from the document, and the status and repayment events; `outstanding` is faceValue minus the repaid total."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from oracle.bank.intake import KnownInvoice
from oracle.db.models import OracleInvoice

STATUS_NAMES = ("None", "Minted", "Verified", "Rejected", "Listed", "Funded", "Repaid", "Defaulted", "Cancelled")


def outstanding(row: OracleInvoice) -> int:
    """Base units still owed on `row` (never negative: surplus goes to the seller)."""
    return max(0, int(row.face_value) - int(row.total_repaid))


class Directory:
    """InvoiceDirectory over the ``oracle_invoice`` table."""

    def find_by_number(self, session: Session, invoice_number: str) -> Sequence[KnownInvoice]:
        """Every known invoice carrying `invoice_number` (exact match), in any status."""
        rows = session.exec(
            select(OracleInvoice)
            .where(OracleInvoice.invoice_number == invoice_number)
            .order_by(col(OracleInvoice.invoice_id))
        ).all()
        return [_known(row) for row in rows]

    def find_by_id(self, session: Session, invoice_id: int) -> KnownInvoice | None:
        """The known invoice `invoice_id`, or None."""
        row = session.get(OracleInvoice, invoice_id)
        return None if row is None else _known(row)


def _known(row: OracleInvoice) -> KnownInvoice:
    return KnownInvoice(
        invoice_id=row.invoice_id,
        invoice_number=row.invoice_number or "",
        seller_gstin=row.seller_gstin or "",
        status=row.status,
        outstanding=outstanding(row),
    )


def invoice_public(row: OracleInvoice) -> dict[str, Any]:
    """The JSON the `/oracle/v1/invoices/{id}` endpoint returns."""
    return {
        "invoiceId": row.invoice_id,
        "invoiceNumber": row.invoice_number,
        "sellerGstin": row.seller_gstin,
        "seller": row.seller,
        "status": row.status,
        "statusName": STATUS_NAMES[row.status] if 0 <= row.status < len(STATUS_NAMES) else str(row.status),
        "faceValue": row.face_value,
        "totalRepaid": row.total_repaid,
        "outstanding": str(outstanding(row)),
        "dueDate": row.due_date,
        "verification": row.verification,
    }
