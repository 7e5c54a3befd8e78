"""The invoice the SME of the browser tests uploads: a real GST tax invoice PDF (rendered by the synthetic invoice
generator of tests/fixtures/invoices.py) between taxpayers of the sandbox GST registry, dated today in IST, so the
oracle's own verification (OCR, registry, IRN, digest) approves it.

The seller is one the demo seed never uses, so its invoice key cannot collide with a seeded invoice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from hundi.devstack.documents import Party, tax_invoice
from hundi.verification import IST
from tests.fixtures.invoices import InvoiceSpec, LineItem, render_pdf

SELLER = Party(
    "33AAHCK2290L1ZD", "Kaveri Agro Foods Private Limited", "17 Industrial Estate, Ambattur", "Chennai, Tamil Nadu"
)
BUYER = Party("33AACCC8812F1ZZ", "Coromandel Engineering Limited", "8 Anna Salai, Guindy", "Chennai, Tamil Nadu")


@dataclass(frozen=True)
class UploadedInvoice:
    """The PDF and what is printed on it (what the OCR prefill must show)."""

    pdf: bytes
    spec: InvoiceSpec

    @property
    def number(self) -> str:
        return self.spec.truth.invoice_number

    @property
    def total(self) -> Decimal:
        return self.spec.truth.total

    @property
    def face_units(self) -> int:
        """The total in stablecoin base units (6 decimals)."""
        return int(self.total.scaleb(6))


def today_ist() -> date:
    return datetime.now(IST).date()


def sme_invoice(number: str = "KAF/2526/0042", *, due_in_days: int = 60) -> UploadedInvoice:
    """Intra-state (CGST + SGST at 18%): taxable ₹2,00,000.00, total ₹2,36,000.00, issued today, due in 60 days."""
    issue = today_ist()
    spec = tax_invoice(
        number=number,
        issue_date=issue,
        due_date=issue + timedelta(days=due_in_days),
        seller=SELLER,
        buyer=BUYER,
        items=(
            LineItem("Cold-pressed groundnut oil, 15 L tins", "1508", 80, Decimal("2000.00")),
            LineItem("Sesame oil, 5 L cans", "1515", 50, Decimal("800.00")),
        ),
        tax_rate=18,
        layout="letterhead",
        place_of_supply="Tamil Nadu (33)",
    )
    return UploadedInvoice(render_pdf(spec), spec)
