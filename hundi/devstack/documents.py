"""Invoice documents as Indian SMEs send them: GST tax invoices rendered as text-layer PDFs.

The demo seed (`hundi dev`) stores these as the invoices' documents, so the dApp's invoice pages have real files and
the oracle can verify the seeded invoices exactly as it verifies uploads. The test fixtures
(tests/fixtures/invoices.py) build random specs on top of this module and degrade the PDFs into scans.

Rendering is deterministic: the same spec gives the same bytes (reportlab runs in invariant mode). reportlab is a
development dependency (the `dev` extra), imported when this module is.

Three layouts, chosen so that the extractor meets the shapes real Indian invoices come in:

- ``letterhead``: seller letterhead, ``Label: value`` pairs left and right, Western grouping (118,000.00),
  ``Rs.`` amounts and dd/mm/yyyy dates.
- ``table``: supplier and recipient side by side, a label-above-value grid for the invoice details, a line-item
  table with HSN and CGST/SGST/IGST columns, textual dates (5 Apr 2025), Indian or Western grouping.
- ``compact``: an A5 slip with short labels, Indian grouping with the rupee sign (1,18,000.00), ISO or
  dd-mm-yyyy dates and an IRN wrapped over two lines.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Literal

from reportlab.lib.pagesizes import A4, A5  # type: ignore[import-untyped]
from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
from reportlab.pdfbase.ttfonts import TTFont  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

Layout = Literal["letterhead", "table", "compact"]
LAYOUTS: tuple[Layout, ...] = ("letterhead", "table", "compact")

PAISE = Decimal("0.01")  # amounts are whole paise
_PAISE = PAISE
_DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")

# family -> (regular, bold) reportlab font names. The Type1 standard fonts ship with reportlab; DejaVu is
# registered when the Debian package fonts-dejavu-core is installed (it also carries the rupee sign).
_FONTS: dict[str, tuple[str, str]] = {
    "Helvetica": ("Helvetica", "Helvetica-Bold"),
    "Times": ("Times-Roman", "Times-Bold"),
    "Courier": ("Courier", "Courier-Bold"),
}
_DEJAVU = {
    "DejaVuSans": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    "DejaVuSerif": ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"),
    "DejaVuSansMono": ("DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf"),
}
for _family, (_regular, _bold) in _DEJAVU.items():
    if (_DEJAVU_DIR / _regular).exists() and (_DEJAVU_DIR / _bold).exists():
        pdfmetrics.registerFont(TTFont(_family, str(_DEJAVU_DIR / _regular)))
        pdfmetrics.registerFont(TTFont(f"{_family}-Bold", str(_DEJAVU_DIR / _bold)))
        _FONTS[_family] = (_family, f"{_family}-Bold")
FONT_FAMILIES: tuple[str, ...] = tuple(_FONTS)
RUPEE_FONTS = frozenset(f for f in _FONTS if f.startswith("DejaVu"))

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class LineItem:
    """One line of the items table."""

    description: str
    hsn: str
    quantity: int
    rate: Decimal

    @property
    def amount(self) -> Decimal:
        """Quantity times rate, in rupees."""
        return (self.rate * self.quantity).quantize(_PAISE)


@dataclass(frozen=True)
class InvoiceTruth:
    """The fields an extractor must find, normalised the way ``hundi.ocr`` reports them."""

    invoice_number: str
    issue_date: date
    due_date: date
    seller_gstin: str
    buyer_gstin: str
    taxable_value: Decimal
    tax: Decimal
    total: Decimal
    currency: str
    irn: str | None

    def as_dict(self) -> dict[str, object]:
        """Field name -> value, with the names ``hundi.ocr.fields.InvoiceFields`` uses."""
        return {
            "invoice_number": self.invoice_number,
            "issue_date": self.issue_date,
            "due_date": self.due_date,
            "seller_gstin": self.seller_gstin,
            "buyer_gstin": self.buyer_gstin,
            "taxable_value": self.taxable_value,
            "tax": self.tax,
            "total": self.total,
            "currency": self.currency,
            "irn": self.irn,
        }


@dataclass(frozen=True)
class InvoiceSpec:
    """Everything needed to render one invoice: the truth plus the presentation choices."""

    seed: int
    layout: Layout
    font: str
    number_style: Literal["indian", "western"]
    date_style: Literal["dmy-slash", "dmy-dash", "d-mon-y", "iso"]
    truth: InvoiceTruth
    seller_name: str
    buyer_name: str
    seller_address: tuple[str, str]
    buyer_address: tuple[str, str]
    items: tuple[LineItem, ...]
    tax_rate: int
    cgst: Decimal
    sgst: Decimal
    igst: Decimal
    currency_prefix: str
    print_irn: bool
    extra: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------------------
# Formatting, kept independent of hundi.ocr so that tests compare two implementations.


def format_amount(value: Decimal, style: Literal["indian", "western"]) -> str:
    """``1,18,000.50`` (Indian lakh/crore grouping) or ``118,000.50`` (Western thousands grouping)."""
    sign = "-" if value < 0 else ""
    rupees, paise = f"{abs(value.quantize(_PAISE)):.2f}".split(".")
    if style == "western" or len(rupees) <= 3:
        groups = f"{int(rupees):,}"
    else:
        head, tail = rupees[:-3], rupees[-3:]
        pairs: list[str] = []
        while len(head) > 2:
            pairs.insert(0, head[-2:])
            head = head[:-2]
        groups = ",".join([head, *pairs, tail])
    return f"{sign}{groups}.{paise}"


def format_date(value: date, style: str) -> str:
    """Render a date the way Indian invoices print it."""
    if style == "dmy-slash":
        return value.strftime("%d/%m/%Y")
    if style == "dmy-dash":
        return value.strftime("%d-%m-%Y")
    if style == "iso":
        return value.isoformat()
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


_ONES = (
    "",
    "One",
    "Two",
    "Three",
    "Four",
    "Five",
    "Six",
    "Seven",
    "Eight",
    "Nine",
    "Ten",
    "Eleven",
    "Twelve",
    "Thirteen",
    "Fourteen",
    "Fifteen",
    "Sixteen",
    "Seventeen",
    "Eighteen",
    "Nineteen",
)
_TENS = ("", "", "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety")


def _words_below_1000(n: int) -> list[str]:
    out: list[str] = []
    if n >= 100:
        out += [_ONES[n // 100], "Hundred"]
        n %= 100
    if n >= 20:
        out.append(_TENS[n // 10])
        n %= 10
    if n:
        out.append(_ONES[n])
    return out


def amount_in_words(value: Decimal) -> str:
    """Indian-style amount in words: ``Rupees One Lakh Eighteen Thousand and Fifty Paise Only``."""
    rupees = int(value)
    paise = int((value - rupees) * 100)
    words: list[str] = []
    for unit, size in (("Crore", 10_000_000), ("Lakh", 100_000), ("Thousand", 1000)):
        if rupees >= size:
            words += [*_words_below_1000(rupees // size), unit]
            rupees %= size
    words += _words_below_1000(rupees)
    text = "Rupees " + " ".join(words or ["Zero"])
    if paise:
        text += " and " + " ".join(_words_below_1000(paise)) + " Paise"
    return text + " Only"


# ---------------------------------------------------------------------------------------------------------
# Text-layer PDF rendering


class _Pen:
    """Small drawing helper over a reportlab canvas with a top-left origin."""

    def __init__(self, canvas: Canvas, spec: InvoiceSpec, height: float) -> None:
        self.c = canvas
        self.regular, self.bold = _FONTS[spec.font]
        self.height = height

    def text(
        self,
        x: float,
        y: float,
        s: str,
        size: float = 9.5,
        bold: bool = False,
        align: Literal["left", "right", "center"] = "left",
    ) -> None:
        self.c.setFont(self.bold if bold else self.regular, size)
        yy = self.height - y
        if align == "right":
            self.c.drawRightString(x, yy, s)
        elif align == "center":
            self.c.drawCentredString(x, yy, s)
        else:
            self.c.drawString(x, yy, s)

    def hline(self, x0: float, x1: float, y: float, width: float = 0.6) -> None:
        self.c.setLineWidth(width)
        self.c.line(x0, self.height - y, x1, self.height - y)

    def rect(self, x: float, y: float, w: float, h: float) -> None:
        self.c.setLineWidth(0.6)
        self.c.rect(x, self.height - y - h, w, h)


def _money(spec: InvoiceSpec, value: Decimal, prefix: bool = True) -> str:
    text = format_amount(value, spec.number_style)
    return f"{spec.currency_prefix}{text}" if prefix else text


def _draw_letterhead(p: _Pen, spec: InvoiceSpec) -> None:
    t = spec.truth
    left, right = 45.0, 550.0
    p.text(left, 60, spec.seller_name, 17, bold=True)
    p.text(left, 78, spec.seller_address[0])
    p.text(left, 91, spec.seller_address[1] + f"   Phone: {spec.extra['phone']}")
    p.text(left, 106, f"GSTIN: {t.seller_gstin}", 10, bold=True)
    p.hline(left, right, 116, 1.2)
    p.text(297, 140, "TAX INVOICE", 14, bold=True, align="center")

    p.text(left, 168, f"Invoice No: {t.invoice_number}", 10)
    p.text(330, 168, f"Invoice Date: {format_date(t.issue_date, spec.date_style)}", 10)
    p.text(left, 184, f"Place of Supply: {spec.extra['place_of_supply']}", 10)
    p.text(330, 184, f"Due Date: {format_date(t.due_date, spec.date_style)}", 10)

    p.text(left, 214, "Bill To:", 10, bold=True)
    p.text(left, 229, spec.buyer_name, 10)
    p.text(left, 242, spec.buyer_address[0])
    p.text(left, 255, spec.buyer_address[1])
    p.text(left, 270, f"GSTIN: {t.buyer_gstin}", 10)

    cols = (left, 70.0, 300.0, 370.0, 420.0)
    y = 300.0
    p.hline(left, right, y - 13)
    for x, head in zip(cols, ("#", "Description", "HSN/SAC", "Qty", "Rate"), strict=True):
        p.text(x, y, head, 9, bold=True)
    p.text(right, y, "Amount", 9, bold=True, align="right")
    p.hline(left, right, y + 5)
    for n, item in enumerate(spec.items, start=1):
        y += 17
        p.text(cols[0], y, str(n), 9)
        p.text(cols[1], y, item.description, 9)
        p.text(cols[2], y, item.hsn, 9)
        p.text(cols[3], y, str(item.quantity), 9)
        p.text(cols[4], y, format_amount(item.rate, spec.number_style), 9)
        p.text(right, y, format_amount(item.amount, spec.number_style), 9, align="right")
    y += 8
    p.hline(left, right, y)

    label_x = 330.0
    y += 20
    p.text(label_x, y, "Taxable Value:", 10)
    p.text(right, y, _money(spec, t.taxable_value), 10, align="right")
    if spec.igst:
        y += 16
        p.text(label_x, y, f"IGST @ {spec.tax_rate}%:", 10)
        p.text(right, y, format_amount(spec.igst, spec.number_style), 10, align="right")
    else:
        half = f"{spec.tax_rate / 2:g}"
        y += 16
        p.text(label_x, y, f"CGST @ {half}%:", 10)
        p.text(right, y, format_amount(spec.cgst, spec.number_style), 10, align="right")
        y += 16
        p.text(label_x, y, f"SGST @ {half}%:", 10)
        p.text(right, y, format_amount(spec.sgst, spec.number_style), 10, align="right")
    y += 6
    p.hline(label_x, right, y)
    y += 16
    p.text(label_x, y, "Total:", 11, bold=True)
    p.text(right, y, _money(spec, t.total), 11, bold=True, align="right")

    y += 30
    p.text(left, y, f"Amount in words: {amount_in_words(t.total)}", 9)
    if t.irn:
        y += 24
        p.text(left, y, f"IRN: {t.irn}", 8)
    p.text(right, 780, f"For {spec.seller_name}", 9, align="right")
    p.text(right, 805, "Authorised Signatory", 9, align="right")


def _draw_table(p: _Pen, spec: InvoiceSpec) -> None:
    t = spec.truth
    left, right, mid = 40.0, 555.0, 300.0
    p.text(297, 50, "TAX INVOICE", 15, bold=True, align="center")
    p.text(297, 64, "(Original for Recipient)", 8, align="center")

    p.rect(left, 75, right - left, 92)
    p.c.line(mid - 5, p.height - 75, mid - 5, p.height - 167)
    for x, heading, name, address, gstin in (
        (left + 6, "Supplier", spec.seller_name, spec.seller_address, t.seller_gstin),
        (mid + 3, "Recipient", spec.buyer_name, spec.buyer_address, t.buyer_gstin),
    ):
        p.text(x, 89, heading, 9, bold=True)
        p.text(x, 104, name, 9.5, bold=True)
        p.text(x, 117, address[0], 8.5)
        p.text(x, 130, address[1], 8.5)
        p.text(x, 147, f"GSTIN: {gstin}", 9.5)
        p.text(x, 160, f"State Code: {gstin[:2]}", 8.5)

    # Invoice details as a grid: labels on one row, values on the row below.
    grid_x = (left, 170.0, 300.0, 430.0)
    labels = ("Invoice Number", "Invoice Date", "Due Date", "Place of Supply")
    values = (
        t.invoice_number,
        format_date(t.issue_date, spec.date_style),
        format_date(t.due_date, spec.date_style),
        spec.extra["place_of_supply"],
    )
    p.rect(left, 177, right - left, 40)
    p.hline(left, right, 197)
    for x, label, value in zip(grid_x, labels, values, strict=True):
        p.text(x + 6, 191, label, 9, bold=True)
        p.text(x + 6, 211, value, 9.5)

    heads = ("Sl", "Description", "HSN", "Qty", "Rate", "Taxable", "CGST", "SGST", "IGST", "Amount")
    # Right edges of the numeric columns; text columns are left aligned.
    col_left = (left + 4, 60.0, 178.0)
    col_right = (245.0, 300.0, 360.0, 410.0, 458.0, 500.0, right - 4)
    y = 245.0
    p.hline(left, right, y - 13)
    for x, head in zip(col_left, heads[:3], strict=True):
        p.text(x, y, head, 8, bold=True)
    for x, head in zip(col_right, heads[3:], strict=True):
        p.text(x, y, head, 8, bold=True, align="right")
    p.hline(left, right, y + 5)
    intra = not spec.igst
    for n, item in enumerate(spec.items, start=1):
        y += 16
        rate = Decimal(spec.tax_rate) / (200 if intra else 100)
        c = s = (item.amount * rate).quantize(_PAISE, ROUND_HALF_UP) if intra else Decimal(0)
        i = Decimal(0) if intra else (item.amount * rate).quantize(_PAISE, ROUND_HALF_UP)
        cells = (
            str(item.quantity),
            format_amount(item.rate, spec.number_style),
            format_amount(item.amount, spec.number_style),
            format_amount(c, spec.number_style),
            format_amount(s, spec.number_style),
            format_amount(i, spec.number_style),
            format_amount(item.amount + c + s + i, spec.number_style),
        )
        p.text(col_left[0], y, str(n), 8)
        p.text(col_left[1], y, item.description, 8)
        p.text(col_left[2], y, item.hsn, 8)
        for x, cell in zip(col_right, cells, strict=True):
            p.text(x, y, cell, 8, align="right")
    y += 8
    p.hline(left, right, y)

    y += 24
    label_x = 330.0
    rows = [("Total Taxable Value", format_amount(t.taxable_value, spec.number_style))]
    if intra:
        rows += [
            (f"CGST ({spec.tax_rate / 2:g}%)", format_amount(spec.cgst, spec.number_style)),
            (f"SGST ({spec.tax_rate / 2:g}%)", format_amount(spec.sgst, spec.number_style)),
        ]
    else:
        rows += [(f"IGST ({spec.tax_rate}%)", format_amount(spec.igst, spec.number_style))]
    rows += [("Total Tax", format_amount(t.tax, spec.number_style))]
    for label, value in rows:
        p.text(label_x, y, label, 9.5)
        p.text(right - 4, y, value, 9.5, align="right")
        y += 16
    p.hline(label_x, right, y - 10)
    y += 4
    p.text(label_x, y, "Grand Total (INR)", 11, bold=True)
    p.text(right - 4, y, format_amount(t.total, spec.number_style), 11, bold=True, align="right")

    y += 28
    p.text(left, y, amount_in_words(t.total), 9)
    if t.irn:
        y += 26
        p.text(left, y, "IRN:", 8, bold=True)
        p.text(left + 24, y, t.irn, 8)
        p.text(left, y + 13, f"Ack Date: {format_date(t.issue_date, spec.date_style)}", 8)
    p.text(right, 790, "This is a computer generated invoice.", 8, align="right")


def _draw_compact(p: _Pen, spec: InvoiceSpec) -> None:
    t = spec.truth
    left, right = 32.0, 388.0
    p.text(left, 45, spec.seller_name, 12.5, bold=True)
    p.text(left, 60, f"{spec.seller_address[0]}, {spec.seller_address[1]}", 8)
    p.text(left, 76, f"Seller GSTIN: {t.seller_gstin}", 9.5)
    p.hline(left, right, 86)
    p.text(left, 102, f"Buyer: {spec.buyer_name}", 9.5)
    p.text(left, 117, f"Buyer GSTIN: {t.buyer_gstin}", 9.5)
    p.hline(left, right, 127)
    p.text(left, 145, f"Inv #: {t.invoice_number}", 10, bold=True)
    p.text(230, 145, f"Dt: {format_date(t.issue_date, spec.date_style)}", 10)
    p.text(230, 161, f"Due: {format_date(t.due_date, spec.date_style)}", 10)
    y = 190.0
    rows = [
        ("Taxable", t.taxable_value, False),
        (f"GST {spec.tax_rate}%", t.tax, False),
        ("Total Payable", t.total, True),
    ]
    for label, value, bold in rows:
        p.text(left, y, label, 10.5 if bold else 10, bold=bold)
        p.text(right, y, _money(spec, value), 10.5 if bold else 10, bold=bold, align="right")
        y += 17
    if t.irn:
        y += 10
        p.text(left, y, "IRN:", 8.5, bold=True)
        p.text(left, y + 13, t.irn[:32], 8.5)
        p.text(left, y + 26, t.irn[32:], 8.5)
    p.text(left, 560, "Thank you for your business.", 8)


def render_pdf(spec: InvoiceSpec) -> bytes:
    """A text-layer PDF of ``spec`` (byte-for-byte reproducible)."""
    size = A5 if spec.layout == "compact" else A4
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=size, invariant=1)
    canvas.setTitle(f"Invoice {spec.truth.invoice_number}")
    pen = _Pen(canvas, spec, size[1])
    {"letterhead": _draw_letterhead, "table": _draw_table, "compact": _draw_compact}[spec.layout](pen, spec)
    canvas.showPage()
    canvas.save()
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------------------
# Building a spec from known parties (the demo seed's invoices)


@dataclass(frozen=True)
class Party:
    """A seller or buyer as printed on an invoice."""

    gstin: str
    name: str
    street: str
    city_state: str


#: Per layout: number grouping, date style and the currency prefix of printed amounts (the shapes the layouts were
#: designed around; see the module docstring).
_LAYOUT_STYLE: dict[Layout, tuple[Literal["indian", "western"], Literal["dmy-slash", "dmy-dash", "d-mon-y", "iso"]]] = {
    "letterhead": ("western", "dmy-slash"),
    "table": ("indian", "d-mon-y"),
    "compact": ("indian", "dmy-dash"),
}


def tax_invoice(
    *,
    number: str,
    issue_date: date,
    due_date: date,
    seller: Party,
    buyer: Party,
    items: tuple[LineItem, ...],
    tax_rate: int,
    layout: Layout = "letterhead",
    font: str = "Helvetica",
    place_of_supply: str,
    phone: str = "+91 98200 41234",
) -> InvoiceSpec:
    """The spec of a GST tax invoice between two known parties: CGST + SGST within a state, IGST across states,
    and the IRN printed (computed from the seller's GSTIN, the financial year and the number)."""
    from hundi.gst.irn import financial_year_of, irn

    taxable = sum((item.amount for item in items), Decimal(0))
    if seller.gstin[:2] == buyer.gstin[:2]:
        cgst = sgst = (taxable * tax_rate / 200).quantize(PAISE, ROUND_HALF_UP)
        igst = Decimal("0.00")
    else:
        cgst = sgst = Decimal("0.00")
        igst = (taxable * tax_rate / 100).quantize(PAISE, ROUND_HALF_UP)
    tax = cgst + sgst + igst
    number_style, date_style = _LAYOUT_STYLE[layout]
    if layout == "letterhead":
        currency_prefix = "Rs. "
    elif layout == "compact":
        currency_prefix = "\u20b9 " if font in RUPEE_FONTS else "INR "
    else:
        currency_prefix = ""
    irn_hex = irn(seller.gstin, financial_year_of(issue_date), "INV", number)
    return InvoiceSpec(
        seed=0,
        layout=layout,
        font=font,
        number_style=number_style,
        date_style=date_style,
        truth=InvoiceTruth(
            invoice_number=number,
            issue_date=issue_date,
            due_date=due_date,
            seller_gstin=seller.gstin,
            buyer_gstin=buyer.gstin,
            taxable_value=taxable,
            tax=tax,
            total=taxable + tax,
            currency="INR",
            irn=irn_hex,
        ),
        seller_name=seller.name,
        buyer_name=buyer.name,
        seller_address=(seller.street, seller.city_state),
        buyer_address=(buyer.street, buyer.city_state),
        items=items,
        tax_rate=tax_rate,
        cgst=cgst,
        sgst=sgst,
        igst=igst,
        currency_prefix=currency_prefix,
        print_irn=True,
        extra={"phone": phone, "place_of_supply": place_of_supply},
    )
